"""Organiser-side rules for changing registrations.

The functions take model objects and the acting user, check the rule, change
the row, flush, and write one audit entry. When a rule refuses a row they
raise a :class:`CannotChange` subclass whose ``reason`` is a short lazy
string for the organiser ("already cancelled"), and leave the row untouched,
so a bulk action can carry on with the others. The caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from app import db
from events import audit
from events.models import Category, Event, User
from registration import links, mail
from registration.figures import HOLDING_STATUSES
from registration.models import Registration
from registration.models import RegistrationStatus as Status
from registration.signup import holders, lock_quota_rows, promote_waitlisted

# --- changing registrations -------------------------------------------------------


class CannotChange(Exception):
    """A rule refused to change one registration; ``reason`` says why, briefly."""

    def __init__(self, reason):
        super().__init__(reason)  # lazy: translated when shown, in the reader's language
        self.reason = reason


_ALREADY = {
    Status.PENDING: _l("still pending"),
    Status.CONFIRMED: _l("already confirmed"),
    Status.WAITLISTED: _l("on the waiting list"),
    Status.CANCELLED: _l("already cancelled"),
    Status.REJECTED: _l("already rejected"),
}


class TransitionNotAllowed(CannotChange):
    """The registration's current status does not allow this change."""

    def __init__(self, status: Status):
        super().__init__(_ALREADY[status])
        self.status = status


class QuotaFull(CannotChange):
    """Taking the place would exceed the category's quota or the event's capacity."""


class WrongCategory(CannotChange):
    """The target category belongs to another event, or is the registration's own."""


class NoEmailAddress(CannotChange):
    """The person gave a mobile only: there is nowhere to send the message."""

    def __init__(self):
        super().__init__(_l("no email address"))


APPROVABLE = frozenset({Status.PENDING, Status.WAITLISTED})
REJECTABLE = frozenset({Status.PENDING, Status.WAITLISTED})
CANCELLABLE = frozenset({Status.PENDING, Status.CONFIRMED, Status.WAITLISTED})


def _require_status(registration: Registration, allowed: frozenset[Status]) -> None:
    if registration.status not in allowed:
        raise TransitionNotAllowed(registration.status)


def ensure_place(event: Event, category: Category) -> None:
    """Raise :class:`QuotaFull` unless one more person may hold a place in ``category``.

    Holders are confirmed and pending registrations (a pending one keeps its
    place while it waits for approval), counted with the quota rows locked the
    same way as a public sign-up (:func:`registration.signup.lock_quota_rows`).
    """
    lock_quota_rows(event, category)
    in_category, in_event = holders(event, category)
    if category.quota is not None and in_category >= category.quota:
        raise QuotaFull(_l("category full"))
    if event.capacity is not None and in_event >= event.capacity:
        raise QuotaFull(_l("event full"))


def _set_status(
    registration: Registration, status: Status, action: str, actor, *, actor_label="", **details
):
    before = registration.status
    registration.status = status
    db.session.flush()
    audit.record(
        action,
        "registration",
        registration.id,
        event_id=registration.event_id,
        actor=actor,
        actor_label=actor_label,
        from_status=before.value,
        to_status=status.value,
        **details,
    )


def approve(registration: Registration, actor: User) -> None:
    """Pending or waitlisted → confirmed.

    A waitlisted person takes a new place and must fit the quotas; a pending
    one already holds theirs.
    """
    _require_status(registration, APPROVABLE)
    if registration.status not in HOLDING_STATUSES:
        ensure_place(registration.event, registration.category)
    _set_status(registration, Status.CONFIRMED, "registration.approved", actor)
    notify(registration)


def reject(registration: Registration, actor: User, message: str = "") -> None:
    """Pending or waitlisted → rejected; the organiser's message stays in the audit trail."""
    _require_status(registration, REJECTABLE)
    held = registration.status in HOLDING_STATUSES
    if held:
        _lock_before_freeing(registration)
    details = {"message": message} if message else {}
    _set_status(registration, Status.REJECTED, "registration.rejected", actor, **details)
    notify(registration, note=message)
    if held:
        fill_from_waiting_list(registration.event, registration.category)


def cancel(registration: Registration, actor: User | None, *, actor_label: str = "") -> None:
    """Pending, confirmed or waitlisted → cancelled; a freed place goes to the waiting list.

    ``actor`` is None when the person cancels through their manage link.
    """
    _require_status(registration, CANCELLABLE)
    held = registration.status in HOLDING_STATUSES
    if held:
        _lock_before_freeing(registration)
    _set_status(
        registration, Status.CANCELLED, "registration.cancelled", actor, actor_label=actor_label
    )
    if held:
        fill_from_waiting_list(registration.event, registration.category)


def _lock_before_freeing(registration: Registration) -> None:
    """Take the quota locks before the registration's row, as every other change does.

    Freeing a place promotes someone under these locks anyway; taking them
    first keeps the order (event, category, then rows), so a cancellation
    and a concurrent move of the same person cannot wait on each other.
    """
    lock_quota_rows(registration.event, registration.category)


def fill_from_waiting_list(event: Event, category: Category) -> list[Registration]:
    """Promote the oldest waitlisted people into free places and write to them."""
    promoted = promote_waitlisted(event, category)
    for registration in promoted:
        notify(registration, kind="promotion")
    return promoted


def notify(registration: Registration, *, note: str = "", kind: str = "confirmation") -> None:
    """Tell the person their registration's new status, if they gave an email address.

    ``confirmation`` words itself after the status; ``promotion`` tells a
    waitlisted person that a place came free for them.
    """
    if registration.email:
        mail.queue(
            kind,
            registration.email,
            locale=registration.locale,
            event=registration.event,
            registration=registration,
            note=note,
            resend_url=links.resend_url(registration.event),
        )


def welcome(registration: Registration, token: str | None = None, *, flush: bool = True) -> str:
    """A new registration's manage link, and its confirmation when there is an address.

    ``token``: one issued before the row was inserted. The message is
    written when it is sent, from the rows as they are then: not while the
    caller holds the quota locks (a sign-up holds them until it commits, and
    every other sign-up of the event waits), nor thousands at once in a
    roster import. ``flush=False``: the message's insert waits for the
    caller's next flush (or commit), one round of statements for all.
    """
    token = (
        token
        or getattr(registration, "new_manage_token", None)  # issued as it was inserted
        or links.issue_manage_token(registration)
    )
    if registration.email:
        mail.queue(
            "confirmation",
            registration.email,
            locale=registration.locale,
            event=registration.event,
            registration=registration,
            manage_url=links.manage_url(token),
            flush=flush,
            render_later=True,
        )
    return token


def move_category(
    registration: Registration, category: Category, actor: User | None, *, actor_label: str = ""
) -> None:
    """Into another category of the same event; a place holder must fit its quota."""
    if category.event_id != registration.event_id:
        raise WrongCategory(_l("category of another event"))
    if category.id == registration.category_id:
        raise WrongCategory(_l("already in this category"))
    before = registration.category
    if registration.status in HOLDING_STATUSES:
        # Both quotas change. Their locks come before the row's, as in every
        # other change (a cancellation of the same person waits on them, not
        # the other way round), and in id order, so two opposite moves do not
        # wait on each other crosswise.
        for locked in sorted((before, category), key=lambda c: c.id):
            lock_quota_rows(registration.event, locked)
        # Within one event the overall count does not change: only the quota matters.
        if category.quota is not None and holders(registration.event, category)[0] >= (
            category.quota
        ):
            raise QuotaFull(_l("category full"))
    registration.category = category
    db.session.flush()
    audit.record(
        "registration.category_changed",
        "registration",
        registration.id,
        event_id=registration.event_id,
        actor=actor,
        actor_label=actor_label,
        from_category_id=before.id,
        from_category=before.name_zh,
        to_category_id=category.id,
        to_category=category.name_zh,
    )
    if registration.status in HOLDING_STATUSES:
        fill_from_waiting_list(registration.event, before)


@dataclass
class BulkOutcome:
    """What a bulk action did: the rows changed and, for the others, who and why not."""

    changed: list[Registration] = field(default_factory=list)
    refused: list[tuple[str, object]] = field(default_factory=list)


def apply_bulk(
    event: Event,
    action: str,
    ids: Iterable[int],
    actor: User,
    *,
    category: Category | None = None,
    message: str = "",
) -> BulkOutcome:
    """Apply one action to many registrations of ``event``; refuse the rest one by one.

    Ids of other events are reported as not found and never loaded. Rows are
    taken oldest first, so when places run out the earliest sign-ups get them.
    """
    wanted = list(dict.fromkeys(ids))
    rows = db.session.execute(
        db.select(Registration)
        .where(Registration.event_id == event.id, Registration.id.in_(wanted))
        .order_by(Registration.created_at, Registration.id)
    ).scalars()
    outcome = BulkOutcome()
    found = set()
    for registration in rows:
        found.add(registration.id)
        try:
            _change(action, registration, actor, category=category, message=message)
        except CannotChange as refusal:
            outcome.refused.append((registration.name, refusal.reason))
        else:
            outcome.changed.append(registration)
    missing = [(f"#{number}", _l("not found")) for number in wanted if number not in found]
    outcome.refused[:0] = missing
    return outcome


def _change(action: str, registration: Registration, actor: User, *, category, message):
    if action == "approve":
        approve(registration, actor)
    elif action == "reject":
        reject(registration, actor, message)
    elif action == "cancel":
        cancel(registration, actor)
    elif action == "move" and category is not None:
        move_category(registration, category, actor)
    elif action == "resend":
        resend_confirmation(registration, actor)
    else:
        raise ValueError(f"unknown bulk action {action!r}")


def resend_confirmation(registration: Registration, actor: User) -> None:
    """Queue the message for the registration's current status again, in their language."""
    if not registration.email:
        raise NoEmailAddress()
    mail.queue(
        "confirmation",
        registration.email,
        locale=registration.locale,
        event=registration.event,
        registration=registration,
    )
    audit.record(
        "registration.confirmation_resent",
        "registration",
        registration.id,
        event_id=registration.event_id,
        actor=actor,
    )


def resend_confirmation_if_possible(registration: Registration, actor: User) -> None:
    """After a change the person should hear of (a new badge code), when they have an email."""
    try:
        resend_confirmation(registration, actor)
    except NoEmailAddress:
        pass


def record_self_service(
    registration: Registration, action: str, *, actor_label: str = "registrant"
) -> None:
    """Audit a change the person (or their delegation's leader) made through their link."""
    db.session.flush()
    audit.record(
        action,
        "registration",
        registration.id,
        event_id=registration.event_id,
        actor_label=actor_label,
    )
