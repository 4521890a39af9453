"""Writing the audit trail (see :class:`events.models.AuditEntry`)."""

from __future__ import annotations

from typing import Any

from app import db
from events.models import AuditEntry, User


def record(
    action: str,
    subject_type: str,
    subject_id: int | None,
    *,
    event_id: int | None,
    actor: User | None = None,
    actor_label: str = "",
    **details: Any,
) -> AuditEntry:
    """Add one entry to the session; the caller's commit makes it permanent.

    ``details`` must be JSON-serialisable: pass strings, numbers, lists.
    """
    entry = AuditEntry(
        event_id=event_id,
        actor_id=actor.id if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        details=details,
    )
    db.session.add(entry)
    return entry


def history(subject_type: str, subject_id: int) -> list[AuditEntry]:
    """A record's entries, oldest first."""
    return list(
        db.session.execute(
            db.select(AuditEntry)
            .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id)
            .order_by(AuditEntry.created_at, AuditEntry.id)
        ).scalars()
    )
