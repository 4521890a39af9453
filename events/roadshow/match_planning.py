"""Between the database and the pure matchmaking scheduler, for one session.

:func:`build_job` turns a session's accepted requests into a
:mod:`events.roadshow.matchmaking` instance (participants and requests by
registration id; locked meetings as ``locked``; the session's current
meetings as the previous plan, so a re-run moves as few as it can), and
:func:`finish_run` writes a finished plan back as the session's meetings.
A request met in another session of the event is not scheduled again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from app import db
from events import audit
from events.dbtypes import utcnow
from events.errors import RuleError
from events.models import Event, User
from events.roadshow import matchmaking, meeting_check, participants
from events.roadshow.match_models import (
    MatchSession,
    MatchUnavailability,
    Meeting,
    MeetingRequest,
    RequestStatus,
)
from events.roadshow.models import RunStatus, SchedulerRun
from events.roadshow.runs import RunFailed
from registration.models import Registration


def sessions_of(event: Event) -> list[MatchSession]:
    return list(
        db.session.scalars(
            db.select(MatchSession)
            .filter_by(event_id=event.id)
            .order_by(MatchSession.starts_at, MatchSession.id)
        )
    )


def session_of(event: Event, session_id: int) -> MatchSession | None:
    session = db.session.get(MatchSession, session_id)
    return session if session is not None and session.event_id == event.id else None


def schedulable_requests(session: MatchSession) -> list[MeetingRequest]:
    """Accepted requests between current participants, not met in another session."""
    event = db.session.get(Event, session.event_id)
    taking_part = {person.id for person in participants.participants_of(event)}
    elsewhere = set(
        db.session.scalars(
            db.select(Meeting.request_id)
            .join(MatchSession, MatchSession.id == Meeting.session_id)
            .where(MatchSession.event_id == event.id, Meeting.session_id != session.id)
        )
    )
    requests = db.session.scalars(
        db.select(MeetingRequest)
        .filter_by(event_id=event.id, status=RequestStatus.ACCEPTED)
        .order_by(MeetingRequest.id)
    )
    return [
        request
        for request in requests
        if request.requester_id in taking_part
        and request.recipient_id in taking_part
        and request.id not in elsewhere
    ]


def unavailable_slots(session: MatchSession, people) -> dict[int, list[int]]:
    result: dict[int, list[int]] = defaultdict(list)
    ids = list(people)
    if ids:
        rows = db.session.execute(
            db.select(MatchUnavailability.registration_id, MatchUnavailability.slot)
            .where(
                MatchUnavailability.session_id == session.id,
                MatchUnavailability.registration_id.in_(ids),
                MatchUnavailability.slot < session.slot_count,
            )
            .order_by(MatchUnavailability.registration_id, MatchUnavailability.slot)
        )
        for person, slot in rows:
            result[person].append(slot)
    return result


@dataclass
class MatchJob:
    instance: dict[str, Any]
    previous: dict[str, Any]


def build_job(session: MatchSession) -> MatchJob:
    """The instance for the session, or a RuleError saying what is missing."""
    if session.table_count < 1 or session.slot_count < 1:
        raise RuleError(_l("The session needs at least one slot and one table."))
    requests = schedulable_requests(session)
    if not requests:
        raise RuleError(_l("There is no accepted meeting request to schedule yet."))
    people = sorted({r.requester_id for r in requests} | {r.recipient_id for r in requests})
    capacity = participants.capacities(people)
    away = unavailable_slots(session, people)
    schedulable = {request.id for request in requests}
    current = [m for m in session.meetings if m.request_id in schedulable]
    instance = {
        "slots": session.slot_count,
        "tables": session.table_count,
        "participants": [
            {"id": person, "capacity": capacity[person], "unavailable": away.get(person, [])}
            for person in people
        ],
        "requests": [
            {"a": r.requester_id, "b": r.recipient_id, "priority": r.priority} for r in requests
        ],
        "locked": [_as_plan_meeting(m) for m in current if m.locked],
    }
    previous = {"meetings": [_as_plan_meeting(m) for m in current if not m.locked]}
    return MatchJob(instance, previous)


def _as_plan_meeting(meeting: Meeting) -> dict[str, int]:
    request = meeting.request
    return {
        "a": request.requester_id,
        "b": request.recipient_id,
        "slot": meeting.slot,
        "table": meeting.table,
    }


def start_run(session: MatchSession, actor: User) -> tuple[SchedulerRun, MatchJob]:
    from events.roadshow import runs

    event = db.session.get(Event, session.event_id)
    current = runs.latest_run(event, session.id)
    if current is not None and current.status is RunStatus.RUNNING:
        raise RuleError(_l("The scheduler is already running for this session."))
    job = build_job(session)
    setup = participants.setup_of(event)
    run = SchedulerRun(
        event_id=event.id,
        match_session_id=session.id,
        status=RunStatus.RUNNING,
        time_limit=setup.time_limit if setup is not None else 10,
        started_by_id=actor.id,
        progress={"elapsed": 0},
    )
    db.session.add(run)
    db.session.flush()
    audit.record(
        "matchmaking.run_started",
        "match_session",
        session.id,
        event_id=event.id,
        actor=actor,
        run=run.id,
        requests=len(job.instance["requests"]),
    )
    return run, job


def finish_run(run_id: int, instance: dict[str, Any], plan: Any) -> None:
    """Write a valid plan for the session as it still is; otherwise raise RunFailed."""
    if not isinstance(plan, dict) or meeting_check.check_plan(instance, plan):
        raise RunFailed("invalid")
    run = db.session.get(SchedulerRun, run_id)
    session = db.session.get(MatchSession, run.match_session_id)
    try:
        now = build_job(session).instance
    except RuleError as error:
        raise RunFailed("requests_changed") from error
    if _shape(now) != _shape(instance):
        raise RunFailed("requests_changed")
    apply_plan(session, instance, plan)
    run.status, run.finished_at = RunStatus.SUCCEEDED, utcnow()
    run.progress = {
        **(run.progress or {}),
        "count": plan["count"],
        "weight": plan["weight"],
        "bound": plan["bound"],
    }
    audit.record(
        "matchmaking.run_finished",
        "match_session",
        session.id,
        event_id=session.event_id,
        actor_label="system",
        run=run_id,
        meetings=plan["count"],
        weight=plan["weight"],
    )
    db.session.commit()


def _shape(instance: dict[str, Any]) -> tuple:
    return (
        instance["slots"],
        instance["tables"],
        instance["participants"],
        instance["requests"],
        instance["locked"],
    )


def apply_plan(session: MatchSession, instance: dict[str, Any], plan: dict[str, Any]) -> None:
    """The plan's meetings become the session's; locks stay where they were."""
    requests = {(r.low_id, r.high_id): r for r in schedulable_requests(session)}
    locked = {(m["a"], m["b"], m["slot"], m["table"]) for m in instance["locked"]}
    session.meetings.clear()
    db.session.flush()
    for meeting in plan["meetings"]:
        pair = tuple(sorted((meeting["a"], meeting["b"])))
        request = requests[pair]
        key = (meeting["a"], meeting["b"], meeting["slot"], meeting["table"])
        session.meetings.append(
            Meeting(
                request_id=request.id,
                slot=meeting["slot"],
                table=meeting["table"],
                locked=key in locked,
            )
        )
    placed = {(m["a"], m["b"], m["slot"], m["table"]) for m in plan["meetings"]}
    refused_locks = [
        {"request": requests[tuple(sorted((a, b)))].id, "slot": slot, "table": table}
        for a, b, slot, table in sorted(locked - placed)
    ]
    baseline = matchmaking.baseline(instance)
    session.figures = {
        "refused_locks": refused_locks,
        "count": plan["count"],
        "weight": plan["weight"],
        "bound": plan["bound"],
        "seconds": plan.get("seconds"),
        "baseline_weight": baseline["weight"],
        "requests": len(instance["requests"]),
    }
    session.scheduled_at = utcnow()
    db.session.flush()


# --- the organiser's views of a session -----------------------------------------------------


def set_locked(meeting: Meeting, locked: bool, actor: User) -> None:
    meeting.locked = locked
    db.session.flush()
    audit.record(
        "matchmaking.meeting_locked" if locked else "matchmaking.meeting_unlocked",
        "match_session",
        meeting.session_id,
        event_id=meeting.session.event_id,
        actor=actor,
        request=meeting.request_id,
    )


def grid(session: MatchSession) -> list[list[Meeting | None]]:
    """Rows of tables, columns of slots."""
    rows: list[list[Meeting | None]] = [
        [None] * session.slot_count for _table in range(session.table_count)
    ]
    for meeting in session.meetings:
        if meeting.table < session.table_count and meeting.slot < session.slot_count:
            rows[meeting.table][meeting.slot] = meeting
    return rows


@dataclass
class Unplaced:
    request: MeetingRequest
    reason: str


def unplaced(session: MatchSession) -> list[Unplaced]:
    """Accepted requests with no meeting in this session, each with why."""
    requests = schedulable_requests(session)
    placed = {meeting.request_id for meeting in session.meetings}
    missing = [r for r in requests if r.id not in placed]
    if not missing:
        return []
    people = {r.requester_id for r in requests} | {r.recipient_id for r in requests}
    away = {person: set(slots) for person, slots in unavailable_slots(session, people).items()}
    capacity = participants.capacities(people)
    busy: dict[tuple[int, int], int] = defaultdict(int)
    used_tables: dict[int, int] = defaultdict(int)
    for meeting in session.meetings:
        used_tables[meeting.slot] += 1
        for person in (meeting.request.requester_id, meeting.request.recipient_id):
            busy[(person, meeting.slot)] += 1
    all_slots = set(range(session.slot_count))
    refused = {lock["request"]: lock for lock in (session.figures or {}).get("refused_locks", [])}
    result = []
    for request in sorted(missing, key=lambda r: (-r.priority, r.id)):
        pair = (request.requester_id, request.recipient_id)
        free = all_slots - away.get(pair[0], set()) - away.get(pair[1], set())
        reason = _reason(request, pair, free, busy, capacity, used_tables, session)
        if request.id in refused:
            reason = f"{_refused_lock(session, refused[request.id])} {reason}"
        result.append(Unplaced(request, reason))
    return result


def _refused_lock(session: MatchSession, lock: dict) -> str:
    """A lock the scheduler could not keep is said, never dropped in silence."""
    return str(
        _l(
            "It was locked at table %(table)s in round %(round)d, which now breaks a rule, "
            "so it was not kept there.",
            table=session.table_name(lock["table"]),
            round=lock["slot"] + 1,
        )
    )


def _reason(request, pair, free, busy, capacity, used_tables, session) -> str:
    if not free:
        return str(_l("The two have no free slot in common."))
    for person, registration in zip(pair, (request.requester, request.recipient), strict=True):
        if all(busy[(person, slot)] >= capacity[person] for slot in free):
            return str(
                _l("%(name)s is fully booked in the slots both are free.", name=registration.name)
            )
    if all(used_tables[slot] >= session.table_count for slot in free):
        return str(_l("Every table is taken in the slots both are free."))
    return str(_l("Left out for meetings of higher priority."))


def agenda_people(session: MatchSession) -> list[Registration]:
    """Everyone with at least one meeting in the session."""
    people: dict[int, Registration] = {}
    for meeting in session.meetings:
        for person in (meeting.request.requester, meeting.request.recipient):
            people[person.id] = person
    return sorted(people.values(), key=lambda person: (person.name, person.id))
