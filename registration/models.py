"""Delegations and registrations: the people side of an event."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import db
from events.dbtypes import UTCDateTime, utcnow
from events.models import enum_column
from registration.ticket_codes import new_secret

if TYPE_CHECKING:
    from events.models import Category, Event, Organisation


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
    """A group (代表团) that a leader registers as a whole.

    An organiser creates it (approved at once), or a leader applies on the
    public page (pending until an organiser approves). Once approved the
    leader gets a portal link (``/d/<secret>``, only its SHA-256 stored, like
    a registration's manage link) to add members until the deadline.
    Quotas per category (:class:`DelegationQuota`) cap the delegation's
    members on top of the category's and the event's own limits.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[DelegationKind] = mapped_column(enum_column(DelegationKind))
    region: Mapped[str] = mapped_column(String(100), default="")
    #: The chamber or company behind the delegation (its projects count for it).
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[DelegationStatus] = mapped_column(
        enum_column(DelegationStatus), default=DelegationStatus.PENDING
    )
    leader_name: Mapped[str] = mapped_column(String(100))
    leader_mobile: Mapped[str | None] = mapped_column(String(20))
    leader_email: Mapped[str | None] = mapped_column(String(254))
    #: The leader's language: the invitation and the portal use it.
    locale: Mapped[str] = mapped_column(
        String(16), default="zh_Hans_CN", server_default="zh_Hans_CN"
    )
    #: How many members the leader expects to bring (their application's estimate).
    expected_size: Mapped[int | None]
    #: What the leader wrote when applying.
    application_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: SHA-256 of the secret in the leader's portal link; None until approved.
    manage_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship("Event")
    organisation: Mapped[Organisation | None] = relationship("Organisation")
    members: Mapped[list[Registration]] = relationship(back_populates="delegation")
    quotas: Mapped[list[DelegationQuota]] = relationship(
        back_populates="delegation", cascade="all, delete-orphan"
    )

    def places_for(self, category_id: int) -> int | None:
        """The delegation's places in a category; None when it may not use it."""
        return next((q.places for q in self.quotas if q.category_id == category_id), None)

    @property
    def expected(self) -> int | None:
        """Places given to the delegation, else the leader's own estimate."""
        return sum(q.places for q in self.quotas) if self.quotas else self.expected_size


class DelegationQuota(db.Model):
    """How many members of a delegation may hold places in one category."""

    delegation_id: Mapped[int] = mapped_column(
        ForeignKey("delegation.id", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[int] = mapped_column(
        ForeignKey("category.id", ondelete="CASCADE"), primary_key=True
    )
    places: Mapped[int]

    delegation: Mapped[Delegation] = relationship(back_populates="quotas")
    category: Mapped[Category] = relationship("Category")


class Registration(db.Model):
    """One person's place at one event.

    Names are stored as written: Chinese names family name first with no
    space; ``name_en`` is the optional romanised or English name for badges.
    Mobiles are E.164 (``+8613912345678``).
    """

    __table_args__ = (
        Index("ix_registration_event_status", "event_id", "status"),
        Index("ix_registration_event_mobile", "event_id", "mobile"),
        Index("ix_registration_event_created", "event_id", "created_at"),
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
    #: What the badge's QR code holds (format: :mod:`registration.ticket_codes`).
    ticket_secret: Mapped[str] = mapped_column(String(32), unique=True, default=new_secret)
    #: The organisers' note for the people at the door (a VIP, a wheelchair, a gift
    #: to hand over); shown on the scanner only when ``needs_attention`` is set.
    staff_note: Mapped[str] = mapped_column(String(300), default="", server_default="")
    needs_attention: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: When the badge was last printed (a batch or a single one); None: never.
    badge_printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: SHA-256 of the secret in the person's manage link (``/r/<secret>``); the
    #: secret itself is never stored, so a database leak exposes no link.
    manage_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: The language the person signed up in: their messages are written in it.
    locale: Mapped[str] = mapped_column(
        String(16), default="zh_Hans_CN", server_default="zh_Hans_CN"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship("Event")
    category: Mapped[Category] = relationship("Category")
    delegation: Mapped[Delegation | None] = relationship(back_populates="members")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )


class RevokedTicket(db.Model):
    """A ticket secret that was replaced (a reissued badge): it scans as revoked."""

    secret: Mapped[str] = mapped_column(String(32), primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(200), default="")
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship()


class QuestionKind(enum.StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    NUMBER = "number"
    DATE = "date"
    YES_NO = "yes_no"


#: Which categories a question is asked of; none listed means every category.
question_category = Table(
    "question_category",
    db.metadata,
    Column("question_id", ForeignKey("question.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("category.id", ondelete="CASCADE"), primary_key=True),
)


class Question(db.Model):
    """A custom question of an event's registration form.

    ``options`` (choice questions only) is a list of
    ``{"key": "k3", "zh": "…", "en": "…"}``; answers store the keys, so an
    option's wording can change without touching answers. Editing the label
    bumps ``version``; removing a question with answers only deactivates it.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind))
    label_zh: Mapped[str] = mapped_column(String(300))
    label_en: Mapped[str | None] = mapped_column(String(300))
    help_zh: Mapped[str] = mapped_column(String(500), default="")
    help_en: Mapped[str | None] = mapped_column(String(500))
    required: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    options: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship("Event")
    categories: Mapped[list[Category]] = relationship("Category", secondary=question_category)

    def label_for(self, locale: str) -> str:
        return self.label_en if locale.startswith("en") and self.label_en else self.label_zh

    def help_for(self, locale: str) -> str:
        return self.help_en if locale.startswith("en") and self.help_en else self.help_zh

    def applies_to(self, category_id: int) -> bool:
        return not self.categories or any(c.id == category_id for c in self.categories)


class Answer(db.Model):
    """One registration's answer to one question, with the question as it was asked.

    ``value`` is a string, number, boolean, ISO date or list of option keys by
    question kind. ``snapshot`` keeps the wording the person saw:
    ``{"label": {"zh", "en"}, "options": {key: {"zh", "en"}}}``.
    """

    __table_args__ = (UniqueConstraint("registration_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    value: Mapped[object] = mapped_column(JSON)
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)
    question_version: Mapped[int] = mapped_column(default=1)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender until next_attempt_at; then due again
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry


class EmailOutbox(db.Model):
    """A message waiting to go out, written in the same transaction as its cause.

    If the transaction rolls back, no message exists; if SMTP is down after
    the commit, the row stays ``pending`` and ``flask outbox send`` retries it
    with a growing delay. ``attachments`` is a list of
    ``{"filename", "content_type", "data"}`` with base64 data.

    A message queued for rendering later (thousands at once, from a roster
    import) has an empty subject and body and keeps in ``render_context``
    what its template needs besides the event and the registration (their
    links); the sender renders it just before sending.
    """

    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_status_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("event.id", ondelete="SET NULL"), index=True
    )
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    render_context: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus), default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
