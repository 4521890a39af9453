"""Demonstration data grounded in the Shandong federation's 2019 programme.

Three events: the 2019 Confucian Merchants Conference (儒商大会) in Jinan with
the Shandong chambers of commerce in six provinces and municipalities as
delegations; the Shandong trading delegation (山东交易团) to the China
International Import Expo; a China–Israel investment roadshow day. People
are generated from common surnames and given-name characters with a fixed
seed: they are not real people, and their addresses use reserved domains.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import insert

from app import db
from events.models import (
    AgendaItem,
    AgendaKind,
    Category,
    Event,
    EventKind,
    EventRole,
    EventStatus,
    Room,
    User,
)
from events.services import add_member, create_user, find_user_by_email
from registration.checkin.checkpoints import DEFAULT_NAME_EN, DEFAULT_NAME_ZH
from registration.checkin.models import (
    CheckIn,
    CheckInConflict,
    CheckInState,
    Checkpoint,
    CheckpointKind,
    ScanAttempt,
)
from registration.checkin.services import Result, secret_digest
from registration.models import (
    Delegation,
    DelegationKind,
    DelegationQuota,
    DelegationStatus,
    Question,
    QuestionKind,
    Registration,
    RegistrationStatus,
)

#: Where features that build on registration list their demo steps: callables
#: taking the demo events by slug and the seeded random generator.
DEMO_STEPS_KEY = "huiwu.demo_steps"
DEMO_PASSWORD = "huiwu-demo-2019"  # noqa: S105 -- public demo data, printed by `flask demo`
DEMO_ACCOUNTS = (
    ("admin@huiwu.example", "site admin / 系统管理员"),
    ("organiser@huiwu.example", "owner of every demo event / 组织者"),
    ("co-organiser@huiwu.example", "co-organiser, 2019 儒商大会 / 协办组织者"),
    ("staff@huiwu.example", "check-in staff, 2019 儒商大会 / 签到工作人员"),
    ("gate2@huiwu.example", "check-in staff, 2019 儒商大会 and 进博会 / 签到工作人员"),
)
#: Who works on which demo event (by slug), besides the owner of them all.
DEMO_TEAM = (
    ("co-organiser@huiwu.example", "rushang-2019", EventRole.ORGANISER),
    ("staff@huiwu.example", "rushang-2019", EventRole.STAFF),
    ("gate2@huiwu.example", "rushang-2019", EventRole.STAFF),
    ("gate2@huiwu.example", "ciie-2019-shandong", EventRole.STAFF),
)
SHANGHAI = ZoneInfo("Asia/Shanghai")

SURNAMES = [
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("赵", "Zhao"),
    ("黄", "Huang"),
    ("周", "Zhou"),
    ("吴", "Wu"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("朱", "Zhu"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("何", "He"),
    ("高", "Gao"),
    ("林", "Lin"),
    ("孔", "Kong"),
    ("于", "Yu"),
    ("董", "Dong"),
    ("曲", "Qu"),
    ("宋", "Song"),
    ("韩", "Han"),
    ("欧阳", "Ouyang"),
    ("司马", "Sima"),
]
GIVEN = [
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("立", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀", "xiu"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("建", "jian"),
    ("国", "guo"),
    ("华", "hua"),
    ("志", "zhi"),
    ("海", "hai"),
    ("鹏", "peng"),
    ("晓", "xiao"),
    ("东", "dong"),
    ("文", "wen"),
    ("博", "bo"),
    ("宁", "ning"),
    ("泽", "ze"),
    ("鑫", "xin"),
    ("悦", "yue"),
    ("琳", "lin"),
]
FIRMS = [
    "鲁信",
    "齐力",
    "泰和",
    "海岱",
    "华鲁",
    "鸿泰",
    "瑞丰",
    "恒信",
    "金岭",
    "正元",
    "沂蒙",
    "黄河",
]
SECTORS = [
    "新一代信息技术",
    "高端装备",
    "新能源新材料",
    "智慧海洋",
    "医养健康",
    "绿色化工",
    "现代高效农业",
    "文化创意",
    "精品旅游",
    "现代金融",
]
FIRM_SUFFIXES = ["有限公司", "股份有限公司", "集团有限公司"]
POSITIONS = ["董事长", "总经理", "副总经理", "总监", "投资总监", "合伙人", "副会长", "秘书长"]
MOBILE_PREFIXES = [
    "139",
    "138",
    "137",
    "136",
    "135",
    "186",
    "185",
    "158",
    "159",
    "188",
    "177",
    "133",
]


def local(year, month, day, hour=9, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class People:
    """Generates distinct fictional people for one event."""

    rng: random.Random
    used_mobiles: set[str]

    def name(self) -> tuple[str, str]:
        family, family_latin = self.rng.choice(SURNAMES)
        chars = self.rng.sample(GIVEN, self.rng.choice((1, 2, 2)))
        given = "".join(c for c, _ in chars)
        given_latin = "".join(p for _, p in chars).capitalize()
        return family + given, f"{given_latin} {family_latin.upper()}"

    def mobile(self) -> str:
        while True:
            number = "+86" + self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return number

    def organisation(self, place: str) -> str:
        sector = self.rng.choice(SECTORS)
        return f"{place}{self.rng.choice(FIRMS)}{sector}{self.rng.choice(FIRM_SUFFIXES)}"

    def email(self, latin_name: str) -> str | None:
        if self.rng.random() < 0.25:
            return None  # many delegates give a mobile only
        given, family = latin_name.lower().split(" ")
        return f"{family}.{given}{self.rng.randrange(100, 999)}@example.com"


def load(seed: int = 2019) -> dict[str, int]:
    """Create accounts and events; the caller commits."""
    rng = random.Random(seed)  # noqa: S311 -- reproducible fiction, not secrets
    accounts = _accounts()
    events = [_conference(rng), _import_expo(rng), _israel_roadshow(rng), _next_conference(rng)]
    for event in events:
        add_member(event, accounts["organiser@huiwu.example"], EventRole.ORGANISER, owner=True)
    by_slug = {event.slug: event for event in events}
    for email, slug, role in DEMO_TEAM:
        add_member(by_slug[slug], accounts[email], role)
    db.session.flush()
    # Last, so that the people drawn for every event stay the same as before.
    _conference_check_in(by_slug["rushang-2019"], accounts, rng)
    # Features built on top of registration add their own demo data.
    for step in current_app.extensions.get(DEMO_STEPS_KEY, []):
        step(by_slug, rng)
        db.session.flush()
    return {
        "events": len(events),
        "registrations": db.session.execute(db.select(db.func.count(Registration.id))).scalar(),
        "delegations": db.session.execute(db.select(db.func.count(Delegation.id))).scalar(),
    }


def _accounts() -> dict[str, User]:
    names = {
        "admin@huiwu.example": ("系统管理员", True),
        "organiser@huiwu.example": ("省工商联会务组", False),
        "co-organiser@huiwu.example": ("济南市工商联 会务处", False),
        "staff@huiwu.example": ("签到组 孙志强", False),
        "gate2@huiwu.example": ("签到组 刘晓燕", False),
    }
    accounts = {}
    for email, (display_name, admin) in names.items():
        user = find_user_by_email(email) or create_user(
            email, display_name, DEMO_PASSWORD, admin=admin
        )
        accounts[email] = user
    return accounts


def _event(**fields) -> Event:
    event = Event(status=EventStatus.PUBLISHED, timezone="Asia/Shanghai", **fields)
    db.session.add(event)
    return event


def _categories(event: Event, specs) -> dict[str, Category]:
    categories = {}
    for position, (code, zh, en, color, quota, approval, public) in enumerate(specs):
        categories[code] = Category(
            event=event,
            code=code,
            name_zh=zh,
            name_en=en,
            color=color,
            quota=quota,
            needs_approval=approval,
            is_public=public,
            position=position,
        )
    db.session.add_all(categories.values())
    return categories


def _register(event, category, people, place, *, status, delegation=None, when, position=None):
    name, latin = people.name()
    registration = Registration(
        event=event,
        category=category,
        delegation=delegation,
        status=status,
        name=name,
        name_en=latin,
        organisation=people.organisation(place),
        position=position or people.rng.choice(POSITIONS),
        mobile=people.mobile(),
        email=people.email(latin),
        created_at=when,
        updated_at=when,
    )
    db.session.add(registration)
    return registration


def _spread(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * rng.random()


CONFERENCE_CHAMBERS = [
    ("北京山东企业商会", "北京", "北京"),
    ("上海市山东商会", "上海", "上海"),
    ("天津市山东商会", "天津", "天津"),
    ("重庆市山东商会", "重庆", "重庆"),
    ("广东省山东商会", "广东", "广州"),
    ("浙江省山东商会", "浙江", "杭州"),
]


def _conference(rng: random.Random) -> Event:
    event = _event(
        slug="rushang-2019",
        kind=EventKind.CONFERENCE,
        title_zh="2019儒商大会",
        title_en="Confucian Merchants Conference 2019",
        description_zh=(
            "儒商大会是海内外儒商交流合作的综合性平台。大会期间举办开幕式、主旨演讲、"
            "重点项目推介会和洽谈对接，邀请各地山东商会组团参会，助推“双招双引”。"
        ),
        description_en=(
            "A gathering of Confucian merchants from China and abroad: opening plenary, "
            "keynotes, a roadshow of major investment projects and matchmaking sessions, "
            "with delegations of the Shandong chambers of commerce across China."
        ),
        venue_zh="山东国际会展中心",
        venue_en="Shandong International Convention and Exhibition Center",
        city="济南",
        starts_at=local(2019, 9, 25, 9),
        ends_at=local(2019, 9, 27, 18),
        registration_opens_at=local(2019, 8, 1),
        registration_closes_at=local(2019, 9, 20, 18),
        capacity=650,
        requires_approval=False,
    )
    categories = _categories(
        event,
        [
            ("delegate", "代表", "Delegate", "#1f6feb", 400, False, True),
            ("guest", "嘉宾", "Guest of honour", "#b8860b", 60, True, True),
            ("investor", "投资商", "Investor", "#2e7d32", 80, False, True),
            ("media", "媒体", "Media", "#6a1b9a", 40, True, True),
            ("staff", "工作人员", "Staff", "#616161", 50, False, False),
        ],
    )
    people = People(rng, set())
    window = (local(2019, 8, 1), local(2019, 9, 20))
    for name, region, place in CONFERENCE_CHAMBERS:
        leader, _latin = people.name()
        delegation = Delegation(
            event=event,
            name=name,
            kind=DelegationKind.CHAMBER,
            region=region,
            status=DelegationStatus.APPROVED,
            leader_name=leader,
            leader_mobile=people.mobile(),
            leader_email=f"chamber.{len(place)}{rng.randrange(1000, 9999)}@example.org",
            deadline=local(2019, 9, 15, 18),
            created_at=local(2019, 8, 2),
            invited_at=local(2019, 8, 2),
        )
        delegation.quotas.append(DelegationQuota(category=categories["delegate"], places=32))
        db.session.add(delegation)
        for index in range(rng.randint(26, 32)):
            member = _register(
                event,
                categories["delegate"],
                people,
                place,
                delegation=delegation,
                status=RegistrationStatus.CONFIRMED
                if index < 25 or rng.random() < 0.8
                else RegistrationStatus.CANCELLED,
                position="会长" if index == 0 else None,
                when=_spread(rng, *window),
            )
            if index == 0:  # the chamber's president leads the delegation
                delegation.leader_name, delegation.leader_mobile = member.name, member.mobile
    individual = [
        ("delegate", 45, (RegistrationStatus.CONFIRMED,) * 8 + (RegistrationStatus.CANCELLED,)),
        ("guest", 24, (RegistrationStatus.CONFIRMED,) * 3 + (RegistrationStatus.PENDING,)),
        ("investor", 30, (RegistrationStatus.CONFIRMED,) * 5 + (RegistrationStatus.WAITLISTED,)),
        (
            "media",
            14,
            (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING, RegistrationStatus.REJECTED),
        ),
        ("staff", 12, (RegistrationStatus.CONFIRMED,)),
    ]
    for code, count, statuses in individual:
        for _ in range(count):
            _register(
                event,
                categories[code],
                people,
                rng.choice(["济南", "青岛", "烟台", "潍坊", "济宁"]),
                status=rng.choice(statuses),
                when=_spread(rng, *window),
            )
    _conference_programme(event)
    return event


def _import_expo(rng: random.Random) -> Event:
    event = _event(
        slug="ciie-2019-shandong",
        kind=EventKind.TRADE_FAIR,
        title_zh="第二届中国国际进口博览会山东交易团",
        title_en="Shandong Trading Delegation to the 2nd China International Import Expo",
        description_zh="组织“小、精、特、专”的民营企业随山东交易团赴上海参加进博会，开展采购洽谈和项目对接。",
        description_en="Private enterprises travel with the Shandong trading delegation to the "
        "Import Expo in Shanghai for purchasing talks and project matchmaking.",
        venue_zh="国家会展中心（上海）",
        venue_en="National Exhibition and Convention Center (Shanghai)",
        city="上海",
        starts_at=local(2019, 11, 5, 9),
        ends_at=local(2019, 11, 10, 17),
        registration_opens_at=local(2019, 9, 1),
        registration_closes_at=local(2019, 10, 25, 18),
        capacity=120,
        requires_approval=True,
    )
    categories = _categories(
        event,
        [
            ("member", "团员", "Delegation member", "#1f6feb", 90, True, True),
            ("buyer", "采购商", "Buyer", "#2e7d32", 30, True, True),
            ("staff", "工作人员", "Staff", "#616161", 10, False, False),
        ],
    )
    people = People(rng, set())
    window = (local(2019, 9, 1), local(2019, 10, 25))
    for name, place in (
        ("济南交易分团", "济南"),
        ("青岛交易分团", "青岛"),
        ("烟台交易分团", "烟台"),
    ):
        leader, _latin = people.name()
        delegation = Delegation(
            event=event,
            name=name,
            kind=DelegationKind.CITY,
            region=place,
            status=DelegationStatus.APPROVED,
            leader_name=leader,
            leader_mobile=people.mobile(),
            deadline=local(2019, 10, 20, 18),
            created_at=local(2019, 9, 2),
        )
        db.session.add(delegation)
        for _ in range(rng.randint(10, 14)):
            code = "buyer" if rng.random() < 0.3 else "member"
            _register(
                event,
                categories[code],
                people,
                place,
                delegation=delegation,
                status=rng.choice(
                    (RegistrationStatus.CONFIRMED,) * 4 + (RegistrationStatus.PENDING,)
                ),
                when=_spread(rng, *window),
            )
    _expo_programme(event)
    return event


def _israel_roadshow(rng: random.Random) -> Event:
    event = _event(
        slug="china-israel-roadshow-2019",
        kind=EventKind.ROADSHOW,
        title_zh="走向以色列——2019中国以色列跨境投资项目推介会",
        title_en="Towards Israel: China–Israel Cross-border Investment Roadshow 2019",
        description_zh="以色列科技项目与山东民营企业面对面推介、洽谈，帮助企业对接以色列技术合作项目。",
        description_en="Israeli technology projects pitch to Shandong private enterprises, "
        "followed by one-to-one matchmaking.",
        venue_zh="山东大厦",
        venue_en="Shandong Hotel",
        city="济南",
        starts_at=local(2019, 6, 20, 9),
        ends_at=local(2019, 6, 20, 17, 30),
        registration_opens_at=local(2019, 5, 10),
        registration_closes_at=local(2019, 6, 17, 18),
        capacity=150,
        requires_approval=False,
    )
    categories = _categories(
        event,
        [
            ("project", "项目方", "Project owner", "#c62828", 20, True, True),
            ("investor", "投资商", "Investor", "#2e7d32", 80, False, True),
            ("guest", "嘉宾", "Guest", "#b8860b", 20, True, True),
            ("media", "媒体", "Media", "#6a1b9a", 10, True, True),
        ],
    )
    people = People(rng, set())
    window = (local(2019, 5, 10), local(2019, 6, 17))
    for code, count in (("project", 12), ("investor", 26), ("guest", 6), ("media", 4)):
        for _ in range(count):
            _register(
                event,
                categories[code],
                people,
                rng.choice(["济南", "青岛", "淄博"]),
                status=RegistrationStatus.CONFIRMED,
                when=_spread(rng, *window),
            )
    _roadshow_programme(event)
    return event


# Programme ---------------------------------------------------------------------
# Speakers are roles, never names: the demo shows no real person.


def _rooms(event: Event, specs) -> dict[str, Room]:
    """Rooms from ``(key, name_zh, name_en, capacity)``, in the order given."""
    rooms = {}
    for position, (key, zh, en, capacity) in enumerate(specs, start=1):
        rooms[key] = Room(event=event, name_zh=zh, name_en=en, capacity=capacity, position=position)
    db.session.add_all(rooms.values())
    return rooms


def _agenda(event: Event, rooms: dict[str, Room], day: tuple[int, int, int], specs) -> None:
    """One day's items, each ``(start, end, kind, room key, title_zh, title_en)``.

    Optionally followed by speakers, description_zh and description_en. Times
    are ``"HH:MM"`` on the venue's clock (Asia/Shanghai).
    """
    for start, end, kind, room, zh, en, *more in specs:
        speakers, about_zh, about_en = (*more, "", "", "")[:3]
        db.session.add(
            AgendaItem(
                event=event,
                room=rooms.get(room),
                kind=kind,
                title_zh=zh,
                title_en=en,
                speakers=speakers,
                description_zh=about_zh,
                description_en=about_en or None,
                starts_at=local(*day, *map(int, start.split(":"))),
                ends_at=local(*day, *map(int, end.split(":"))),
            )
        )


def _conference_programme(event: Event) -> None:
    """Two days at the Shandong International Convention and Exhibition Center."""
    rooms = _rooms(
        event,
        [
            ("hall", "主会场", "Main Hall", 1200),
            ("room1", "一号会议室", "Meeting Room 1", 300),
            ("room2", "二号会议室", "Meeting Room 2", 200),
            ("room3", "三号会议室", "Meeting Room 3", 150),
            ("roadshow", "项目推介厅", "Project Roadshow Hall", 400),
            ("matchmaking", "洽谈区", "Matchmaking Area", 240),
            ("banquet", "宴会厅", "Banquet Hall", 800),
        ],
    )
    forum_speakers = "行业主管部门负责人、专家学者、重点企业代表"
    _agenda(
        event,
        rooms,
        (2019, 9, 25),
        [
            (
                "09:00",
                "09:30",
                AgendaKind.OTHER,
                None,
                "报到入场",
                "Registration and arrival",
                "",
                "凭电子参会证在序厅签到，领取会议资料。",
                "Check in at the foyer with your e-badge and collect the conference kit.",
            ),
            (
                "09:30",
                "11:30",
                AgendaKind.PLENARY,
                "hall",
                "开幕式暨主旨演讲",
                "Opening ceremony and keynote speeches",
                "省领导、省工商联领导、知名企业家代表",
                "大会开幕，发布山东省重点产业招商政策，知名儒商作主旨演讲。",
                "The conference opens; the province presents its investment policies for "
                "priority industries, followed by keynotes from renowned entrepreneurs.",
            ),
            ("12:00", "13:30", AgendaKind.MEAL, "banquet", "自助午餐", "Buffet lunch"),
            (
                "14:00",
                "17:00",
                AgendaKind.FORUM,
                "room1",
                "新一代信息技术产业论坛",
                "Next-generation Information Technology Forum",
                forum_speakers,
                "聚焦工业互联网、大数据与人工智能的融合应用。",
                "Industrial internet, big data and AI in manufacturing and services.",
            ),
            (
                "14:00",
                "17:00",
                AgendaKind.FORUM,
                "room2",
                "高端装备产业论坛",
                "High-end Equipment Manufacturing Forum",
                forum_speakers,
                "智能制造、轨道交通装备与高档数控机床产业合作。",
                "Smart manufacturing, rail transit equipment and CNC machine tools.",
            ),
            (
                "14:00",
                "17:00",
                AgendaKind.FORUM,
                "room3",
                "现代海洋产业论坛",
                "Modern Marine Industry Forum",
                forum_speakers,
                "海洋装备、海洋生物医药与港航物流合作机遇。",
                "Marine equipment, marine biomedicine, ports and shipping.",
            ),
            (
                "14:00",
                "17:30",
                AgendaKind.ROADSHOW,
                "roadshow",
                "重点项目推介会",
                "Major projects roadshow",
                "各市招商部门负责人、项目单位代表",
                "16市重点招商项目集中路演，每个项目推介8分钟、答疑4分钟。",
                "Major investment projects of the 16 cities pitch: 8 minutes each, "
                "then 4 minutes of questions.",
            ),
            (
                "18:00",
                "20:00",
                AgendaKind.MEAL,
                "banquet",
                "欢迎晚宴",
                "Welcome dinner",
                "",
                "凭嘉宾、代表参会证入场。",
                "For guests of honour and delegates, on presentation of the badge.",
            ),
        ],
    )
    _agenda(
        event,
        rooms,
        (2019, 9, 26),
        [
            (
                "09:00",
                "11:30",
                AgendaKind.FORUM,
                "room1",
                "医养健康产业论坛",
                "Health and Elderly Care Industry Forum",
                forum_speakers,
                "医养结合、生物医药与健康服务业投资合作。",
                "Integrated medical and elderly care, biomedicine and health services.",
            ),
            (
                "09:00",
                "11:30",
                AgendaKind.FORUM,
                "room2",
                "新能源新材料产业论坛",
                "New Energy and New Materials Forum",
                forum_speakers,
            ),
            (
                "09:00",
                "11:30",
                AgendaKind.MATCHMAKING,
                "matchmaking",
                "洽谈对接（上午场）",
                "Matchmaking session (morning)",
                "投资商、项目方代表",
                "按预约时段一对一洽谈，每场20分钟。",
                "One-to-one meetings by appointment, 20 minutes each.",
            ),
            ("11:45", "13:15", AgendaKind.MEAL, "banquet", "午餐", "Lunch"),
            (
                "13:30",
                "17:30",
                AgendaKind.VISIT,
                None,
                "企业考察",
                "Enterprise visits",
                "各市工商联负责同志陪同",
                "分三条线路赴济南高新区重点企业参观考察，13:15在会展中心北门统一乘车。",
                "Three routes to leading companies in the Jinan High-tech Zone; "
                "coaches leave the north gate at 13:15.",
            ),
            (
                "14:00",
                "17:00",
                AgendaKind.MATCHMAKING,
                "matchmaking",
                "洽谈对接（下午场）",
                "Matchmaking session (afternoon)",
                "投资商、项目方代表",
            ),
            (
                "17:00",
                "18:00",
                AgendaKind.PLENARY,
                "hall",
                "重点项目集中签约仪式",
                "Signing ceremony for major projects",
                "省工商联领导、签约企业代表",
            ),
        ],
    )


def _roadshow_programme(event: Event) -> None:
    rooms = _rooms(
        event,
        [
            ("hall", "多功能厅", "Function Hall", 200),
            ("meeting", "洽谈室", "Meeting Rooms", 60),
        ],
    )
    _agenda(
        event,
        rooms,
        (2019, 6, 20),
        [
            ("09:00", "09:30", AgendaKind.OTHER, None, "签到", "Registration"),
            (
                "09:30",
                "10:00",
                AgendaKind.PLENARY,
                "hall",
                "开幕致辞",
                "Opening remarks",
                "省工商联领导、以色列合作机构代表",
            ),
            (
                "10:00",
                "12:00",
                AgendaKind.ROADSHOW,
                "hall",
                "以色列科技项目推介",
                "Israeli technology projects pitch",
                "以色列项目方代表",
                "医疗器械、节水农业、网络安全等领域12个项目。",
                "Twelve projects in medical devices, water-saving agriculture and cybersecurity.",
            ),
            ("12:00", "13:30", AgendaKind.MEAL, None, "工作午餐", "Working lunch"),
            (
                "13:30",
                "17:00",
                AgendaKind.MATCHMAKING,
                "meeting",
                "一对一洽谈",
                "One-to-one matchmaking",
                "投资商、项目方代表",
            ),
        ],
    )


def _expo_programme(event: Event) -> None:
    rooms = _rooms(event, [("meeting", "山东交易团洽谈室", "Shandong delegation meeting room", 80)])
    _agenda(
        event,
        rooms,
        (2019, 11, 5),
        [
            (
                "13:00",
                "17:00",
                AgendaKind.VISIT,
                None,
                "参观展区",
                "Visit to the exhibition halls",
                "",
                "各分团按采购意向分组参观。",
                "City groups visit the halls that match their purchasing plans.",
            )
        ],
    )
    _agenda(
        event,
        rooms,
        (2019, 11, 6),
        [
            (
                "09:30",
                "11:30",
                AgendaKind.MATCHMAKING,
                "meeting",
                "采购对接会",
                "Purchasing matchmaking",
                "参展商、采购商代表",
            )
        ],
    )
    _agenda(
        event,
        rooms,
        (2019, 11, 7),
        [
            (
                "14:00",
                "15:30",
                AgendaKind.PLENARY,
                "meeting",
                "山东交易团集中签约仪式",
                "Shandong delegation signing ceremony",
                "交易团负责同志、签约企业代表",
            )
        ],
    )


def _next_conference(rng: random.Random) -> Event:
    """Next year's edition, open for registration now, so the demo can be signed up to.

    Its dates follow the calendar (always next year), unlike the 2019 events.
    """
    year = datetime.now(SHANGHAI).year + 1
    event = _event(
        slug=f"rushang-{year}",
        kind=EventKind.CONFERENCE,
        title_zh=f"{year}儒商大会",
        title_en=f"Confucian Merchants Conference {year}",
        description_zh="新一届儒商大会开放报名。各地山东商会请组团参会，投资商和项目方请选择相应类别。",
        description_en="Registration for the next Confucian Merchants Conference is open. "
        "Chambers of commerce register as delegations; investors and project owners choose "
        "their category.",
        venue_zh="山东国际会展中心",
        venue_en="Shandong International Convention and Exhibition Center",
        city="济南",
        starts_at=local(year, 9, 24, 9),
        ends_at=local(year, 9, 26, 17, 30),
        registration_opens_at=datetime.now(SHANGHAI) - timedelta(days=1),
        registration_closes_at=local(year, 9, 15, 18),
        capacity=800,
        privacy_zh="山东省工商联会务组仅为办会目的（报名、制证、签到、会务通知）处理您的姓名、单位、职务、手机号码和电子邮箱，"
        "不向第三方提供；大会结束后六个月内删除。",
        privacy_en="The conference office of the Shandong Federation of Industry and Commerce "
        "processes your name, organisation, position, mobile and email only to run the "
        "conference (registration, badges, check-in, messages), shares them with no third "
        "party, and deletes them within six months after the conference.",
    )
    categories = _categories(
        event,
        [
            ("delegate", "代表", "Delegate", "#1f6feb", 500, False, True),
            ("guest", "嘉宾", "Guest of honour", "#b8860b", 80, True, True),
            ("investor", "投资商", "Investor", "#2e7d32", 6, False, True),
            ("media", "媒体", "Media", "#6a1b9a", 40, True, True),
            ("staff", "工作人员", "Staff", "#616161", 60, False, False),
        ],
    )
    industry = Question(
        event=event,
        kind=QuestionKind.SINGLE_CHOICE,
        label_zh="所属行业",
        label_en="Industry",
        required=True,
        position=1,
        options=[
            {"key": f"o{n}", "zh": zh, "en": en}
            for n, (zh, en) in enumerate(
                [
                    ("新一代信息技术", "Next-generation IT"),
                    ("高端装备", "Advanced equipment"),
                    ("现代海洋", "Marine economy"),
                    ("医养健康", "Health and elderly care"),
                    ("现代金融", "Finance"),
                    ("其他", "Other"),
                ],
                start=1,
            )
        ],
    )
    diet = Question(
        event=event,
        kind=QuestionKind.TEXT,
        label_zh="饮食禁忌",
        label_en="Dietary requirements",
        position=2,
    )
    db.session.add_all([industry, diet])
    people = People(rng, set())
    window = (datetime.now(SHANGHAI) - timedelta(hours=20), datetime.now(SHANGHAI))
    plan = [
        ("delegate", 30, RegistrationStatus.CONFIRMED),
        ("guest", 4, RegistrationStatus.PENDING),
        ("investor", 6, RegistrationStatus.CONFIRMED),
        ("investor", 3, RegistrationStatus.WAITLISTED),
        ("media", 2, RegistrationStatus.PENDING),
    ]
    for code, count, status in plan:
        for _ in range(count):
            _register(
                event,
                categories[code],
                people,
                rng.choice(["济南", "青岛", "烟台"]),
                status=status,
                when=_spread(rng, *window),
            )
    _next_conference_delegations(event, categories, people, rng, window)
    return event


def _next_conference_delegations(event, categories, people, rng, window) -> None:
    """One delegation registering its members, one application waiting for review."""
    year = event.starts_at.year
    leader, _latin = people.name()
    qingdao = Delegation(
        event=event,
        name="青岛市工商联代表团",
        kind=DelegationKind.CITY,
        region="青岛",
        status=DelegationStatus.APPROVED,
        leader_name=leader,
        leader_mobile=people.mobile(),
        leader_email="qingdao.delegation@example.org",
        deadline=local(year, 9, 10, 18),
        invited_at=window[0],
        created_at=window[0],
    )
    qingdao.quotas.append(DelegationQuota(category=categories["delegate"], places=20))
    qingdao.quotas.append(DelegationQuota(category=categories["guest"], places=2))
    db.session.add(qingdao)
    for index in range(9):
        _register(
            event,
            categories["guest" if index == 0 else "delegate"],
            people,
            "青岛",
            delegation=qingdao,
            status=RegistrationStatus.PENDING if index == 0 else RegistrationStatus.CONFIRMED,
            position="会长" if index == 0 else None,
            when=_spread(rng, *window),
        )
    leader, _latin = people.name()
    db.session.add(
        Delegation(
            event=event,
            name="上海市山东商会",
            kind=DelegationKind.CHAMBER,
            region="上海",
            status=DelegationStatus.PENDING,
            leader_name=leader,
            leader_mobile=people.mobile(),
            leader_email="sh.shandong.chamber@example.org",
            expected_size=15,
            application_note="成员企业以现代金融和新一代信息技术为主，另有两位嘉宾希望参加开幕式。",
            created_at=window[1],
        )
    )


# Check-in at the 2019 conference -----------------------------------------------
# The first morning at the doors, as the arrivals page shows it: most people
# in by half past ten, one chamber's coach late, a little trouble at the doors.

#: Notes for the door staff, shown on the scanner; by category.
ATTENTION_NOTES = (
    ("guest", "VIP：请通知会务组接待"),
    ("delegate", "轮椅通行，请引导至无障碍通道"),
    ("investor", "需领取同声传译耳机"),
    ("guest", "VIP：请安排前排就座"),
)
#: Its coach is stuck in traffic: the organisers call its leader.
LATE_CHAMBER = "重庆市山东商会"
#: Everyone scans in between these (local times on 25 September).
DOORS_OPEN, DOORS_CLOSE = (7, 30), (10, 30)


def conference_time(hour: int, minute: int, seconds: float = 0) -> datetime:
    """A time on the first morning, to the second as a scanner's clock gives it."""
    return local(2019, 9, 25, hour, minute) + timedelta(seconds=round(seconds))


@dataclass
class Doors:
    main: Checkpoint
    vip: Checkpoint
    roadshow: Checkpoint
    exit: Checkpoint


@dataclass
class ScanLog:
    """The demo's check-ins and scan attempts as plain rows, inserted in bulk at the end.

    A few hundred of each go in with one multi-row INSERT per table, without
    building an ORM object for every one. A check-in row is also the handle the
    scenario passes around (the attempts and the conflict point at it).
    """

    rng: random.Random
    event_id: int
    check_ins: list[dict] = field(default_factory=list)
    #: Each attempt with the check-in row it created or ran into.
    attempts: list[tuple[dict, dict | None]] = field(default_factory=list)
    conflicts: list[tuple[dict, dict]] = field(default_factory=list)

    def nonce(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def admit(self, checkpoint, registration, staff, when, **extra) -> dict:
        """One pass through a door and its ``ok`` attempt."""
        offline = extra.get("offline", False)
        recorded = extra.get("recorded", when + timedelta(seconds=1))
        check_in = {
            "event_id": self.event_id,
            "registration_id": registration.id,
            "checkpoint_id": checkpoint.id,
            "state": extra.get("state", CheckInState.IN),
            "scanned_at": when,
            "recorded_at": recorded,
            "staff_id": staff.id,
            "offline": offline,
        }
        self.check_ins.append(check_in)
        self.attempt(checkpoint, staff, when, Result.OK, registration, check_in, offline=offline)
        self.attempts[-1][0]["recorded_at"] = recorded
        return check_in

    def attempt(self, checkpoint, staff, when, result, registration=None, check_in=None, **extra):
        secret = extra.get("secret") or registration.ticket_secret
        attempt = {
            "nonce": self.nonce(),
            "event_id": self.event_id,
            "checkpoint_id": checkpoint.id,
            "registration_id": registration.id if registration is not None else None,
            "staff_id": staff.id,
            "input_digest": secret_digest(secret)[:32],
            "result": result,
            "offline": extra.get("offline", False),
            "scanned_at": when,
            "recorded_at": when + timedelta(seconds=1),
        }
        self.attempts.append((attempt, check_in))

    def write(self) -> None:
        ids = db.session.scalars(
            insert(CheckIn).returning(CheckIn.id, sort_by_parameter_order=True), self.check_ins
        ).all()
        for check_in, new_id in zip(self.check_ins, ids, strict=True):
            check_in["id"] = new_id
        db.session.execute(
            insert(ScanAttempt),
            [
                {**attempt, "check_in_id": check_in["id"] if check_in is not None else None}
                for attempt, check_in in self.attempts
            ],
        )
        db.session.execute(
            insert(CheckInConflict),
            [
                {
                    "event_id": self.event_id,
                    "kept_id": kept["id"],
                    "superseded_id": lost["id"],
                    "detected_at": lost["recorded_at"],
                }
                for kept, lost in self.conflicts
            ],
        )


def _conference_check_in(event: Event, accounts: dict[str, User], rng: random.Random) -> None:
    doors = _conference_doors(event, accounts)
    registrations = list(
        db.session.execute(
            db.select(Registration)
            .where(Registration.event_id == event.id)
            .order_by(Registration.id)
        ).scalars()
    )
    confirmed = [r for r in registrations if r.status is RegistrationStatus.CONFIRMED]
    _attention_notes(confirmed, rng)
    log = ScanLog(rng, event.id)
    staff = {
        doors.main.id: accounts["staff@huiwu.example"],
        doors.vip.id: accounts["gate2@huiwu.example"],
    }
    by_id = {registration.id: registration for registration in registrations}
    admitted = _morning_arrivals(log, doors, confirmed, staff)
    helper = accounts["co-organiser@huiwu.example"]
    _offline_conflict(log, doors.main, admitted, by_id, staff[doors.main.id], helper)
    _morning_refusals(log, doors, registrations, admitted, by_id, staff)
    _lunch_exits(log, doors.exit, admitted, by_id, helper)
    _roadshow(log, doors.roadshow, admitted, registrations, by_id, helper)
    log.write()


def _conference_doors(event: Event, accounts: dict[str, User]) -> Doors:
    categories = {category.code: category for category in event.categories}
    roadshow_item = next(
        (item for item in event.agenda_items if item.kind is AgendaKind.ROADSHOW), None
    )
    specs = [
        (DEFAULT_NAME_ZH, DEFAULT_NAME_EN, CheckpointKind.ENTRY, [], ["staff@huiwu.example"]),
        (
            "贵宾通道",
            "VIP entrance",
            CheckpointKind.ENTRY,
            ["guest", "investor"],
            ["gate2@huiwu.example"],
        ),
        ("项目推介会", "Project roadshow", CheckpointKind.SESSION, [], []),
        ("出口", "Exit", CheckpointKind.EXIT, [], []),
    ]
    doors = []
    for position, (zh, en, kind, codes, emails) in enumerate(specs):
        doors.append(
            Checkpoint(
                event=event,
                name_zh=zh,
                name_en=en,
                kind=kind,
                # The session's window comes from its agenda item (doors open 30 min before).
                agenda_item=roadshow_item if kind is CheckpointKind.SESSION else None,
                categories=[categories[code] for code in codes],
                staff=[accounts[email] for email in emails],
                position=position,
            )
        )
    db.session.add_all(doors)
    db.session.flush()
    return Doors(*doors)


def _attention_notes(confirmed: list[Registration], rng: random.Random) -> None:
    for code, note in ATTENTION_NOTES:
        candidates = [r for r in confirmed if r.category.code == code and not r.needs_attention]
        chosen = rng.choice(candidates)
        chosen.needs_attention, chosen.staff_note = True, note


def _turnout(registration: Registration) -> float:
    delegation = registration.delegation
    return 0.55 if delegation is not None and delegation.name == LATE_CHAMBER else 0.84


def _arrival_time(rng: random.Random, registration: Registration, coaches: dict) -> datetime:
    """Staff come early; a chamber's members step off one coach; the rest peak near 08:45."""
    if registration.category.code == "staff":
        when = _spread(rng, conference_time(*DOORS_OPEN), conference_time(8, 0))
    elif registration.delegation_id is not None:
        coach = coaches.setdefault(
            registration.delegation_id, conference_time(8, 42, rng.gauss(0, 12 * 60))
        )
        when = coach + timedelta(seconds=round(abs(rng.gauss(0, 8 * 60))))
    else:
        when = conference_time(8, 45, rng.gauss(0, 28 * 60))
    opens, closes = conference_time(*DOORS_OPEN), conference_time(*DOORS_CLOSE)
    return min(max(when, opens), closes - timedelta(seconds=1)).replace(microsecond=0)


def _morning_arrivals(log, doors: Doors, confirmed, staff) -> dict[int, dict]:
    """About five in six confirmed people admitted, guests and most investors at the VIP door."""
    rng = log.rng
    coaches: dict[int, datetime] = {}
    admitted = {}
    for registration in confirmed:
        if rng.random() >= _turnout(registration):
            continue
        code = registration.category.code
        vip = code == "guest" or (code == "investor" and rng.random() < 0.6)
        door = doors.vip if vip else doors.main
        when = _arrival_time(rng, registration, coaches)
        admitted[registration.id] = log.admit(door, registration, staff[door.id], when)
    return admitted


def _offline_conflict(log, main: Checkpoint, admitted, by_id, scanner, helper) -> None:
    """The Wi-Fi drops at the peak; two phones admit one delegate, the earlier scan wins."""
    person = next(
        check_in
        for check_in in log.check_ins
        if check_in["checkpoint_id"] == main.id
        and conference_time(8, 45) <= check_in["scanned_at"] < conference_time(9, 0)
    )
    log.check_ins = [row for row in log.check_ins if row is not person]
    log.attempts = [pair for pair in log.attempts if pair[1] is not person]
    registration = by_id[person["registration_id"]]
    back_online = conference_time(9, 18)
    when = person["scanned_at"]
    kept = log.admit(main, registration, scanner, when, offline=True, recorded=back_online)
    lost = log.admit(
        main,
        registration,
        helper,
        when + timedelta(seconds=95),
        offline=True,
        recorded=back_online + timedelta(seconds=40),
        state=CheckInState.SUPERSEDED,
    )
    # The server answered the later scan "already checked in", pointing at the kept one.
    attempt, _lost = log.attempts[-1]
    attempt["result"] = Result.ALREADY
    log.attempts[-1] = (attempt, kept)
    log.conflicts.append((kept, lost))
    admitted[registration.id] = kept


def _morning_refusals(log, doors: Doors, registrations, admitted, by_id, staff) -> None:
    """An unknown code, a delegate at the VIP door, a double scan, a cancelled place."""
    rng = log.rng
    main, vip = doors.main, doors.vip
    log.attempt(
        main,
        staff[main.id],
        conference_time(8, 21, 14),
        Result.UNKNOWN,
        secret=f"HTTPS://U.WECHAT.COM/{rng.getrandbits(40):X}",
    )
    at_main = [c for c in admitted.values() if c["checkpoint_id"] == main.id and not c["offline"]]
    delegates = [c for c in at_main if by_id[c["registration_id"]].category.code == "delegate"]
    wrong_door = rng.choice(delegates)
    log.attempt(
        vip,
        staff[vip.id],
        wrong_door["scanned_at"] - timedelta(minutes=3),
        Result.NOT_ALLOWED,
        by_id[wrong_door["registration_id"]],
    )
    twice = rng.choice(at_main)
    log.attempt(
        main,
        staff[main.id],
        twice["scanned_at"] + timedelta(minutes=22),
        Result.ALREADY,
        by_id[twice["registration_id"]],
        twice,
    )
    cancelled = next(r for r in registrations if r.status is RegistrationStatus.CANCELLED)
    log.attempt(main, staff[main.id], conference_time(9, 31, 7), Result.CANCELLED, cancelled)


def _lunch_exits(log, exit_door: Checkpoint, admitted, by_id, helper: User) -> None:
    rng = log.rng
    for registration_id in rng.sample(sorted(admitted), 14):
        when = _spread(rng, conference_time(11, 35), conference_time(12, 5))
        log.admit(
            exit_door,
            by_id[registration_id],
            helper,
            when.replace(microsecond=0),
            state=CheckInState.EXIT,
        )


def _roadshow(log, room: Checkpoint, admitted, registrations, by_id, helper: User) -> None:
    """About ninety people into the afternoon roadshow; the last scans hit some trouble."""
    rng = log.rng
    came = sorted(admitted)
    keen = [i for i in came if by_id[i].category.code in ("investor", "guest")]
    chosen = sorted(set(keen) | set(rng.sample(came, 60)))
    opens = conference_time(13, 30)
    scanned = [
        log.admit(
            room,
            by_id[registration_id],
            helper,
            opens + timedelta(seconds=round(rng.triangular(0, 50 * 60, 25 * 60))),
        )
        for registration_id in chosen
    ]
    latest = sorted(c["scanned_at"] for c in scanned)
    too_early = rng.choice(sorted(set(came) - set(chosen)))
    log.attempt(room, helper, conference_time(13, 12, 40), Result.OUTSIDE_WINDOW, by_id[too_early])
    log.attempt(
        room,
        helper,
        latest[-4] + timedelta(seconds=20),
        Result.UNKNOWN,
        secret=f"HW{rng.getrandbits(60):X}",
    )
    pending = next(r for r in registrations if r.status is RegistrationStatus.PENDING)
    log.attempt(room, helper, latest[-2] + timedelta(seconds=15), Result.PENDING, pending)
    twice = max(scanned, key=lambda c: c["scanned_at"])
    log.attempt(
        room,
        helper,
        twice["scanned_at"] + timedelta(minutes=2),
        Result.ALREADY,
        by_id[twice["registration_id"]],
        twice,
    )
