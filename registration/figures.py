"""Registration numbers for the organiser and staff dashboards."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func

from app import db
from events.services import register_figures_provider
from registration.models import Delegation, Registration, RegistrationStatus

#: Statuses that hold a place against a quota.
HOLDING_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING)


def register(app: Flask) -> None:
    register_figures_provider(app, registration_figures)


def registration_figures(event_ids: list[int]) -> dict[int, dict]:
    """Per event: counts by status, by category and status, and delegations."""
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
    return figures
