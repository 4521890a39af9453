"""Projects (招商项目): submission and review.

A project comes either from a chamber's delegation (its leader submits
through the portal ``/d/<secret>`` and picks the presenter among the
members) or from an enterprise (the presenter submits through their own
manage link ``/r/<secret>``). Submissions are open while the event's
:class:`RoadshowSetup` says so and its closing time has not passed, and only
for a submitter still taking part.

Status moves: ``submitted`` → (review) ``accepted`` | ``rejected`` |
``changes_requested``; a submitter saves ``changes_requested`` back to
``submitted``, and may withdraw anything not already withdrawn or rejected.
Each move writes an audit entry; each review also a :class:`ProjectReview`
and an email to the submitter in their language.

Services here take model objects, flush, and raise :class:`ProjectError`;
the views commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from app import db
from events import audit
from events.dbtypes import utcnow
from events.errors import RuleError
from events.models import Event, Organisation, User
from events.roadshow.chambers import chamber_of, normalised_name
from events.roadshow.models import (
    CooperationMode,
    Project,
    ProjectInterest,
    ProjectReview,
    ProjectStatus,
    RoadshowSetup,
    Sector,
)
from registration import mail
from registration.delegations import LEADER
from registration.models import (
    Delegation,
    DelegationStatus,
    Registration,
    RegistrationStatus,
)

if TYPE_CHECKING:
    from events.roadshow.decks import StoredDeck

#: Who may present a project, and submit one through their own link.
PRESENTER_STATUSES = (RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED)
EDITABLE = frozenset({ProjectStatus.SUBMITTED, ProjectStatus.CHANGES_REQUESTED})
NOT_WITHDRAWABLE = frozenset({ProjectStatus.WITHDRAWN, ProjectStatus.REJECTED})
DECISIONS = (ProjectStatus.ACCEPTED, ProjectStatus.REJECTED, ProjectStatus.CHANGES_REQUESTED)
#: Decisions the submitter must be told why.
COMMENT_REQUIRED = frozenset({ProjectStatus.REJECTED, ProjectStatus.CHANGES_REQUESTED})
PENDING_STATUSES = (ProjectStatus.SUBMITTED, ProjectStatus.CHANGES_REQUESTED)
MAX_CAPITAL_WAN = 100_000_000
MAX_DURATION_SLOTS = 4
REGISTRANT = "registrant"


class ProjectError(RuleError):
    """A project change refused by a rule of this module."""


# --- the submission window -----------------------------------------------------------------


def setup_of(event: Event) -> RoadshowSetup | None:
    return db.session.get(RoadshowSetup, event.id)


def submissions_open(event: Event, now: datetime | None = None) -> bool:
    setup = setup_of(event)
    if setup is None or not setup.submissions_open:
        return False
    return setup.submissions_close_at is None or (now or utcnow()) < setup.submissions_close_at


@dataclass(frozen=True)
class Submitter:
    """Who submits: a delegation's leader, or a registration for itself."""

    delegation: Delegation | None = None
    registration: Registration | None = None

    @property
    def event(self) -> Event:
        return (self.delegation or self.registration).event

    @property
    def active(self) -> bool:
        if self.delegation is not None:
            return self.delegation.status is DelegationStatus.APPROVED
        return self.registration.status in PRESENTER_STATUSES

    @property
    def actor_label(self) -> str:
        return LEADER if self.delegation is not None else REGISTRANT

    def owns(self, project: Project) -> bool:
        if project.event_id != self.event.id:
            return False
        if self.delegation is not None:
            return project.delegation_id == self.delegation.id
        return project.delegation_id is None and project.submitted_by_id == self.registration.id

    def presenters(self) -> list[Registration]:
        """Whom the project may name as presenter."""
        if self.delegation is None:
            return [self.registration] if self.active else []
        return list(
            db.session.execute(
                db.select(Registration)
                .where(
                    Registration.delegation_id == self.delegation.id,
                    Registration.status.in_(PRESENTER_STATUSES),
                )
                .order_by(Registration.name, Registration.id)
            ).scalars()
        )

    def chamber(self) -> Organisation | None:
        if self.delegation is not None:
            return chamber_of(self.delegation)
        return chamber_of(self.registration.delegation)


def can_submit(submitter: Submitter) -> bool:
    return submitter.active and submissions_open(submitter.event)


def projects_of_submitter(submitter: Submitter) -> list[Project]:
    statement = db.select(Project).where(Project.event_id == submitter.event.id)
    if submitter.delegation is not None:
        statement = statement.where(Project.delegation_id == submitter.delegation.id)
    else:
        statement = statement.where(
            Project.delegation_id.is_(None), Project.submitted_by_id == submitter.registration.id
        )
    return list(db.session.execute(statement.order_by(Project.id)).scalars())


def project_of_submitter(submitter: Submitter, project_id: int) -> Project | None:
    project = db.session.get(Project, project_id)
    return project if project is not None and submitter.owns(project) else None


# --- submitting and editing ----------------------------------------------------------------


@dataclass
class ProjectDetails:
    """What a submitter fills in (the deck comes separately)."""

    title_zh: str
    title_en: str | None
    summary_zh: str
    summary_en: str | None
    sector: Sector
    owner_name: str
    region: str
    location: str
    capital_wan: int
    cooperation_mode: CooperationMode
    presenter_id: int | None = None


def _require_open(submitter: Submitter) -> None:
    if not submitter.active:
        raise ProjectError(_l("Your registration is no longer active: projects cannot be changed."))
    if not submissions_open(submitter.event):
        raise ProjectError(_l("Project submissions are closed for this event."))


def _check_details(submitter: Submitter, details: ProjectDetails) -> Registration | None:
    """The presenter the details name; fills the owner in from the presenter when empty."""
    if not 0 <= details.capital_wan <= MAX_CAPITAL_WAN:
        raise ProjectError(_l("The capital must be between 0 and 100,000,000 万元."), "capital_wan")
    presenter = _presenter(submitter, details)
    details.owner_name = normalised_name(details.owner_name) or normalised_name(
        presenter.organisation if presenter is not None else ""
    )
    if not details.owner_name:
        raise ProjectError(
            _l("Enter the project owner, or choose a presenter whose organisation owns it."),
            "owner_name",
        )
    return presenter


def _presenter(submitter: Submitter, details: ProjectDetails) -> Registration | None:
    if submitter.delegation is None:
        return submitter.registration
    if details.presenter_id is None:
        return None
    presenter = next((r for r in submitter.presenters() if r.id == details.presenter_id), None)
    if presenter is None:
        raise ProjectError(_l("Choose the presenter among the delegation's members."), "presenter")
    return presenter


def _apply(project: Project, details: ProjectDetails, presenter: Registration | None) -> None:
    for name in (
        "title_zh",
        "title_en",
        "summary_zh",
        "summary_en",
        "sector",
        "owner_name",
        "region",
        "location",
        "capital_wan",
        "cooperation_mode",
    ):
        setattr(project, name, getattr(details, name))
    project.presenter = presenter


def _apply_deck(project: Project, deck: StoredDeck | None) -> str | None:
    """Point the project at a new deck; the old deck's key, to delete after the commit."""
    if deck is None:
        return None
    old_key = project.deck_key
    project.deck_key = deck.key
    project.deck_filename = deck.filename
    project.deck_size = deck.size
    project.deck_pages = deck.pages
    project.deck_sha256 = deck.sha256
    return old_key


def submit(
    submitter: Submitter, details: ProjectDetails, deck: StoredDeck | None = None
) -> Project:
    _require_open(submitter)
    presenter = _check_details(submitter, details)
    project = Project(
        event_id=submitter.event.id,
        status=ProjectStatus.SUBMITTED,
        chamber=submitter.chamber(),
        delegation=submitter.delegation,
        submitted_by=submitter.registration,
    )
    _apply(project, details, presenter)
    _apply_deck(project, deck)
    db.session.add(project)
    db.session.flush()
    audit.record(
        "project.submitted",
        "project",
        project.id,
        event_id=project.event_id,
        actor_label=submitter.actor_label,
        title=project.title_zh,
    )
    return project


def editable(submitter: Submitter, project: Project) -> bool:
    return project.status in EDITABLE and can_submit(submitter)


def update(
    submitter: Submitter, project: Project, details: ProjectDetails, deck: StoredDeck | None = None
) -> str | None:
    """Save the submitter's changes; returns the replaced deck's key, to discard after commit."""
    _require_open(submitter)
    if project.status not in EDITABLE:
        raise ProjectError(_l("This project can no longer be changed."))
    presenter = _check_details(submitter, details)
    before = project.status
    _apply(project, details, presenter)
    old_key = _apply_deck(project, deck)
    if project.status is ProjectStatus.CHANGES_REQUESTED:
        project.status = ProjectStatus.SUBMITTED
    db.session.flush()
    audit.record(
        "project.updated",
        "project",
        project.id,
        event_id=project.event_id,
        actor_label=submitter.actor_label,
        status=[before.value, project.status.value],
        deck_replaced=deck is not None,
    )
    return old_key


def withdrawable(project: Project) -> bool:
    return project.status not in NOT_WITHDRAWABLE


def withdraw(submitter: Submitter, project: Project) -> None:
    """Withdraw a project, at any time (a presenter may fall ill after the deadline)."""
    if not withdrawable(project):
        raise ProjectError(_l("This project cannot be withdrawn."))
    before = project.status
    project.status = ProjectStatus.WITHDRAWN
    db.session.flush()
    audit.record(
        "project.withdrawn",
        "project",
        project.id,
        event_id=project.event_id,
        actor_label=submitter.actor_label,
        status=[before.value, project.status.value],
    )


# --- organisers ----------------------------------------------------------------------------


def project_of_event(event: Event, project_id: int) -> Project | None:
    project = db.session.get(Project, project_id)
    return project if project is not None and project.event_id == event.id else None


def projects_of_event(
    event: Event, status: ProjectStatus | None = None, sector: Sector | None = None
) -> list[Project]:
    statement = db.select(Project).where(Project.event_id == event.id)
    if status is not None:
        statement = statement.where(Project.status == status)
    if sector is not None:
        statement = statement.where(Project.sector == sector)
    return list(db.session.execute(statement.order_by(Project.id)).scalars())


def status_counts(event: Event) -> dict[ProjectStatus, int]:
    rows = db.session.execute(
        db.select(Project.status, db.func.count(Project.id))
        .where(Project.event_id == event.id)
        .group_by(Project.status)
    ).all()
    counts = dict.fromkeys(ProjectStatus, 0)
    counts.update({ProjectStatus(status): number for status, number in rows})
    return counts


def interest_counts(event: Event) -> dict[int, int]:
    """Interested investors per project of the event."""
    rows = db.session.execute(
        db.select(ProjectInterest.project_id, db.func.count(ProjectInterest.registration_id))
        .join(Project, Project.id == ProjectInterest.project_id)
        .where(Project.event_id == event.id)
        .group_by(ProjectInterest.project_id)
    ).all()
    return dict(rows)


def recipient(project: Project) -> tuple[str | None, str]:
    """The submitter's address and language: the delegation's leader, or the registration."""
    if project.delegation is not None:
        return project.delegation.leader_email, project.delegation.locale
    person = project.submitted_by
    if person is not None:
        return person.email, person.locale
    return None, "zh_Hans_CN"


def review(project: Project, decision: ProjectStatus, comment: str, actor: User) -> ProjectReview:
    """Record an organiser's decision, tell the submitter by email."""
    if decision not in DECISIONS:
        raise ProjectError(_l("Choose a decision."), "decision")
    comment = (comment or "").strip()
    if decision in COMMENT_REQUIRED and not comment:
        raise ProjectError(
            _l("Please say why: the submitter reads this comment."),
            "comment",
        )
    if project.status is ProjectStatus.WITHDRAWN:
        raise ProjectError(_l("This project was withdrawn by its submitter."))
    before = project.status
    entry = ProjectReview(project=project, decision=decision, comment=comment, actor=actor)
    db.session.add(entry)
    project.status = decision
    project.review_comment = comment
    project.reviewed_at = utcnow()
    db.session.flush()
    audit.record(
        "project.reviewed",
        "project",
        project.id,
        event_id=project.event_id,
        actor=actor,
        status=[before.value, decision.value],
    )
    address, locale = recipient(project)
    if address:
        mail.queue(
            "project_reviewed",
            address,
            locale=locale,
            event=project.event,
            registration=project.submitted_by if project.delegation is None else None,
            project=project,
            decision=decision.value,
            comment=comment,
            greeting_name=_greeting_name(project),
        )
    return entry


def _greeting_name(project: Project) -> str:
    if project.delegation is not None:
        return project.delegation.leader_name
    return project.submitted_by.name if project.submitted_by is not None else ""


def set_duration(project: Project, slots: int, actor: User) -> None:
    if not 1 <= slots <= MAX_DURATION_SLOTS:
        raise ProjectError(_l("A pitch takes 1 to 4 slots."), "duration_slots")
    before = project.duration_slots
    project.duration_slots = slots
    db.session.flush()
    audit.record(
        "project.duration_set",
        "project",
        project.id,
        event_id=project.event_id,
        actor=actor,
        duration_slots=[before, slots],
    )


def save_settings(
    event: Event, is_open: bool, close_at: datetime | None, actor: User
) -> RoadshowSetup:
    """Open or close submissions, creating the event's roadshow setup when it has none."""
    setup = setup_of(event)
    if setup is None:
        setup = RoadshowSetup(event_id=event.id)
        db.session.add(setup)
    setup.submissions_open = is_open
    setup.submissions_close_at = close_at
    db.session.flush()
    audit.record(
        "roadshow.submissions_set",
        "event",
        event.id,
        event_id=event.id,
        actor=actor,
        submissions_open=is_open,
        submissions_close_at=close_at.isoformat() if close_at else None,
    )
    return setup


def closes_at(event: Event) -> datetime | None:
    setup = setup_of(event)
    return setup.submissions_close_at if setup is not None else None
