"""Rules of the programme: rooms, agenda items, their warnings, the iCal export.

No request handling here. Views hand in the event, the acting user and, for
the calendar, the language and host name; functions add and flush, and the
view commits once. Times are aware datetimes (the database hands back UTC);
the forms turn the organiser's wall-clock input into them.
"""

from __future__ import annotations

import dataclasses
import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Timezone
from icalendar import Event as CalendarEvent
from sqlalchemy.orm import selectinload

from app import db
from events import audit
from events.errors import RuleError
from events.models import AgendaItem, AgendaKind, Event, Room, User

AGENDA_KINDS = {
    AgendaKind.PLENARY: _l("Plenary"),
    AgendaKind.FORUM: _l("Forum"),
    AgendaKind.ROADSHOW: _l("Roadshow session"),
    AgendaKind.MATCHMAKING: _l("Matchmaking session"),
    AgendaKind.MEAL: _l("Meal"),
    AgendaKind.VISIT: _l("Visit"),
    AgendaKind.OTHER: _l("Other"),
}


def agenda_kind_label(kind) -> str:
    return str(AGENDA_KINDS[AgendaKind(kind)])


# Rooms ------------------------------------------------------------------------


@dataclass
class RoomFields:
    name_zh: str
    name_en: str | None
    capacity: int | None
    position: int | None  # None: after the last room


def rooms_of(event: Event) -> list[Room]:
    return list(
        db.session.execute(
            db.select(Room).where(Room.event_id == event.id).order_by(Room.position, Room.id)
        ).scalars()
    )


def items_per_room(event: Event) -> dict[int, int]:
    """How many agenda items use each room, for the rooms list."""
    rows = db.session.execute(
        db.select(AgendaItem.room_id, db.func.count(AgendaItem.id))
        .where(AgendaItem.event_id == event.id, AgendaItem.room_id.is_not(None))
        .group_by(AgendaItem.room_id)
    )
    return {room_id: count for room_id, count in rows}


def create_room(event: Event, fields: RoomFields, actor: User) -> Room:
    if fields.position is None:
        fields.position = max((room.position for room in rooms_of(event)), default=0) + 1
    room = Room(event_id=event.id)
    _apply(room, _values(fields))
    db.session.add(room)
    db.session.flush()
    audit.record("room.created", "room", room.id, event_id=event.id, actor=actor, name=room.name_zh)
    return room


def update_room(room: Room, fields: RoomFields, actor: User) -> Room:
    values = _values(fields)
    if values["position"] is None:
        values["position"] = room.position
    changes = _apply(room, values)
    db.session.flush()
    audit.record(
        "room.updated", "room", room.id, event_id=room.event_id, actor=actor, changes=changes
    )
    return room


#: Where features list why a room cannot go (it holds their records): callables
#: taking the room and returning a message, or None when they do not use it.
ROOM_IN_USE_KEY = "huiwu.room_in_use"


def delete_room(room: Room, actor: User) -> int:
    """Delete a room; its agenda items stay in the programme, without a room.

    The foreign key would clear ``room_id`` by itself (``ON DELETE SET NULL``);
    doing it here too keeps loaded items in step and tells the organiser how
    many items now need a room. Returns that number.
    """
    for in_use in current_app.extensions.get(ROOM_IN_USE_KEY, []):
        reason = in_use(room)
        if reason:
            raise RuleError(reason)
    freed = db.session.execute(
        db.update(AgendaItem).where(AgendaItem.room_id == room.id).values(room_id=None)
    ).rowcount
    audit.record(
        "room.deleted",
        "room",
        room.id,
        event_id=room.event_id,
        actor=actor,
        name=room.name_zh,
        items_without_room=freed,
    )
    db.session.delete(room)
    db.session.flush()
    return freed


# Agenda items -----------------------------------------------------------------


@dataclass
class ItemFields:
    kind: AgendaKind
    title_zh: str
    title_en: str | None
    description_zh: str
    description_en: str | None
    speakers: str
    room: Room | None
    starts_at: datetime  # aware
    ends_at: datetime


@dataclass(frozen=True)
class AgendaWarning:
    """Something to look at that does not stop saving.

    ``code`` is ``double_booked`` (``other`` is the item in the same room at
    the same time) or ``outside_event`` (before the event starts or after it
    ends).
    """

    code: str
    other: AgendaItem | None = None


class SavedItem(NamedTuple):
    item: AgendaItem
    warnings: list[AgendaWarning]


class ForeignRoom(ValueError):
    """A room of another event was given; forms refuse it first, this is the backstop."""


def agenda_of(event: Event) -> list[AgendaItem]:
    """The event's items in programme order: by time, then rooms in their order."""
    items = db.session.execute(
        db.select(AgendaItem)
        .where(AgendaItem.event_id == event.id)
        .options(selectinload(AgendaItem.room))
    ).scalars()
    return sorted(items, key=_programme_order)


def _programme_order(item: AgendaItem):
    room_position = item.room.position if item.room is not None else -1
    return (item.starts_at, room_position, item.ends_at, item.id)


def create_agenda_item(event: Event, fields: ItemFields, actor: User) -> SavedItem:
    _check_room(event, fields.room)
    item = AgendaItem(event_id=event.id)
    _apply(item, _values(fields))
    db.session.add(item)
    db.session.flush()
    audit.record(
        "agenda_item.created",
        "agenda_item",
        item.id,
        event_id=event.id,
        actor=actor,
        title=item.title_zh,
        starts_at=_plain(item.starts_at),
        room=item.room_id,
    )
    return SavedItem(item, item_warnings(event, item))


def update_agenda_item(
    event: Event, item: AgendaItem, fields: ItemFields, actor: User
) -> SavedItem:
    _check_room(event, fields.room)
    changes = _apply(item, _values(fields))
    db.session.flush()
    audit.record(
        "agenda_item.updated",
        "agenda_item",
        item.id,
        event_id=event.id,
        actor=actor,
        changes=changes,
    )
    return SavedItem(item, item_warnings(event, item))


def delete_agenda_item(item: AgendaItem, actor: User) -> None:
    audit.record(
        "agenda_item.deleted",
        "agenda_item",
        item.id,
        event_id=item.event_id,
        actor=actor,
        title=item.title_zh,
        starts_at=_plain(item.starts_at),
    )
    db.session.delete(item)
    db.session.flush()


def _check_room(event: Event, room: Room | None) -> None:
    if room is not None and room.event_id != event.id:
        raise ForeignRoom(room.id)


def _values(data) -> dict[str, Any]:
    """A dataclass as a shallow dict (``dataclasses.asdict`` would deep-copy the Room)."""
    return {field.name: getattr(data, field.name) for field in dataclasses.fields(data)}


def _apply(record, values: dict[str, Any]) -> dict[str, list]:
    """Set attributes; return ``{name: [before, after]}`` of those that changed, for the audit."""
    changes = {}
    for name, value in values.items():
        before = _plain(getattr(record, name))
        if before != _plain(value):
            changes[name] = [before, _plain(value)]
        setattr(record, name, value)
    return changes


def _plain(value):
    """A JSON-friendly form of a column value for audit details."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Room):
        return value.id
    return value


# Warnings ---------------------------------------------------------------------


def overlapping_items(items: Iterable) -> dict[int, list]:
    """For each item, the other items in the same room whose times overlap its own.

    Works on anything with ``id``, ``room_id``, ``starts_at`` and ``ends_at``.
    Touching is not overlapping: a session may begin at 10:30 in the room
    where the previous one ends at 10:30. Items without a room never clash.
    """
    by_room: dict[int, list] = defaultdict(list)
    for item in items:
        if item.room_id is not None:
            by_room[item.room_id].append(item)
    clashes: dict[int, list] = defaultdict(list)
    for group in by_room.values():
        group.sort(key=lambda item: (item.starts_at, item.ends_at, item.id))
        for index, item in enumerate(group):
            for later in group[index + 1 :]:
                if later.starts_at >= item.ends_at:
                    break  # sorted by start: nothing further along can overlap
                clashes[item.id].append(later)
                clashes[later.id].append(item)
    return dict(clashes)


def is_outside_event(item, event: Event) -> bool:
    return item.starts_at < event.starts_at or item.ends_at > event.ends_at


def agenda_warnings(event: Event, items: Sequence) -> dict[int, list[AgendaWarning]]:
    """Every item's warnings, for the agenda list."""
    clashes = overlapping_items(items)
    warnings = {}
    for item in items:
        found = [AgendaWarning("double_booked", other) for other in clashes.get(item.id, [])]
        if is_outside_event(item, event):
            found.append(AgendaWarning("outside_event"))
        warnings[item.id] = found
    return warnings


def item_warnings(event: Event, item: AgendaItem) -> list[AgendaWarning]:
    """One item's warnings, checked against the rest of the event's agenda."""
    return agenda_warnings(event, agenda_of(event)).get(item.id, [])


# Public programme -------------------------------------------------------------


@dataclass
class ProgrammeDay:
    day: date
    items: list[AgendaItem]


def programme_days(items: Iterable[AgendaItem], zone: ZoneInfo) -> list[ProgrammeDay]:
    """Group items (already in programme order) by their start date in the event's zone.

    The event's zone, not UTC: a 07:00 breakfast in Jinan is 23:00 the day
    before in UTC, and belongs to the morning it is served.
    """
    return [
        ProgrammeDay(day, list(day_items))
        for day, day_items in groupby(
            items, key=lambda item: item.starts_at.astimezone(zone).date()
        )
    ]


# iCal -------------------------------------------------------------------------

PRODID = "-//Huiwu//Programme//EN"


def programme_calendar(
    event: Event,
    items: Sequence[AgendaItem],
    *,
    locale: str,
    host: str,
    url: str | None = None,
    now: datetime | None = None,
) -> Calendar:
    """The programme as an iCalendar (RFC 5545) document.

    Texts (titles, rooms, venue) follow ``locale``; kind labels and the word
    "Speakers" follow the request's language, which the caller has chosen
    from the same ``?lang``. Times are written in the event's zone with its
    VTIMEZONE, so calendar apps show the venue's clock and convert it for
    travellers. ``UID`` is ``agenda-<id>@<host>``: stable across downloads, so
    re-importing updates items instead of duplicating them.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", event.title_for(locale))
    calendar.add("x-wr-timezone", event.timezone)
    calendar.add_component(_vtimezone(event, items))
    stamp = now or datetime.now(UTC)
    for item in items:
        calendar.add_component(_vevent(event, item, locale, host, url, stamp))
    return calendar


def _vtimezone(event: Event, items: Sequence[AgendaItem]) -> Timezone:
    """Only the transitions around the programme: a short, exact VTIMEZONE."""
    zone = event.zone
    starts = [event.starts_at, *(item.starts_at for item in items)]
    ends = [event.ends_at, *(item.ends_at for item in items)]
    first = min(starts).astimezone(zone).date() - timedelta(days=1)
    last = max(ends).astimezone(zone).date() + timedelta(days=1)
    return Timezone.from_tzinfo(zone, tzid=event.timezone, first_date=first, last_date=last)


def _vevent(event, item, locale, host, url, stamp) -> CalendarEvent:
    zone = event.zone
    vevent = CalendarEvent()
    vevent.add("uid", f"agenda-{item.id}@{host}")
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", item.starts_at.astimezone(zone))
    vevent.add("dtend", item.ends_at.astimezone(zone))
    vevent.add("summary", item.title_for(locale))
    venue = event.venue_for(locale)
    room = item.room.name_for(locale) if item.room is not None else ""
    vevent.add("location", ", ".join(part for part in (room, venue) if part))
    description = _description(item, locale)
    if description:
        vevent.add("description", description)
    vevent.add("categories", [agenda_kind_label(item.kind)])
    if url:
        vevent.add("url", f"{url}#item-{item.id}")
    return vevent


def _description(item: AgendaItem, locale: str) -> str:
    parts = []
    if item.speakers.strip():
        parts.append(_("Speakers: %(speakers)s", speakers=item.speakers.strip()))
    if item.description_for(locale).strip():
        parts.append(item.description_for(locale).strip())
    return "\n\n".join(parts)
