"""Matchmaking for the participants themselves: directory, requests with their emails,
unavailability and the personal agenda (page, calendar and email).

Built on the rules of :mod:`events.roadshow.participants`; nothing here
handles a request (views hand in parsed values). Functions that write add
and flush, queue their emails in the same transaction, and raise
:class:`~events.roadshow.participants.MatchError`; the view commits once.

Emails never carry a manage link: only its hash is stored, so a message
points to the event's "send me my link again" page instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Timezone
from icalendar import Event as CalendarEvent
from sqlalchemy import or_
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from app import db
from events.models import Category, Event
from events.roadshow import filters as query_filters
from events.roadshow import participants
from events.roadshow.match_models import (
    MatchProfile,
    MatchSession,
    MatchUnavailability,
    Meeting,
    MeetingRequest,
    Priority,
    RequestStatus,
)
from events.roadshow.models import Sector
from events.roadshow.participants import MatchError
from registration import links
from registration.models import Registration

PRIORITY_LABELS = {
    Priority.MUST: _l("Must meet"),
    Priority.WOULD_LIKE: _l("Would like to meet"),
    Priority.IF_POSSIBLE: _l("If possible"),
}

STATUS_LABELS = {
    RequestStatus.PENDING: _l("Awaiting an answer"),
    RequestStatus.ACCEPTED: _l("Accepted"),
    RequestStatus.DECLINED: _l("Declined"),
    RequestStatus.CANCELLED: _l("Cancelled"),
}

#: Participants per directory page.
PER_PAGE = 50
MAX_ABOUT = 2000


def priority_label(priority) -> str:
    return str(PRIORITY_LABELS[Priority(int(priority))])


def request_status_label(status) -> str:
    return str(STATUS_LABELS[RequestStatus(status)])


# --- the directory ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryFilters:
    """What the participant narrowed the directory to; None means "any".

    Capital bounds are in 万元 and inclusive.
    """

    sector: Sector | None = None
    region: str | None = None
    category_id: int | None = None
    capital_min: int | None = None
    capital_max: int | None = None

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments, to come back to the same list."""
        args = {}
        if self.sector is not None:
            args["sector"] = self.sector.value
        if self.region:
            args["region"] = self.region
        if self.category_id is not None:
            args["category"] = str(self.category_id)
        if self.capital_min is not None:
            args["min"] = str(self.capital_min)
        if self.capital_max is not None:
            args["max"] = str(self.capital_max)
        return args

    @property
    def active(self) -> bool:
        return bool(self.as_args())


def parse_filters(event: Event, args: MultiDict) -> tuple[DirectoryFilters, list[str]]:
    """The directory's filters from the query string, and messages for what was refused.

    A refused value is dropped (the list shows as if it were not given) and
    explained; it never causes an error page.
    """
    messages = []
    sector = query_filters.sector_filter(args, messages)
    category_id = None
    if args.get("category"):
        wanted = str(args["category"]).strip()
        known = {str(category.id): category.id for category in taking_part_categories(event)}
        if wanted in known:
            category_id = known[wanted]
        else:
            messages.append(_("Unknown category: showing all categories."))
    capital_min, capital_max = query_filters.capital_bounds(args, messages)
    filters = DirectoryFilters(
        sector=sector,
        region=(args.get("region") or "").strip()[:100] or None,
        category_id=category_id,
        capital_min=capital_min,
        capital_max=capital_max,
    )
    return filters, messages


def taking_part_categories(event: Event) -> list[Category]:
    setup = participants.setup_of(event)
    return list(setup.categories) if setup is not None else []


def directory_query(event: Event, viewer: Registration, filters: DirectoryFilters):
    """The other listed participants matching ``filters``, by name.

    A participant without a profile yet counts as listed (the profile's
    default) but matches no sector, region or capital filter.
    """
    statement = (
        participants.participants_query(event)
        .outerjoin(MatchProfile, MatchProfile.registration_id == Registration.id)
        .options(selectinload(Registration.category))
        .where(
            Registration.id != viewer.id,
            or_(MatchProfile.registration_id.is_(None), MatchProfile.listed.is_(True)),
        )
    )
    if filters.sector is not None:
        statement = statement.where(MatchProfile.sector == filters.sector)
    if filters.region:
        statement = statement.where(MatchProfile.region == filters.region)
    if filters.category_id is not None:
        statement = statement.where(Registration.category_id == filters.category_id)
    if filters.capital_min is not None:
        statement = statement.where(MatchProfile.capital_wan >= filters.capital_min)
    if filters.capital_max is not None:
        statement = statement.where(MatchProfile.capital_wan <= filters.capital_max)
    return statement


def directory_page(event: Event, viewer: Registration, filters: DirectoryFilters, page: int):
    """One page of the directory (``db.paginate``), at most :data:`PER_PAGE` people."""
    return db.paginate(
        directory_query(event, viewer, filters),
        page=page,
        per_page=PER_PAGE,
        max_per_page=PER_PAGE,
        error_out=False,
    )


def directory_regions(event: Event) -> list[str]:
    """The regions the listed participants gave, for the filter."""
    ids = participants.participants_query(event).with_only_columns(Registration.id)
    return list(
        db.session.scalars(
            db.select(MatchProfile.region)
            .where(
                MatchProfile.registration_id.in_(ids.order_by(None)),
                MatchProfile.listed.is_(True),
                MatchProfile.region != "",
            )
            .distinct()
            .order_by(MatchProfile.region)
        )
    )


def profiles_of(registration_ids: Iterable[int]) -> dict[int, MatchProfile]:
    ids = list(registration_ids)
    if not ids:
        return {}
    found = db.session.scalars(db.select(MatchProfile).where(MatchProfile.registration_id.in_(ids)))
    return {profile.registration_id: profile for profile in found}


# --- requests -----------------------------------------------------------------------------------


def requests_of(registration: Registration) -> list[MeetingRequest]:
    """Every request the participant sent or received, oldest first."""
    return list(
        db.session.scalars(
            db.select(MeetingRequest)
            .where(
                MeetingRequest.event_id == registration.event_id,
                or_(
                    MeetingRequest.requester_id == registration.id,
                    MeetingRequest.recipient_id == registration.id,
                ),
            )
            .order_by(MeetingRequest.created_at, MeetingRequest.id)
        )
    )


@dataclass
class RequestLists:
    incoming: list[MeetingRequest]
    outgoing: list[MeetingRequest]
    accepted: list[MeetingRequest]
    closed: list[MeetingRequest]


def sorted_requests(registration: Registration) -> RequestLists:
    """Pending ones split by direction, accepted ones, and declined or cancelled ones."""
    lists = RequestLists([], [], [], [])
    for item in requests_of(registration):
        if item.status is RequestStatus.PENDING:
            mine = item.requester_id == registration.id
            (lists.outgoing if mine else lists.incoming).append(item)
        elif item.status is RequestStatus.ACCEPTED:
            lists.accepted.append(item)
        else:
            lists.closed.append(item)
    return lists


def requests_by_other(registration: Registration) -> dict[int, MeetingRequest]:
    """The participant's requests keyed by the other side's registration id."""
    return {
        (item.recipient_id if item.requester_id == registration.id else item.requester_id): item
        for item in requests_of(registration)
    }


def request_of(registration: Registration, request_id: int) -> MeetingRequest | None:
    """The request with that id if the participant is one of its two sides, else None."""
    item = db.session.get(MeetingRequest, request_id)
    if item is None or item.event_id != registration.event_id:
        return None
    if registration.id not in (item.requester_id, item.recipient_id):
        return None
    return item


def send_request(
    requester: Registration, recipient_id: int, priority: int, note: str = ""
) -> MeetingRequest:
    """A participant asks another for a meeting, and the other is told by email.

    Refused while the organisers keep requests closed, and by every rule of
    :func:`participants.create_request`. With auto-accept both sides get the
    "accepted" email instead.
    """
    event = requester.event
    setup = participants.setup_of(event)
    if setup is None or not setup.requests_open:
        raise MatchError(_l("Meeting requests are closed at the moment."))
    if not participants.is_participant(requester):
        raise MatchError(_l("You do not take part in matchmaking."))
    recipient = (
        participants.participant_of(event, recipient_id) if 0 < recipient_id < 2**31 else None
    )
    if recipient is None:
        raise MatchError(_l("This person does not take part in matchmaking."))
    item = participants.create_request(event, requester, recipient, priority, note)
    if item.status is RequestStatus.ACCEPTED:
        _email_answer(item, to=item.requester, other=item.recipient)
        _email_answer(item, to=item.recipient, other=item.requester)
    else:
        _email(
            "meeting_request",
            item.recipient,
            meeting_request=item,
            other=item.requester,
            priority=priority_label(item.priority),
        )
    return item


#: What a participant may do to a request, and to what status it leads.
ACTIONS = {
    "accept": RequestStatus.ACCEPTED,
    "decline": RequestStatus.DECLINED,
    "cancel": RequestStatus.CANCELLED,
}


def answer_request(registration: Registration, item: MeetingRequest, action: str) -> None:
    """Accept or decline (the recipient, while requests are open) or cancel (either side).

    The requester is emailed when the recipient accepts or declines. Raises
    :class:`PermissionError` when the person may not take that action at all
    (the view answers 403), :class:`MatchError` for a refusal to explain.
    """
    status = ACTIONS[action]
    if status is not RequestStatus.CANCELLED:
        if registration.id != item.recipient_id:
            raise PermissionError(action)
        setup = participants.setup_of(registration.event)
        if setup is None or not setup.requests_open:
            raise MatchError(_l("Meeting requests are closed at the moment."))
    if not participants.is_participant(registration):
        raise PermissionError(action)
    participants.change_status(item, status, label="participant")
    if status is not RequestStatus.CANCELLED:
        _email_answer(item, to=item.requester, other=item.recipient)


def _email_answer(item: MeetingRequest, *, to: Registration, other: Registration) -> None:
    _email(
        "meeting_answer",
        to,
        meeting_request=item,
        other=other,
        accepted=item.status is RequestStatus.ACCEPTED,
        priority=priority_label(item.priority),
    )


def _email(kind: str, to: Registration, *, event: Event | None = None, **context):
    """Queue a message to a participant (none without an address)."""
    from registration import mail

    if not to.email:
        return None
    event = event if event is not None else to.event
    return mail.queue(
        kind,
        to.email,
        locale=to.locale,
        event=event,
        registration=to,
        event_url=_event_url(event),
        resend_url=links.resend_url(event),
        **context,
    )


def _event_url(event: Event) -> str | None:
    if not has_request_context() and not current_app.config.get("SERVER_NAME"):
        return None
    return url_for("events.show", slug=event.slug, _external=True)


# --- unavailability -------------------------------------------------------------------------


def sessions_of(event: Event) -> list[MatchSession]:
    return list(
        db.session.scalars(
            db.select(MatchSession)
            .where(MatchSession.event_id == event.id)
            .order_by(MatchSession.starts_at, MatchSession.id)
        )
    )


def unavailable_slots(registration: Registration) -> set[tuple[int, int]]:
    """``(session id, slot)`` pairs the participant cannot meet in."""
    rows = db.session.execute(
        db.select(MatchUnavailability.session_id, MatchUnavailability.slot).where(
            MatchUnavailability.registration_id == registration.id
        )
    )
    return {(session_id, slot) for session_id, slot in rows}


def save_unavailability(
    registration: Registration, sessions: Sequence[MatchSession], away: Iterable[tuple[int, int]]
) -> int:
    """Replace the participant's unavailability in ``sessions`` by ``away``; returns the count.

    Pairs naming another session or a slot out of range are ignored; other
    sessions' rows stay as they were.
    """
    shown = {session.id: session for session in sessions}
    kept = {
        (session_id, slot)
        for session_id, slot in away
        if session_id in shown and 0 <= slot < shown[session_id].slot_count
    }
    if shown:
        db.session.execute(
            db.delete(MatchUnavailability).where(
                MatchUnavailability.registration_id == registration.id,
                MatchUnavailability.session_id.in_(list(shown)),
            )
        )
    for session_id, slot in sorted(kept):
        db.session.add(
            MatchUnavailability(registration_id=registration.id, session_id=session_id, slot=slot)
        )
    db.session.flush()
    return len(kept)


# --- the personal agenda ------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaEntry:
    """One meeting of a participant's agenda."""

    meeting: Meeting
    session: MatchSession
    request: MeetingRequest
    other: Registration
    starts_at: datetime
    ends_at: datetime
    table_name: str


def agenda_of(registration: Registration) -> list[AgendaEntry]:
    """The participant's scheduled meetings (accepted requests), in time order."""
    meetings = db.session.scalars(
        db.select(Meeting)
        .join(MeetingRequest, Meeting.request_id == MeetingRequest.id)
        .join(MatchSession, Meeting.session_id == MatchSession.id)
        .where(
            MeetingRequest.event_id == registration.event_id,
            MatchSession.event_id == registration.event_id,
            MeetingRequest.status == RequestStatus.ACCEPTED,
            or_(
                MeetingRequest.requester_id == registration.id,
                MeetingRequest.recipient_id == registration.id,
            ),
        )
    )
    entries = [
        AgendaEntry(
            meeting=meeting,
            session=meeting.session,
            request=meeting.request,
            other=meeting.request.other(registration.id),
            starts_at=meeting.session.slot_start(meeting.slot),
            ends_at=meeting.session.slot_end(meeting.slot),
            table_name=meeting.session.table_name(meeting.table),
        )
        for meeting in meetings
    ]
    entries.sort(key=lambda entry: (entry.starts_at, entry.session.id, entry.meeting.table))
    return entries


PRODID = "-//Huiwu//Matchmaking//EN"


def agenda_calendar(
    event: Event,
    entries: Sequence[AgendaEntry],
    *,
    locale: str,
    host: str,
    name: str,
    now: datetime | None = None,
) -> Calendar:
    """A participant's meetings as an iCalendar (RFC 5545) document, one VEVENT each.

    ``UID`` is ``meeting-<request id>@<host>``: the same whenever the
    scheduler runs again, so a re-import updates the entry instead of adding
    a second one; ``SEQUENCE`` grows with the session's last scheduling run.
    Times are written in the event's zone with its VTIMEZONE. ``SUMMARY``
    names the other side, ``LOCATION`` is the table and the venue,
    ``DESCRIPTION`` the other side's organisation and position (no contact
    details).
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", event.timezone)
    zone = event.zone
    starts = [event.starts_at, *(entry.starts_at for entry in entries)]
    ends = [event.ends_at, *(entry.ends_at for entry in entries)]
    calendar.add_component(
        Timezone.from_tzinfo(
            zone,
            tzid=event.timezone,
            first_date=min(starts).astimezone(zone).date() - timedelta(days=1),
            last_date=max(ends).astimezone(zone).date() + timedelta(days=1),
        )
    )
    stamp = now or datetime.now(UTC)
    used: set[str] = set()
    venue = event.venue_for(locale)
    for entry in entries:
        uid = f"meeting-{entry.request.id}@{host}"
        if uid in used:  # the same pair met in a second session: keep both entries
            uid = f"meeting-{entry.request.id}-{entry.session.id}@{host}"
        used.add(uid)
        vevent = CalendarEvent()
        vevent.add("uid", uid)
        scheduled = entry.session.scheduled_at
        vevent.add("sequence", int(scheduled.timestamp()) // 60 if scheduled else 0)
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", entry.starts_at.astimezone(zone))
        vevent.add("dtend", entry.ends_at.astimezone(zone))
        vevent.add("summary", _("Meeting with %(name)s", name=entry.other.name))
        table = _("Table %(name)s", name=entry.table_name)
        vevent.add("location", ", ".join(part for part in (table, venue) if part))
        vevent.add(
            "description",
            "\n".join(
                part
                for part in (
                    entry.session.name_for(locale),
                    entry.other.organisation,
                    entry.other.position,
                )
                if part
            ),
        )
        calendar.add_component(vevent)
    return calendar


def queue_agenda_email(registration: Registration, event: Event):
    """Queue the "your meetings" email to a participant; None when they have no address.

    Sent even with no meeting scheduled (the message says so). The caller
    commits; the message goes out after the request like every other.
    """
    return _email(
        "meeting_agenda",
        registration,
        event=event,
        entries=agenda_of(registration),
    )
