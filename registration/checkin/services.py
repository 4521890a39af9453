"""What a scan means, decided once and for all by the database.

:func:`record_scan` is the single way a badge gets checked in. It commits
itself: a check-in that loses a race (the same badge at two gates in the same
instant, or the same nonce retried while the first request still runs) fails
on a unique index at INSERT, and the scan is then decided again from what the
winner wrote. That retry needs a fresh transaction, which is why this service
commits, unlike the others.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, bindparam, or_, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import db
from events import audit
from events.dbtypes import utcnow
from events.errors import RuleError
from events.models import Event, EventMember, EventRole, User
from events.services import role_in_event
from registration.checkin.models import (
    CheckIn,
    CheckInConflict,
    CheckInState,
    Checkpoint,
    ScanAttempt,
    ScannerDevice,
    checkpoint_category,
    checkpoint_staff,
)
from registration.models import Registration, RegistrationStatus, RevokedTicket
from registration.ticket_codes import looks_like_secret

#: How far ahead of the server's clock a scanner's clock may run.
CLOCK_SKEW = timedelta(minutes=2)
#: How old a queued offline scan may be when it finally reaches the server.
MAX_QUEUED_AGE = timedelta(hours=48)
#: Staff may undo their own scans for this long; organisers at any time.
UNDO_WINDOW = timedelta(minutes=10)
#: A nonce is what the scanner chose to name one attempt: a UUID fits easily.
NONCE_MIN, NONCE_MAX = 8, 64
MAX_SECRET_INPUT = 200
RACE_RETRIES = 3


class Result:
    OK = "ok"
    ALREADY = "already_checked_in"
    NOT_ALLOWED = "not_allowed"
    OUTSIDE_WINDOW = "outside_window"
    CANCELLED = "cancelled"
    PENDING = "pending"
    WAITLISTED = "waitlisted"
    REVOKED = "revoked"
    UNKNOWN = "unknown"
    WRONG_EVENT = "wrong_event"


ALL_RESULTS = (
    Result.OK,
    Result.ALREADY,
    Result.NOT_ALLOWED,
    Result.OUTSIDE_WINDOW,
    Result.CANCELLED,
    Result.PENDING,
    Result.WAITLISTED,
    Result.REVOKED,
    Result.UNKNOWN,
    Result.WRONG_EVENT,
)

_STATUS_RESULTS = {
    RegistrationStatus.CANCELLED: Result.CANCELLED,
    RegistrationStatus.REJECTED: Result.CANCELLED,
    RegistrationStatus.PENDING: Result.PENDING,
    RegistrationStatus.WAITLISTED: Result.WAITLISTED,
}


class ScanRefused(RuleError):
    """A request that cannot be a scan at all: answered 4xx, recorded nowhere."""

    def __init__(self, code: str, message, status: int = 400):
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class Scanner:
    """Who scans: a signed-in person (``user``) or a dedicated device (``device``)."""

    user: User | None = None
    device: ScannerDevice | None = None

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None

    @property
    def device_id(self) -> int | None:
        return self.device.id if self.device is not None else None

    def role_in(self, event: Event) -> EventRole | None:
        if self.device is not None:
            return EventRole.STAFF if self.device.event_id == event.id else None
        return role_in_event(self.user, event) if self.user is not None else None


@dataclass
class ScanOutcome:
    result: str
    checkpoint: Checkpoint
    scanned_at: datetime
    registration: Registration | None = None
    #: The check-in made (``ok``) or the one found (``already_checked_in``).
    check_in: CheckIn | None = None
    replayed: bool = False
    reentry: bool = False
    #: Another scanner admitted the same person offline; see CheckInConflict.
    conflict: bool = False
    #: What ``describe`` made of the outcome before the commit (see record_scan).
    description: object = None


def secret_digest(secret: str) -> str:
    """The SHA-256 of a normalised secret, as the offline roster snapshot keys it."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def normalise_secret(raw: str) -> str:
    """What a scanner typed or read, as a secret: padding gone, uppercase."""
    return (raw or "").strip().upper()


# --- who may scan where --------------------------------------------------------------


def checkpoint_for(scanner: Scanner, checkpoint_id) -> Checkpoint:
    """The checkpoint if this scanner may use it; otherwise a precise refusal."""
    if not isinstance(checkpoint_id, int) or isinstance(checkpoint_id, bool):
        raise ScanRefused("bad_checkpoint", "checkpoint must be a checkpoint id (an integer)")
    if not in_id_range(checkpoint_id):
        raise ScanRefused("unknown_checkpoint", "no such checkpoint", 404)
    checkpoint, role = _checkpoint_and_role(scanner, checkpoint_id)
    # Another event's checkpoint looks exactly like a missing one.
    if checkpoint is None or role is None:
        raise ScanRefused("unknown_checkpoint", "no such checkpoint", 404)
    if not checkpoint.active:
        raise ScanRefused("checkpoint_closed", "this checkpoint is retired", 409)
    if not _may_use(scanner, checkpoint, role):
        raise ScanRefused("not_assigned", "you are not assigned to this checkpoint", 403)
    return checkpoint


#: The checkpoint and the user's role in its event, in one round trip (every scan needs both).
_CHECKPOINT_AND_ROLE = (
    db.select(Checkpoint, EventMember.role)
    .outerjoin(
        EventMember,
        and_(
            EventMember.event_id == Checkpoint.event_id,
            EventMember.user_id == bindparam("user_id"),
        ),
    )
    .options(joinedload(Checkpoint.agenda_item))
    .where(Checkpoint.id == bindparam("checkpoint_id"))
)


def _checkpoint_and_role(scanner: Scanner, checkpoint_id: int):
    if scanner.device is not None:
        checkpoint = db.session.get(Checkpoint, checkpoint_id)
        if checkpoint is None or checkpoint.event_id != scanner.device.event_id:
            return None, None
        return checkpoint, EventRole.STAFF
    row = db.session.execute(
        _CHECKPOINT_AND_ROLE, {"user_id": scanner.user.id, "checkpoint_id": checkpoint_id}
    ).first()
    if row is None:
        return None, None
    checkpoint, role = row
    if scanner.user.is_admin:
        role = EventRole.ORGANISER
    return checkpoint, role


def may_use(scanner: Scanner, checkpoint: Checkpoint) -> bool:
    """Organisers scan anywhere; staff at their checkpoints (all, if none assigned)."""
    return _may_use(scanner, checkpoint, scanner.role_in(checkpoint.event))


def _may_use(scanner: Scanner, checkpoint: Checkpoint, role: EventRole | None) -> bool:
    if scanner.device is not None:
        bound = scanner.device.checkpoint_id
        return bound is None or bound == checkpoint.id
    if role is EventRole.ORGANISER:
        return True
    if role is None:
        return False
    assigned = assignments(scanner.user, checkpoint.event_id)
    return not assigned or checkpoint.id in assigned


def assignments(user: User, event_id: int) -> set[int]:
    return set(
        db.session.execute(
            db.select(Checkpoint.id)
            .join(checkpoint_staff, checkpoint_staff.c.checkpoint_id == Checkpoint.id)
            .where(
                checkpoint_staff.c.user_id == user.id,
                Checkpoint.event_id == event_id,
                Checkpoint.active.is_(True),
            )
        ).scalars()
    )


# --- input checks ------------------------------------------------------------------------


#: Scanners' nonces: a UUID fits. Letters, digits, ``-`` and ``_`` only, so the
#: per-member nonces of a delegation (``<nonce>/<id>``) can never collide with one.
NONCE_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{{NONCE_MIN},{NONCE_MAX}}}")
#: Ids are 32-bit integers in PostgreSQL; anything outside names nothing.
MAX_ID = 2**31 - 1


def checked_nonce(nonce) -> str:
    if not isinstance(nonce, str) or not nonce.strip():
        raise ScanRefused("missing_nonce", "nonce is required (a UUID chosen by the scanner)")
    nonce = nonce.strip()
    if not NONCE_PATTERN.fullmatch(nonce):
        raise ScanRefused(
            "bad_nonce", f"nonce must be {NONCE_MIN}–{NONCE_MAX} letters, digits, - or _"
        )
    return nonce


def in_id_range(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def checked_id(value, name: str) -> int | None:
    """An id from a request body: an integer, or a precise refusal; None if out of range."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ScanRefused(f"bad_{name}", f"{name} must be an id (an integer)")
    return value if in_id_range(value) else None


def checked_time(raw, now: datetime) -> datetime:
    """The scan's time: now, or a queued scan's own time within sane bounds."""
    if raw is None:
        return now
    if not isinstance(raw, str):
        raise ScanRefused("bad_scanned_at", "scanned_at must be an ISO 8601 string")
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ScanRefused("bad_scanned_at", "scanned_at is not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise ScanRefused("bad_scanned_at", "scanned_at needs a UTC offset (…Z or +08:00)")
    if value > now + CLOCK_SKEW:
        raise ScanRefused("scanned_at_in_future", "scanned_at is in the future", 422)
    if value < now - MAX_QUEUED_AGE:
        raise ScanRefused("scanned_at_too_old", "scanned_at is more than 48 hours ago", 422)
    return value.astimezone(UTC)


# --- the scan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanInput:
    nonce: str
    secret: str | None = None
    registration_id: int | None = None
    scanned_at: datetime | None = None
    offline: bool = False

    @property
    def digest(self) -> str:
        key = self.secret if self.secret is not None else f"registration:{self.registration_id}"
        return secret_digest(key)[:32]


def record_scan(
    scanner: Scanner, checkpoint: Checkpoint, scan: ScanInput, describe=None
) -> ScanOutcome:
    """Decide and record one scan, exactly once; commits (see the module docstring).

    ``describe(outcome)``, when given, runs before the commit while every
    object is still loaded (a commit expires them, and reloading costs a
    round trip each); its result lands in ``outcome.description``.
    """
    checkpoint_id = checkpoint.id
    for attempt in range(RACE_RETRIES):
        try:
            # A nonce is new on the first try nearly always; its unique index
            # catches the rare retry, and only then is it looked up.
            outcome = _decide_and_record(scanner, checkpoint, scan, look_up_nonce=attempt > 0)
            if describe is not None:
                outcome.description = describe(outcome)
            db.session.commit()
            return outcome
        except IntegrityError:
            # Somebody else's insert won; the next round sees what they wrote.
            db.session.rollback()
            checkpoint = db.session.get(Checkpoint, checkpoint_id)
    raise ScanRefused("busy", "the scan could not be recorded; please retry", 503)


def _decide_and_record(
    scanner: Scanner, checkpoint: Checkpoint, scan: ScanInput, *, look_up_nonce: bool
) -> ScanOutcome:
    if look_up_nonce:
        earlier = attempt_for_nonce(scan.nonce)
        if earlier is not None:
            return replay(earlier, scanner, checkpoint, scan)
    when = scan.scanned_at or utcnow()
    registration, revoked, allowed = _find(scan, checkpoint)
    outcome = ScanOutcome(Result.UNKNOWN, checkpoint, when, registration)
    refusal = _refusal(checkpoint, registration, revoked, allowed, when)
    if refusal is not None:
        outcome.result = refusal
    else:
        _admit(scanner, checkpoint, registration, scan, outcome)
    _log(scanner, checkpoint, scan, outcome)
    return outcome


#: Whether the checkpoint admits the registration's category: no categories listed
#: means all. Computed with the lookup, so a scan needs no extra round trip for it.
_CATEGORY_ADMITTED = or_(
    ~db.select(checkpoint_category.c.category_id)
    .where(checkpoint_category.c.checkpoint_id == bindparam("checkpoint_id"))
    .exists(),
    db.select(checkpoint_category.c.category_id)
    .where(
        checkpoint_category.c.checkpoint_id == bindparam("checkpoint_id"),
        checkpoint_category.c.category_id == Registration.category_id,
    )
    .exists(),
)

_BY_SECRET = (
    db.select(Registration, _CATEGORY_ADMITTED.label("admitted"))
    .where(Registration.ticket_secret == bindparam("secret"))
    .options(joinedload(Registration.category), joinedload(Registration.delegation))
)


def _find(scan: ScanInput, checkpoint: Checkpoint) -> tuple[Registration | None, bool, bool]:
    """(registration, revoked, category admitted here) for what was scanned."""
    if scan.registration_id is not None:
        registration = db.session.get(Registration, scan.registration_id)
        if registration is None or registration.event_id != checkpoint.event_id:
            # An id is no badge: guessing ids must not reveal other events.
            return None, False, False
        return registration, False, _admits(checkpoint, registration)
    secret = scan.secret or ""
    if not looks_like_secret(secret):
        return None, False, False
    row = db.session.execute(_BY_SECRET, {"secret": secret, "checkpoint_id": checkpoint.id}).first()
    if row is not None:
        return row[0], False, bool(row[1])
    revoked = db.session.get(RevokedTicket, secret)
    if revoked is None:
        return None, False, False
    return revoked.registration, True, _admits(checkpoint, revoked.registration)


def scanned_leader(scan: ScanInput, checkpoint: Checkpoint) -> Registration:
    """The delegation leader whose current badge (or id) was scanned; else a refusal."""
    registration, revoked, _admitted = _find(scan, checkpoint)
    if revoked:
        raise ScanRefused("revoked_badge", "this badge was replaced: scan the new one", 409)
    if registration is None or registration.event_id != checkpoint.event_id:
        raise ScanRefused("not_a_leader", "this badge is not a delegation leader's", 409)
    return registration


def _admits(checkpoint: Checkpoint, registration: Registration | None) -> bool:
    return registration is not None and checkpoint.admits_category(registration.category_id)


def _refusal(
    checkpoint: Checkpoint,
    registration: Registration | None,
    revoked: bool,
    admitted_category: bool,
    when: datetime,
) -> str | None:
    """The result code when the person may not pass; None when they may."""
    if registration is None:
        return Result.UNKNOWN
    if registration.event_id != checkpoint.event_id:
        return Result.WRONG_EVENT
    if revoked:
        return Result.REVOKED
    status_result = _STATUS_RESULTS.get(registration.status)
    if status_result is not None:
        return status_result
    if not checkpoint.admits:
        return None  # leaving is always recorded
    if not admitted_category:
        return Result.NOT_ALLOWED
    opens, closes = checkpoint.window()
    if (opens is not None and when < opens) or (closes is not None and when > closes):
        return Result.OUTSIDE_WINDOW
    return None


def admitted_at(registration_id: int, checkpoint_id: int) -> CheckIn | None:
    """The person's current admission at the checkpoint, if any."""
    return db.session.execute(
        db.select(CheckIn).where(
            CheckIn.registration_id == registration_id,
            CheckIn.checkpoint_id == checkpoint_id,
            CheckIn.state == CheckInState.IN,
        )
    ).scalar_one_or_none()


def _first_pass(registration_id: int, checkpoint_id: int) -> CheckIn | None:
    """The earliest admission still standing (an exit does not undo having come in)."""
    return db.session.execute(
        db.select(CheckIn)
        .where(
            CheckIn.registration_id == registration_id,
            CheckIn.checkpoint_id == checkpoint_id,
            CheckIn.state.in_((CheckInState.IN, CheckInState.REENTRY)),
        )
        .order_by(CheckIn.scanned_at)
        .limit(1)
    ).scalar_one_or_none()


def _new_check_in(scanner, checkpoint, registration, scan, when, state) -> CheckIn:
    check_in = CheckIn(
        event_id=checkpoint.event_id,
        registration_id=registration.id,
        checkpoint_id=checkpoint.id,
        state=state,
        scanned_at=when,
        staff_id=scanner.user_id,
        device_id=scanner.device_id,
        offline=scan.offline,
    )
    db.session.add(check_in)
    return check_in


def _admit(scanner, checkpoint, registration, scan, outcome: ScanOutcome) -> None:
    when = outcome.scanned_at
    if not checkpoint.admits:
        outcome.result = Result.OK
        outcome.check_in = _new_check_in(
            scanner, checkpoint, registration, scan, when, CheckInState.EXIT
        )
        db.session.flush()
        return
    admission = _insert_admission(scanner, checkpoint, registration, scan, when)
    if admission is not None:
        outcome.result, outcome.check_in = Result.OK, admission
        return
    current = admitted_at(registration.id, checkpoint.id)
    if current is None:  # annulled in between: decide again
        raise IntegrityError("admission vanished", None, Exception("retry"))
    if scan.offline and when < current.scanned_at:
        _earlier_offline_wins(scanner, checkpoint, registration, scan, outcome, current)
        return
    if checkpoint.allows_reentry:
        outcome.result, outcome.reentry = Result.OK, True
        outcome.check_in = _new_check_in(
            scanner, checkpoint, registration, scan, when, CheckInState.REENTRY
        )
        db.session.flush()
        return
    outcome.result, outcome.check_in = Result.ALREADY, current
    if scan.offline:
        # This scanner let the person in on its own: keep that visible as a conflict.
        lost = _new_check_in(scanner, checkpoint, registration, scan, when, CheckInState.SUPERSEDED)
        db.session.flush()
        _conflict(checkpoint, kept=current, superseded=lost)
        outcome.conflict = True


def _insert_admission(scanner, checkpoint, registration, scan, when) -> CheckIn | None:
    """Admit the person unless already admitted here: one INSERT … ON CONFLICT DO NOTHING.

    The partial unique index decides; None means somebody was first.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(CheckIn)
        .values(
            event_id=checkpoint.event_id,
            registration_id=registration.id,
            checkpoint_id=checkpoint.id,
            state=CheckInState.IN,
            scanned_at=when,
            recorded_at=utcnow(),
            staff_id=scanner.user_id,
            device_id=scanner.device_id,
            offline=scan.offline,
        )
        .on_conflict_do_nothing(
            index_elements=["registration_id", "checkpoint_id"], index_where=text("state = 'in'")
        )
        .returning(CheckIn)
    )
    return db.session.scalars(statement).one_or_none()


def _earlier_offline_wins(scanner, checkpoint, registration, scan, outcome, current) -> None:
    current.state = CheckInState.SUPERSEDED
    db.session.flush()  # free the admission slot before taking it
    kept = _new_check_in(
        scanner, checkpoint, registration, scan, outcome.scanned_at, CheckInState.IN
    )
    db.session.flush()
    _conflict(checkpoint, kept=kept, superseded=current)
    outcome.result, outcome.check_in, outcome.conflict = Result.OK, kept, True


def _conflict(checkpoint: Checkpoint, *, kept: CheckIn, superseded: CheckIn) -> None:
    db.session.add(
        CheckInConflict(event_id=checkpoint.event_id, kept_id=kept.id, superseded_id=superseded.id)
    )


def _log(scanner: Scanner, checkpoint: Checkpoint, scan: ScanInput, outcome: ScanOutcome) -> None:
    registration = outcome.registration
    same_event = registration is not None and registration.event_id == checkpoint.event_id
    db.session.add(
        ScanAttempt(
            nonce=scan.nonce,
            event_id=checkpoint.event_id,
            checkpoint_id=checkpoint.id,
            # Another event's person is not written into this event's log.
            registration_id=registration.id if same_event else None,
            check_in_id=outcome.check_in.id if outcome.check_in is not None else None,
            staff_id=scanner.user_id,
            device_id=scanner.device_id,
            input_digest=scan.digest,
            result=outcome.result,
            offline=scan.offline,
            scanned_at=outcome.scanned_at,
        )
    )
    db.session.flush()  # the nonce's unique index decides a retried request here


def attempt_for_nonce(nonce: str) -> ScanAttempt | None:
    return db.session.execute(
        db.select(ScanAttempt).where(ScanAttempt.nonce == nonce)
    ).scalar_one_or_none()


def replay(
    attempt: ScanAttempt, scanner: Scanner, checkpoint: Checkpoint, scan: ScanInput
) -> ScanOutcome:
    """The original answer to a retried request; anything else under that nonce is refused."""
    same = (
        attempt.checkpoint_id == checkpoint.id
        and attempt.staff_id == scanner.user_id
        and attempt.device_id == scanner.device_id
        and attempt.input_digest == scan.digest
    )
    if not same:
        raise ScanRefused("nonce_reused", "this nonce was already used for another scan", 409)
    registration = (
        db.session.get(Registration, attempt.registration_id) if attempt.registration_id else None
    )
    check_in = db.session.get(CheckIn, attempt.check_in_id) if attempt.check_in_id else None
    outcome = ScanOutcome(
        attempt.result, checkpoint, attempt.scanned_at, registration, check_in, replayed=True
    )
    if registration is None and attempt.result == Result.WRONG_EVENT:
        outcome.registration = _find(scan, checkpoint)[0]
    outcome.reentry = check_in is not None and check_in.state is CheckInState.REENTRY
    return outcome


def first_admission(outcome: ScanOutcome) -> CheckIn | None:
    """For ``already_checked_in`` and re-entries: when and where the person first came in."""
    if outcome.registration is None:
        return None
    return _first_pass(outcome.registration.id, outcome.checkpoint.id)


# --- undo --------------------------------------------------------------------------------


class UndoRefused(RuleError):
    def __init__(self, code: str, message, status: int = 409):
        super().__init__(message)
        self.code = code
        self.status = status


UNDOABLE = (CheckInState.IN, CheckInState.REENTRY, CheckInState.EXIT)


def annul(scanner: Scanner, check_in: CheckIn, now: datetime | None = None) -> None:
    """Undo a check-in: by whoever scanned it within 10 minutes, by organisers any time."""
    now = now or utcnow()
    role = scanner.role_in(check_in.checkpoint.event)
    if role is None:
        raise UndoRefused("unknown_check_in", "no such check-in", 404)
    if check_in.state not in UNDOABLE:
        raise UndoRefused("not_undoable", "this check-in is already undone or superseded")
    if role is not EventRole.ORGANISER:
        own = (scanner.user_id is not None and check_in.staff_id == scanner.user_id) or (
            scanner.device_id is not None and check_in.device_id == scanner.device_id
        )
        if not own:
            raise UndoRefused("not_yours", "only whoever scanned it or an organiser may undo", 403)
        if now - check_in.recorded_at > UNDO_WINDOW:
            raise UndoRefused("undo_expired", "more than 10 minutes ago: ask an organiser", 403)
    check_in.state = CheckInState.ANNULLED
    check_in.annulled_at = now
    check_in.annulled_by_id = scanner.user_id
    audit.record(
        "checkin.annulled",
        "registration",
        check_in.registration_id,
        event_id=check_in.event_id,
        actor=scanner.user,
        actor_label=scanner.device.name if scanner.device is not None else "",
        checkpoint=check_in.checkpoint.name_zh,
        scanned_at=check_in.scanned_at.isoformat(),
    )


# --- whole delegations ----------------------------------------------------------------


def is_leader(registration: Registration) -> bool:
    """Is this the delegation's leader? Matched by mobile, else by name."""
    delegation = registration.delegation
    if delegation is None:
        return False
    if delegation.leader_mobile and registration.mobile:
        return delegation.leader_mobile == registration.mobile
    return bool(delegation.leader_name) and delegation.leader_name == registration.name


def delegation_members(registration: Registration) -> list[Registration]:
    return list(
        db.session.execute(
            db.select(Registration)
            .where(Registration.delegation_id == registration.delegation_id)
            .order_by(Registration.id)
        ).scalars()
    )


def admit_delegation(
    scanner: Scanner, checkpoint: Checkpoint, leader: Registration, scan: ScanInput
) -> dict[str, list[ScanOutcome]]:
    """Scan every member of the leader's delegation at once, each exactly once.

    Each member is one scan with the nonce ``<nonce>/<registration id>`` and
    the leader's scan time, so the whole request can be retried safely.
    Returns outcomes by result code.
    """
    if leader.event_id != checkpoint.event_id or not is_leader(leader):
        raise ScanRefused("not_a_leader", "this badge is not a delegation leader's", 409)
    by_result: dict[str, list[ScanOutcome]] = {}
    for member in delegation_members(leader):
        member_scan = ScanInput(
            nonce=f"{scan.nonce}/{member.id}",
            registration_id=member.id,
            scanned_at=scan.scanned_at,
            offline=scan.offline,
        )
        outcome = record_scan(scanner, checkpoint, member_scan)
        by_result.setdefault(outcome.result, []).append(outcome)
    return by_result
