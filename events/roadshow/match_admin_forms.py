"""Forms of the organisers' matchmaking pages: the set-up, capacities, requests for VIPs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError
from wtforms.widgets import TextInput

from events.forms import _text_or_empty, choices
from events.roadshow.match_models import Priority
from events.roadshow.match_requests import PRIORITY_LABELS
from events.roadshow.participants import MAX_CAPACITY, MAX_NOTE

#: The scheduler's search time an organiser may choose, in seconds.
MIN_TIME_LIMIT = 5
MAX_TIME_LIMIT = 120


class WholeNumberField(IntegerField):
    """A whole number typed in a text box, refused with ``message`` when it is not one."""

    widget = TextInput()

    def __init__(self, *args, message=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.not_a_number = message

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = (valuelist[0] or "").strip()
        if not raw:
            self.data = None
            return
        try:
            self.data = int(raw)
        except ValueError:
            self.data = None
            raise ValueError(self.not_a_number) from None


class SetupForm(FlaskForm):
    """Who takes part and how requests behave; categories are the event's own."""

    categories = SelectMultipleField(
        _l("Categories taking part"),
        coerce=int,
        validate_choice=False,
        description=_l("Confirmed registrations of the ticked categories are the participants."),
    )
    requests_open = BooleanField(_l("Requests open: participants may send and answer requests"))
    auto_accept = BooleanField(_l("Accept every request as soon as it is sent"))
    time_limit = WholeNumberField(
        _l("Scheduler search time (seconds)"),
        message=_l("Enter the search time as a whole number of seconds."),
        render_kw={"inputmode": "numeric"},
        validators=[
            InputRequired(message=_l("Enter the search time in seconds.")),
            NumberRange(
                min=MIN_TIME_LIMIT,
                max=MAX_TIME_LIMIT,
                message=_l(
                    "The search time must be from %(least)d to %(most)d seconds.",
                    least=MIN_TIME_LIMIT,
                    most=MAX_TIME_LIMIT,
                ),
            ),
        ],
        description=_l("How long the scheduler may look for a better plan: 5 to 120 seconds."),
    )
    submit = SubmitField(_l("Save the set-up"))

    def __init__(self, *args, categories=(), locale: str = "zh_Hans_CN", **kwargs):
        super().__init__(*args, **kwargs)
        self.categories.choices = choices(
            (category.id, category.name_for(locale)) for category in categories
        )

    def validate_categories(self, field):
        offered = {choice.value for choice in self.categories.choices}
        if any(value not in offered for value in field.data or []):
            raise ValidationError(_l("Choose among this event's categories."))


class CapacityForm(FlaskForm):
    """One participant's representatives at tables at once (rendered once per row)."""

    capacity = WholeNumberField(
        _l("Representatives at once"),
        message=_l(
            "Enter a whole number of representatives, from 1 to %(most)d.", most=MAX_CAPACITY
        ),
        render_kw={"inputmode": "numeric"},
        validators=[
            InputRequired(
                message=_l(
                    "Enter a whole number of representatives, from 1 to %(most)d.",
                    most=MAX_CAPACITY,
                )
            )
        ],
    )
    submit = SubmitField(_l("Save"))


def _optional_id(value) -> int | None:
    """A select's registration id; the empty "choose" option is None."""
    if value is None or value == "":
        return None
    number = int(value)
    if not 0 < number < 2**31:  # beyond what the id column holds: no such participant
        raise ValueError(value)
    return number


class AddRequestForm(FlaskForm):
    """A meeting an organiser arranges for two participants: accepted at once.

    The selects offer the participants, but any registration id is checked
    again by the view through :func:`events.roadshow.participants.participant_of`.
    """

    requester_id = SelectField(
        _l("Requested by"),
        coerce=_optional_id,
        validate_choice=False,
        invalid_value_message=_l("Choose a participant."),
        validators=[InputRequired(message=_l("Choose a participant."))],
    )
    recipient_id = SelectField(
        _l("Meets"),
        coerce=_optional_id,
        validate_choice=False,
        invalid_value_message=_l("Choose a participant."),
        validators=[InputRequired(message=_l("Choose a participant."))],
    )
    priority = SelectField(
        _l("Priority"),
        coerce=int,
        default=Priority.MUST.value,
        choices=choices(
            (priority.value, PRIORITY_LABELS[priority]) for priority in sorted(Priority)[::-1]
        ),
        invalid_value_message=_l("Choose a priority."),
        invalid_choice_message=_l("Choose a priority."),
    )
    note = TextAreaField(
        _l("Note"),
        validators=[Length(max=MAX_NOTE)],
        filters=[_text_or_empty],
        render_kw={"rows": 2, "maxlength": MAX_NOTE},
        description=_l("Both participants see it with the request."),
    )
    submit = SubmitField(_l("Add the accepted request"))

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        options = [("", _l("Choose a participant"))] + [
            (person.id, _person_label(person)) for person in people
        ]
        self.requester_id.choices = choices(options)
        self.recipient_id.choices = choices(options)

    def validate_recipient_id(self, field):
        if field.data is not None and field.data == self.requester_id.data:
            raise ValidationError(_l("Choose two different participants."))


def _person_label(person) -> str:
    return f"{person.name} · {person.organisation}" if person.organisation else person.name
