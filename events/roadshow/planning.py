"""Between the database and the pure scheduler: instances, drafts, hand moves, versions.

:func:`build_problem` turns an event's accepted projects, interests, rooms
and sessions into a :mod:`events.roadshow.scheduling` instance (ids are the
database ids; slots are ``"<agenda item id>-<n>"``); :func:`apply_plan` turns
a plan back into the event's draft schedule. Organisers then move pitches by
hand (:func:`move_pitch`): nothing is refused, :func:`schedule_check` says
what each pitch breaks. :func:`publish` copies the draft into the next
numbered version, lists what changed since the previous one and emails the
presenters concerned.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from app import db
from events import audit
from events.dbtypes import utcnow
from events.errors import RuleError
from events.i18n import current_locale
from events.models import Event, Room, User
from events.roadshow import sessions
from events.roadshow.models import (
    Pitch,
    PresenterUnavailability,
    Project,
    ProjectInterest,
    ProjectStatus,
    RoadshowSchedule,
    RoadshowSetup,
    ScheduleSource,
)
from events.roadshow.sessions import Slot
from registration.models import Registration, RegistrationStatus

#: A room without a capacity holds any audience.
UNLIMITED_CAPACITY = 1_000_000
ACTIVE_STATUSES = (RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED)


@dataclass
class Problem:
    """A scheduler instance and the rows behind its ids."""

    event: Event
    setup: RoadshowSetup
    slots: list[Slot]
    projects: dict[int, Project]
    instance: dict[str, Any]

    @property
    def slot_by_key(self) -> dict[str, Slot]:
        return {slot.key: slot for slot in self.slots}


def accepted_projects(event: Event) -> list[Project]:
    return list(
        db.session.scalars(
            db.select(Project)
            .filter_by(event_id=event.id, status=ProjectStatus.ACCEPTED)
            .order_by(Project.id)
        )
    )


def interest_pairs(project_ids) -> list[tuple[int, int]]:
    """(investor registration, project) for investors still coming."""
    if not project_ids:
        return []
    rows = db.session.execute(
        db.select(ProjectInterest.registration_id, ProjectInterest.project_id)
        .join(Registration, Registration.id == ProjectInterest.registration_id)
        .where(
            ProjectInterest.project_id.in_(list(project_ids)),
            Registration.status.in_(ACTIVE_STATUSES),
        )
        .order_by(ProjectInterest.registration_id, ProjectInterest.project_id)
    )
    return [(investor, project) for investor, project in rows]


def unavailable_sessions(presenter_ids) -> dict[int, set[int]]:
    """Presenter registration id → agenda item ids of the sessions they cannot attend."""
    result: dict[int, set[int]] = defaultdict(set)
    if presenter_ids:
        rows = db.session.execute(
            db.select(
                PresenterUnavailability.registration_id, PresenterUnavailability.agenda_item_id
            ).where(PresenterUnavailability.registration_id.in_(list(presenter_ids)))
        )
        for presenter, item in rows:
            result[presenter].add(item)
    return result


def presenter_key(project: Project) -> int | str:
    """The scheduler's presenter id: a project without a presenter conflicts with nobody."""
    return project.presenter_id if project.presenter_id is not None else f"project-{project.id}"


def build_problem(event: Event) -> Problem:
    """The instance for the event's roadshow, or a RuleError saying what is missing."""
    setup = sessions.setup_of(event)
    if setup is None or not setup.rooms:
        raise RuleError(_l("Choose the rooms that host the roadshow first."))
    slots = sessions.slots_of(setup)
    if not slots:
        raise RuleError(_l("Choose at least one roadshow session long enough for one pitch first."))
    projects = accepted_projects(event)
    if not projects:
        raise RuleError(_l("There is no accepted project to schedule yet."))
    by_id = {project.id: project for project in projects}
    slot_keys_by_session: dict[int, list[str]] = defaultdict(list)
    for slot in slots:
        slot_keys_by_session[slot.session.id].append(slot.key)
    unavailable = {}
    presenters = {project.presenter_id for project in projects} - {None}
    for presenter, items in unavailable_sessions(presenters).items():
        keys = [key for item in items for key in slot_keys_by_session.get(item, [])]
        if keys:
            unavailable[str(presenter)] = keys
    instance = {
        "rooms": [
            {"id": room.id, "capacity": room.capacity or UNLIMITED_CAPACITY} for room in setup.rooms
        ],
        "slots": [{"id": slot.key, "session": slot.session.id} for slot in slots],
        "projects": [
            {
                "id": project.id,
                "presenter": presenter_key(project),
                "sector": project.sector.value,
                "duration_slots": project.duration_slots,
            }
            for project in projects
        ],
        "unavailable": unavailable,
        "interests": [list(pair) for pair in interest_pairs(by_id)],
        "one_sector_per_room_session": setup.one_sector_per_room_session,
    }
    return Problem(event, setup, slots, by_id, instance)


# --- drafts and versions --------------------------------------------------------------------


def draft_of(event: Event) -> RoadshowSchedule | None:
    return db.session.scalar(
        db.select(RoadshowSchedule).filter_by(event_id=event.id, number=None).limit(1)
    )


def versions_of(event: Event) -> list[RoadshowSchedule]:
    """Published versions, newest first."""
    return list(
        db.session.scalars(
            db.select(RoadshowSchedule)
            .where(RoadshowSchedule.event_id == event.id, RoadshowSchedule.number.is_not(None))
            .order_by(RoadshowSchedule.number.desc())
        )
    )


def latest_version(event: Event) -> RoadshowSchedule | None:
    versions = versions_of(event)
    return versions[0] if versions else None


@dataclass(frozen=True)
class Placement:
    project_id: int
    room_id: int
    starts_at: datetime
    ends_at: datetime


def placements_from_plan(problem: Problem, plan: dict[str, Any]) -> list[Placement]:
    """One placement per project from the plan's per-slot assignments."""
    slot_by_key = problem.slot_by_key
    cells: dict[int, list[tuple[int, Slot]]] = defaultdict(list)
    for assignment in plan["assignments"]:
        cells[int(assignment["project"])].append(
            (int(assignment["room"]), slot_by_key[str(assignment["slot"])])
        )
    placements = []
    for project_id, occupied in cells.items():
        room_id = occupied[0][0]
        placements.append(
            Placement(
                project_id,
                room_id,
                min(slot.starts_at for _room, slot in occupied),
                max(slot.ends_at for _room, slot in occupied),
            )
        )
    return sorted(placements, key=lambda p: (p.starts_at, p.room_id))


def apply_plan(
    event: Event, problem: Problem, plan: dict[str, Any], baseline_missed: int | None
) -> RoadshowSchedule:
    """Make the plan the event's draft (the previous draft is replaced)."""
    figures = {
        "interests": plan["interests"],
        "missed_interests": plan["missed_interests"],
        "unscheduled": {
            str(project): plan.get("unscheduled_reasons", {}).get(str(project), "")
            or plan.get("unscheduled_reasons", {}).get(project, "")
            for project in plan["unscheduled"]
        },
        "baseline_missed": baseline_missed,
    }
    return replace_draft(event, placements_from_plan(problem, plan), figures, ScheduleSource.SOLVER)


def replace_draft(
    event: Event, placements: list[Placement], figures: dict, source: ScheduleSource
) -> RoadshowSchedule:
    draft = draft_of(event)
    if draft is None:
        draft = RoadshowSchedule(event_id=event.id, number=None)
        db.session.add(draft)
    # Orphans go first: the unit of work would insert the new rows before
    # deleting the old ones, and (schedule, project) is unique.
    draft.pitches.clear()
    db.session.flush()
    draft.pitches = [
        Pitch(project_id=p.project_id, room_id=p.room_id, starts_at=p.starts_at, ends_at=p.ends_at)
        for p in placements
    ]
    draft.figures = figures
    draft.source = source
    draft.updated_at = utcnow()
    db.session.flush()
    return draft


def restore_version(event: Event, version: RoadshowSchedule, actor: User) -> RoadshowSchedule:
    """Start the draft again from a published version."""
    placements = [
        Placement(p.project_id, p.room_id, p.starts_at, p.ends_at) for p in version.pitches
    ]
    draft = replace_draft(event, placements, dict(version.figures), ScheduleSource.MANUAL)
    audit.record(
        "roadshow.draft_restored",
        "event",
        event.id,
        event_id=event.id,
        actor=actor,
        version=version.number,
    )
    return draft


# --- checking a schedule --------------------------------------------------------------------


@dataclass
class ScheduleCheck:
    """What a schedule breaks, pitch by pitch, and how many interests it misses."""

    warnings: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    interests: int = 0
    missed_interests: int = 0
    unplaced: list[Project] = field(default_factory=list)
    accepted: list[Project] = field(default_factory=list)
    #: Interested investors per project (accepted or placed).
    audiences: dict[int, int] = field(default_factory=dict)

    @property
    def warning_count(self) -> int:
        return sum(len(messages) for messages in self.warnings.values())


def _overlaps(a: Pitch, b: Pitch) -> bool:
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def schedule_check(event: Event, schedule: RoadshowSchedule | None) -> ScheduleCheck:
    """Warnings never block: organisers may keep a pitch where the rules say no."""
    check = ScheduleCheck()
    pitches = list(schedule.pitches) if schedule is not None else []
    setup = sessions.setup_of(event)
    slots = sessions.slots_of(setup)
    check.accepted = accepted_projects(event)
    accepted_ids = {project.id for project in check.accepted}
    placed = {pitch.project_id for pitch in pitches}
    # One read of the interests serves the audiences and the missed count.
    pairs = interest_pairs(accepted_ids | placed)
    audiences: dict[int, int] = defaultdict(int)
    for _investor, project in pairs:
        audiences[project] += 1
    check.audiences = dict(audiences)
    _check_pairs(pitches, check)
    _check_places(pitches, setup, slots, audiences, check)
    check.unplaced = [project for project in check.accepted if project.id not in placed]
    _count_missed(pitches, slots, [pair for pair in pairs if pair[1] in accepted_ids], check)
    return check


def _check_pairs(pitches: list[Pitch], check: ScheduleCheck) -> None:
    for index, pitch in enumerate(pitches):
        for other in pitches[index + 1 :]:
            if not _overlaps(pitch, other):
                continue
            if pitch.room_id == other.room_id:
                for a, b in ((pitch, other), (other, pitch)):
                    check.warnings[a.project_id].append(
                        str(_l("The room also holds “%(title)s” then.", title=_title(b)))
                    )
            presenter = pitch.project.presenter_id
            if presenter is not None and presenter == other.project.presenter_id:
                for a, b in ((pitch, other), (other, pitch)):
                    check.warnings[a.project_id].append(
                        str(
                            _l(
                                "The presenter also pitches “%(title)s” then.",
                                title=_title(b),
                            )
                        )
                    )


def _title(pitch: Pitch) -> str:
    return pitch.project.title_for(current_locale())


def _check_places(
    pitches: list[Pitch],
    setup: RoadshowSetup | None,
    slots: list[Slot],
    audiences: dict[int, int],
    check: ScheduleCheck,
) -> None:
    unavailable = unavailable_sessions({p.project.presenter_id for p in pitches} - {None})
    session_items = list(setup.sessions) if setup is not None else []
    roadshow_rooms = {room.id for room in setup.rooms} if setup is not None else set()
    for pitch in pitches:
        messages = check.warnings[pitch.project_id]
        project = pitch.project
        if project.status is not ProjectStatus.ACCEPTED:
            messages.append(str(_l("The project is no longer accepted.")))
        within = [
            item
            for item in session_items
            if item.starts_at <= pitch.starts_at and pitch.ends_at <= item.ends_at
        ]
        if not within:
            messages.append(str(_l("The pitch is outside the roadshow sessions.")))
        if pitch.room_id not in roadshow_rooms:
            messages.append(str(_l("The room is not one of the roadshow's rooms.")))
        blocked = unavailable.get(project.presenter_id, set())
        if any(item.id in blocked for item in session_items if _during(pitch, item)):
            messages.append(str(_l("The presenter said they cannot come to this session.")))
        audience = audiences.get(project.id, 0)
        capacity = pitch.room.capacity
        if capacity is not None and audience > capacity:
            messages.append(
                str(
                    _l(
                        "%(audience)d investors are interested but the room seats %(capacity)d.",
                        audience=audience,
                        capacity=capacity,
                    )
                )
            )
    if setup is not None and setup.one_sector_per_room_session:
        _check_tracks(pitches, session_items, check)


def _during(pitch: Pitch, item) -> bool:
    return pitch.starts_at < item.ends_at and item.starts_at < pitch.ends_at


def _check_tracks(pitches: list[Pitch], session_items, check: ScheduleCheck) -> None:
    groups: dict[tuple[int, int], list[Pitch]] = defaultdict(list)
    for pitch in pitches:
        for item in session_items:
            if _during(pitch, item):
                groups[(pitch.room_id, item.id)].append(pitch)
    for group in groups.values():
        sectors = {pitch.project.sector for pitch in group}
        if len(sectors) > 1:
            for pitch in group:
                check.warnings[pitch.project_id].append(
                    str(_l("The room mixes sectors in this session."))
                )


def _count_missed(
    pitches: list[Pitch], slots: list[Slot], pairs: list[tuple[int, int]], check: ScheduleCheck
) -> None:
    """Missed interests as the scheduler counts them, over the slots the pitches overlap;
    ``pairs`` are the (investor, project) interests in accepted projects."""
    check.interests = len(pairs)
    cells: dict[int, list[int]] = {}
    for pitch in pitches:
        cells[pitch.project_id] = [
            index
            for index, slot in enumerate(slots)
            if slot.starts_at < pitch.ends_at and pitch.starts_at < slot.ends_at
        ] or [-pitch.id]  # a pitch outside every slot still clashes with itself only
    attending: dict[tuple[int, int], int] = defaultdict(int)
    missed = 0
    for investor, project in pairs:
        if project not in cells:
            missed += 1
            continue
        for slot in cells[project]:
            attending[(investor, slot)] += 1
    missed += sum(count - 1 for count in attending.values() if count > 1)
    check.missed_interests = missed


# --- moving by hand ---------------------------------------------------------------------------


def move_pitch(
    event: Event,
    project: Project,
    room: Room | None,
    slot: Slot | None,
    actor: User,
) -> RoadshowSchedule:
    """Put the project in (room, slot), or take it out with ``room`` None.

    A pitch already starting there swaps into the moved project's old place
    (or leaves the grid when the moved project had none). Nothing is refused:
    the check shows what the move breaks.
    """
    draft = draft_of(event)
    if draft is None:
        draft = replace_draft(event, [], {}, ScheduleSource.MANUAL)
    by_project = {pitch.project_id: pitch for pitch in draft.pitches}
    moving = by_project.get(project.id)
    if room is None or slot is None:
        if moving is not None:
            draft.pitches.remove(moving)
    else:
        _place(draft, by_project, project, moving, room, slot)
    draft.source = ScheduleSource.MANUAL
    draft.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "roadshow.pitch_moved",
        "project",
        project.id,
        event_id=event.id,
        actor=actor,
        room=room.id if room is not None else None,
        starts_at=slot.starts_at.isoformat() if slot is not None else None,
    )
    return draft


def _place(draft, by_project, project, moving, room, slot) -> None:
    setup = sessions.setup_of(draft_event(draft))
    step = timedelta(minutes=setup.pitch_minutes + setup.changeover_minutes)
    ends_at = slot.ends_at + step * (project.duration_slots - 1)
    occupant = next(
        (
            pitch
            for pitch in draft.pitches
            if pitch.room_id == room.id
            and pitch.starts_at == slot.starts_at
            and pitch.project_id != project.id
        ),
        None,
    )
    if occupant is not None:
        if moving is not None:
            length = occupant.ends_at - occupant.starts_at
            occupant.room_id, occupant.starts_at = moving.room_id, moving.starts_at
            occupant.ends_at = moving.starts_at + length
        else:
            draft.pitches.remove(occupant)
    if moving is None:
        moving = Pitch(project_id=project.id, room_id=room.id)
        draft.pitches.append(moving)
    moving.room_id, moving.starts_at, moving.ends_at = room.id, slot.starts_at, ends_at


def draft_event(draft: RoadshowSchedule) -> Event:
    return db.session.get(Event, draft.event_id)


# --- publishing -------------------------------------------------------------------------------


def _where(pitch: Pitch | None) -> dict | None:
    if pitch is None:
        return None
    return {
        "room_id": pitch.room_id,
        "room": pitch.room.name_zh,
        "room_en": pitch.room.name_en,
        "starts_at": pitch.starts_at.isoformat(),
        "ends_at": pitch.ends_at.isoformat(),
    }


def changes_between(
    before: RoadshowSchedule | None, after: RoadshowSchedule
) -> list[dict[str, Any]]:
    """Per project: added, moved (room or time) or removed, in time order."""
    old = {pitch.project_id: pitch for pitch in (before.pitches if before is not None else [])}
    new = {pitch.project_id: pitch for pitch in after.pitches}
    changes = []
    for project_id in sorted(old.keys() | new.keys()):
        was, now = old.get(project_id), new.get(project_id)
        if was is not None and now is not None:
            if (was.room_id, was.starts_at, was.ends_at) == (
                now.room_id,
                now.starts_at,
                now.ends_at,
            ):
                continue
            kind = "moved"
        else:
            kind = "added" if was is None else "removed"
        title = (now or was).project.title_zh
        changes.append(
            {
                "project": project_id,
                "title": title,
                "kind": kind,
                "before": _where(was),
                "after": _where(now),
            }
        )
    changes.sort(key=lambda c: (c["after"] or c["before"])["starts_at"])
    return changes


def publish(
    event: Event,
    actor: User,
    note: str,
    programme_url: str | None = None,
    *,
    notify: bool = True,
) -> RoadshowSchedule:
    """Copy the draft into the next version; email presenters whose pitch changed
    (unless ``notify`` is false: demo data tells nobody)."""
    draft = draft_of(event)
    if draft is None or not draft.pitches:
        raise RuleError(_l("The draft is empty: run the scheduler or place pitches first."))
    previous = latest_version(event)
    version = RoadshowSchedule(
        event_id=event.id,
        number=(previous.number if previous is not None else 0) + 1,
        source=draft.source,
        figures=_current_figures(event, draft),
        note=note.strip(),
        published_at=utcnow(),
        published_by_id=actor.id,
        pitches=[
            Pitch(
                project_id=p.project_id, room_id=p.room_id, starts_at=p.starts_at, ends_at=p.ends_at
            )
            for p in draft.pitches
        ],
    )
    db.session.add(version)
    db.session.flush()
    version.changes = changes_between(previous, version)
    if notify:
        _email_presenters(event, version, programme_url)
    audit.record(
        "roadshow.published",
        "event",
        event.id,
        event_id=event.id,
        actor=actor,
        version=version.number,
        changes=len(version.changes),
    )
    return version


def _current_figures(event: Event, draft: RoadshowSchedule) -> dict:
    check = schedule_check(event, draft)
    figures = dict(draft.figures or {})
    figures.update(
        interests=check.interests,
        missed_interests=check.missed_interests,
        warnings=check.warning_count,
    )
    return figures


def _email_presenters(event: Event, version: RoadshowSchedule, programme_url: str | None) -> None:
    from registration import mail

    pitches = {pitch.project_id: pitch for pitch in version.pitches}
    for change in version.changes:
        project = db.session.get(Project, change["project"])
        presenter = project.presenter if project is not None else None
        if presenter is None or not presenter.email or presenter.status not in ACTIVE_STATUSES:
            continue
        mail.queue(
            "roadshow_pitch",
            presenter.email,
            locale=presenter.locale,
            event=event,
            registration=presenter,
            project=project,
            change=change,
            pitch=pitches.get(project.id),
            version=version.number,
            programme_url=programme_url,
        )


# --- presenters' availability ---------------------------------------------------------------


def presenters_of(event: Event) -> list[tuple[Registration, list[Project]]]:
    """Presenters of accepted projects, each with their projects, by name."""
    by_presenter: dict[int, list[Project]] = defaultdict(list)
    people: dict[int, Registration] = {}
    for project in accepted_projects(event):
        if project.presenter is not None:
            by_presenter[project.presenter_id].append(project)
            people[project.presenter_id] = project.presenter
    return sorted(
        ((people[key], found) for key, found in by_presenter.items()),
        key=lambda pair: (pair[0].name, pair[0].id),
    )


def save_unavailability(
    event: Event,
    presenters: list[tuple[Registration, list[Project]]],
    session_items,
    away: set[tuple[int, int]],
    actor: User,
) -> None:
    """Replace the listed presenters' unavailability within the listed sessions.

    Pairs naming anyone or anything else are ignored: the form can only
    speak for the presenters and sessions it showed.
    """
    presenter_ids = {presenter.id for presenter, _projects in presenters}
    item_ids = {item.id for item in session_items}
    if not presenter_ids or not item_ids:
        return
    db.session.execute(
        db.delete(PresenterUnavailability).where(
            PresenterUnavailability.registration_id.in_(presenter_ids),
            PresenterUnavailability.agenda_item_id.in_(item_ids),
        )
    )
    kept = sorted(
        (presenter, item)
        for presenter, item in away
        if presenter in presenter_ids and item in item_ids
    )
    db.session.add_all(
        PresenterUnavailability(registration_id=presenter, agenda_item_id=item)
        for presenter, item in kept
    )
    db.session.flush()
    audit.record(
        "roadshow.availability_saved",
        "event",
        event.id,
        event_id=event.id,
        actor=actor,
        unavailable=len(kept),
    )
