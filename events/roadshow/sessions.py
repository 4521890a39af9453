"""The roadshow's shape: which rooms and sessions host pitches, and the slots they yield.

A session is an agenda item of kind ``roadshow``. Its time is cut into slots
of ``pitch_minutes`` separated by ``changeover_minutes``; a slot that would
end after the session is dropped. Every chosen room hosts every chosen
session, so the room-slots are rooms × slots.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from app import db
from events import audit
from events.errors import RuleError
from events.models import AgendaItem, AgendaKind, Event, Room, User
from events.roadshow.models import RoadshowSetup

PITCH_MINUTES = (5, 120)
CHANGEOVER_MINUTES = (0, 60)
TIME_LIMIT_SECONDS = (5, 300)


@dataclass(frozen=True)
class Slot:
    """One pitch's time in a session; ``key`` is stable while the session keeps its times."""

    key: str
    session: AgendaItem
    index: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class SetupData:
    room_ids: list[int]
    session_ids: list[int]
    pitch_minutes: int
    changeover_minutes: int
    one_sector_per_room_session: bool
    time_limit: int


def setup_of(event: Event) -> RoadshowSetup | None:
    return db.session.get(RoadshowSetup, event.id)


def setup_for_editing(event: Event) -> RoadshowSetup:
    """The event's set-up, added (not yet flushed) with defaults when it has none."""
    setup = setup_of(event)
    if setup is None:
        setup = RoadshowSetup(
            event_id=event.id,
            submissions_open=False,
            pitch_minutes=15,
            changeover_minutes=5,
            one_sector_per_room_session=False,
            time_limit=20,
        )
        db.session.add(setup)
    return setup


def roadshow_items(event: Event) -> list[AgendaItem]:
    """The agenda items that may become roadshow sessions."""
    return list(
        db.session.scalars(
            db.select(AgendaItem)
            .filter_by(event_id=event.id, kind=AgendaKind.ROADSHOW)
            .order_by(AgendaItem.starts_at, AgendaItem.id)
        )
    )


def slots_of(setup: RoadshowSetup | None) -> list[Slot]:
    if setup is None:
        return []
    pitch = timedelta(minutes=setup.pitch_minutes)
    step = pitch + timedelta(minutes=setup.changeover_minutes)
    slots = []
    for session in sorted(setup.sessions, key=lambda item: (item.starts_at, item.id)):
        start, index = session.starts_at, 0
        while start + pitch <= session.ends_at:
            key = f"{session.id}-{index}"
            slots.append(Slot(key, session, index, start, start + pitch))
            start, index = start + step, index + 1
    return slots


def save_setup(event: Event, data: SetupData, actor: User) -> RoadshowSetup:
    """Apply the organiser's choices; rooms and sessions must belong to the event."""
    _check_range(data.pitch_minutes, PITCH_MINUTES, _l("The pitch length"))
    _check_range(data.changeover_minutes, CHANGEOVER_MINUTES, _l("The changeover"))
    _check_range(data.time_limit, TIME_LIMIT_SECONDS, _l("The search time"))
    rooms = _rows_of(event, Room, data.room_ids)
    sessions = _rows_of(event, AgendaItem, data.session_ids)
    if any(item.kind is not AgendaKind.ROADSHOW for item in sessions):
        raise RuleError(_l("Only programme items of kind “Roadshow session” can hold pitches."))
    setup = setup_for_editing(event)
    setup.rooms = rooms
    setup.sessions = sessions
    setup.pitch_minutes = data.pitch_minutes
    setup.changeover_minutes = data.changeover_minutes
    setup.one_sector_per_room_session = data.one_sector_per_room_session
    setup.time_limit = data.time_limit
    db.session.flush()
    audit.record(
        "roadshow.setup_saved",
        "event",
        event.id,
        event_id=event.id,
        actor=actor,
        rooms=[room.id for room in rooms],
        sessions=[item.id for item in sessions],
        pitch_minutes=data.pitch_minutes,
        changeover_minutes=data.changeover_minutes,
    )
    return setup


def _check_range(value: int, bounds: tuple[int, int], what) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise RuleError(
            _l("%(what)s must be between %(low)d and %(high)d.", what=what, low=low, high=high)
        )


def _rows_of(event: Event, model, ids: list[int]) -> list:
    if not ids:
        return []
    rows = list(
        db.session.scalars(db.select(model).where(model.id.in_(ids), model.event_id == event.id))
    )
    if len(rows) != len(set(ids)):
        raise RuleError(_l("Choose rooms and sessions of this event only."))
    return rows
