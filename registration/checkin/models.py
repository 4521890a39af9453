"""Check-in at the doors: checkpoints, scanner devices, check-ins and the scan log.

A :class:`CheckIn` in state ``in`` is a person admitted through a checkpoint.
The partial unique index ``uq_check_in_admitted`` allows at most one such row
per (registration, checkpoint): when two gates scan one badge at the same
instant, the database itself decides which insert wins, on SQLite and on
PostgreSQL alike. Other states never collide: ``exit`` (a scan at an exit),
``reentry`` (a repeat scan where re-entry is allowed), ``annulled`` (undone)
and ``superseded`` (an offline admission that lost to an earlier scan of the
same person, see :class:`CheckInConflict`).

Every attempt, refused or not, is one :class:`ScanAttempt`; its ``nonce``
(chosen by the scanner) is unique, which makes a retried request harmless.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, Index, String, Table, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import db
from events.dbtypes import UTCDateTime, utcnow
from events.models import AgendaItem, Category, User, enum_column

if TYPE_CHECKING:
    from events.models import Event
    from registration.models import Registration


class CheckpointKind(enum.StrEnum):
    ENTRY = "entry"
    EXIT = "exit"
    SESSION = "session"


#: Which categories a checkpoint admits; none listed means every category.
checkpoint_category = Table(
    "checkpoint_category",
    db.metadata,
    Column("checkpoint_id", ForeignKey("checkpoint.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("category.id", ondelete="CASCADE"), primary_key=True),
)

#: Staff assigned to a checkpoint. Staff with no assignment may scan at every
#: checkpoint of their event; staff with assignments only at those.
checkpoint_staff = Table(
    "checkpoint_staff",
    db.metadata,
    Column("checkpoint_id", ForeignKey("checkpoint.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
)

#: Where an agenda item gives the window, doors open this long before it starts.
SESSION_DOORS_OPEN = timedelta(minutes=30)


class Checkpoint(db.Model):
    """A door or a session room where badges are scanned."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[CheckpointKind] = mapped_column(
        enum_column(CheckpointKind), default=CheckpointKind.ENTRY
    )
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL")
    )
    #: The time window; empty ends fall back to the agenda item's, else stay open.
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    allows_reentry: Mapped[bool] = mapped_column(default=False)
    #: Retired checkpoints keep their history but take no scans.
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship("Event")
    agenda_item: Mapped[AgendaItem | None] = relationship(AgendaItem)
    categories: Mapped[list[Category]] = relationship(Category, secondary=checkpoint_category)
    staff: Mapped[list[User]] = relationship(User, secondary=checkpoint_staff)

    def name_for(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name_zh

    def window(self) -> tuple[datetime | None, datetime | None]:
        """(opens, closes) in UTC; None on a side means no limit there."""
        opens, closes = self.opens_at, self.closes_at
        item = self.agenda_item
        if item is not None:
            opens = opens or item.starts_at - SESSION_DOORS_OPEN
            closes = closes or item.ends_at
        return opens, closes

    def admits_category(self, category_id: int) -> bool:
        return not self.categories or any(c.id == category_id for c in self.categories)

    @property
    def admits(self) -> bool:
        """Does a scan here admit someone (rather than record them leaving)?"""
        return self.kind is not CheckpointKind.EXIT


class ScannerDevice(db.Model):
    """A dedicated scanner (a kiosk, a handheld) that signs in with a token, not a person.

    Only the SHA-256 of the token is stored; the organiser sees the token once.
    A device may be tied to one checkpoint; revoking it stops it at once.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    checkpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship("Event")
    checkpoint: Mapped[Checkpoint | None] = relationship(Checkpoint)
    created_by: Mapped[User | None] = relationship(User)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class CheckInState(enum.StrEnum):
    IN = "in"
    EXIT = "exit"
    REENTRY = "reentry"
    ANNULLED = "annulled"
    SUPERSEDED = "superseded"


class CheckIn(db.Model):
    """One person passing one checkpoint (see the module docstring for the states)."""

    __tablename__ = "check_in"
    __table_args__ = (
        Index(
            "uq_check_in_admitted",
            "registration_id",
            "checkpoint_id",
            unique=True,
            sqlite_where=text("state = 'in'"),
            postgresql_where=text("state = 'in'"),
        ),
        Index("ix_check_in_event_scanned", "event_id", "scanned_at"),
        Index("ix_check_in_checkpoint_state", "checkpoint_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoint.id", ondelete="CASCADE"))
    state: Mapped[CheckInState] = mapped_column(enum_column(CheckInState))
    #: When the badge was scanned (the device's clock for queued offline scans).
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("scanner_device.id", ondelete="SET NULL")
    )
    #: Admitted by a scanner that was offline and decided on its own.
    offline: Mapped[bool] = mapped_column(default=False)
    annulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    annulled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    registration: Mapped[Registration] = relationship("Registration")
    checkpoint: Mapped[Checkpoint] = relationship(Checkpoint)
    staff: Mapped[User | None] = relationship(User, foreign_keys=[staff_id])
    device: Mapped[ScannerDevice | None] = relationship(ScannerDevice)
    annulled_by: Mapped[User | None] = relationship(User, foreign_keys=[annulled_by_id])


class ScanAttempt(db.Model):
    """Every scan, whatever its result: who, which device, where, when, what came out.

    The secret itself is not kept, only the first 32 hex digits of its
    SHA-256 (``input_digest``), enough to tell a retried nonce carrying a
    different badge from a true retry.
    """

    __tablename__ = "scan_attempt"
    __table_args__ = (Index("ix_scan_attempt_event_recorded", "event_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(100), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoint.id", ondelete="CASCADE"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    #: The check-in this attempt created (ok) or ran into (already checked in).
    check_in_id: Mapped[int | None] = mapped_column(ForeignKey("check_in.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("scanner_device.id", ondelete="SET NULL")
    )
    input_digest: Mapped[str] = mapped_column(String(32))
    result: Mapped[str] = mapped_column(String(32))
    offline: Mapped[bool] = mapped_column(default=False)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    checkpoint: Mapped[Checkpoint] = relationship(Checkpoint)
    staff: Mapped[User | None] = relationship(User)
    device: Mapped[ScannerDevice | None] = relationship(ScannerDevice)


class CheckInConflict(db.Model):
    """Two scanners admitted one person at one checkpoint while offline.

    The earliest scan is kept (state ``in``); the other is ``superseded``.
    Organisers see the pair on the arrivals page.
    """

    __tablename__ = "check_in_conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kept_id: Mapped[int] = mapped_column(ForeignKey("check_in.id", ondelete="CASCADE"))
    superseded_id: Mapped[int] = mapped_column(ForeignKey("check_in.id", ondelete="CASCADE"))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    kept: Mapped[CheckIn] = relationship(CheckIn, foreign_keys=[kept_id])
    superseded: Mapped[CheckIn] = relationship(CheckIn, foreign_keys=[superseded_id])
