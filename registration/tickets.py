"""Tickets: reissuing a badge, and what a scanned secret stands for.

The format of a secret and its QR code are in :mod:`registration.ticket_codes`.
"""

from __future__ import annotations

from app import db
from events import audit
from events.errors import RuleError
from events.models import User
from registration.models import Registration, RevokedTicket
from registration.ticket_codes import looks_like_secret, new_secret


class TicketError(RuleError):
    """A rule refused a change to a ticket."""


def reissue(registration: Registration, actor: User | None, reason: str = "") -> str:
    """A new secret for a lost badge, a changed category or a corrected name.

    The old secret is recorded as revoked, so a scanner can tell a replaced
    badge from a forgery. Returns the new secret.
    """
    old = registration.ticket_secret
    db.session.add(
        RevokedTicket(secret=old, registration_id=registration.id, reason=reason.strip()[:200])
    )
    registration.ticket_secret = new_secret()
    db.session.flush()
    audit.record(
        "registration.ticket_reissued",
        "registration",
        registration.id,
        event_id=registration.event_id,
        actor=actor,
        reason=reason.strip()[:200],
    )
    return registration.ticket_secret


def lookup(secret: str) -> tuple[Registration | None, bool]:
    """(registration, revoked) for a scanned secret; (None, False) when unknown."""
    secret = (secret or "").strip().upper()
    if not looks_like_secret(secret):
        return None, False
    current = db.session.execute(
        db.select(Registration).where(Registration.ticket_secret == secret)
    ).scalar_one_or_none()
    if current is not None:
        return current, False
    revoked = db.session.get(RevokedTicket, secret)
    return (revoked.registration, True) if revoked is not None else (None, False)


def revoked_of(registration: Registration) -> list[RevokedTicket]:
    """The registration's replaced codes, newest first."""
    return list(
        db.session.execute(
            db.select(RevokedTicket)
            .where(RevokedTicket.registration_id == registration.id)
            .order_by(RevokedTicket.revoked_at.desc())
        ).scalars()
    )
