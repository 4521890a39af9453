"""Demo matchmaking: the conference's second-afternoon session (洽谈对接（下午场）).

Investors and the presenters of the roadshow's accepted projects take part.
Investors ask to meet the owners of the projects they marked, owners ask a
few investors in turn; most requests are accepted, some wait or were
declined. The real scheduler places them at 14 tables in nine 20-minute
rounds. Runs after :mod:`events.roadshow.demo` (it needs the projects).
"""

from __future__ import annotations

import random
from datetime import timedelta

from app import db
from events.models import AgendaItem, AgendaKind, Category, Event, User
from events.roadshow import match_planning, matchmaking, participants
from events.roadshow.match_models import (
    MatchmakingSetup,
    MatchProfile,
    MatchSession,
    MatchUnavailability,
    MeetingRequest,
    Priority,
    RequestStatus,
)
from events.roadshow.models import Project, ProjectInterest, ProjectStatus, Sector
from registration.models import Registration, RegistrationStatus

REGIONS = ["济南", "青岛", "烟台", "潍坊", "淄博", "上海", "北京", "深圳"]


def load(events: dict[str, Event], rng: random.Random) -> None:
    event = events.get("rushang-2019")
    if event is None:
        return
    organiser = db.session.scalar(db.select(User).filter_by(email="organiser@huiwu.example"))
    categories = {
        c.code: c for c in db.session.scalars(db.select(Category).filter_by(event_id=event.id))
    }
    setup = MatchmakingSetup(
        event_id=event.id, requests_open=False, auto_accept=False, time_limit=10
    )
    setup.categories = [categories["investor"], categories["delegate"]]
    db.session.add(setup)
    db.session.flush()
    owners = _owners(event)
    investors = [
        r
        for r in db.session.scalars(
            db.select(Registration)
            .filter_by(event_id=event.id, category_id=categories["investor"].id)
            .order_by(Registration.id)
        )
        if r.status is RegistrationStatus.CONFIRMED
    ]
    _profiles(owners, investors, rng)
    _requests(event, owners, investors, organiser, rng)
    session = _session(event)
    _unavailability(session, investors, rng)
    db.session.flush()
    job = match_planning.build_job(session)
    plan = matchmaking.solve(job.instance, time_limit=3)
    match_planning.apply_plan(session, job.instance, plan)
    session.scheduled_at = event.starts_at - timedelta(days=2)


def _owners(event: Event) -> dict[int, tuple[Registration, Project]]:
    projects = db.session.scalars(
        db.select(Project)
        .filter_by(event_id=event.id, status=ProjectStatus.ACCEPTED)
        .order_by(Project.id)
    )
    return {
        p.presenter_id: (p.presenter, p)
        for p in projects
        if p.presenter is not None and p.presenter.status is RegistrationStatus.CONFIRMED
    }


def _profiles(owners, investors, rng: random.Random) -> None:
    for registration, project in owners.values():
        db.session.add(
            MatchProfile(
                registration_id=registration.id,
                capacity=1,
                sector=project.sector,
                region=project.region,
                capital_wan=project.capital_wan,
                about=project.summary_zh,
            )
        )
    for index, investor in enumerate(investors):
        db.session.add(
            MatchProfile(
                registration_id=investor.id,
                # The larger funds send two partners who meet at separate tables.
                capacity=2 if index % 7 == 0 else 1,
                sector=rng.choice([None, *Sector]),
                region=rng.choice(REGIONS),
                capital_wan=rng.choice([5000, 10000, 30000, 50000, 100000]),
                about="关注省内先进制造、新能源和医养健康领域的股权投资机会。",
            )
        )


def _requests(event, owners, investors, organiser, rng: random.Random) -> None:
    """Investors ask for the projects they marked; owners ask some investors back."""
    by_project = {project.id: owner for owner, (_reg, project) in owners.items()}
    made: set[tuple[int, int]] = set()

    def add(requester, recipient, priority, status):
        pair = tuple(sorted((requester.id, recipient.id)))
        if requester.id == recipient.id or pair in made:
            return
        made.add(pair)
        db.session.add(
            MeetingRequest(
                event_id=event.id,
                requester_id=requester.id,
                recipient_id=recipient.id,
                low_id=pair[0],
                high_id=pair[1],
                priority=priority,
                note="希望进一步了解项目进展和合作方式。" if priority == Priority.MUST else "",
                status=status,
                created_at=event.starts_at - timedelta(days=rng.randint(3, 12)),
                responded_at=event.starts_at - timedelta(days=rng.randint(1, 2))
                if status is not RequestStatus.PENDING
                else None,
            )
        )

    statuses = [RequestStatus.ACCEPTED] * 8 + [RequestStatus.PENDING, RequestStatus.DECLINED]
    for investor in investors:
        marked = db.session.scalars(
            db.select(ProjectInterest.project_id).filter_by(registration_id=investor.id)
        ).all()
        for project_id in marked:
            owner = by_project.get(project_id)
            if owner is not None:
                priority = rng.choices([3, 2, 1], weights=[2, 5, 3])[0]
                add(investor, owners[owner][0], priority, rng.choice(statuses))
    owner_list = [registration for registration, _project in owners.values()]
    for owner in owner_list:
        for investor in rng.sample(investors, min(2, len(investors))):
            add(owner, investor, rng.choice([2, 1]), rng.choice(statuses))
    # The organisers set up two meetings for guests of honour themselves.
    for investor, owner in zip(investors[:2], owner_list[-2:], strict=False):
        if tuple(sorted((investor.id, owner.id))) not in made:
            participants.create_request(event, investor, owner, Priority.MUST, added_by=organiser)
            made.add(tuple(sorted((investor.id, owner.id))))
    db.session.flush()


def _session(event: Event) -> MatchSession:
    item = db.session.scalar(
        db.select(AgendaItem).filter_by(
            event_id=event.id, kind=AgendaKind.MATCHMAKING, title_zh="洽谈对接（下午场）"
        )
    )
    session = MatchSession(
        event_id=event.id,
        agenda_item_id=item.id,
        name_zh=item.title_zh,
        name_en=item.title_en,
        starts_at=item.starts_at,
        meeting_minutes=20,
        slot_count=9,
        table_count=14,
        table_names=[f"A{n:02d}" for n in range(1, 15)],
    )
    db.session.add(session)
    db.session.flush()
    return session


def _unavailability(session: MatchSession, investors, rng: random.Random) -> None:
    """A few investors arrive late or leave early."""
    for investor in rng.sample(investors, min(5, len(investors))):
        late = rng.random() < 0.5
        slots = range(0, 2) if late else range(session.slot_count - 2, session.slot_count)
        for slot in slots:
            db.session.add(
                MatchUnavailability(registration_id=investor.id, session_id=session.id, slot=slot)
            )
