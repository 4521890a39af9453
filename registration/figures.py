"""Registration numbers for the organiser and staff dashboards."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import func

from app import db
from events.models import Event
from events.services import register_figures_provider
from registration.models import Delegation, Registration, RegistrationStatus

#: Statuses that hold a place against a quota.
HOLDING_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING)


def register(app: Flask) -> None:
    register_figures_provider(app, registration_figures)


def registration_figures(event_ids: list[int], *, detailed: bool = False) -> dict[int, dict]:
    """Per event: counts by status, by category and status, and delegations.

    ``detailed`` adds ``by_delegation`` (name and counts by status) and
    ``per_day`` (sign-ups per calendar day in the event's time zone).
    """
    figures: dict[int, dict] = {
        event_id: {"status": {s.value: 0 for s in RegistrationStatus}, "by_category": {}}
        for event_id in event_ids
    }
    if not event_ids:
        return figures
    rows = db.session.execute(
        db.select(
            Registration.event_id,
            Registration.category_id,
            Registration.status,
            func.count(),
        )
        .where(Registration.event_id.in_(event_ids))
        .group_by(Registration.event_id, Registration.category_id, Registration.status)
    )
    for event_id, category_id, status, count in rows:
        entry = figures[event_id]
        entry["status"][status.value] += count
        per_category = entry["by_category"].setdefault(category_id, {})
        per_category[status.value] = per_category.get(status.value, 0) + count
    delegations = db.session.execute(
        db.select(Delegation.event_id, func.count())
        .where(Delegation.event_id.in_(event_ids))
        .group_by(Delegation.event_id)
    )
    for event_id, count in delegations:
        figures[event_id]["delegations"] = count
    for entry in figures.values():
        entry.setdefault("delegations", 0)
        entry["holding"] = sum(entry["status"][s.value] for s in HOLDING_STATUSES)
    if detailed:
        for event_id in event_ids:
            figures[event_id]["by_delegation"] = _by_delegation(event_id)
            figures[event_id]["per_day"] = _per_day(event_id)
    return figures


def _by_delegation(event_id: int) -> list[dict]:
    rows = db.session.execute(
        db.select(Delegation.id, Delegation.name, Registration.status, func.count(Registration.id))
        .outerjoin(Registration, Registration.delegation_id == Delegation.id)
        .where(Delegation.event_id == event_id)
        .group_by(Delegation.id, Delegation.name, Registration.status)
        .order_by(Delegation.name)
    )
    delegations: dict[int, dict] = {}
    for delegation_id, name, status, count in rows:
        entry = delegations.setdefault(
            delegation_id, {"id": delegation_id, "name": name, "status": {}, "holding": 0}
        )
        if status is not None:
            entry["status"][status.value] = count
            if status in HOLDING_STATUSES:
                entry["holding"] += count
    return list(delegations.values())


def _per_day(event_id: int) -> list[tuple[date, int]]:
    """Sign-ups per day, every day from the first to the last (gaps as zero).

    Grouped in Python: calendar days in the event's zone are computed the same
    way on every database, and one column of timestamps stays cheap.
    """
    event = db.session.get(Event, event_id)
    stamps = db.session.execute(
        db.select(Registration.created_at).where(Registration.event_id == event_id)
    ).scalars()
    counts = Counter(stamp.astimezone(event.zone).date() for stamp in stamps)
    if not counts:
        return []
    first, last = min(counts), max(counts)
    days = (last - first).days + 1
    return [
        (first + timedelta(days=n), counts.get(first + timedelta(days=n), 0)) for n in range(days)
    ]
