"""The question editor's form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from events.forms import choices
from registration.models import QuestionKind

QUESTION_KINDS = {
    QuestionKind.TEXT: _l("Short text"),
    QuestionKind.LONG_TEXT: _l("Long text"),
    QuestionKind.SINGLE_CHOICE: _l("Single choice"),
    QuestionKind.MULTIPLE_CHOICE: _l("Multiple choice"),
    QuestionKind.NUMBER: _l("Number"),
    QuestionKind.DATE: _l("Date"),
    QuestionKind.YES_NO: _l("Yes / no"),
}


def _optional_text(value):
    return value.strip() if isinstance(value, str) and value.strip() else None


class CheckboxListField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Type"), choices=[])
    label_zh = StringField(_l("Question (Chinese)"), validators=[DataRequired(), Length(max=300)])
    label_en = StringField(
        _l("Question (English)"), validators=[Optional(), Length(max=300)], filters=[_optional_text]
    )
    help_zh = StringField(_l("Help text (Chinese)"), validators=[Length(max=500)])
    help_en = StringField(
        _l("Help text (English)"), validators=[Length(max=500)], filters=[_optional_text]
    )
    options = TextAreaField(
        _l("Options"),
        description=_l("Choice questions only: one option a line, Chinese | English."),
        validators=[Length(max=10000)],
    )
    required = BooleanField(_l("An answer is required"))
    position = IntegerField(_l("Order"), default=0, validators=[Optional(), NumberRange(0, 9999)])
    categories = CheckboxListField(
        _l("Asked of"), coerce=int, description=_l("None ticked: every category.")
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, event=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices((kind.value, label) for kind, label in QUESTION_KINDS.items())
        if event is not None:
            self.categories.choices = choices((c.id, c.name_zh) for c in event.categories)
