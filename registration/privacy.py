"""Removing personal data after an event (PIPL), keeping the numbers.

Anonymising a registration blanks everything that identifies the person —
name, English name, organisation, position, mobile, email, the manage
link, their answers and the messages queued for them — and keeps its
event, category, delegation, status and dates, so counts and charts stay
right. Delegation leaders' contact details go the same way.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from app import db
from events import audit
from events.dbtypes import utcnow
from events.models import AuditEntry, Event, EventStatus
from registration.models import Answer, Delegation, EmailOutbox, Registration

ANONYMOUS = "—"
#: Where features built on registration list what they blank when a person is
#: anonymised: callables taking the registration (registration imports none of them).
ANONYMISE_STEPS_KEY = "huiwu.anonymise_steps"


class PurgeRefused(Exception):
    pass


def purge_due(event: Event) -> bool:
    days = current_app.config["PRIVACY_RETENTION_DAYS"]
    return event.ends_at + timedelta(days=days) <= utcnow()


def anonymise(registration: Registration) -> None:
    registration.name = ANONYMOUS
    registration.name_en = None
    registration.organisation = ""
    registration.position = ""
    registration.mobile = None
    registration.email = None
    registration.manage_token_hash = None
    registration.staff_note = ""  # may say something about health
    registration.needs_attention = False
    db.session.execute(db.delete(Answer).where(Answer.registration_id == registration.id))
    db.session.execute(db.delete(EmailOutbox).where(EmailOutbox.registration_id == registration.id))
    _scrub_history(registration.id)
    for step in current_app.extensions.get(ANONYMISE_STEPS_KEY, []):
        step(registration)


def _scrub_history(registration_id: int) -> None:
    """Organisers' free-text messages in the history may name the person."""
    entries = db.session.execute(
        db.select(AuditEntry).where(
            AuditEntry.subject_type == "registration", AuditEntry.subject_id == registration_id
        )
    ).scalars()
    for entry in entries:
        if "message" in (entry.details or {}):
            entry.details = {key: value for key, value in entry.details.items() if key != "message"}


def purge_event(event: Event, *, force: bool = False) -> dict[str, int]:
    """Anonymise every registration and delegation contact of an archived event."""
    if event.status is not EventStatus.ARCHIVED:
        raise PurgeRefused("archive the event first: personal data of a live event stays")
    if not force and not purge_due(event):
        raise PurgeRefused(
            f"the retention period ({current_app.config['PRIVACY_RETENTION_DAYS']} days after "
            "the event) has not passed; use --force to purge now"
        )
    registrations = list(
        db.session.execute(
            db.select(Registration).where(
                Registration.event_id == event.id, Registration.name != ANONYMOUS
            )
        ).scalars()
    )
    for registration in registrations:
        anonymise(registration)
    delegations = list(
        db.session.execute(db.select(Delegation).where(Delegation.event_id == event.id)).scalars()
    )
    for delegation in delegations:
        delegation.leader_name, delegation.leader_mobile = ANONYMOUS, None
        delegation.leader_email = None
        delegation.application_note = ""
        delegation.manage_token_hash = None  # the leader's portal closes for good
    db.session.execute(db.delete(EmailOutbox).where(EmailOutbox.event_id == event.id))
    audit.record(
        "event.personal_data_purged",
        "event",
        event.id,
        event_id=event.id,
        actor_label="system",
        registrations=len(registrations),
    )
    db.session.flush()
    return {"registrations": len(registrations), "delegations": len(delegations)}
