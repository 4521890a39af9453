"""Roadshows (项目推介会): projects, investors' interest, sessions, schedules and runs.

A :class:`Project` is submitted by a chamber (through its delegation's portal)
or by an enterprise (through its presenter's own manage link) and reviewed by
organisers. Accepted projects are placed by the scheduler into the slots of
the roadshow sessions (agenda items of kind ``roadshow``) in the rooms chosen
in :class:`RoadshowSetup`.

Schedules are versioned: each event has at most one draft
(:class:`RoadshowSchedule` with ``number`` None), which a scheduler run
replaces and organisers edit by hand; publishing copies the draft into the
next numbered version with the list of changes since the previous one. A
:class:`SchedulerRun` records one run of the solver outside any request, its
progress and its outcome; a failed run never touches a schedule.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import db
from events.dbtypes import UTCDateTime, utcnow
from events.models import AgendaItem, Organisation, Room, User, enum_column

if TYPE_CHECKING:
    from events.models import Event
    from registration.models import Delegation, Registration


class Sector(enum.StrEnum):
    """Shandong's ten priority industries (十强产业), plus other."""

    INFORMATION_TECHNOLOGY = "information_technology"
    HIGH_END_EQUIPMENT = "high_end_equipment"
    NEW_ENERGY_MATERIALS = "new_energy_materials"
    MARINE = "marine"
    HEALTH = "health"
    GREEN_CHEMICALS = "green_chemicals"
    AGRICULTURE = "agriculture"
    CULTURE = "culture"
    TOURISM = "tourism"
    FINANCE = "finance"
    OTHER = "other"


class CooperationMode(enum.StrEnum):
    EQUITY = "equity"
    JOINT_VENTURE = "joint_venture"
    SOLE_INVESTMENT = "sole_investment"
    DEBT = "debt"
    TECHNOLOGY = "technology"
    ACQUISITION = "acquisition"
    OTHER = "other"


class ProjectStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Project(db.Model):
    """An investment project (招商项目) to be pitched at the event's roadshow."""

    __table_args__ = (Index("ix_project_event_status", "event_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    status: Mapped[ProjectStatus] = mapped_column(
        enum_column(ProjectStatus), default=ProjectStatus.SUBMITTED
    )
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    summary_zh: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str | None] = mapped_column(Text)
    sector: Mapped[Sector] = mapped_column(enum_column(Sector))
    #: The organisation that owns the project (the enterprise, a park, a city).
    owner_name: Mapped[str] = mapped_column(String(200))
    #: The chamber that brings the project; it counts against its yearly target.
    chamber_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    #: Where the project is (a city or region, used by the catalogue's filter).
    region: Mapped[str] = mapped_column(String(100), default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    #: Capital sought, in 万元 (ten thousand yuan).
    capital_wan: Mapped[int]
    cooperation_mode: Mapped[CooperationMode] = mapped_column(enum_column(CooperationMode))
    presenter_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    #: Who submitted it: a delegation's leader, or a registration (the presenter).
    delegation_id: Mapped[int | None] = mapped_column(
        ForeignKey("delegation.id", ondelete="SET NULL"), index=True
    )
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    #: Consecutive slots the pitch needs (organisers may give a double slot).
    duration_slots: Mapped[int] = mapped_column(default=1)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The pitch deck: a PDF kept under the instance folder, named by ``deck_key``.
    deck_key: Mapped[str | None] = mapped_column(String(64))
    deck_filename: Mapped[str | None] = mapped_column(String(200))
    deck_size: Mapped[int | None]
    deck_pages: Mapped[int | None]
    deck_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship("Event")
    chamber: Mapped[Organisation | None] = relationship(Organisation)
    presenter: Mapped[Registration | None] = relationship(
        "Registration", foreign_keys=[presenter_id]
    )
    submitted_by: Mapped[Registration | None] = relationship(
        "Registration", foreign_keys=[submitted_by_id]
    )
    delegation: Mapped[Delegation | None] = relationship("Delegation")
    reviews: Mapped[list[ProjectReview]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectReview.id"
    )

    def title_for(self, locale: str) -> str:
        return self.title_en if locale.startswith("en") and self.title_en else self.title_zh

    def summary_for(self, locale: str) -> str:
        return self.summary_en if locale.startswith("en") and self.summary_en else self.summary_zh


class ProjectReview(db.Model):
    """One organiser's decision on a project, with the comment the submitter reads."""

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[ProjectStatus] = mapped_column(enum_column(ProjectStatus))
    comment: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship(back_populates="reviews")
    actor: Mapped[User | None] = relationship(User)


class ProjectInterest(db.Model):
    """An investor (a registration) wants to hear a project's pitch."""

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True
    )
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PresenterUnavailability(db.Model):
    """A presenter cannot pitch during one roadshow session."""

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    agenda_item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="CASCADE"), primary_key=True
    )


#: The rooms that host the roadshow's pitches.
roadshow_room = Table(
    "roadshow_room",
    db.metadata,
    Column("event_id", ForeignKey("roadshow_setup.event_id", ondelete="CASCADE"), primary_key=True),
    Column("room_id", ForeignKey("room.id", ondelete="CASCADE"), primary_key=True),
)

#: The agenda items (kind ``roadshow``) whose time is cut into pitch slots.
roadshow_session = Table(
    "roadshow_session",
    db.metadata,
    Column("event_id", ForeignKey("roadshow_setup.event_id", ondelete="CASCADE"), primary_key=True),
    Column("agenda_item_id", ForeignKey("agenda_item.id", ondelete="CASCADE"), primary_key=True),
)


class RoadshowSetup(db.Model):
    """How an event's roadshow runs: who may submit, and the shape of its slots."""

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    submissions_open: Mapped[bool] = mapped_column(default=False)
    submissions_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pitch_minutes: Mapped[int] = mapped_column(default=15)
    changeover_minutes: Mapped[int] = mapped_column(default=5)
    one_sector_per_room_session: Mapped[bool] = mapped_column(default=False)
    #: How long the solver may search, in seconds.
    time_limit: Mapped[int] = mapped_column(default=20)

    rooms: Mapped[list[Room]] = relationship(Room, secondary=roadshow_room, order_by=Room.position)
    sessions: Mapped[list[AgendaItem]] = relationship(
        AgendaItem, secondary=roadshow_session, order_by=AgendaItem.starts_at
    )


class ScheduleSource(enum.StrEnum):
    SOLVER = "solver"
    MANUAL = "manual"


class RoadshowSchedule(db.Model):
    """A draft (``number`` None) or a published version of the roadshow's schedule.

    ``figures`` holds what the scheduler or the last check measured:
    ``{"interests", "missed_interests", "unscheduled": {project id: reason},
    "baseline_missed"}``. ``changes`` (published versions) lists what moved
    since the previous version: ``[{"project", "kind": "added"|"moved"|"removed",
    "before": {"room", "starts_at"} | None, "after": … | None}]``.
    """

    __table_args__ = (
        UniqueConstraint("event_id", "number"),
        # One draft per event: NULL numbers escape the constraint above.
        Index(
            "uq_roadshow_schedule_draft",
            "event_id",
            unique=True,
            sqlite_where=text("number IS NULL"),
            postgresql_where=text("number IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    number: Mapped[int | None]
    source: Mapped[ScheduleSource] = mapped_column(
        enum_column(ScheduleSource), default=ScheduleSource.SOLVER
    )
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    changes: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    pitches: Mapped[list[Pitch]] = relationship(
        back_populates="schedule", cascade="all, delete-orphan", order_by="Pitch.starts_at"
    )
    published_by: Mapped[User | None] = relationship(User)

    @property
    def is_draft(self) -> bool:
        return self.number is None


class Pitch(db.Model):
    """A project placed in a room at a time, within one schedule."""

    __table_args__ = (UniqueConstraint("schedule_id", "project_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("roadshow_schedule.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    schedule: Mapped[RoadshowSchedule] = relationship(back_populates="pitches")
    project: Mapped[Project] = relationship(Project)
    room: Mapped[Room] = relationship(Room)


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class SchedulerRun(db.Model):
    """One run of a solver (the roadshow's, or a matchmaking session's), started
    from the organiser's page and run outside it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus), default=RunStatus.RUNNING)
    time_limit: Mapped[int]
    started_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Last sign of life from the process running the solver.
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: ``{"phase", "elapsed", "missed_interests", "interests"}`` as the search goes.
    progress: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(String(500), default="")
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("roadshow_schedule.id", ondelete="SET NULL")
    )
    #: Set for a matchmaking run: the session whose meetings it schedules.
    match_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("match_session.id", ondelete="CASCADE"), index=True
    )

    started_by: Mapped[User | None] = relationship(User)
