"""Arrivals live: counts, the ten-minute chart, conflicts, recent scans, undo, no-shows."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from app import db
from events.models import AgendaItem, AuditEntry, Category, Event, User
from registration import demo
from registration.checkin import arrivals
from registration.checkin.models import (
    CheckIn,
    CheckInConflict,
    CheckInState,
    Checkpoint,
    CheckpointKind,
    ScanAttempt,
)
from registration.checkin.services import Result, ScanInput, Scanner, record_scan
from registration.models import Delegation, DelegationKind, Registration, RegistrationStatus
from tests.conftest import csrf_token, empty_all_tables

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int, second: int = 0) -> datetime:
    """A time on the event's first morning, on the venue's clock."""
    return datetime(2030, 9, 25, hour, minute, second, tzinfo=SHANGHAI)


@dataclass
class Scene:
    event: Event
    organiser: User
    staff: User
    people: dict[str, int]
    doors: dict[str, int]
    delegation_id: int
    guest_id: int


PEOPLE = [
    # key, name, category, in the delegation, status, mobile
    ("wang", "王立", "delegate", True, RegistrationStatus.CONFIRMED, "+8613900000001"),
    ("li", "李娜", "delegate", True, RegistrationStatus.CONFIRMED, "+8613900000002"),
    ("zhang", "张伟", "delegate", True, RegistrationStatus.CONFIRMED, "+8613911112222"),
    ("zhao", "赵敏", "guest", False, RegistrationStatus.CONFIRMED, "+8613900000004"),
    ("qian", "钱芳", "guest", False, RegistrationStatus.CONFIRMED, "+8613900000005"),
    ("chen", "陈静", "delegate", False, RegistrationStatus.CONFIRMED, "+8613900000006"),
    ("zhou", "周强", "delegate", False, RegistrationStatus.CANCELLED, "+8613900000007"),
]


@pytest.fixture
def scene(app, make_user, make_event) -> Scene:
    """Three people of one chamber, three on their own, a cancelled one, three doors."""
    organiser = make_user("organiser@huiwu.example", name="会务组")
    staff = make_user("gate@huiwu.example", name="签到员甲")
    event = make_event(organiser=organiser, staff=staff)
    with app.app_context():
        guest = Category(event_id=event.id, code="guest", name_zh="嘉宾", name_en="Guest")
        delegation = Delegation(
            event_id=event.id,
            name="上海市山东商会",
            kind=DelegationKind.CHAMBER,
            leader_name="张伟",
            leader_mobile="+8613911112222",
        )
        db.session.add_all([guest, delegation])
        db.session.flush()
        categories = {c.code: c.id for c in db.session.get(Event, event.id).categories}
        people = {}
        for key, name, code, member, status, mobile in PEOPLE:
            registration = Registration(
                event_id=event.id,
                category_id=categories[code],
                delegation_id=delegation.id if member else None,
                status=status,
                name=name,
                mobile=mobile,
                organisation="鲁信科技有限公司",
            )
            db.session.add(registration)
            db.session.flush()
            people[key] = registration.id
        doors = {
            "main": Checkpoint(event_id=event.id, name_zh="主入口", name_en="Main entrance"),
            "vip": Checkpoint(
                event_id=event.id, name_zh="贵宾通道", name_en="VIP entrance", categories=[guest]
            ),
            "exit": Checkpoint(
                event_id=event.id, name_zh="出口", name_en="Exit", kind=CheckpointKind.EXIT
            ),
        }
        db.session.add_all(doors.values())
        db.session.commit()
        return Scene(
            event,
            organiser,
            staff,
            people,
            {key: door.id for key, door in doors.items()},
            delegation.id,
            guest.id,
        )


def scan(app, user, checkpoint_id, when, *, registration_id=None, secret=None, offline=False):
    with app.app_context():
        checkpoint = db.session.get(Checkpoint, checkpoint_id)
        scanner = Scanner(user=db.session.get(User, user.id))
        scan_input = ScanInput(
            nonce=str(uuid.uuid4()),
            secret=secret,
            registration_id=registration_id,
            scanned_at=when,
            offline=offline,
        )
        return record_scan(scanner, checkpoint, scan_input).result


def morning(app, scene: Scene) -> None:
    """王立 at 08:59:59 and 张伟 at 09:00:00 at the main entrance; 赵敏 at both doors."""
    people, doors = scene.people, scene.doors
    for key, door, when in [
        ("wang", "main", at(8, 59, 59)),
        ("zhang", "main", at(9, 0)),
        ("zhao", "vip", at(9, 5)),
        ("zhao", "main", at(9, 20)),
        ("wang", "exit", at(11, 30)),
    ]:
        assert scan(app, scene.staff, doors[door], when, registration_id=people[key]) == Result.OK


def live_figures(app, scene: Scene) -> arrivals.Arrivals:
    with app.app_context(), app.test_request_context():
        return arrivals.arrivals_of(db.session.get(Event, scene.event.id))


def row(page: str, testid: str) -> str:
    match = re.search(rf'<tr data-testid="{testid}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, f"no row {testid}"
    return match.group(1)


def number(row_html: str, testid: str) -> int:
    match = re.search(rf'data-testid="{testid}">\s*(\d+)', row_html)
    assert match, f"no {testid} in {row_html}"
    return int(match.group(1))


def arrivals_page(client, scene: Scene, suffix: str = "") -> str:
    joiner = "&" if "?" in suffix else "?"
    response = client.get(f"/manage/{scene.event.id}/arrivals{suffix}{joiner}lang=en")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


# --- figures -------------------------------------------------------------------------


def test_counts_per_checkpoint_category_and_delegation(app, scene):
    morning(app, scene)
    figures = live_figures(app, scene)
    assert (figures.total.admitted, figures.total.expected, figures.total.missing) == (3, 6, 3)
    by_door = {row.checkpoint.id: row for row in figures.checkpoints}
    main, vip, exit_door = (by_door[scene.doors[key]] for key in ("main", "vip", "exit"))
    assert (main.admitted, main.expected) == (3, 6)  # 赵敏 counts once here, whatever the VIP door
    assert (vip.admitted, vip.expected) == (1, 2)  # guests only
    assert (exit_door.left, exit_door.expected) == (1, None)
    by_category = {category.code: tally for category, tally in figures.categories}
    assert (by_category["delegate"].admitted, by_category["delegate"].expected) == (2, 4)
    assert (by_category["guest"].admitted, by_category["guest"].missing) == (1, 1)
    [chamber] = figures.delegations
    assert (chamber.tally.admitted, chamber.tally.expected, chamber.tally.missing) == (2, 3, 1)
    assert chamber.missing_names == ["李娜"]
    assert (figures.individuals.admitted, figures.individuals.expected) == (1, 3)


def test_the_page_shows_the_counts_and_whom_to_call(app, client, login_as, scene):
    morning(app, scene)
    login_as(scene.organiser)
    page = arrivals_page(client, scene)
    main = row(page, f"checkpoint-{scene.doors['main']}")
    assert (number(main, "admitted"), number(main, "expected")) == (3, 6)
    assert "1 left" in row(page, f"checkpoint-{scene.doors['exit']}")
    guests = row(page, f"category-{scene.guest_id}")
    assert (number(guests, "admitted"), number(guests, "expected")) == (1, 2)
    chamber = row(page, f"delegation-{scene.delegation_id}")
    assert "上海市山东商会" in chamber and "李娜" in chamber
    assert 'href="tel:+8613911112222"' in chamber  # the leader, to be called
    assert "王立" not in chamber  # already in
    individuals = row(page, "individuals")
    assert (number(individuals, "admitted"), number(individuals, "expected")) == (1, 3)


def test_nothing_scanned_yet_still_renders(app, client, login_as, scene):
    login_as(scene.organiser)
    page = arrivals_page(client, scene)
    assert "Nobody has been admitted yet." in page
    assert "No scans yet." in page
    assert number(row(page, f"checkpoint-{scene.doors['main']}"), "admitted") == 0


def test_undone_and_superseded_check_ins_do_not_count(app, scene):
    morning(app, scene)
    with app.app_context():
        check_in = db.session.execute(
            db.select(CheckIn).filter_by(registration_id=scene.people["zhang"])
        ).scalar_one()
        check_in.state = CheckInState.ANNULLED
        db.session.commit()
    figures = live_figures(app, scene)
    assert (figures.total.admitted, figures.total.missing) == (2, 4)


# --- the chart -----------------------------------------------------------------------


def test_ten_minute_buckets_split_at_nine_on_the_venue_clock(app, client, login_as, scene):
    morning(app, scene)
    login_as(scene.organiser)
    page = arrivals_page(client, scene)
    # 王立 at 08:59:59 and 张伟 at 09:00:00 fall apart; 赵敏 counts once, at 09:05.
    assert "<title>08:50–09:00: 1</title>" in page
    assert "<title>09:00–09:10: 2</title>" in page
    assert "<title>09:20" not in page  # her later pass is not a first arrival
    assert "3 people arrived, at most 2 in ten minutes" in page


def test_buckets_follow_the_venue_clock_not_utc():
    kathmandu = ZoneInfo("Asia/Kathmandu")  # UTC+05:45: UTC buckets would split at :05
    moments = [
        datetime(2030, 9, 25, 8, 59, 59, tzinfo=kathmandu),
        datetime(2030, 9, 25, 9, 0, tzinfo=kathmandu),
        datetime(2030, 9, 25, 9, 31, tzinfo=kathmandu),
    ]
    series, cut = arrivals.ten_minute_counts(moments, kathmandu)
    shown = [(start.astimezone(kathmandu).strftime("%H:%M"), count) for start, count in series]
    assert shown == [("08:50", 1), ("09:00", 1), ("09:10", 0), ("09:20", 0), ("09:30", 1)]
    assert not cut
    assert all(start.tzinfo is UTC for start, _count in series)


def test_a_stray_early_scan_does_not_stretch_the_chart_forever():
    moments = [at(9, 0) - timedelta(days=30), at(9, 0), at(9, 12)]
    series, cut = arrivals.ten_minute_counts(moments, SHANGHAI)
    assert len(series) == arrivals.MAX_BUCKETS
    assert cut
    assert series[-1][1] == 1 and series[-2][1] == 1
    assert arrivals.ten_minute_counts([], SHANGHAI) == ([], False)


# --- trouble at the doors ----------------------------------------------------------------


def test_conflicts_show_both_scans_with_their_scanners(app, client, login_as, scene):
    reg = scene.people["chen"]
    main = scene.doors["main"]
    assert scan(app, scene.staff, main, at(9, 10), registration_id=reg) == Result.OK
    # The organiser's phone was offline and had let her in earlier: the earlier scan wins.
    outcome = scan(app, scene.organiser, main, at(9, 2), registration_id=reg, offline=True)
    assert outcome == Result.OK
    login_as(scene.organiser)
    page = arrivals_page(client, scene)
    assert number(page, "conflict-count") == 1
    conflicts = re.search(r'data-testid="conflicts".*?</table>', page, re.S).group(0)
    assert "陈静" in conflicts and "主入口" not in conflicts  # English page: "Main entrance"
    assert "Main entrance" in conflicts
    kept = re.search(r"09:02:00 · ([^<]+)", conflicts).group(1).strip()
    superseded = re.search(r"09:10:00 · ([^<]+)", conflicts).group(1).strip()
    assert (kept, superseded) == ("会务组", "签到员甲")


def test_recent_scans_show_refusals_newest_first(app, client, login_as, scene):
    morning(app, scene)
    unknown = "A" * 32
    assert scan(app, scene.staff, scene.doors["main"], at(9, 30), secret=unknown) == Result.UNKNOWN
    cancelled = scene.people["zhou"]
    result = scan(app, scene.staff, scene.doors["main"], at(9, 31), registration_id=cancelled)
    assert result == Result.CANCELLED
    login_as(scene.organiser)
    page = arrivals_page(client, scene)
    table = re.search(r'data-testid="recent-scans".*?</table>', page, re.S).group(0)
    results = re.findall(r'<span class="badge text-bg-(\w+)">([^<]+)</span>', table)
    assert results[:2] == [("danger", "Registration cancelled"), ("danger", "Unknown code")]
    assert ("success", "Admitted") in results and ("success", "Left the venue") in results
    assert table.count("签到员甲") == 7
    assert table.count(">Undo</button>") == 5  # every pass through a door, none of the refusals


def test_the_organiser_undoes_a_check_in_from_the_page(app, client, login_as, scene):
    morning(app, scene)
    with app.app_context():
        check_in_id = db.session.execute(
            db.select(CheckIn.id).filter_by(registration_id=scene.people["zhang"])
        ).scalar_one()
    login_as(scene.organiser)
    url = f"/manage/{scene.event.id}/arrivals/check-ins/{check_in_id}/annul"
    # ?lang=en keeps the session in English, so the flashed message is too.
    token = csrf_token(client, f"/manage/{scene.event.id}/arrivals?lang=en")
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/{scene.event.id}/arrivals#recent-scans")
    with app.app_context():
        check_in = db.session.get(CheckIn, check_in_id)
        assert check_in.state is CheckInState.ANNULLED
        assert check_in.annulled_by_id == scene.organiser.id
        entry = db.session.execute(
            db.select(AuditEntry).filter_by(action="checkin.annulled")
        ).scalar_one()
        assert (entry.subject_type, entry.subject_id) == ("registration", scene.people["zhang"])
        assert entry.actor_id == scene.organiser.id
    page = arrivals_page(client, scene)
    assert "Check-in undone." in page
    assert "张伟" in row(page, f"delegation-{scene.delegation_id}")  # missing again
    again = client.post(url, data={"csrf_token": token})
    assert again.status_code == 302
    assert "already undone" in arrivals_page(client, scene)


def test_undo_needs_the_form_token_and_stays_within_the_event(
    app, client, login_as, make_event, scene
):
    morning(app, scene)
    other = make_event(organiser=scene.organiser)
    with app.app_context():
        check_in_id = db.session.execute(
            db.select(CheckIn.id).filter_by(registration_id=scene.people["wang"], state="in")
        ).scalar_one()
    login_as(scene.organiser)
    url = f"/manage/{scene.event.id}/arrivals/check-ins/{check_in_id}/annul"
    assert client.post(url).status_code == 400
    token = csrf_token(client, f"/manage/{scene.event.id}/arrivals")
    foreign = f"/manage/{other.id}/arrivals/check-ins/{check_in_id}/annul"
    assert client.post(foreign, data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.get(CheckIn, check_in_id).state is CheckInState.IN


# --- refreshing ------------------------------------------------------------------------------


def test_the_fragment_refreshes_the_figures(app, client, login_as, scene):
    login_as(scene.organiser)
    page = arrivals_page(client, scene)
    assert f'data-refresh-url="/manage/{scene.event.id}/arrivals/live"' in page
    assert "/static/js/arrivals.js" in page
    assert "<script>" not in page and " style=" not in page  # the CSP allows neither
    before = arrivals_page(client, scene, "/live")
    assert "<html" not in before and "<nav" not in before
    assert number(before, "total-admitted") == 0
    scan(app, scene.staff, scene.doors["main"], at(9, 0), registration_id=scene.people["li"])
    after = arrivals_page(client, scene, "/live")
    assert number(after, "total-admitted") == 1
    assert "李娜" not in row(after, f"delegation-{scene.delegation_id}")


# --- no-shows --------------------------------------------------------------------------------


def test_no_shows_grouped_by_delegation_then_individuals(app, client, login_as, scene):
    morning(app, scene)
    login_as(scene.organiser)
    page = arrivals_page(client, scene, "/no-shows")
    assert "3 confirmed people not admitted yet" in page
    chamber_at = page.index(f'data-testid="no-shows-delegation-{scene.delegation_id}"')
    individuals_at = page.index('data-testid="no-shows-individuals"')
    assert chamber_at < individuals_at
    chamber, individuals = page[chamber_at:individuals_at], page[individuals_at:]
    assert "李娜" in chamber and "+8613900000002" in chamber  # full mobile for organisers
    assert "Leader: 张伟" in chamber and "+8613911112222" in chamber
    assert "钱芳" in individuals and "陈静" in individuals
    for absent in ("王立", "张伟</td>", "赵敏", "周强"):  # in already, or cancelled
        assert absent not in page[chamber_at:]
    stylesheet = client.get("/static/css/arrivals.css")
    assert "@media print" in stylesheet.get_data(as_text=True)
    stylesheet.close()


def test_no_shows_filter_by_category_and_delegation(app, client, login_as, scene):
    morning(app, scene)
    login_as(scene.organiser)
    guests = arrivals_page(client, scene, f"/no-shows?category={scene.guest_id}")
    assert "钱芳" in guests and "李娜" not in guests and "陈静" not in guests
    chamber = arrivals_page(client, scene, f"/no-shows?delegation={scene.delegation_id}")
    assert "李娜" in chamber and "钱芳" not in chamber
    everyone = arrivals_page(client, scene, "/no-shows?category=nonsense")
    assert "3 confirmed people not admitted yet" in everyone


def test_the_printable_list_says_when_everyone_is_in(app, client, login_as, scene):
    for key in ("li", "qian", "chen"):
        scan(app, scene.staff, scene.doors["main"], at(9, 0), registration_id=scene.people[key])
    morning(app, scene)
    login_as(scene.organiser)
    assert "Everyone expected has arrived." in arrivals_page(client, scene, "/no-shows")


# --- who may see it -----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/live", "/no-shows"])
def test_organisers_only(app, client, login_as, make_user, scene, suffix):
    url = f"/manage/{scene.event.id}/arrivals{suffix}"
    signed_out = client.get(url)
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]
    login_as(scene.staff)
    assert client.get(url).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(make_user())
    assert client.get(url).status_code == 404


def test_staff_cannot_undo_from_the_organisers_page(app, client, login_as, scene):
    morning(app, scene)
    with app.app_context():
        check_in_id = db.session.execute(
            db.select(CheckIn.id).filter_by(registration_id=scene.people["zhang"])
        ).scalar_one()
    login_as(scene.staff)
    token = csrf_token(client, "/")
    url = f"/manage/{scene.event.id}/arrivals/check-ins/{check_in_id}/annul"
    assert client.post(url, data={"csrf_token": token}).status_code == 403
    with app.app_context():
        assert db.session.get(CheckIn, check_in_id).state is CheckInState.IN


def test_the_page_is_in_chinese_by_default(app, client, login_as, scene):
    morning(app, scene)
    login_as(scene.organiser)
    page = client.get(f"/manage/{scene.event.id}/arrivals").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    assert "主入口" in page and "Main entrance" not in page


# --- the demo ---------------------------------------------------------------------------------


def demo_time(hour: int, minute: int) -> datetime:
    return datetime(2019, 9, 25, hour, minute, tzinfo=SHANGHAI)


def demo_arrivals(app, runner) -> dict:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    with app.app_context():
        event = db.session.execute(db.select(Event).filter_by(slug="rushang-2019")).scalar_one()
        doors = list(
            db.session.execute(
                db.select(Checkpoint).filter_by(event_id=event.id).order_by(Checkpoint.position)
            ).scalars()
        )
        passes = db.session.execute(
            db.select(Registration.name, Checkpoint.name_zh, CheckIn.scanned_at, CheckIn.state)
            .join(Registration, Registration.id == CheckIn.registration_id)
            .join(Checkpoint, Checkpoint.id == CheckIn.checkpoint_id)
            .where(CheckIn.event_id == event.id)
        ).all()
        return {
            "event_id": event.id,
            "doors": [
                (
                    door.name_zh,
                    door.name_en,
                    door.kind,
                    sorted(c.code for c in door.categories),
                    sorted(user.email for user in door.staff),
                    door.agenda_item.title_en if door.agenda_item else None,
                )
                for door in doors
            ],
            "passes": sorted(tuple(p) for p in passes),
            "first_admissions": arrivals.first_admission_times(event.id),
            "confirmed": db.session.execute(
                db.select(db.func.count(Registration.id)).filter_by(
                    event_id=event.id, status=RegistrationStatus.CONFIRMED
                )
            ).scalar_one(),
            "results": {
                result
                for (result,) in db.session.execute(
                    db.select(ScanAttempt.result).filter_by(event_id=event.id)
                )
            },
            "attempts": db.session.execute(
                db.select(db.func.count(ScanAttempt.id)).filter_by(event_id=event.id)
            ).scalar_one(),
            "conflicts": db.session.execute(
                db.select(db.func.count(CheckInConflict.id)).filter_by(event_id=event.id)
            ).scalar_one(),
            "notes": list(
                db.session.execute(
                    db.select(Registration.staff_note).filter_by(
                        event_id=event.id, needs_attention=True
                    )
                ).scalars()
            ),
            "roadshow_item": db.session.execute(
                db.select(AgendaItem.title_en).filter_by(
                    event_id=event.id, kind="roadshow", title_zh="重点项目推介会"
                )
            ).scalar_one(),
        }


def test_demo_has_a_morning_of_arrivals_at_the_conference(app, client, runner, login_as):
    loaded = demo_arrivals(app, runner)
    assert loaded["doors"] == [
        ("主入口", "Main entrance", CheckpointKind.ENTRY, [], ["staff@huiwu.example"], None),
        (
            "贵宾通道",
            "VIP entrance",
            CheckpointKind.ENTRY,
            ["guest", "investor"],
            ["gate2@huiwu.example"],
            None,
        ),
        ("项目推介会", "Project roadshow", CheckpointKind.SESSION, [], [], loaded["roadshow_item"]),
        ("出口", "Exit", CheckpointKind.EXIT, [], [], None),
    ]
    firsts = [moment.astimezone(SHANGHAI) for moment in loaded["first_admissions"]]
    assert 0.80 <= len(firsts) / loaded["confirmed"] <= 0.85
    assert all(demo_time(7, 30) <= moment < demo_time(10, 30) for moment in firsts)
    busiest = arrivals.ten_minute_counts(loaded["first_admissions"], SHANGHAI)[0]
    peak_start = max(busiest, key=lambda bucket: bucket[1])[0].astimezone(SHANGHAI)
    assert (8, 30) <= (peak_start.hour, peak_start.minute) < (9, 0)
    assert {Result.OK, Result.UNKNOWN, Result.ALREADY, Result.CANCELLED} <= loaded["results"]
    assert loaded["attempts"] > len(loaded["passes"])  # every pass, and the refusals
    assert loaded["conflicts"] == 1
    assert 3 <= len(loaded["notes"]) <= 4 and all(loaded["notes"])
    login_as(SimpleNamespace(email="organiser@huiwu.example"), password=demo.DEMO_PASSWORD)
    page = client.get(f"/manage/{loaded['event_id']}/arrivals")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "重庆市山东商会" in text and "贵宾通道" in text


def test_demo_arrivals_are_the_same_every_time(app, runner):
    first = demo_arrivals(app, runner)["passes"]
    with app.app_context():
        db.session.remove()
        empty_all_tables()
    second = demo_arrivals(app, runner)["passes"]
    assert first == second
    assert any(state is CheckInState.SUPERSEDED for *_rest, state in first)
