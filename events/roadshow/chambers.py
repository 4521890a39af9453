"""Chambers of commerce as organisations, and their projects against the yearly target.

The federation asks each chamber to bring a number of investment projects
(招商项目) a year (:attr:`Organisation.project_target`). A chamber is the
:class:`Organisation` behind a delegation of kind chamber, found by name;
its tally counts the projects it brought to the events of one calendar year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app import db
from events import audit
from events.errors import RuleError
from events.models import Event, Organisation, OrganisationKind, User
from events.roadshow.models import Project, ProjectStatus
from registration.models import Delegation, DelegationKind

PENDING_STATUSES = (ProjectStatus.SUBMITTED, ProjectStatus.CHANGES_REQUESTED)

# --- chambers ------------------------------------------------------------------------------


def normalised_name(name: str) -> str:
    return " ".join((name or "").split())


def chamber_of(delegation: Delegation | None, *, create: bool = True) -> Organisation | None:
    """The chamber (an :class:`Organisation`) behind a delegation of kind chamber.

    Found by the delegation's name with its spaces normalised, created when
    missing, and linked to the delegation. None for other kinds of
    delegation, or when the linked or same-named organisation is no chamber.
    ``create=False`` only looks (for pages that show, and change nothing).
    """
    if delegation is None or delegation.kind is not DelegationKind.CHAMBER:
        return None
    if delegation.organisation is not None:
        linked = delegation.organisation
        return linked if linked.kind is OrganisationKind.CHAMBER else None
    name = normalised_name(delegation.name)
    if not name:
        return None
    organisation = _organisation_named(name)
    if organisation is None and not create:
        return None
    if organisation is None:
        try:
            with db.session.begin_nested():
                organisation = Organisation(
                    name=name, kind=OrganisationKind.CHAMBER, region=delegation.region or ""
                )
                db.session.add(organisation)
        except IntegrityError:  # created meanwhile by a concurrent request
            organisation = _organisation_named(name)
    if organisation is None or organisation.kind is not OrganisationKind.CHAMBER:
        return None
    if not create:
        return organisation
    delegation.organisation = organisation
    db.session.flush()
    return organisation


def _organisation_named(name: str) -> Organisation | None:
    return db.session.execute(
        db.select(Organisation).where(Organisation.name == name)
    ).scalar_one_or_none()


# --- chambers against their yearly targets -------------------------------------------------


@dataclass(frozen=True)
class ChamberTally:
    chamber: Organisation
    #: This event's projects, all statuses.
    here: int
    #: Across the events of the year.
    accepted: int
    pending: int

    @property
    def target(self) -> int | None:
        return self.chamber.project_target


def year_of(event: Event) -> int:
    return event.starts_at.astimezone(event.zone).year


def _year_bounds(event: Event) -> tuple[datetime, datetime]:
    """The event's calendar year, on the event's clock, as UTC bounds."""
    year = year_of(event)
    start = datetime(year, 1, 1, tzinfo=event.zone)
    end = datetime(year + 1, 1, 1, tzinfo=event.zone)
    return start, end


def _year_counts(event: Event, chamber_ids) -> dict[int, tuple[int, int]]:
    if not chamber_ids:
        return {}
    start, end = _year_bounds(event)
    rows = db.session.execute(
        db.select(Project.chamber_id, Project.status, db.func.count(Project.id))
        .join(Event, Event.id == Project.event_id)
        .where(
            Project.chamber_id.in_(list(chamber_ids)),
            Event.starts_at >= start,
            Event.starts_at < end,
            Project.status.in_([ProjectStatus.ACCEPTED, *PENDING_STATUSES]),
        )
        .group_by(Project.chamber_id, Project.status)
    ).all()
    counts: dict[int, list[int]] = {}
    for chamber_id, status, number in rows:
        pair = counts.setdefault(chamber_id, [0, 0])
        pair[0 if ProjectStatus(status) is ProjectStatus.ACCEPTED else 1] += number
    return {key: (value[0], value[1]) for key, value in counts.items()}


def chamber_tallies(event: Event) -> list[ChamberTally]:
    """Each chamber with projects in this event, and its year against its target."""
    rows = db.session.execute(
        db.select(Organisation, db.func.count(Project.id))
        .join(Project, Project.chamber_id == Organisation.id)
        .where(Project.event_id == event.id)
        .group_by(Organisation.id)
        .order_by(Organisation.name)
    ).all()
    year = _year_counts(event, [organisation.id for organisation, _count in rows])
    return [
        ChamberTally(organisation, here, *year.get(organisation.id, (0, 0)))
        for organisation, here in rows
    ]


def chamber_tally(event: Event, chamber: Organisation) -> ChamberTally:
    here = db.session.execute(
        db.select(db.func.count(Project.id)).where(
            Project.event_id == event.id, Project.chamber_id == chamber.id
        )
    ).scalar_one()
    return ChamberTally(chamber, here, *_year_counts(event, [chamber.id]).get(chamber.id, (0, 0)))


def chamber_in_event(event: Event, organisation_id: int) -> Organisation | None:
    """A chamber that has projects in the event (whose target this event's organisers see)."""
    found = db.session.execute(
        db.select(Project.id).where(
            Project.event_id == event.id, Project.chamber_id == organisation_id
        )
    ).first()
    return db.session.get(Organisation, organisation_id) if found else None


def set_target(event: Event, chamber: Organisation, target: int | None, actor: User) -> None:
    if target is not None and target < 0:
        raise RuleError(_l("The target must be 0 or more."), "project_target")
    before = chamber.project_target
    chamber.project_target = target
    db.session.flush()
    audit.record(
        "organisation.target_set",
        "organisation",
        chamber.id,
        event_id=event.id,
        actor=actor,
        project_target=[before, target],
    )
