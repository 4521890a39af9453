"""The organiser's form for a matchmaking session."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from events.forms import LOCAL_DATETIME_FORMATS, choices
from events.i18n import current_locale
from events.models import AgendaItem, AgendaKind, Event
from events.roadshow.match_models import MatchSession
from events.setup import as_wall_clock, in_zone

MAX_SLOTS = 48
MAX_TABLES = 2000


def strip(value):
    return value.strip() if isinstance(value, str) else value


def _optional_id(value) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class SessionForm(FlaskForm):
    agenda_item_id = SelectField(
        _l("Programme item"),
        coerce=_optional_id,
        validate_choice=False,
        description=_l(
            "A “Matchmaking session” item; its title and start are used when left empty."
        ),
    )
    name_zh = StringField(_l("Name in Chinese"), filters=[strip], validators=[Length(max=200)])
    name_en = StringField(
        _l("Name in English"), filters=[strip], validators=[Optional(), Length(max=200)]
    )
    starts_at = DateTimeLocalField(
        _l("First meeting starts"), format=LOCAL_DATETIME_FORMATS, validators=[Optional()]
    )
    meeting_minutes = IntegerField(
        _l("Meeting length (minutes)"),
        default=20,
        validators=[InputRequired(message=_l("Enter the meeting length.")), NumberRange(5, 120)],
    )
    slot_count = IntegerField(
        _l("Number of slots"),
        default=8,
        validators=[
            InputRequired(message=_l("Enter the number of slots.")),
            NumberRange(1, MAX_SLOTS),
        ],
    )
    table_count = IntegerField(
        _l("Number of tables"),
        default=20,
        validators=[
            InputRequired(message=_l("Enter the number of tables.")),
            NumberRange(1, MAX_TABLES),
        ],
    )
    table_names = TextAreaField(
        _l("Table names"),
        filters=[strip],
        validators=[Length(max=40_000)],
        description=_l("One per line, in table order; tables without a name are numbered."),
    )

    def __init__(self, *args, event: Event, session: MatchSession | None = None, **kwargs):
        if session is not None:
            # Field values from the session, the time on the event's clock and
            # the table names as lines (``obj`` would win over them).
            kwargs.setdefault("agenda_item_id", session.agenda_item_id)
            kwargs.setdefault("name_zh", session.name_zh)
            kwargs.setdefault("name_en", session.name_en)
            kwargs.setdefault("meeting_minutes", session.meeting_minutes)
            kwargs.setdefault("slot_count", session.slot_count)
            kwargs.setdefault("table_count", session.table_count)
            kwargs.setdefault("starts_at", as_wall_clock(session.starts_at, event.timezone))
            kwargs.setdefault("table_names", "\n".join(map(str, session.table_names or [])))
        super().__init__(*args, **kwargs)
        self.event = event
        locale = current_locale()
        self.items = {
            item.id: item for item in event.agenda_items if item.kind is AgendaKind.MATCHMAKING
        }
        self.agenda_item_id.choices = choices(
            [("", _l("None"))] + [(item.id, item.title_for(locale)) for item in self.items.values()]
        )

    def validate_agenda_item_id(self, field) -> None:
        if field.data is not None and field.data not in self.items:
            field.data = None
            raise ValidationError(_l("Choose a matchmaking item of this event's programme."))

    def validate_name_zh(self, field) -> None:
        if not field.data and self.item is None:
            raise ValidationError(_l("Enter a name, or choose a programme item."))

    def validate_starts_at(self, field) -> None:
        if field.data is None and self.item is None:
            raise ValidationError(
                _l("Enter when the first meeting starts, or choose a programme item.")
            )

    @property
    def item(self) -> AgendaItem | None:
        return self.items.get(self.agenda_item_id.data)

    def session_values(self) -> dict:
        item = self.item
        names = [line.strip() for line in (self.table_names.data or "").splitlines()]
        while names and not names[-1]:
            names.pop()
        return {
            "agenda_item_id": item.id if item is not None else None,
            "name_zh": self.name_zh.data or item.title_zh,
            "name_en": self.name_en.data or (item.title_en if item is not None else None) or None,
            "starts_at": in_zone(self.starts_at.data, self.event.timezone) or item.starts_at,
            "meeting_minutes": self.meeting_minutes.data,
            "slot_count": self.slot_count.data,
            "table_count": self.table_count.data,
            "table_names": names[: self.table_count.data],
        }
