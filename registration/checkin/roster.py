"""What a scanner knows about the people it may see: the offline snapshot and search.

Staff see names, organisations, delegations, categories and masked mobiles:
what is needed to recognise someone at the door, nothing to contact them
with. The snapshot keys people by the SHA-256 of their ticket secret, so a
lost phone gives away no working badge code.
"""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlalchemy.orm import selectinload

from app import db
from events.dbtypes import utcnow
from events.i18n import current_locale
from events.models import Category, Event
from registration.checkin.models import CheckIn, CheckInState, Checkpoint
from registration.checkin.services import is_leader, secret_digest
from registration.models import Delegation, Registration, RegistrationStatus, RevokedTicket

SEARCH_LIMIT = 20


def localised_name(thing) -> str:
    return thing.name_for(current_locale())


def localised_title(event: Event) -> str:
    return event.title_for(current_locale())


def mask_mobile(mobile: str | None) -> str:
    """``+8613912345678`` → ``139****5678``: enough to confirm, not to call."""
    if not mobile:
        return ""
    digits = mobile[3:] if mobile.startswith("+86") else mobile.lstrip("+")
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def delegation_summary(registration: Registration, checkpoint: Checkpoint) -> dict | None:
    delegation = registration.delegation
    if delegation is None:
        return None
    leader = is_leader(registration)
    summary = {"id": delegation.id, "name": delegation.name, "is_leader": leader}
    if leader:
        members, not_arrived = _delegation_counts(delegation, checkpoint)
        summary.update(members=members, not_arrived=not_arrived)
    return summary


def _delegation_counts(delegation: Delegation, checkpoint: Checkpoint) -> tuple[int, int]:
    """(confirmed members, those not admitted at this checkpoint yet).

    Per checkpoint, as "check in the whole delegation" admits everyone not yet
    in here.
    """
    admitted = (
        db.select(CheckIn.id)
        .where(
            CheckIn.registration_id == Registration.id,
            CheckIn.checkpoint_id == checkpoint.id,
            CheckIn.state == CheckInState.IN,
        )
        .exists()
    )
    members, not_arrived = db.session.execute(
        db.select(func.count(Registration.id), func.count(Registration.id).filter(~admitted)).where(
            Registration.delegation_id == delegation.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    ).one()
    return members, not_arrived


def _admitted_here(checkpoint: Checkpoint):
    """Each person's first standing admission at the checkpoint, as a subquery."""
    return (
        db.select(CheckIn.registration_id, func.min(CheckIn.scanned_at).label("first_in"))
        .where(
            CheckIn.checkpoint_id == checkpoint.id,
            CheckIn.state.in_((CheckInState.IN, CheckInState.REENTRY)),
        )
        .group_by(CheckIn.registration_id)
        .subquery()
    )


def snapshot(checkpoint: Checkpoint) -> dict:
    """Everything the scanner needs to decide alone while the network is down."""
    admitted = _admitted_here(checkpoint)
    rows = db.session.execute(
        db.select(Registration, Category.code, admitted.c.first_in)
        .join(Category, Category.id == Registration.category_id)
        .outerjoin(admitted, admitted.c.registration_id == Registration.id)
        .where(Registration.event_id == checkpoint.event_id)
        .options(selectinload(Registration.delegation))
        .order_by(Registration.id)
    ).all()
    leaders = _leader_ids(checkpoint.event_id)
    people = [_entry(reg, code, first_in, leaders) for reg, code, first_in in rows]
    revoked = db.session.execute(
        db.select(RevokedTicket.secret)
        .join(Registration, Registration.id == RevokedTicket.registration_id)
        .where(Registration.event_id == checkpoint.event_id)
    ).scalars()
    return {
        "checkpoint": _rules(checkpoint),
        "generated_at": utcnow().isoformat().replace("+00:00", "Z"),
        "categories": _categories(checkpoint),
        "people": people,
        "revoked": [secret_digest(secret) for secret in revoked],
    }


def _entry(registration: Registration, code: str, first_in, leaders: set[int]) -> dict:
    delegation = registration.delegation
    return {
        "h": secret_digest(registration.ticket_secret),
        "id": registration.id,
        "name": registration.name,
        "name_en": registration.name_en or "",
        "organisation": registration.organisation or "",
        "category": code,
        "delegation": delegation.name if delegation is not None else "",
        "delegation_id": registration.delegation_id,
        "leader": registration.id in leaders,
        "status": registration.status.value,
        "in": first_in.isoformat().replace("+00:00", "Z") if first_in else None,
        "attention": registration.staff_note if registration.needs_attention else None,
        "mobile": mask_mobile(registration.mobile),
    }


def _leader_ids(event_id: int) -> set[int]:
    members = db.session.execute(
        db.select(Registration)
        .join(Delegation, Delegation.id == Registration.delegation_id)
        .where(Registration.event_id == event_id)
    ).scalars()
    return {member.id for member in members if is_leader(member)}


def _rules(checkpoint: Checkpoint) -> dict:
    opens, closes = checkpoint.window()

    def iso(value):
        return value.isoformat().replace("+00:00", "Z") if value else None

    return {
        "id": checkpoint.id,
        "event_id": checkpoint.event_id,
        "name": localised_name(checkpoint),
        "kind": checkpoint.kind.value,
        "allows_reentry": checkpoint.allows_reentry,
        "opens_at": iso(opens),
        "closes_at": iso(closes),
    }


def _categories(checkpoint: Checkpoint) -> dict:
    categories = db.session.execute(
        db.select(Category).where(Category.event_id == checkpoint.event_id)
    ).scalars()
    return {
        category.code: {
            "name": localised_name(category),
            "color": category.color,
            "allowed": checkpoint.admits_category(category.id),
        }
        for category in categories
    }


def search(checkpoint: Checkpoint, query: str) -> list[dict]:
    """People of the checkpoint's event matching a name, organisation or mobile digits."""
    if not query:
        return []
    pattern = f"%{_escape_like(query)}%"
    conditions = [
        Registration.name.ilike(pattern, escape="\\"),
        Registration.name_en.ilike(pattern, escape="\\"),
        Registration.organisation.ilike(pattern, escape="\\"),
    ]
    digits = "".join(char for char in query if char.isdigit())
    if len(digits) >= 4:
        conditions.append(Registration.mobile.like(f"%{digits}%"))
    admitted = _admitted_here(checkpoint)
    rows = db.session.execute(
        db.select(Registration, Category.code, admitted.c.first_in)
        .join(Category, Category.id == Registration.category_id)
        .outerjoin(admitted, admitted.c.registration_id == Registration.id)
        .where(Registration.event_id == checkpoint.event_id, or_(*conditions))
        .order_by(Registration.name)
        .limit(SEARCH_LIMIT)
    ).all()
    leaders = _leader_ids(checkpoint.event_id)
    categories = _categories(checkpoint)
    people = []
    for registration, code, first_in in rows:
        entry = _entry(registration, code, first_in, leaders)
        del entry["h"]  # a search result must not let staff rebuild badge codes
        # Shown even before the page has the snapshot's category list.
        entry["category_info"] = categories.get(code)
        people.append(entry)
    return people


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def stats(checkpoint: Checkpoint) -> dict:
    admitted = db.session.execute(
        db.select(func.count(func.distinct(CheckIn.registration_id))).where(
            CheckIn.checkpoint_id == checkpoint.id, CheckIn.state == CheckInState.IN
        )
    ).scalar_one()
    expected_query = db.select(func.count(Registration.id)).where(
        Registration.event_id == checkpoint.event_id,
        Registration.status == RegistrationStatus.CONFIRMED,
    )
    if checkpoint.categories:
        expected_query = expected_query.where(
            Registration.category_id.in_([c.id for c in checkpoint.categories])
        )
    return {"admitted": admitted, "expected": db.session.execute(expected_query).scalar_one()}


def check_ins_of(registration: Registration) -> list[CheckIn]:
    """Every pass of one person through the doors, newest first (for organisers)."""
    return list(
        db.session.execute(
            db.select(CheckIn)
            .where(CheckIn.registration_id == registration.id)
            .options(selectinload(CheckIn.checkpoint), selectinload(CheckIn.staff))
            .order_by(CheckIn.scanned_at.desc())
        ).scalars()
    )
