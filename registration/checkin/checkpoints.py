"""Setting up checkpoints: the default main entrance, editing, retiring, copying."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from app import db
from events import audit
from events.errors import RuleError
from events.models import AgendaItem, Category, Event, EventMember, User
from registration.checkin.models import CheckIn, Checkpoint, CheckpointKind

DEFAULT_NAME_ZH, DEFAULT_NAME_EN = "主入口", "Main entrance"


class CheckpointError(RuleError):
    pass


def checkpoints_of(event: Event, *, include_retired: bool = True) -> list[Checkpoint]:
    statement = db.select(Checkpoint).where(Checkpoint.event_id == event.id)
    if not include_retired:
        statement = statement.where(Checkpoint.active.is_(True))
    return list(
        db.session.execute(
            statement.order_by(Checkpoint.active.desc(), Checkpoint.position, Checkpoint.id)
        ).scalars()
    )


def ensure_default(event: Event) -> None:
    """Every event starts with one main entrance (only if it never had a checkpoint)."""
    exists = db.session.execute(
        db.select(Checkpoint.id).where(Checkpoint.event_id == event.id).limit(1)
    ).first()
    if exists is None:
        db.session.add(
            Checkpoint(
                event_id=event.id,
                name_zh=DEFAULT_NAME_ZH,
                name_en=DEFAULT_NAME_EN,
                kind=CheckpointKind.ENTRY,
            )
        )
        db.session.flush()


def events_to_staff(user: User) -> list[Event]:
    if user.is_admin:
        return list(db.session.execute(db.select(Event)).scalars())
    return list(
        db.session.execute(
            db.select(Event).join(EventMember).where(EventMember.user_id == user.id)
        ).scalars()
    )


def save(event: Event, checkpoint: Checkpoint | None, data: dict, actor: User) -> Checkpoint:
    """Create or update a checkpoint from checked form data."""
    agenda_item = _agenda_item(event, data.get("agenda_item_id"))
    categories = _categories(event, data.get("category_ids") or [])
    staff = _staff(event, data.get("staff_ids") or [])
    opens, closes = data.get("opens_at"), data.get("closes_at")
    if opens and closes and closes <= opens:
        raise CheckpointError(_l("The window must close after it opens."), "closes_at")
    created = checkpoint is None
    if created:
        checkpoint = Checkpoint(event_id=event.id)
        db.session.add(checkpoint)
    checkpoint.name_zh = data["name_zh"].strip()
    checkpoint.name_en = (data.get("name_en") or "").strip() or None
    checkpoint.kind = CheckpointKind(data["kind"])
    checkpoint.agenda_item_id = agenda_item.id if agenda_item else None
    checkpoint.agenda_item = agenda_item
    checkpoint.opens_at, checkpoint.closes_at = opens, closes
    checkpoint.allows_reentry = bool(data.get("allows_reentry"))
    checkpoint.categories = categories
    checkpoint.staff = staff
    db.session.flush()
    audit.record(
        "checkin.checkpoint_created" if created else "checkin.checkpoint_updated",
        "checkpoint",
        checkpoint.id,
        event_id=event.id,
        actor=actor,
        name=checkpoint.name_zh,
    )
    return checkpoint


def _agenda_item(event: Event, item_id) -> AgendaItem | None:
    if not item_id:
        return None
    item = db.session.get(AgendaItem, int(item_id))
    if item is None or item.event_id != event.id:
        raise CheckpointError(_l("Choose an item of this event's programme."), "agenda_item_id")
    return item


def _categories(event: Event, ids) -> list[Category]:
    wanted = {int(value) for value in ids}
    found = [c for c in event.categories if c.id in wanted]
    if len(found) != len(wanted):
        raise CheckpointError(_l("Choose categories of this event."), "category_ids")
    return found


def _staff(event: Event, ids) -> list[User]:
    wanted = {int(value) for value in ids}
    members = [m.user for m in event.members if m.user_id in wanted]
    if len(members) != len(wanted):
        raise CheckpointError(_l("Choose people of this event's team."), "staff_ids")
    return members


def retire(checkpoint: Checkpoint, actor: User) -> None:
    """Retired checkpoints keep their check-ins but take no more scans."""
    checkpoint.active = False
    audit.record(
        "checkin.checkpoint_retired",
        "checkpoint",
        checkpoint.id,
        event_id=checkpoint.event_id,
        actor=actor,
    )


def reopen(checkpoint: Checkpoint, actor: User) -> None:
    checkpoint.active = True
    audit.record(
        "checkin.checkpoint_reopened",
        "checkpoint",
        checkpoint.id,
        event_id=checkpoint.event_id,
        actor=actor,
    )


def delete(checkpoint: Checkpoint, actor: User) -> None:
    """Only a checkpoint nobody was scanned at can go; others are retired."""
    used = db.session.execute(
        db.select(CheckIn.id).where(CheckIn.checkpoint_id == checkpoint.id).limit(1)
    ).first()
    if used is not None:
        raise CheckpointError(_l("People were scanned here: retire the checkpoint instead."))
    audit.record(
        "checkin.checkpoint_deleted",
        "checkpoint",
        checkpoint.id,
        event_id=checkpoint.event_id,
        actor=actor,
        name=checkpoint.name_zh,
    )
    db.session.delete(checkpoint)


def copy_checkpoints(
    source: Event, clone: Event, categories: dict[int, Category], shift: timedelta
) -> None:
    """A cloned event gets the same doors (windows shifted, no agenda links, no staff)."""
    for checkpoint in checkpoints_of(source, include_retired=False):
        db.session.add(
            Checkpoint(
                event=clone,
                name_zh=checkpoint.name_zh,
                name_en=checkpoint.name_en,
                kind=checkpoint.kind,
                opens_at=checkpoint.opens_at + shift if checkpoint.opens_at else None,
                closes_at=checkpoint.closes_at + shift if checkpoint.closes_at else None,
                allows_reentry=checkpoint.allows_reentry,
                position=checkpoint.position,
                categories=[categories[c.id] for c in checkpoint.categories if c.id in categories],
            )
        )
