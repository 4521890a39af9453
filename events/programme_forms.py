"""Forms of the programme: rooms and agenda items.

Forms carry the input rules (required Chinese names, end after start, a room
of this very event); the warnings that do not block saving live in
:mod:`events.programme_services`.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from events.forms import LOCAL_DATETIME_FORMATS, choices
from events.i18n import current_locale
from events.models import AgendaItem, AgendaKind, Event, Room
from events.programme_services import AGENDA_KINDS, ItemFields, RoomFields, rooms_of
from events.setup import as_wall_clock, in_zone


def strip(value):
    return value.strip() if isinstance(value, str) else value


def none_if_empty(value: str | None) -> str | None:
    return value or None


class RoomForm(FlaskForm):
    name_zh = StringField(
        _l("Name in Chinese"),
        filters=[strip],
        validators=[DataRequired(message=_l("Enter the room's Chinese name.")), Length(max=100)],
    )
    name_en = StringField(
        _l("Name in English"), filters=[strip], validators=[Optional(), Length(max=100)]
    )
    capacity = IntegerField(
        _l("Capacity (seats)"),
        validators=[
            Optional(),
            NumberRange(min=1, message=_l("Enter a positive number of seats, or leave it empty.")),
        ],
    )
    position = IntegerField(
        _l("Order"),
        validators=[Optional(), NumberRange(min=0, max=10_000)],
        description=_l("Rooms are listed by this number, smallest first. Empty: last."),
    )
    submit = SubmitField(_l("Save room"))

    @classmethod
    def editing(cls, room: Room, method: str) -> RoomForm:
        """Filled from the room on GET; from what was sent on POST."""
        return cls(obj=room if method == "GET" else None)

    def room_fields(self) -> RoomFields:
        return RoomFields(
            name_zh=self.name_zh.data,
            name_en=none_if_empty(self.name_en.data),
            capacity=self.capacity.data,
            position=self.position.data,
        )


def _room_id(value) -> int | None:
    """The room select sends "" for no room; any other value must be a whole number."""
    if value in (None, "", "None"):
        return None
    return int(value)


class AgendaItemForm(FlaskForm):
    """One agenda item; times are entered on the event's wall clock."""

    kind = SelectField(
        _l("Kind"),
        choices=choices((kind.value, label) for kind, label in AGENDA_KINDS.items()),
        default=AgendaKind.PLENARY.value,
    )
    title_zh = StringField(
        _l("Title in Chinese"),
        filters=[strip],
        validators=[DataRequired(message=_l("Enter the Chinese title.")), Length(max=200)],
    )
    title_en = StringField(
        _l("Title in English"), filters=[strip], validators=[Optional(), Length(max=200)]
    )
    room_id = SelectField(_l("Room"), coerce=_room_id, validate_choice=False)
    starts_at = DateTimeLocalField(
        _l("Starts"),
        format=LOCAL_DATETIME_FORMATS,
        validators=[InputRequired(message=_l("Enter the date and time it starts."))],
    )
    ends_at = DateTimeLocalField(
        _l("Ends"),
        format=LOCAL_DATETIME_FORMATS,
        validators=[InputRequired(message=_l("Enter the date and time it ends."))],
    )
    speakers = TextAreaField(
        _l("Speakers"),
        filters=[strip],
        validators=[Length(max=2000)],
        description=_l("Roles or names, as they should appear in the programme."),
    )
    description_zh = TextAreaField(
        _l("Description in Chinese"), filters=[strip], validators=[Length(max=5000)]
    )
    description_en = TextAreaField(
        _l("Description in English"), filters=[strip], validators=[Length(max=5000)]
    )
    submit = SubmitField(_l("Save item"))

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.rooms = {room.id: room for room in rooms_of(event)}
        locale = current_locale()
        self.room_id.choices = choices(
            [("", _l("No room"))]
            + [(room.id, room.name_for(locale)) for room in self.rooms.values()]
        )

    @classmethod
    def editing(cls, event: Event, item: AgendaItem, method: str) -> AgendaItemForm:
        """Filled from the item on GET, times shown back on the event's clock."""
        if method != "GET":
            return cls(event=event)
        zone = event.timezone
        data = {
            "kind": item.kind.value,
            "title_zh": item.title_zh,
            "title_en": item.title_en or "",
            "room_id": item.room_id,
            "starts_at": as_wall_clock(item.starts_at, zone),
            "ends_at": as_wall_clock(item.ends_at, zone),
            "speakers": item.speakers,
            "description_zh": item.description_zh,
            "description_en": item.description_en or "",
        }
        return cls(event=event, data=data)

    def validate_room_id(self, field) -> None:
        if field.data is not None and field.data not in self.rooms:
            raise ValidationError(_l("Choose one of this event's rooms."))

    def validate_ends_at(self, field) -> None:
        starts = self._aware(self.starts_at.data)
        ends = self._aware(field.data)
        if starts and ends and ends <= starts:
            raise ValidationError(_l("The end must be after the start."))

    def _aware(self, wall_clock: datetime | None) -> datetime | None:
        """The typed wall-clock time, read on the event's clock."""
        return in_zone(wall_clock, self.event.timezone)

    def item_fields(self) -> ItemFields:
        return ItemFields(
            kind=AgendaKind(self.kind.data),
            title_zh=self.title_zh.data,
            title_en=none_if_empty(self.title_en.data),
            description_zh=self.description_zh.data or "",
            description_en=none_if_empty(self.description_en.data),
            speakers=self.speakers.data or "",
            room=self.rooms.get(self.room_id.data),
            starts_at=self._aware(self.starts_at.data),
            ends_at=self._aware(self.ends_at.data),
        )
