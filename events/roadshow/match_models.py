"""Matchmaking (洽谈对接): participants, meeting requests, sessions and their meetings.

Participants are the confirmed registrations of the categories chosen in
:class:`MatchmakingSetup`; each may keep a :class:`MatchProfile` (what they
look for, how many representatives sit at tables at once). A
:class:`MeetingRequest` joins two participants once (whoever asked first:
``low_id``/``high_id`` make the pair unique in either order) and is met when
the other side accepts it, or at once when the organiser turned on
auto-accept. A :class:`MatchSession` cuts a programme item into slots of
``meeting_minutes`` at ``table_count`` tables; the scheduler assigns accepted
requests to (slot, table) as :class:`Meeting` rows, which organisers may lock
before running it again.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import db
from events.dbtypes import UTCDateTime, utcnow
from events.models import AgendaItem, Category, User, enum_column
from events.roadshow.models import Sector

if TYPE_CHECKING:
    from registration.models import Registration


class Priority(enum.IntEnum):
    IF_POSSIBLE = 1
    WOULD_LIKE = 2
    MUST = 3


#: The categories whose confirmed registrations take part in matchmaking.
matchmaking_category = Table(
    "matchmaking_category",
    db.metadata,
    Column(
        "event_id", ForeignKey("matchmaking_setup.event_id", ondelete="CASCADE"), primary_key=True
    ),
    Column("category_id", ForeignKey("category.id", ondelete="CASCADE"), primary_key=True),
)


class MatchmakingSetup(db.Model):
    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    #: Participants may send requests and answer them.
    requests_open: Mapped[bool] = mapped_column(default=False)
    #: Requests count as accepted as soon as they are sent.
    auto_accept: Mapped[bool] = mapped_column(default=False)
    #: How long the scheduler may search, in seconds.
    time_limit: Mapped[int] = mapped_column(default=10)

    categories: Mapped[list[Category]] = relationship(
        Category, secondary=matchmaking_category, order_by=Category.position
    )


class MatchProfile(db.Model):
    """What a participant offers or looks for, shown in the directory."""

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    #: Representatives who can sit at different tables at the same time.
    capacity: Mapped[int] = mapped_column(default=1)
    sector: Mapped[Sector | None] = mapped_column(enum_column(Sector))
    region: Mapped[str] = mapped_column(String(100), default="")
    #: Capital offered or sought, in 万元.
    capital_wan: Mapped[int | None]
    about: Mapped[str] = mapped_column(Text, default="")
    #: Shown in the directory (others may still be requested by organisers).
    listed: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    registration: Mapped[Registration] = relationship("Registration")


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class MeetingRequest(db.Model):
    __table_args__ = (
        UniqueConstraint("event_id", "low_id", "high_id", name="uq_meeting_request_pair"),
        Index("ix_meeting_request_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    #: The pair in id order: one request per pair, whoever asked.
    low_id: Mapped[int]
    high_id: Mapped[int]
    priority: Mapped[int] = mapped_column(default=Priority.WOULD_LIKE)
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[RequestStatus] = mapped_column(
        enum_column(RequestStatus), default=RequestStatus.PENDING
    )
    #: The organiser who added the request for the participants, if one did.
    added_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requester: Mapped[Registration] = relationship("Registration", foreign_keys=[requester_id])
    recipient: Mapped[Registration] = relationship("Registration", foreign_keys=[recipient_id])
    added_by: Mapped[User | None] = relationship(User)

    def other(self, registration_id: int) -> Registration:
        return self.recipient if registration_id == self.requester_id else self.requester


class MatchSession(db.Model):
    """A matchmaking session: slots of ``meeting_minutes`` from ``starts_at`` at tables."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL")
    )
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    meeting_minutes: Mapped[int] = mapped_column(default=20)
    slot_count: Mapped[int]
    table_count: Mapped[int]
    #: Names shown on table signs and agendas; missing ones are numbered.
    table_names: Mapped[list] = mapped_column(JSON, default=list)
    #: What the last successful run measured: ``{"count", "weight", "bound":
    #: {"count", "weight"}, "seconds", "baseline_weight", "unscheduled": [{"request", "reason"}]}``.
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agenda_item: Mapped[AgendaItem | None] = relationship(AgendaItem)
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        order_by="(Meeting.slot, Meeting.table)",
    )

    def name_for(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name_zh

    def slot_start(self, slot: int) -> datetime:
        return self.starts_at + timedelta(minutes=self.meeting_minutes * slot)

    def slot_end(self, slot: int) -> datetime:
        return self.slot_start(slot) + timedelta(minutes=self.meeting_minutes)

    @property
    def ends_at(self) -> datetime:
        return self.slot_start(self.slot_count)

    def table_name(self, table: int) -> str:
        names = self.table_names or []
        if table < len(names) and str(names[table]).strip():
            return str(names[table]).strip()
        return str(table + 1)


class MatchUnavailability(db.Model):
    """A participant cannot meet in one slot of a session."""

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("match_session.id", ondelete="CASCADE"), primary_key=True
    )
    slot: Mapped[int] = mapped_column(primary_key=True)


class Meeting(db.Model):
    """An accepted request placed at a table in a slot of a session."""

    __table_args__ = (
        UniqueConstraint("session_id", "request_id"),
        UniqueConstraint("session_id", "slot", "table"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("match_session.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_request.id", ondelete="CASCADE"), index=True
    )
    slot: Mapped[int]
    table: Mapped[int]
    #: Kept where it is when the scheduler runs again.
    locked: Mapped[bool] = mapped_column(default=False)

    session: Mapped[MatchSession] = relationship(back_populates="meetings")
    request: Mapped[MeetingRequest] = relationship(MeetingRequest)
