"""Forms of the participants' matchmaking pages (the organisers' live elsewhere)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from events.forms import _text_or_empty, choices
from events.roadshow import labels
from events.roadshow.match_models import Priority
from events.roadshow.match_requests import MAX_ABOUT, PRIORITY_LABELS
from events.roadshow.models import Sector
from events.roadshow.participants import MAX_NOTE
from events.roadshow.project_forms import WanField
from events.roadshow.projects import MAX_CAPITAL_WAN


class ProfileForm(FlaskForm):
    """What a participant shows others in the directory (capacity is the organisers')."""

    sector = SelectField(_l("Sector"), choices=[])
    region = StringField(
        _l("Region"),
        validators=[Length(max=100)],
        filters=[_text_or_empty],
        description=_l("The city or province you invest in or come from."),
    )
    capital_wan = WanField(
        _l("Capital offered or sought (万元)"),
        render_kw={"inputmode": "numeric"},
        validators=[Optional()],
        description=_l("Optional. A whole number of 万元, for example 5000."),
    )
    about = TextAreaField(
        _l("About you and what you look for"),
        validators=[Length(max=MAX_ABOUT)],
        filters=[_text_or_empty],
        render_kw={"rows": 6, "maxlength": MAX_ABOUT},
    )
    listed = BooleanField(_l("Show me in the participants' directory"))
    submit = SubmitField(_l("Save my profile"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sector.choices = choices(
            [("", _l("No particular sector"))]
            + [(sector.value, labels.SECTOR_LABELS[sector]) for sector in Sector]
        )

    def validate_sector(self, field):
        if field.data and field.data not in {sector.value for sector in Sector}:
            raise ValidationError(_l("Choose a sector from the list."))

    def validate_capital_wan(self, field):
        if field.data is not None and not 0 <= field.data <= MAX_CAPITAL_WAN:
            raise ValidationError(_l("The capital must be between 0 and 100,000,000 万元."))


class MeetingRequestForm(FlaskForm):
    """Ask another participant for a meeting (the directory renders one per person)."""

    recipient_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    priority = SelectField(
        _l("Priority"),
        coerce=int,
        default=Priority.WOULD_LIKE.value,
        choices=choices(
            (priority.value, PRIORITY_LABELS[priority]) for priority in reversed(Priority)
        ),
        validate_choice=True,
    )
    note = TextAreaField(
        _l("Note for them"),
        validators=[Length(max=MAX_NOTE)],
        filters=[_text_or_empty],
    )
    submit = SubmitField(_l("Request a meeting"))
