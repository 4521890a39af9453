"""Who takes part in matchmaking, and the rules every meeting request obeys.

A participant is a confirmed registration of a category chosen in the
event's :class:`MatchmakingSetup`. A request joins two different
participants of the same event, once per pair in either order; it starts
pending (accepted at once with auto-accept, or when an organiser adds it) and
its recipient accepts or declines it. Services flush and raise
:class:`MatchError`; views commit.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app import db
from events import audit
from events.dbtypes import utcnow
from events.errors import RuleError
from events.models import Event, User
from events.roadshow.match_models import (
    MatchmakingSetup,
    MatchProfile,
    MeetingRequest,
    Priority,
    RequestStatus,
)
from registration.models import Registration, RegistrationStatus

MAX_CAPACITY = 20
MAX_NOTE = 500
#: Requests the scheduler places.
SCHEDULABLE = (RequestStatus.ACCEPTED,)


class MatchError(RuleError):
    """A matchmaking change refused by a rule."""


def setup_of(event: Event) -> MatchmakingSetup | None:
    return db.session.get(MatchmakingSetup, event.id)


def setup_for_editing(event: Event) -> MatchmakingSetup:
    setup = setup_of(event)
    if setup is None:
        setup = MatchmakingSetup(
            event_id=event.id, requests_open=False, auto_accept=False, time_limit=10
        )
        db.session.add(setup)
    return setup


def category_ids(event: Event) -> set[int]:
    setup = setup_of(event)
    return {category.id for category in setup.categories} if setup is not None else set()


def is_participant(registration: Registration) -> bool:
    return (
        registration.status is RegistrationStatus.CONFIRMED
        and registration.category_id in category_ids(registration.event)
    )


def participants_query(event: Event):
    """Confirmed registrations of the taking-part categories, by name."""
    return (
        db.select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.category_id.in_(category_ids(event) or {-1}),
        )
        .order_by(Registration.name, Registration.id)
    )


def participants_of(event: Event) -> list[Registration]:
    return list(db.session.scalars(participants_query(event)))


def participant_of(event: Event, registration_id: int) -> Registration | None:
    """The participant with that id in this event, else None (another event's, or none)."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        return None
    return registration if is_participant(registration) else None


def profile_of(registration: Registration, *, create: bool = False) -> MatchProfile | None:
    profile = db.session.get(MatchProfile, registration.id)
    if profile is None and create:
        profile = MatchProfile(registration_id=registration.id, capacity=1, listed=True)
        db.session.add(profile)
    return profile


def capacities(registration_ids) -> dict[int, int]:
    """Representatives at tables at once, per participant (1 without a profile)."""
    ids = list(registration_ids)
    found = (
        dict(
            db.session.execute(
                db.select(MatchProfile.registration_id, MatchProfile.capacity).where(
                    MatchProfile.registration_id.in_(ids)
                )
            ).all()
        )
        if ids
        else {}
    )
    return {registration_id: found.get(registration_id, 1) for registration_id in ids}


def set_capacity(registration: Registration, capacity: int, actor: User) -> None:
    if not 1 <= capacity <= MAX_CAPACITY:
        raise MatchError(
            _l("Between 1 and %(most)d representatives at once.", most=MAX_CAPACITY), "capacity"
        )
    profile = profile_of(registration, create=True)
    before = profile.capacity
    profile.capacity = capacity
    db.session.flush()
    audit.record(
        "matchmaking.capacity_set",
        "registration",
        registration.id,
        event_id=registration.event_id,
        actor=actor,
        capacity=[before, capacity],
    )


# --- requests ---------------------------------------------------------------------------------


def request_between(event: Event, one_id: int, other_id: int) -> MeetingRequest | None:
    low, high = sorted((one_id, other_id))
    return db.session.scalar(
        db.select(MeetingRequest).filter_by(event_id=event.id, low_id=low, high_id=high)
    )


def create_request(
    event: Event,
    requester: Registration,
    recipient: Registration,
    priority: int,
    note: str = "",
    *,
    added_by: User | None = None,
) -> MeetingRequest:
    """A new request, pending unless auto-accept is on or an organiser adds it.

    Refused: oneself, a non-participant (or one of another event), a pair that
    already has a request in either direction (unless it was cancelled: then it
    is asked again), a priority other than 1–3.
    """
    if requester.id == recipient.id:
        raise MatchError(_l("A participant cannot request a meeting with themselves."))
    for person in (requester, recipient):
        if person.event_id != event.id or not is_participant(person):
            raise MatchError(_l("%(name)s does not take part in matchmaking.", name=person.name))
    if priority not in {p.value for p in Priority}:
        raise MatchError(_l("Choose a priority."), "priority")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise MatchError(
            _l("The note is too long (at most %(most)d characters).", most=MAX_NOTE), "note"
        )
    existing = request_between(event, requester.id, recipient.id)
    if existing is not None and existing.status is not RequestStatus.CANCELLED:
        raise MatchError(_l("These two already have a meeting request."))
    setup = setup_of(event)
    accepted = added_by is not None or (setup is not None and setup.auto_accept)
    low, high = sorted((requester.id, recipient.id))
    # A cancelled request is asked again rather than duplicated: one row per pair.
    request = existing or MeetingRequest(event_id=event.id, low_id=low, high_id=high)
    request.requester_id, request.recipient_id = requester.id, recipient.id
    request.priority, request.note = priority, note
    request.status = RequestStatus.ACCEPTED if accepted else RequestStatus.PENDING
    request.added_by_id = added_by.id if added_by is not None else None
    request.created_at = utcnow()
    request.responded_at = utcnow() if accepted else None
    try:
        with db.session.begin_nested():
            if existing is None:
                db.session.add(request)
            db.session.flush()
    except IntegrityError as error:  # the other side asked at the same instant
        raise MatchError(_l("These two already have a meeting request.")) from error
    audit.record(
        "matchmaking.request_created",
        "meeting_request",
        request.id,
        event_id=event.id,
        actor=added_by,
        actor_label="" if added_by is not None else "participant",
        status=request.status.value,
        priority=priority,
    )
    return request


#: Which status changes are allowed, from → to.
MOVES = {
    RequestStatus.PENDING: {
        RequestStatus.ACCEPTED,
        RequestStatus.DECLINED,
        RequestStatus.CANCELLED,
    },
    RequestStatus.ACCEPTED: {RequestStatus.CANCELLED},
    RequestStatus.DECLINED: {RequestStatus.ACCEPTED},
    RequestStatus.CANCELLED: set(),
}


def change_status(
    request: MeetingRequest, status: RequestStatus, *, actor: User | None = None, label: str = ""
) -> None:
    """Accept, decline or cancel; a cancelled request also leaves every session's plan."""
    if status not in MOVES[request.status]:
        raise MatchError(_l("This request can no longer be changed that way."))
    before = request.status
    request.status = status
    request.responded_at = utcnow()
    if status is RequestStatus.CANCELLED:
        from events.roadshow.match_models import Meeting

        db.session.execute(db.delete(Meeting).where(Meeting.request_id == request.id))
    db.session.flush()
    audit.record(
        "matchmaking.request_" + status.value,
        "meeting_request",
        request.id,
        event_id=request.event_id,
        actor=actor,
        actor_label=label,
        status=[before.value, status.value],
    )
