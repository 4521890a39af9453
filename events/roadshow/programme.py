"""Queries and shapes behind the investors' catalogue and the published roadshow programme.

No request handling here: views hand in the event, the registration, the
parsed filters and, for calendars, the language and host name. Functions that
write (marking interest) add and flush; the view commits once.

What the public sees is always the *latest published* version of the
schedule (the highest ``RoadshowSchedule.number``), never the draft.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from icalendar import Calendar, Timezone
from icalendar import Event as CalendarEvent
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import db
from events.models import AgendaItem, AgendaKind, Event, Room
from events.roadshow.models import (
    Pitch,
    Project,
    ProjectInterest,
    ProjectStatus,
    RoadshowSchedule,
    RoadshowSetup,
    Sector,
)
from registration.models import Registration, RegistrationStatus

# Catalogue ----------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueFilters:
    """What the investor narrowed the catalogue to; None means "any".

    Capital bounds are in 万元 and inclusive. ``only_marked`` keeps the
    projects the registration has marked.
    """

    sector: Sector | None = None
    capital_min: int | None = None
    capital_max: int | None = None
    region: str | None = None
    only_marked: bool = False

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments, to come back to the same list."""
        args = {}
        if self.sector is not None:
            args["sector"] = self.sector.value
        if self.capital_min is not None:
            args["min"] = str(self.capital_min)
        if self.capital_max is not None:
            args["max"] = str(self.capital_max)
        if self.region:
            args["region"] = self.region
        if self.only_marked:
            args["mine"] = "1"
        return args

    @property
    def active(self) -> bool:
        return bool(self.as_args())


def catalogue(event: Event, filters: CatalogueFilters, marked: Iterable[int] = ()) -> list[Project]:
    """The event's accepted projects that pass ``filters``, by sector then title."""
    statement = db.select(Project).where(
        Project.event_id == event.id, Project.status == ProjectStatus.ACCEPTED
    )
    if filters.sector is not None:
        statement = statement.where(Project.sector == filters.sector)
    if filters.capital_min is not None:
        statement = statement.where(Project.capital_wan >= filters.capital_min)
    if filters.capital_max is not None:
        statement = statement.where(Project.capital_wan <= filters.capital_max)
    if filters.region:
        statement = statement.where(Project.region == filters.region)
    if filters.only_marked:
        statement = statement.where(Project.id.in_(list(marked)))
    statement = statement.order_by(Project.sector, Project.title_zh, Project.id)
    return list(db.session.execute(statement).scalars())


def catalogue_regions(event: Event) -> list[str]:
    """The regions of the event's accepted projects, for the region filter."""
    return list(
        db.session.execute(
            db.select(Project.region)
            .where(
                Project.event_id == event.id,
                Project.status == ProjectStatus.ACCEPTED,
                Project.region != "",
            )
            .distinct()
            .order_by(Project.region)
        ).scalars()
    )


def accepted_project(event: Event, project_id: int) -> Project | None:
    """One accepted project of ``event``; None for any other (the view answers 404)."""
    project = db.session.get(Project, project_id)
    if project is None or project.event_id != event.id:
        return None
    if project.status is not ProjectStatus.ACCEPTED:
        return None
    return project


def marked_project_ids(registration: Registration) -> set[int]:
    """The accepted projects of the registration's event that it has marked."""
    return set(
        db.session.execute(
            db.select(ProjectInterest.project_id)
            .join(Project, Project.id == ProjectInterest.project_id)
            .where(
                ProjectInterest.registration_id == registration.id,
                Project.event_id == registration.event_id,
                Project.status == ProjectStatus.ACCEPTED,
            )
        ).scalars()
    )


def set_interest(registration: Registration, project: Project, interested: bool) -> bool:
    """Mark or unmark ``project`` for ``registration``; return whether anything changed.

    Idempotent: marking twice keeps one mark, unmarking an unmarked project
    does nothing. Two concurrent marks end as one row (the second insert hits
    the primary key inside a savepoint and is dropped).
    """
    key = {"project_id": project.id, "registration_id": registration.id}
    existing = db.session.get(ProjectInterest, (project.id, registration.id))
    if not interested:
        if existing is None:
            return False
        db.session.delete(existing)
        db.session.flush()
        return True
    if existing is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(ProjectInterest(**key))
    except IntegrityError:
        return False  # marked by a concurrent request a moment ago
    return True


def interest_counts(event: Event) -> dict[int, int]:
    """How many registrations marked each of the event's projects (absent: none)."""
    rows = db.session.execute(
        db.select(ProjectInterest.project_id, db.func.count())
        .join(Project, Project.id == ProjectInterest.project_id)
        .where(Project.event_id == event.id)
        .group_by(ProjectInterest.project_id)
    )
    return {project_id: count for project_id, count in rows}


# Published schedule ---------------------------------------------------------------


def latest_published(event: Event) -> RoadshowSchedule | None:
    """The published version with the highest number; None before the first one."""
    return db.session.execute(
        db.select(RoadshowSchedule)
        .where(RoadshowSchedule.event_id == event.id, RoadshowSchedule.number.is_not(None))
        .order_by(RoadshowSchedule.number.desc())
        .limit(1)
    ).scalar_one_or_none()


def _pitches(statement) -> list[Pitch]:
    statement = statement.options(
        selectinload(Pitch.project).selectinload(Project.presenter),
        selectinload(Pitch.room),
    )
    pitches = db.session.execute(statement).scalars()
    return sorted(pitches, key=_pitch_order)


def _pitch_order(pitch: Pitch):
    return (pitch.starts_at, pitch.room.position, pitch.room_id, pitch.id)


def published_pitches(schedule: RoadshowSchedule) -> list[Pitch]:
    """The schedule's pitches in time order, then room order, with what the pages show.

    A project withdrawn or rejected since publication is no longer shown, even
    before the next version says so.
    """
    return _pitches(
        db.select(Pitch)
        .join(Project, Project.id == Pitch.project_id)
        .where(Pitch.schedule_id == schedule.id, Project.status == ProjectStatus.ACCEPTED)
    )


def presenter_pitches(schedule: RoadshowSchedule, registration: Registration) -> list[Pitch]:
    """The pitches of the projects that ``registration`` presents."""
    return _pitches(
        db.select(Pitch)
        .join(Project, Project.id == Pitch.project_id)
        .where(Pitch.schedule_id == schedule.id, Project.presenter_id == registration.id)
    )


def marked_pitches(schedule: RoadshowSchedule, registration: Registration) -> list[Pitch]:
    """The pitches of the accepted projects that ``registration`` marked."""
    marked = marked_project_ids(registration)
    if not marked:
        return []
    return _pitches(
        db.select(Pitch).where(Pitch.schedule_id == schedule.id, Pitch.project_id.in_(marked))
    )


def clashing(pitches: Sequence[Pitch]) -> set[int]:
    """Ids of the pitches that overlap in time another one of ``pitches``.

    Touching is not overlapping: a pitch ending at 10:20 does not clash with
    one starting at 10:20. The rooms do not matter: one person cannot be in
    two places.
    """
    ordered = sorted(pitches, key=lambda pitch: (pitch.starts_at, pitch.ends_at, pitch.id))
    found: set[int] = set()
    for index, pitch in enumerate(ordered):
        for later in ordered[index + 1 :]:
            if later.starts_at >= pitch.ends_at:
                break
            found.update((pitch.id, later.id))
    return found


# Grid, rooms and presenters views -------------------------------------------------


@dataclass
class Cell:
    """One room at one start time: a pitch starting there, or one still running."""

    pitch: Pitch
    starts: bool


@dataclass
class Block:
    """The pitches of one roadshow session (or of one day, outside any session).

    ``rows`` is ``[(start time, [Cell | None per room])]``, ``rooms`` the rooms
    used in this block in their order.
    """

    day: date
    session: AgendaItem | None
    rooms: list[Room]
    rows: list[tuple[datetime, list[Cell | None]]]


@dataclass
class Day:
    day: date
    blocks: list[Block] = field(default_factory=list)


def roadshow_sessions(event: Event) -> list[AgendaItem]:
    """The agenda items that hold pitches: the roadshow set-up's sessions.

    Without a set-up (or with no session chosen), the event's agenda items of
    kind ``roadshow``.
    """
    setup = db.session.get(RoadshowSetup, event.id)
    if setup is not None and setup.sessions:
        return list(setup.sessions)
    return list(
        db.session.execute(
            db.select(AgendaItem)
            .where(AgendaItem.event_id == event.id, AgendaItem.kind == AgendaKind.ROADSHOW)
            .order_by(AgendaItem.starts_at, AgendaItem.id)
        ).scalars()
    )


def session_of(pitch: Pitch, sessions: Sequence[AgendaItem]) -> AgendaItem | None:
    """The session whose time window contains the whole pitch, if any."""
    for session in sessions:
        if session.starts_at <= pitch.starts_at and pitch.ends_at <= session.ends_at:
            return session
    return None


def programme_grid(
    event: Event, pitches: Sequence[Pitch], sessions: Sequence[AgendaItem]
) -> list[Day]:
    """Pitches by day (in the event's zone), then by session, as rooms × start times.

    Pitches outside every session form one block per day, after that day's
    sessions.
    """
    zone = event.zone
    groups: dict[tuple[date, int | None], list[Pitch]] = defaultdict(list)
    session_by_id = {session.id: session for session in sessions}
    for pitch in pitches:
        session = session_of(pitch, sessions)
        day = (session.starts_at if session else pitch.starts_at).astimezone(zone).date()
        groups[(day, session.id if session else None)].append(pitch)

    def block_order(key):
        day, session_id = key
        if session_id is None:
            return (day, 1, datetime.max.replace(tzinfo=UTC), 0)
        return (day, 0, session_by_id[session_id].starts_at, session_id)

    days: dict[date, Day] = {}
    for key in sorted(groups, key=block_order):
        day, session_id = key
        block = _block(day, session_by_id.get(session_id), groups[key])
        days.setdefault(day, Day(day)).blocks.append(block)
    return list(days.values())


def _block(day: date, session: AgendaItem | None, pitches: list[Pitch]) -> Block:
    rooms = sorted({pitch.room_id: pitch.room for pitch in pitches}.values(), key=_room_order)
    times = sorted({pitch.starts_at for pitch in pitches})
    rows = []
    for time in times:
        cells: list[Cell | None] = []
        for room in rooms:
            cell = None
            for pitch in pitches:
                if pitch.room_id != room.id:
                    continue
                if pitch.starts_at == time:
                    cell = Cell(pitch, True)
                    break
                if pitch.starts_at < time < pitch.ends_at:
                    cell = Cell(pitch, False)
            cells.append(cell)
        rows.append((time, cells))
    return Block(day, session, rooms, rows)


def _room_order(room: Room):
    return (room.position, room.id)


@dataclass
class RoomPitches:
    room: Room
    pitches: list[Pitch]


def by_room(pitches: Sequence[Pitch]) -> list[RoomPitches]:
    """Each room with its pitches in time order, rooms in their order."""
    groups: dict[int, RoomPitches] = {}
    for pitch in sorted(pitches, key=lambda pitch: (pitch.starts_at, pitch.id)):
        groups.setdefault(pitch.room_id, RoomPitches(pitch.room, [])).pitches.append(pitch)
    return sorted(groups.values(), key=lambda group: _room_order(group.room))


@dataclass
class PresenterPitches:
    """A presenter's pitches; ``presenter`` None gathers pitches nobody is named for."""

    presenter: Registration | None
    pitches: list[Pitch]


def by_presenter(pitches: Sequence[Pitch]) -> list[PresenterPitches]:
    """Pitches grouped by presenter, by name, each group in time order; unnamed last."""
    groups: dict[int | None, PresenterPitches] = {}
    for pitch in sorted(pitches, key=lambda pitch: (pitch.starts_at, pitch.id)):
        presenter = shown_presenter(pitch.project)
        key = presenter.id if presenter is not None else None
        groups.setdefault(key, PresenterPitches(presenter, [])).pitches.append(pitch)

    def order(group: PresenterPitches):
        if group.presenter is None:
            return (1, "", 0)
        return (0, group.presenter.name, group.presenter.id)

    return sorted(groups.values(), key=order)


def shown_presenter(project: Project) -> Registration | None:
    """The presenter to name on public pages: not one whose registration was withdrawn."""
    presenter = project.presenter
    if presenter is None or presenter.status in WITHDRAWN:
        return None
    return presenter


#: Registrations whose names no longer appear on the programme.
WITHDRAWN = (RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED)


# iCal -------------------------------------------------------------------------

PRODID = "-//Huiwu//Roadshow//EN"


def roadshow_calendar(
    event: Event,
    schedule: RoadshowSchedule | None,
    pitches: Sequence[Pitch],
    *,
    locale: str,
    host: str,
    name: str | None = None,
    url: str | None = None,
    now: datetime | None = None,
) -> Calendar:
    """Pitches as an iCalendar (RFC 5545) document, one VEVENT per pitch.

    ``UID`` is ``pitch-<project id>@<host>``: the same in every published
    version, so when a new version moves a pitch, re-importing or a calendar
    subscription updates the entry instead of adding a second one.
    ``SEQUENCE`` is the version's number, which only grows. Before the first
    version (``schedule`` None) the calendar is valid and empty, so that a
    subscription made early keeps working. Times are written
    in the event's zone with its VTIMEZONE, like the programme's calendar.
    ``SUMMARY`` is the project's title, ``LOCATION`` room and venue,
    ``DESCRIPTION`` the owner and the presenter's name (no contact details).
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name or event.title_for(locale))
    calendar.add("x-wr-timezone", event.timezone)
    calendar.add_component(_vtimezone(event, pitches))
    stamp = now or datetime.now(UTC)
    for pitch in pitches:
        calendar.add_component(_vevent(event, schedule, pitch, locale, host, url, stamp))
    return calendar


def _vtimezone(event: Event, pitches: Sequence[Pitch]) -> Timezone:
    zone = event.zone
    starts = [event.starts_at, *(pitch.starts_at for pitch in pitches)]
    ends = [event.ends_at, *(pitch.ends_at for pitch in pitches)]
    first = min(starts).astimezone(zone).date() - timedelta(days=1)
    last = max(ends).astimezone(zone).date() + timedelta(days=1)
    return Timezone.from_tzinfo(zone, tzid=event.timezone, first_date=first, last_date=last)


def _vevent(event, schedule, pitch, locale, host, url, stamp) -> CalendarEvent:
    zone = event.zone
    project = pitch.project
    vevent = CalendarEvent()
    vevent.add("uid", f"pitch-{project.id}@{host}")
    vevent.add("sequence", schedule.number if schedule is not None else 0)
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", pitch.starts_at.astimezone(zone))
    vevent.add("dtend", pitch.ends_at.astimezone(zone))
    vevent.add("summary", project.title_for(locale))
    venue = event.venue_for(locale)
    vevent.add("location", ", ".join(part for part in (pitch.room.name_for(locale), venue) if part))
    vevent.add("description", pitch_description(project))
    if url:
        vevent.add("url", f"{url}#pitch-{project.id}")
    return vevent


def pitch_description(project: Project) -> str:
    parts = [_("Project owner: %(owner)s", owner=project.owner_name)]
    presenter = shown_presenter(project)
    if presenter is not None:
        parts.append(_("Presenter: %(name)s", name=presenter.name))
    return "\n".join(parts)
