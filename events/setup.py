"""Setting events up: create, edit, change status, clone, categories, team.

Services take model objects and plain values, flush, write the audit trail,
and raise :class:`SetupError` subclasses with a message for the organiser.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect

from app import db
from events import audit
from events.dbtypes import utcnow
from events.errors import RuleError
from events.models import (
    Category,
    Event,
    EventMember,
    EventRole,
    EventStatus,
    Room,
    User,
)
from events.services import add_member, create_user, event_figures, find_user_by_email

CLONE_HOOKS_KEY = "huiwu.clone_hooks"

#: Offered on new events: code, Chinese, English, badge colour, public sign-up.
DEFAULT_CATEGORIES = (
    ("delegate", "代表", "Delegate", "#1f6feb", True),
    ("guest", "嘉宾", "Guest of honour", "#b8860b", True),
    ("investor", "投资商", "Investor", "#2e7d32", True),
    ("exhibitor", "参展商", "Exhibitor", "#00838f", True),
    ("media", "媒体", "Media", "#6a1b9a", True),
    ("staff", "工作人员", "Staff", "#616161", False),
)
EVENT_FIELDS = (
    "title_zh",
    "title_en",
    "kind",
    "slug",
    "description_zh",
    "description_en",
    "venue_zh",
    "venue_en",
    "city",
    "timezone",
    "starts_at",
    "ends_at",
    "registration_opens_at",
    "registration_closes_at",
    "capacity",
    "requires_approval",
    "privacy_zh",
    "privacy_en",
)


class SetupError(RuleError):
    """A set-up rule refused the change."""


def in_zone(value: datetime | None, zone: str) -> datetime | None:
    """A wall-clock time typed for the event's zone, as an aware datetime."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(zone))


def as_wall_clock(value: datetime | None, zone: str) -> datetime | None:
    """The inverse of :func:`in_zone`, for filling forms."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def slug_taken(slug: str, exclude_id: int | None = None) -> bool:
    statement = db.select(Event.id).where(Event.slug == slug)
    if exclude_id is not None:
        statement = statement.where(Event.id != exclude_id)
    return db.session.execute(statement).first() is not None


def _event_values(data: dict) -> dict:
    values = {name: data[name] for name in EVENT_FIELDS if name in data}
    zone = values.get("timezone", "Asia/Shanghai")
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        if name in values:
            values[name] = in_zone(values[name], zone)
    return values


def create_event(data: dict, owner: User, *, default_categories: bool) -> Event:
    if slug_taken(data["slug"]):
        raise SetupError(_l("This web address is already used by another event."), "slug")
    event = Event(status=EventStatus.DRAFT, **_event_values(data))
    db.session.add(event)
    if default_categories:
        for position, (code, zh, en, colour, public) in enumerate(DEFAULT_CATEGORIES):
            event.categories.append(
                Category(
                    code=code,
                    name_zh=zh,
                    name_en=en,
                    color=colour,
                    is_public=public,
                    position=position,
                )
            )
    db.session.flush()
    add_member(event, owner, EventRole.ORGANISER, owner=True)
    audit.record("event.created", "event", event.id, event_id=event.id, actor=owner)
    return event


def update_event(event: Event, data: dict, actor: User) -> list[str]:
    """Apply the form's values; returns the names of the fields that changed."""
    values = _event_values(data)
    if slug_taken(values["slug"], exclude_id=event.id):
        raise SetupError(_l("This web address is already used by another event."), "slug")
    holding = event_figures([event.id])[event.id].get("holding", 0)
    if values.get("capacity") is not None and values["capacity"] < holding:
        raise SetupError(
            _l("The capacity cannot be below the %(count)d places already taken.", count=holding),
            "capacity",
        )
    changed = [name for name, value in values.items() if getattr(event, name) != value]
    for name in changed:
        setattr(event, name, values[name])
    if changed:
        audit.record(
            "event.updated", "event", event.id, event_id=event.id, actor=actor, fields=changed
        )
    db.session.flush()
    return changed


def change_status(event: Event, action: str, actor: User) -> None:
    """publish, unpublish, close_registration, archive or restore."""
    now = utcnow()
    if action == "publish":
        event.status = EventStatus.PUBLISHED
    elif action == "unpublish":
        event.status = EventStatus.DRAFT
    elif action == "close_registration":
        if event.registration_closes_at is None or event.registration_closes_at > now:
            event.registration_closes_at = now
        if event.registration_opens_at and event.registration_opens_at > now:
            event.registration_opens_at = now
    elif action == "archive":
        event.status = EventStatus.ARCHIVED
    elif action == "restore":
        event.status = EventStatus.DRAFT
    else:
        raise SetupError(_l("Unknown action."))
    audit.record(f"event.{action}", "event", event.id, event_id=event.id, actor=actor)
    db.session.flush()


# --- cloning ----------------------------------------------------------------------

CloneHook = Callable[[Event, Event, dict[int, Category], timedelta], None]


def register_clone_hook(app: Flask, hook: CloneHook) -> None:
    """Features that own event set-up data (questions, checkpoints) copy it on clone."""
    app.extensions.setdefault(CLONE_HOOKS_KEY, []).append(hook)


def clone_event(
    source: Event,
    *,
    title_zh: str,
    title_en: str | None,
    slug: str,
    starts_on: date,
    actor: User,
    copy_team: bool,
) -> Event:
    """Next year's edition: set-up copied and shifted in time, no registrations."""
    if slug_taken(slug):
        raise SetupError(_l("This web address is already used by another event."), "slug")
    old_start = source.starts_at.astimezone(source.zone)
    shift = timedelta(days=(starts_on - old_start.date()).days)
    clone = copy_row(
        source,
        status=EventStatus.DRAFT,
        title_zh=title_zh,
        title_en=title_en,
        slug=slug,
        created_at=utcnow(),
        **{
            name: _shift(getattr(source, name), shift, source.zone)
            for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
        },
    )
    categories = _copy_categories(source, clone)
    rooms = _copy_rooms(source, clone)
    _copy_agenda(source, clone, rooms, shift)
    db.session.flush()
    _copy_team(source, clone, actor, copy_team)
    for hook in current_app.extensions.get(CLONE_HOOKS_KEY, []):
        hook(source, clone, categories, shift)
    audit.record(
        "event.cloned", "event", clone.id, event_id=clone.id, actor=actor, source_event=source.id
    )
    db.session.flush()
    return clone


def _shift(value: datetime | None, shift: timedelta, zone: ZoneInfo) -> datetime | None:
    """Move by whole days on the wall clock, so 09:00 stays 09:00 across DST."""
    if value is None:
        return None
    return (value.astimezone(zone) + shift).replace(tzinfo=zone)


def copy_row(row, **overrides):
    """A new object of the same model with the same column values, added to the session.

    Keys (``id``, ``event_id`` and the like) are left out unless overridden,
    so columns added to a model later are cloned without touching this code.
    """
    mapper = sa_inspect(row).mapper
    values = {
        attribute.key: getattr(row, attribute.key)
        for attribute in mapper.column_attrs
        if not any(column.primary_key or column.foreign_keys for column in attribute.columns)
    }
    values.update(overrides)
    copy = mapper.class_(**values)
    db.session.add(copy)
    return copy


def _copy_categories(source: Event, clone: Event) -> dict[int, Category]:
    return {category.id: copy_row(category, event=clone) for category in source.categories}


def _copy_rooms(source: Event, clone: Event) -> dict[int, Room]:
    return {room.id: copy_row(room, event=clone) for room in source.rooms}


def _copy_agenda(source: Event, clone: Event, rooms: dict[int, Room], shift: timedelta) -> None:
    for item in source.agenda_items:
        copy_row(
            item,
            event=clone,
            room=rooms.get(item.room_id),
            starts_at=_shift(item.starts_at, shift, source.zone),
            ends_at=_shift(item.ends_at, shift, source.zone),
        )


def _copy_team(source: Event, clone: Event, actor: User, copy_team: bool) -> None:
    add_member(clone, actor, EventRole.ORGANISER, owner=True)
    if not copy_team:
        return
    for member in source.members:
        if member.user_id != actor.id:
            add_member(clone, member.user, member.role)


# --- categories ---------------------------------------------------------------------


def save_category(event: Event, category: Category | None, data: dict, actor: User) -> Category:
    """Create (``category`` None) or update a category, keeping quotas honest."""
    clash = db.session.execute(
        db.select(Category.id).where(Category.event_id == event.id, Category.code == data["code"])
    ).scalar()
    if clash is not None and (category is None or clash != category.id):
        raise SetupError(_l("Another category of this event already uses this code."), "code")
    if category is not None and data.get("quota") is not None:
        figures = event_figures([event.id])[event.id].get("by_category", {}).get(category.id, {})
        holding = figures.get("confirmed", 0) + figures.get("pending", 0)
        if data["quota"] < holding:
            raise SetupError(
                _l("The quota cannot be below the %(count)d places already taken.", count=holding),
                "quota",
            )
    created = category is None
    if created:
        category = Category(event=event)
        db.session.add(category)
    for name in (
        "code",
        "name_zh",
        "name_en",
        "color",
        "quota",
        "needs_approval",
        "is_public",
        "position",
    ):
        setattr(category, name, data[name] if name != "position" else data[name] or 0)
    category.color = category.color.lower()
    db.session.flush()
    audit.record(
        "category.created" if created else "category.updated",
        "category",
        category.id,
        event_id=event.id,
        actor=actor,
        code=category.code,
    )
    return category


def delete_category(event: Event, category: Category, actor: User) -> None:
    if event_figures([event.id])[event.id].get("by_category", {}).get(category.id):
        raise SetupError(_l("This category has registrations: it can no longer be deleted."))
    audit.record(
        "category.deleted",
        "category",
        category.id,
        event_id=event.id,
        actor=actor,
        code=category.code,
    )
    db.session.delete(category)
    db.session.flush()


# --- team ---------------------------------------------------------------------------


def is_owner(user: User, event: Event) -> bool:
    if user.is_admin:
        return True
    return (
        db.session.execute(
            db.select(EventMember.id).filter_by(event_id=event.id, user_id=user.id, is_owner=True)
        ).first()
        is not None
    )


def add_team_member(
    event: Event, email: str, display_name: str | None, role: EventRole, actor: User
) -> tuple[EventMember, bool]:
    """Add someone by email; returns the membership and whether the account is new."""
    user = find_user_by_email(email)
    created = user is None
    if created:
        user = create_user(email, display_name or email.split("@")[0], None)
    existing = db.session.execute(
        db.select(EventMember).filter_by(event_id=event.id, user_id=user.id)
    ).scalar_one_or_none()
    if existing is not None:
        raise SetupError(_l("This person is already on the team."), "email")
    membership = add_member(event, user, role)
    audit.record(
        "team.added",
        "event",
        event.id,
        event_id=event.id,
        actor=actor,
        user_id=user.id,
        role=role.value,
    )
    return membership, created


def remove_team_member(event: Event, membership: EventMember, actor: User) -> None:
    if membership.is_owner:
        raise SetupError(_l("The owner cannot be removed from the team."))
    audit.record(
        "team.removed",
        "event",
        event.id,
        event_id=event.id,
        actor=actor,
        user_id=membership.user_id,
        role=membership.role.value,
    )
    db.session.delete(membership)
    db.session.flush()
