"""What the organisers' matchmaking pages count, list and save.

Queries and small writes behind :mod:`events.roadshow.match_admin`: the
set-up, participants with their request tallies, and requests filtered and
paged. No request handling here; the views commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_
from sqlalchemy.orm import aliased, selectinload

from app import db
from events import audit
from events.models import Event, User
from events.roadshow import participants
from events.roadshow.match_models import MatchProfile, MeetingRequest, Priority, RequestStatus
from registration.models import Registration

#: Rows per page of the participants and requests lists.
PER_PAGE = 50


def save_setup(
    event: Event,
    category_ids: set[int],
    *,
    requests_open: bool,
    auto_accept: bool,
    time_limit: int,
    actor: User,
) -> None:
    """Store the set-up; ids not among the event's categories are ignored."""
    setup = participants.setup_for_editing(event)
    setup.categories = [category for category in event.categories if category.id in category_ids]
    setup.requests_open = requests_open
    setup.auto_accept = auto_accept
    setup.time_limit = time_limit
    db.session.flush()
    audit.record(
        "matchmaking.setup_saved",
        "event",
        event.id,
        event_id=event.id,
        actor=actor,
        categories=sorted(category.id for category in setup.categories),
        requests_open=requests_open,
        auto_accept=auto_accept,
        time_limit=time_limit,
    )


def participant_count(event: Event) -> int:
    query = participants.participants_query(event).order_by(None).subquery()
    return db.session.scalar(db.select(db.func.count()).select_from(query)) or 0


def status_counts(event: Event) -> dict[RequestStatus, int]:
    rows = db.session.execute(
        db.select(MeetingRequest.status, db.func.count(MeetingRequest.id))
        .where(MeetingRequest.event_id == event.id)
        .group_by(MeetingRequest.status)
    ).all()
    found = dict(rows)
    return {status: found.get(status, 0) for status in RequestStatus}


def accepted_weight(event: Event) -> int:
    """The sum of the priorities of the accepted requests: what a perfect plan would meet."""
    return (
        db.session.scalar(
            db.select(db.func.coalesce(db.func.sum(MeetingRequest.priority), 0)).where(
                MeetingRequest.event_id == event.id,
                MeetingRequest.status == RequestStatus.ACCEPTED,
            )
        )
        or 0
    )


def _contains(column, text: str):
    return column.icontains(text, autoescape=True)


def participants_page(event: Event, search: str, page: int):
    statement = participants.participants_query(event)
    if search:
        statement = statement.where(
            or_(
                _contains(Registration.name, search),
                _contains(Registration.name_en, search),
                _contains(Registration.organisation, search),
            )
        )
    statement = statement.options(selectinload(Registration.category))
    return db.paginate(
        statement, page=page, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False
    )


@dataclass(frozen=True)
class Tally:
    """A participant's requests that still stand (cancelled ones left out)."""

    sent: int = 0
    received: int = 0
    accepted: int = 0


def request_tallies(event: Event, registration_ids: list[int]) -> dict[int, Tally]:
    if not registration_ids:
        return {}
    rows = db.session.execute(
        db.select(MeetingRequest.requester_id, MeetingRequest.recipient_id, MeetingRequest.status)
        .where(
            MeetingRequest.event_id == event.id,
            MeetingRequest.status != RequestStatus.CANCELLED,
            or_(
                MeetingRequest.requester_id.in_(registration_ids),
                MeetingRequest.recipient_id.in_(registration_ids),
            ),
        )
        .order_by(MeetingRequest.id)
    ).all()
    counts = {person: [0, 0, 0] for person in registration_ids}
    for requester_id, recipient_id, status in rows:
        for person, column in ((requester_id, 0), (recipient_id, 1)):
            if person in counts:
                counts[person][column] += 1
                if status is RequestStatus.ACCEPTED:
                    counts[person][2] += 1
    return {person: Tally(*values) for person, values in counts.items()}


def profiles_of(registration_ids: list[int]) -> dict[int, MatchProfile]:
    if not registration_ids:
        return {}
    rows = db.session.scalars(
        db.select(MatchProfile).where(MatchProfile.registration_id.in_(registration_ids))
    )
    return {profile.registration_id: profile for profile in rows}


@dataclass(frozen=True)
class RequestFilters:
    """What the organiser narrowed the requests list to; None or "" means any."""

    status: RequestStatus | None = None
    priority: Priority | None = None
    search: str = ""

    def args(self) -> dict[str, str | int]:
        """The filters as query-string arguments, for links and redirects."""
        values = {
            "status": self.status.value if self.status else None,
            "priority": int(self.priority) if self.priority else None,
            "q": self.search or None,
        }
        return {key: value for key, value in values.items() if value is not None}


def requests_page(event: Event, filters: RequestFilters, page: int):
    requester = aliased(Registration)
    recipient = aliased(Registration)
    statement = (
        db.select(MeetingRequest)
        .join(requester, requester.id == MeetingRequest.requester_id)
        .join(recipient, recipient.id == MeetingRequest.recipient_id)
        .where(MeetingRequest.event_id == event.id)
        .options(
            selectinload(MeetingRequest.requester),
            selectinload(MeetingRequest.recipient),
            selectinload(MeetingRequest.added_by),
        )
        .order_by(MeetingRequest.created_at.desc(), MeetingRequest.id.desc())
    )
    if filters.status is not None:
        statement = statement.where(MeetingRequest.status == filters.status)
    if filters.priority is not None:
        statement = statement.where(MeetingRequest.priority == int(filters.priority))
    if filters.search:
        statement = statement.where(
            or_(
                *(
                    _contains(column, filters.search)
                    for person in (requester, recipient)
                    for column in (person.name, person.name_en, person.organisation)
                )
            )
        )
    return db.paginate(
        statement, page=page, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False
    )


def request_of_event(event: Event, request_id: int) -> MeetingRequest | None:
    found = db.session.get(MeetingRequest, request_id)
    return found if found is not None and found.event_id == event.id else None
