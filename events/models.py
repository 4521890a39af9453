"""Accounts, events, per-event roles and registration categories."""

from __future__ import annotations

import enum
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_login import UserMixin
from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app import db
from events.dbtypes import UTCDateTime, utcnow


def enum_column(enum_class: type[enum.Enum]) -> Enum:
    """Store an enum by its value as VARCHAR: portable, no PostgreSQL type to migrate."""
    return Enum(
        enum_class,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class EventKind(enum.StrEnum):
    CONFERENCE = "conference"
    TRADE_FAIR = "trade_fair"
    ROADSHOW = "roadshow"
    FORUM = "forum"


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class EventRole(enum.StrEnum):
    """A person's role in one event. An organiser may do everything a staff member may."""

    ORGANISER = "organiser"
    STAFF = "staff"


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list[EventMember]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to log in inactive users
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class Event(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind), default=EventKind.CONFERENCE)
    status: Mapped[EventStatus] = mapped_column(enum_column(EventStatus), default=EventStatus.DRAFT)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str | None] = mapped_column(Text)
    venue_zh: Mapped[str] = mapped_column(String(200), default="")
    venue_en: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    capacity: Mapped[int | None]
    requires_approval: Mapped[bool] = mapped_column(default=False)
    #: How personal data is processed (PIPL): shown before anyone registers.
    privacy_zh: Mapped[str] = mapped_column(Text, default="", server_default="")
    privacy_en: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[EventMember]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )
    categories: Mapped[list[Category]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="Category.position",
    )
    rooms: Mapped[list[Room]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Room.position"
    )
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="AgendaItem.starts_at"
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_public(self) -> bool:
        return self.status is EventStatus.PUBLISHED

    def title_for(self, locale: str) -> str:
        return self.title_en if locale.startswith("en") and self.title_en else self.title_zh

    def venue_for(self, locale: str) -> str:
        return self.venue_en if locale.startswith("en") and self.venue_en else self.venue_zh

    def description_for(self, locale: str) -> str:
        if locale.startswith("en") and self.description_en:
            return self.description_en
        return self.description_zh

    def privacy_for(self, locale: str) -> str:
        return self.privacy_en if locale.startswith("en") and self.privacy_en else self.privacy_zh

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class EventMember(db.Model):
    """Grants one user one role in one event; the owner may manage the team."""

    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[EventRole] = mapped_column(enum_column(EventRole))
    is_owner: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")


class Category(db.Model):
    """A registration category (参会类别) with its own quota and badge colour."""

    __table_args__ = (UniqueConstraint("event_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    color: Mapped[str] = mapped_column(String(7), default="#1f6feb")
    quota: Mapped[int | None]
    needs_approval: Mapped[bool] = mapped_column(default=False)
    is_public: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="categories")

    def name_for(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name_zh


class AgendaKind(enum.StrEnum):
    PLENARY = "plenary"
    FORUM = "forum"
    ROADSHOW = "roadshow"
    MATCHMAKING = "matchmaking"
    MEAL = "meal"
    VISIT = "visit"
    OTHER = "other"


class Room(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    capacity: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="rooms")

    def name_for(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name_zh


class AgendaItem(db.Model):
    """One entry of the programme: a plenary, a forum, a roadshow session, a meal…"""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int | None] = mapped_column(
        ForeignKey("room.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[AgendaKind] = mapped_column(enum_column(AgendaKind), default=AgendaKind.OTHER)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str | None] = mapped_column(Text)
    speakers: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(back_populates="agenda_items")
    room: Mapped[Room | None] = relationship()

    def title_for(self, locale: str) -> str:
        return self.title_en if locale.startswith("en") and self.title_en else self.title_zh

    def description_for(self, locale: str) -> str:
        if locale.startswith("en") and self.description_en:
            return self.description_en
        return self.description_zh


class OrganisationKind(enum.StrEnum):
    CHAMBER = "chamber"
    ENTERPRISE = "enterprise"
    GOVERNMENT = "government"
    OTHER = "other"


class Organisation(db.Model):
    """A chamber of commerce, an enterprise or an agency, across events and years.

    Chambers carry the federation's yearly target of investment projects
    (招商项目): a chamber's page counts the projects it brought in a year
    against ``project_target``.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(
        enum_column(OrganisationKind), default=OrganisationKind.CHAMBER
    )
    region: Mapped[str] = mapped_column(String(100), default="")
    #: Projects a year the federation asks of the chamber; None: no target.
    project_target: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def name_for(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name


class AuditEntry(db.Model):
    """Who did what, when: the history of an event and of the people in it.

    ``subject_type``/``subject_id`` name the changed record (``registration``
    42); ``details`` holds the before/after values worth showing. ``actor_id``
    is empty for changes made through a manage link or by the system, and
    ``actor_label`` then says who (``delegation leader``, ``system``).
    """

    __table_args__ = (Index("ix_audit_entry_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None]
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()
