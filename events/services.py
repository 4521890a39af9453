"""Queries and rules about events and roles, free of HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask, current_app

from app import db
from events.models import Event, EventMember, EventRole, EventStatus, User

FIGURES_KEY = "huiwu.event_figures"

#: A figures provider takes event ids and a ``detailed`` flag and returns
#: ``{event_id: {name: value}}``. Features that know about people
#: (registration, check-in) register one, so that the events core can show
#: their numbers without importing them. ``detailed`` asks for the costlier
#: breakdowns of one event's overview page.
FiguresProvider = Callable[..., dict[int, dict]]


def register_figures_provider(app: Flask, provider: FiguresProvider) -> None:
    app.extensions.setdefault(FIGURES_KEY, []).append(provider)


def event_figures(event_ids: Iterable[int], *, detailed: bool = False) -> dict[int, dict]:
    ids = list(event_ids)
    merged: dict[int, dict] = {event_id: {} for event_id in ids}
    for provider in current_app.extensions.get(FIGURES_KEY, []):
        for event_id, figures in provider(ids, detailed=detailed).items():
            merged.setdefault(event_id, {}).update(figures)
    return merged


def role_in_event(user: User, event: Event) -> EventRole | None:
    """The user's role in the event; site admins organise every event."""
    if not user.is_authenticated:
        return None
    if user.is_admin:
        return EventRole.ORGANISER
    membership = db.session.execute(
        db.select(EventMember).filter_by(event_id=event.id, user_id=user.id)
    ).scalar_one_or_none()
    return membership.role if membership else None


def can_organise(user: User, event: Event) -> bool:
    return role_in_event(user, event) is EventRole.ORGANISER


def can_staff(user: User, event: Event) -> bool:
    return role_in_event(user, event) in (EventRole.ORGANISER, EventRole.STAFF)


def can_create_events(user: User) -> bool:
    """Site admins and anyone who organises an event; check-in staff only scan."""
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return (
        db.session.execute(
            db.select(EventMember.id).filter_by(user_id=user.id, role=EventRole.ORGANISER).limit(1)
        ).first()
        is not None
    )


def events_for_user(user: User) -> list[tuple[Event, EventRole]]:
    """Every event the user works on, newest first, with their role in it."""
    if user.is_admin:
        events = db.session.execute(db.select(Event).order_by(Event.starts_at.desc())).scalars()
        return [(event, EventRole.ORGANISER) for event in events]
    rows = db.session.execute(
        db.select(Event, EventMember.role)
        .join(EventMember, EventMember.event_id == Event.id)
        .where(EventMember.user_id == user.id)
        .order_by(Event.starts_at.desc())
    )
    return [(event, role) for event, role in rows]


def public_events() -> list[Event]:
    return list(
        db.session.execute(
            db.select(Event)
            .where(Event.status == EventStatus.PUBLISHED)
            .order_by(Event.starts_at.desc())
        ).scalars()
    )


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        db.select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def normalise_email(email: str) -> str:
    return email.strip().lower()


class UserExists(Exception):
    """An account with this email already exists."""


def create_user(email: str, display_name: str, password: str | None, *, admin=False) -> User:
    if find_user_by_email(email):
        raise UserExists(email)
    user = User(email=normalise_email(email), display_name=display_name, is_admin=admin)
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def add_member(event: Event, user: User, role: EventRole, *, owner: bool = False) -> EventMember:
    membership = EventMember(event=event, user=user, role=role, is_owner=owner)
    db.session.add(membership)
    db.session.flush()
    return membership
