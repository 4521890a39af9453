"""Delegations and registrations: the people side of an event."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import db
from events.dbtypes import UTCDateTime, utcnow
from events.models import enum_column

if TYPE_CHECKING:
    from events.models import Category, Event


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class DelegationKind(enum.StrEnum):
    CHAMBER = "chamber"
    CITY = "city"
    COMPANY = "company"
    GOVERNMENT = "government"


class DelegationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Delegation(db.Model):
    """A group (代表团) that a leader registers as a whole."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[DelegationKind] = mapped_column(enum_column(DelegationKind))
    region: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[DelegationStatus] = mapped_column(
        enum_column(DelegationStatus), default=DelegationStatus.PENDING
    )
    leader_name: Mapped[str] = mapped_column(String(100))
    leader_mobile: Mapped[str | None] = mapped_column(String(20))
    leader_email: Mapped[str | None] = mapped_column(String(254))
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship("Event")
    members: Mapped[list[Registration]] = relationship(back_populates="delegation")


class Registration(db.Model):
    """One person's place at one event.

    Names are stored as written: Chinese names family name first with no
    space; ``name_en`` is the optional romanised or English name for badges.
    Mobiles are E.164 (``+8613912345678``).
    """

    __table_args__ = (
        Index("ix_registration_event_status", "event_id", "status"),
        Index("ix_registration_event_mobile", "event_id", "mobile"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    delegation_id: Mapped[int | None] = mapped_column(
        ForeignKey("delegation.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_column(RegistrationStatus), default=RegistrationStatus.PENDING
    )
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[str] = mapped_column(String(100), default="")
    mobile: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship("Event")
    category: Mapped[Category] = relationship("Category")
    delegation: Mapped[Delegation | None] = relationship(back_populates="members")
