"""The public sign-up form, built per event with one field per custom question."""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FloatField,
    HiddenField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from events.forms import choices
from events.widgets import FastWidgets
from registration.models import Question, QuestionKind
from registration.question_forms import CheckboxListField


def stripped(value):
    """A field filter: what people type, without surrounding spaces."""
    return value.strip() if isinstance(value, str) else value


def bilingual(zh: str, en: str | None) -> str:
    return f"{zh} / {en}" if en else zh


def mobile_field() -> StringField:
    """The mobile number as every form asks for it (normalised by the services)."""
    return StringField(
        _l("Mobile"),
        validators=[DataRequired(), Length(max=32)],
        filters=[stripped],
        description=_l("Chinese mobiles as 139 1234 5678; others with their country code."),
    )


class PersonFields(FlaskForm):
    """What every registration asks, also what a person may edit later."""

    class Meta(FastWidgets):  # the pages of a registration rush
        pass

    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=100)],
        filters=[stripped],
        description=_l("As on your ID: Chinese names family name first, without a space."),
    )
    name_en = StringField(
        _l("Name in English or pinyin"),
        validators=[Optional(), Length(max=100)],
        filters=[stripped],
        description=_l("Optional; printed on the badge under your name."),
    )
    organisation = StringField(
        _l("Organisation"), validators=[DataRequired(), Length(max=200)], filters=[stripped]
    )
    position = StringField(_l("Position"), validators=[Length(max=100)], filters=[stripped])
    email = EmailField(
        _l("Email"),
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
        filters=[stripped],
        description=_l("Optional, but without it we cannot send you your confirmation."),
    )


class SignupForm(PersonFields):
    category = RadioField(_l("I register as"), validators=[DataRequired()], choices=[])
    mobile = mobile_field()
    consent = BooleanField(
        _l(
            "I agree that my personal information is processed as described in the privacy "
            "notice, for this event only."
        ),
        validators=[DataRequired(message=_l("Registration needs your consent."))],
    )
    waitlist = HiddenField(default="")
    submit = SubmitField(_l("Register"))

    def __init__(self, *args, event=None, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        if event is not None:
            self.category.choices = choices(
                (str(c.id), bilingual(c.name_zh, c.name_en))
                for c in event.categories
                if c.is_public
            )

    def question_fields(self):
        return [(question, self[field_name(question)]) for question in self.questions]

    def answers_for(self, category_id: int) -> dict[Question, object]:
        return {
            question: answer_value(question, self[field_name(question)].data)
            for question in self.questions
            if question.applies_to(category_id)
        }

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        chosen = int(self.category.data) if (self.category.data or "").isdigit() else None
        for question, field in self.question_fields():
            missing = answer_value(question, field.data) in (None, "", [])
            if question.required and chosen is not None and question.applies_to(chosen) and missing:
                field.errors = [*field.errors, _l("Please answer this question.")]
                valid = False
        return valid


def field_name(question: Question) -> str:
    return f"q{question.id}"


def answer_value(question: Question, data):
    """The JSON value stored for a field's data (see Answer.value)."""
    if data in (None, "", []):
        return None
    if question.kind is QuestionKind.DATE:
        return data.isoformat()
    if question.kind is QuestionKind.YES_NO:
        return data == "yes"
    if question.kind is QuestionKind.NUMBER:
        return int(data) if float(data).is_integer() else float(data)
    return data


def question_field(question: Question):
    """An unbound WTForms field asking ``question``; requiredness is checked by category."""
    label = bilingual(question.label_zh, question.label_en)
    description = bilingual(question.help_zh, question.help_en) if question.help_zh else ""
    options = {"label": label, "description": description}
    kind = question.kind
    if kind is QuestionKind.TEXT:
        return StringField(validators=[Optional(), Length(max=500)], **options)
    if kind is QuestionKind.LONG_TEXT:
        return TextAreaField(validators=[Optional(), Length(max=5000)], **options)
    if kind is QuestionKind.NUMBER:
        return FloatField(validators=[Optional()], **options)
    if kind is QuestionKind.DATE:
        return DateField(validators=[Optional()], **options)
    if kind is QuestionKind.YES_NO:
        return RadioField(
            choices=choices([("yes", _l("Yes")), ("no", _l("No"))]),
            validators=[Optional()],
            **options,
        )
    option_choices = choices((o["key"], bilingual(o["zh"], o.get("en"))) for o in question.options)
    if kind is QuestionKind.SINGLE_CHOICE:
        return RadioField(choices=option_choices, validators=[Optional()], **options)
    return CheckboxListField(choices=option_choices, validators=[Optional()], **options)


def signup_form_class(questions: list[Question]) -> type[SignupForm]:
    """A SignupForm subclass with one field per question (WTForms binds fields per class).

    Classes are reused while the questions read the same: building one costs
    more than the rest of a sign-up's form handling during a registration rush.
    """
    return _form_class_for(tuple(_question_key(question) for question in questions), questions)


def _question_key(question: Question) -> str:
    return json.dumps(
        [
            question.id,
            question.version,
            question.kind.value,
            question.label_zh,
            question.label_en,
            question.help_zh,
            question.help_en,
            question.options,
        ],
        ensure_ascii=False,
        sort_keys=True,
    )


_FORM_CLASSES: dict[tuple[str, ...], type[SignupForm]] = {}
_FORM_CLASSES_KEPT = 256


def _form_class_for(key: tuple[str, ...], questions: list[Question]) -> type[SignupForm]:
    form_class = _FORM_CLASSES.get(key)
    if form_class is None:
        fields = {field_name(question): question_field(question) for question in questions}
        form_class = type("EventSignupForm", (SignupForm,), fields)
        if len(_FORM_CLASSES) >= _FORM_CLASSES_KEPT:
            _FORM_CLASSES.clear()  # questions were edited many times: start afresh
        _FORM_CLASSES[key] = form_class
    return form_class
