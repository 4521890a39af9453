"""Demo roadshows: the China–Israel investment roadshow and the conference's roadshow day.

Runs as a step of ``flask demo`` after the events and people exist (see
:func:`registration.demo.load`). Projects, owners and figures are fiction in
the shape of the federation's investment projects (招商项目); the schedules are
made by the real scheduler and published as the organisers would.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from app import db
from events.models import AgendaItem, AgendaKind, Event, Room, User
from events.roadshow import chambers, planning, scheduling
from events.roadshow.models import (
    CooperationMode,
    PresenterUnavailability,
    Project,
    ProjectInterest,
    ProjectReview,
    ProjectStatus,
    RoadshowSetup,
    Sector,
)
from events.roadshow.sessions import slots_of
from registration.models import Delegation, Registration, RegistrationStatus

S = Sector
M = CooperationMode

#: (title_zh, title_en, sector, city, mode)
CONFERENCE_PROJECTS = [
    (
        "工业互联网平台建设项目",
        "Industrial internet platform",
        S.INFORMATION_TECHNOLOGY,
        "济南",
        M.EQUITY,
    ),
    ("大数据产业园", "Big data industrial park", S.INFORMATION_TECHNOLOGY, "枣庄", M.JOINT_VENTURE),
    (
        "智能网联汽车测试基地",
        "Connected vehicle test base",
        S.INFORMATION_TECHNOLOGY,
        "潍坊",
        M.EQUITY,
    ),
    (
        "集成电路封装测试项目",
        "Chip packaging and testing",
        S.INFORMATION_TECHNOLOGY,
        "青岛",
        M.EQUITY,
    ),
    ("高档数控机床生产线", "CNC machine tool line", S.HIGH_END_EQUIPMENT, "济宁", M.JOINT_VENTURE),
    (
        "轨道交通装备产业园",
        "Rail transit equipment park",
        S.HIGH_END_EQUIPMENT,
        "青岛",
        M.SOLE_INVESTMENT,
    ),
    ("工业机器人研发制造基地", "Industrial robot base", S.HIGH_END_EQUIPMENT, "烟台", M.EQUITY),
    ("智能农机装备项目", "Smart farm machinery", S.HIGH_END_EQUIPMENT, "潍坊", M.TECHNOLOGY),
    (
        "海上风电装备制造基地",
        "Offshore wind equipment base",
        S.NEW_ENERGY_MATERIALS,
        "东营",
        M.JOINT_VENTURE,
    ),
    ("氢能源产业园", "Hydrogen energy park", S.NEW_ENERGY_MATERIALS, "淄博", M.EQUITY),
    ("高性能碳纤维项目", "High-performance carbon fibre", S.NEW_ENERGY_MATERIALS, "威海", M.EQUITY),
    ("光伏储能一体化项目", "Solar power with storage", S.NEW_ENERGY_MATERIALS, "德州", M.DEBT),
    ("海洋牧场综合体", "Marine ranching complex", S.MARINE, "烟台", M.JOINT_VENTURE),
    ("海洋生物医药产业园", "Marine biomedicine park", S.MARINE, "青岛", M.EQUITY),
    ("智慧港口物流中心", "Smart port logistics centre", S.MARINE, "日照", M.SOLE_INVESTMENT),
    ("深远海养殖装备项目", "Deep-sea aquaculture equipment", S.MARINE, "威海", M.TECHNOLOGY),
    ("康养小镇", "Health and wellness town", S.HEALTH, "泰安", M.SOLE_INVESTMENT),
    ("生物医药创新园", "Biomedicine innovation park", S.HEALTH, "济南", M.EQUITY),
    ("高端医疗器械产业园", "Medical devices park", S.HEALTH, "淄博", M.JOINT_VENTURE),
    ("中医药健康产业园", "Chinese medicine health park", S.HEALTH, "菏泽", M.EQUITY),
    ("化工新材料产业园", "New chemical materials park", S.GREEN_CHEMICALS, "东营", M.JOINT_VENTURE),
    ("绿色石化循环经济项目", "Circular petrochemicals", S.GREEN_CHEMICALS, "滨州", M.EQUITY),
    ("精细化工升级改造项目", "Fine chemicals upgrade", S.GREEN_CHEMICALS, "潍坊", M.ACQUISITION),
    ("现代农业产业园", "Modern agriculture park", S.AGRICULTURE, "寿光", M.JOINT_VENTURE),
    (
        "冷链物流及农产品加工项目",
        "Cold chain and food processing",
        S.AGRICULTURE,
        "临沂",
        M.SOLE_INVESTMENT,
    ),
    ("智慧种业基地", "Smart seed breeding base", S.AGRICULTURE, "德州", M.TECHNOLOGY),
    ("文化创意产业园", "Creative industries park", S.CULTURE, "济南", M.EQUITY),
    ("影视拍摄基地", "Film production base", S.CULTURE, "青岛", M.JOINT_VENTURE),
    ("非遗文化街区", "Intangible heritage quarter", S.CULTURE, "聊城", M.OTHER),
    ("滨海度假区", "Seaside resort", S.TOURISM, "日照", M.SOLE_INVESTMENT),
    ("泰山文旅综合体", "Mount Tai culture and tourism complex", S.TOURISM, "泰安", M.JOINT_VENTURE),
    ("黄河湿地生态旅游项目", "Yellow River wetland eco-tourism", S.TOURISM, "东营", M.EQUITY),
    ("供应链金融服务平台", "Supply chain finance platform", S.FINANCE, "青岛", M.EQUITY),
    ("产业投资基金", "Industrial investment fund", S.FINANCE, "济南", M.EQUITY),
    ("金融科技产业园", "Fintech park", S.FINANCE, "济南", M.JOINT_VENTURE),
    ("鲁西南物流枢纽", "South-west Shandong logistics hub", S.OTHER, "菏泽", M.SOLE_INVESTMENT),
]

#: (title_zh, title_en, sector, city, mode, owner_zh)
ISRAEL_PROJECTS = [
    (
        "智能滴灌控制系统",
        "Smart drip irrigation control",
        S.AGRICULTURE,
        "特拉维夫",
        M.TECHNOLOGY,
        "绿洲水技术公司",
    ),
    (
        "海水淡化膜技术",
        "Desalination membranes",
        S.MARINE,
        "海法",
        M.JOINT_VENTURE,
        "海岸膜科技公司",
    ),
    (
        "网络安全威胁检测平台",
        "Cyber threat detection",
        S.INFORMATION_TECHNOLOGY,
        "特拉维夫",
        M.EQUITY,
        "盾云安全公司",
    ),
    (
        "无创血糖监测设备",
        "Non-invasive glucose monitor",
        S.HEALTH,
        "耶路撒冷",
        M.EQUITY,
        "晨光医疗公司",
    ),
    (
        "远程心电监护系统",
        "Remote ECG monitoring",
        S.HEALTH,
        "海法",
        M.TECHNOLOGY,
        "心桥医疗科技公司",
    ),
    (
        "植保无人机",
        "Crop-protection drones",
        S.AGRICULTURE,
        "贝尔谢巴",
        M.JOINT_VENTURE,
        "沙漠之鹰农业科技公司",
    ),
    (
        "工业视觉检测AI",
        "AI visual inspection",
        S.INFORMATION_TECHNOLOGY,
        "特拉维夫",
        M.EQUITY,
        "慧眼视觉公司",
    ),
    (
        "储能电池管理系统",
        "Battery management for storage",
        S.NEW_ENERGY_MATERIALS,
        "雷霍沃特",
        M.JOINT_VENTURE,
        "恒能电池科技公司",
    ),
    (
        "精准医疗基因检测",
        "Precision genetic testing",
        S.HEALTH,
        "雷霍沃特",
        M.EQUITY,
        "基因之光公司",
    ),
    (
        "智慧交通信号管理",
        "Smart traffic signals",
        S.INFORMATION_TECHNOLOGY,
        "耶路撒冷",
        M.TECHNOLOGY,
        "畅行城市科技公司",
    ),
    (
        "温室智能环境控制",
        "Smart greenhouse climate",
        S.AGRICULTURE,
        "贝尔谢巴",
        M.TECHNOLOGY,
        "绿穹农业公司",
    ),
    (
        "金融反欺诈风控平台",
        "Fintech fraud prevention",
        S.FINANCE,
        "特拉维夫",
        M.EQUITY,
        "磐石金融科技公司",
    ),
]

CHAMBER_TARGET = 3


def load(events: dict[str, Event], rng: random.Random) -> None:
    """Add both roadshows; the caller commits."""
    organiser = db.session.scalar(db.select(User).filter_by(email="organiser@huiwu.example"))
    if "rushang-2019" in events:
        _conference_roadshow(events["rushang-2019"], organiser, rng)
    if "china-israel-roadshow-2019" in events:
        _israel_roadshow(events["china-israel-roadshow-2019"], organiser, rng)


def _local(event: Event, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=event.zone)


def _registrations(event: Event, **filters) -> list[Registration]:
    return list(
        db.session.scalars(
            db.select(Registration)
            .filter_by(event_id=event.id, status=RegistrationStatus.CONFIRMED, **filters)
            .order_by(Registration.id)
        )
    )


def _project(event, rng, spec, *, owner, presenter, status, chamber=None, delegation=None):
    title_zh, title_en, sector, city, mode = spec[:5]
    project = Project(
        event_id=event.id,
        status=status,
        title_zh=title_zh,
        title_en=title_en,
        summary_zh=f"{city}{title_zh}，{_summary_zh(sector)}",
        summary_en=f"{title_en} in {city}: {_summary_en(sector)}",
        sector=sector,
        owner_name=owner,
        chamber=chamber,
        delegation=delegation,
        region=city,
        location=f"{city}高新技术产业开发区" if sector is not S.TOURISM else f"{city}市",
        capital_wan=rng.choice([3000, 5000, 8000, 12000, 20000, 35000, 50000, 80000, 150000]),
        cooperation_mode=mode,
        presenter_id=presenter.id,
        submitted_by_id=None if delegation is not None else presenter.id,
        created_at=_local(event, 2019, 8, rng.randint(5, 30), 10),
    )
    db.session.add(project)
    return project


def _summary_zh(sector: Sector) -> str:
    return {
        S.TOURISM: "依托当地文旅资源，建设集观光、度假、研学于一体的综合项目，"
        "寻求战略投资与运营合作。",
        S.FINANCE: "服务省内实体企业融资需求，寻求金融机构和产业资本共同发起。",
    }.get(sector, "已完成可行性研究和用地规划，寻求股权投资、合资建设或技术合作伙伴。")


def _summary_en(sector: Sector) -> str:
    return {
        S.TOURISM: "sightseeing, holidays and study tours on local heritage; seeks investors "
        "and an operator.",
        S.FINANCE: "financing for the province's manufacturers; seeks financial institutions "
        "and industrial capital.",
    }.get(
        sector,
        "feasibility study and land plan done; seeks equity, a joint venture or "
        "a technology partner.",
    )


def _review(project: Project, organiser: User, when: datetime, comment: str = "") -> None:
    project.reviewed_at = when
    project.review_comment = comment
    db.session.add(
        ProjectReview(
            project=project,
            decision=project.status,
            comment=comment,
            actor_id=organiser.id,
            created_at=when,
        )
    )


# --- the conference's roadshow day ---------------------------------------------------------------


def _conference_roadshow(event: Event, organiser: User, rng: random.Random) -> None:
    rooms = {room.name_en: room for room in event.rooms}
    day = (2019, 9, 27)
    sessions = [
        AgendaItem(
            event_id=event.id,
            room=rooms["Project Roadshow Hall"],
            kind=AgendaKind.ROADSHOW,
            title_zh=title_zh,
            title_en=title_en,
            speakers="各商会、项目单位代表",
            description_zh="各地山东商会带来的招商项目分会场路演，每个项目推介8分钟、答疑4分钟。",
            description_en="Projects brought by the Shandong chambers pitch in parallel rooms: "
            "8 minutes each, then 4 minutes of questions.",
            starts_at=_local(event, *day, start, 0),
            ends_at=_local(event, *day, end, 0),
        )
        for title_zh, title_en, start, end in (
            ("招商项目路演日（上午）", "Investment projects roadshow day (morning)", 9, 12),
            ("招商项目路演日（下午）", "Investment projects roadshow day (afternoon)", 14, 17),
        )
    ]
    db.session.add_all(sessions)
    setup = RoadshowSetup(
        event_id=event.id,
        submissions_open=False,
        submissions_close_at=_local(event, 2019, 9, 10, 18, 0),
        pitch_minutes=12,
        changeover_minutes=3,
        one_sector_per_room_session=False,
        time_limit=20,
    )
    setup.rooms = [
        rooms[name]
        for name in ("Project Roadshow Hall", "Meeting Room 1", "Meeting Room 2", "Meeting Room 3")
    ]
    setup.sessions = sessions
    db.session.add(setup)
    made = _conference_projects(event, organiser, rng)
    db.session.flush()
    _interests(event, made, rng)
    accepted = [p for p in made if p.status is ProjectStatus.ACCEPTED]
    late = rng.sample([p.presenter_id for p in accepted], 3)
    for presenter in late:  # arriving on the afternoon flight
        db.session.add(
            PresenterUnavailability(registration_id=presenter, agenda_item_id=sessions[0].id)
        )
    db.session.flush()
    _schedule_and_publish(event, organiser, rng, [(2019, 9, 18, 17), (2019, 9, 23, 11)])


def _conference_projects(event: Event, organiser: User, rng: random.Random) -> list[Project]:
    delegations = list(
        db.session.scalars(
            db.select(Delegation).filter_by(event_id=event.id).order_by(Delegation.id)
        )
    )
    specs = list(CONFERENCE_PROJECTS)
    rng.shuffle(specs)
    made = []
    # Every chamber brings some; the last ones fall short of the yearly target.
    shares = [6, 5, 5, 4, 3, 2][: len(delegations)]
    for delegation, share in zip(delegations, shares, strict=False):
        chamber = chambers.chamber_of(delegation)
        chamber.project_target = CHAMBER_TARGET
        members = [
            m
            for m in delegation.members
            if m.status is RegistrationStatus.CONFIRMED and m.position != "会长"
        ][:4]
        for index in range(share):
            spec = specs.pop()
            presenter = members[index % len(members)]
            made.append(
                _project(
                    event,
                    rng,
                    spec,
                    owner=f"{spec[3]}{spec[0][:2]}发展有限公司",
                    presenter=presenter,
                    status=ProjectStatus.ACCEPTED,
                    chamber=chamber,
                    delegation=delegation,
                )
            )
    individuals = [
        r for r in _registrations(event, delegation_id=None) if r.category.code == "delegate"
    ]
    for presenter, spec in zip(rng.sample(individuals, len(specs)), specs, strict=True):
        made.append(
            _project(
                event,
                rng,
                spec,
                owner=presenter.organisation or f"{spec[3]}投资有限公司",
                presenter=presenter,
                status=ProjectStatus.ACCEPTED,
            )
        )
    _decide(made, organiser, rng)
    return made


def _decide(made: list[Project], organiser: User, rng: random.Random) -> None:
    """Most accepted; a few still waiting, one to correct, one rejected, one withdrawn."""
    outcomes = [ProjectStatus.SUBMITTED] * 3 + [
        ProjectStatus.CHANGES_REQUESTED,
        ProjectStatus.REJECTED,
        ProjectStatus.WITHDRAWN,
    ]
    for project, status in zip(made[-len(outcomes) :], outcomes, strict=True):
        project.status = status
    comments = {
        ProjectStatus.ACCEPTED: "",
        ProjectStatus.CHANGES_REQUESTED: "请补充项目用地指标和环评进展，并上传推介材料。",
        ProjectStatus.REJECTED: "项目与本届大会招商重点不符，建议参加专题对接活动。",
    }
    for project in made:
        if project.status in comments:
            when = project.created_at + timedelta(days=rng.randint(2, 6))
            _review(project, organiser, when, comments[project.status])


def _interests(event: Event, made: list[Project], rng: random.Random) -> None:
    accepted = [p for p in made if p.status is ProjectStatus.ACCEPTED]
    investors = [r for r in _registrations(event) if r.category.code == "investor"]
    delegates = [r for r in _registrations(event) if r.category.code == "delegate"]
    for person in investors + rng.sample(delegates, min(40, len(delegates))):
        favourites = set(rng.sample(list(Sector), 2))
        preferred = [p for p in accepted if p.sector in favourites]
        chosen = set(rng.sample(preferred, min(len(preferred), rng.randint(2, 5))))
        chosen |= set(rng.sample(accepted, rng.randint(1, 4)))
        for project in chosen:
            db.session.add(ProjectInterest(project_id=project.id, registration_id=person.id))


def _schedule_and_publish(event, organiser, rng, published: list[tuple]) -> None:
    """The scheduler's plan as version 1; a presenter's request moves one pitch in version 2."""
    problem = planning.build_problem(event)
    plan = scheduling.solve(problem.instance, time_limit=5, seed=2019)
    baseline = scheduling.baseline(problem.instance)
    planning.apply_plan(event, problem, plan, baseline["missed_interests"])
    first = planning.publish(event, organiser, "首次发布。", notify=False)
    first.published_at = _local(event, *published[0], 0)
    if len(published) < 2:
        return
    draft = planning.draft_of(event)
    moved = max(draft.pitches, key=lambda pitch: (pitch.starts_at, pitch.project_id))
    free = _free_place(event, draft)
    if free is not None:
        room, slot = free
        planning.move_pitch(event, moved.project, room, slot, organiser)
        second = planning.publish(event, organiser, "应项目方要求调整一个推介时段。", notify=False)
        second.published_at = _local(event, *published[1], 0)


def _free_place(event: Event, draft) -> tuple[Room, object] | None:
    """The free room-slot where the moved pitch costs the fewest interests (latest first)."""
    setup = db.session.get(RoadshowSetup, event.id)
    taken = {(pitch.room_id, pitch.starts_at) for pitch in draft.pitches}
    moved = max(draft.pitches, key=lambda pitch: (pitch.starts_at, pitch.project_id))
    best, best_missed = None, None
    for slot in reversed(slots_of(setup)):
        for room in setup.rooms:
            if (room.id, slot.starts_at) in taken or slot.starts_at == moved.starts_at:
                continue
            if room.capacity is not None and room.capacity < 60:
                continue
            saved = (moved.room_id, moved.starts_at, moved.ends_at)
            moved.room_id, moved.starts_at, moved.ends_at = room.id, slot.starts_at, slot.ends_at
            missed = planning.schedule_check(event, draft).missed_interests
            moved.room_id, moved.starts_at, moved.ends_at = saved
            if best_missed is None or missed < best_missed:
                best, best_missed = (room, slot), missed
    return best


# --- the China–Israel roadshow -------------------------------------------------------------------


def _israel_roadshow(event: Event, organiser: User, rng: random.Random) -> None:
    session = db.session.scalar(
        db.select(AgendaItem).filter_by(event_id=event.id, kind=AgendaKind.ROADSHOW)
    )
    setup = RoadshowSetup(
        event_id=event.id,
        submissions_open=False,
        submissions_close_at=_local(event, 2019, 6, 10, 18, 0),
        pitch_minutes=8,
        changeover_minutes=2,
        one_sector_per_room_session=False,
        time_limit=10,
    )
    setup.rooms = [session.room]
    setup.sessions = [session]
    db.session.add(setup)
    presenters = [r for r in _registrations(event) if r.category.code == "project"]
    made = []
    for spec, presenter in zip(ISRAEL_PROJECTS, presenters, strict=False):
        project = _project(
            event,
            rng,
            spec,
            owner=f"以色列{spec[5]}",
            presenter=presenter,
            status=ProjectStatus.ACCEPTED,
        )
        project.region = f"以色列·{spec[3]}"
        project.location = f"以色列{spec[3]}"
        project.created_at = _local(event, 2019, 5, rng.randint(12, 31), 10)
        made.append(project)
    db.session.flush()
    for project in made:
        _review(project, organiser, project.created_at + timedelta(days=3))
    investors = [r for r in _registrations(event) if r.category.code == "investor"]
    for investor in investors:
        for project in rng.sample(made, rng.randint(3, 7)):
            db.session.add(ProjectInterest(project_id=project.id, registration_id=investor.id))
    db.session.flush()
    _schedule_and_publish(event, organiser, rng, [(2019, 6, 14, 16)])
