"""The organiser's roadshow schedule: set-up, runs outside requests, hand moves, versions."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from app import db
from events.models import AgendaItem, AgendaKind, Event, Room, User
from events.roadshow import plan_check, planning, runs, sessions
from events.roadshow.models import (
    CooperationMode,
    Pitch,
    PresenterUnavailability,
    Project,
    ProjectInterest,
    ProjectStatus,
    RoadshowSchedule,
    RoadshowSetup,
    RunStatus,
    SchedulerRun,
    Sector,
)
from registration.models import Registration
from tests.conftest import csrf_token

DAY = datetime(2030, 9, 25, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


@pytest.fixture
def organiser(make_user):
    return make_user("organiser@huiwu.example")


@pytest.fixture
def roadshow(app, make_event, make_registration, organiser):
    """Two rooms, one morning session of six 15-minute slots, four accepted projects."""
    event = make_event(organiser=organiser)
    presenters = [
        make_registration(event, name=name, email=f"p{index}@huiwu.example", mobile=None)
        for index, name in enumerate(("王立", "李娜", "张伟"))
    ]
    investors = [make_registration(event, name=f"投资人{index}", mobile=None) for index in range(6)]
    with app.app_context():
        big = Room(event_id=event.id, name_zh="一号厅", name_en="Hall 1", capacity=100, position=0)
        small = Room(event_id=event.id, name_zh="二号厅", name_en="Hall 2", capacity=2, position=1)
        session = AgendaItem(
            event_id=event.id,
            kind=AgendaKind.ROADSHOW,
            title_zh="项目推介会",
            title_en="Roadshow",
            starts_at=DAY,
            ends_at=DAY + timedelta(minutes=115),
            room=big,
        )
        db.session.add_all([big, small, session])
        db.session.flush()
        setup = RoadshowSetup(
            event_id=event.id,
            submissions_open=True,
            pitch_minutes=15,
            changeover_minutes=5,
            one_sector_per_room_session=False,
            time_limit=1,
        )
        setup.rooms = [big, small]
        setup.sessions = [session]
        db.session.add(setup)
        projects = []
        for index, (title, presenter) in enumerate(
            (("智能制造", 0), ("海洋牧场", 1), ("康养小镇", 2), ("光伏电站", 0))
        ):
            project = Project(
                event_id=event.id,
                status=ProjectStatus.ACCEPTED,
                title_zh=title,
                title_en=f"Project {index}",
                summary_zh="简介",
                sector=list(Sector)[index],
                owner_name="鲁信集团",
                capital_wan=5000,
                cooperation_mode=CooperationMode.EQUITY,
                presenter_id=presenters[presenter].id,
            )
            db.session.add(project)
            projects.append(project)
        db.session.flush()
        # Every investor wants projects 0 and 1: running them together misses six interests.
        for investor in investors:
            for project in projects[:2]:
                db.session.add(ProjectInterest(project_id=project.id, registration_id=investor.id))
        db.session.commit()
        ids = {
            "event": event,
            "rooms": (big.id, small.id),
            "session": session.id,
            "projects": [project.id for project in projects],
            "presenters": [p.id for p in presenters],
        }
    return ids


def wait_for_run(app, run_id: int, timeout: float = 60) -> SchedulerRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            run = db.session.get(SchedulerRun, run_id)
            if run.status is not RunStatus.RUNNING:
                db.session.expunge(run)
                return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish within {timeout} s")


def start_run(client, app, event) -> SchedulerRun:
    url = f"/manage/{event.id}/roadshow"
    response = client.post(f"{url}/runs", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    with app.app_context():
        run_id = db.session.scalar(
            db.select(SchedulerRun.id).filter_by(event_id=event.id).order_by(SchedulerRun.id.desc())
        )
    return wait_for_run(app, run_id)


def draft_pitches(app, event) -> dict[int, tuple[int, datetime]]:
    with app.app_context():
        draft = planning.draft_of(db.session.get(Event, event.id))
        if draft is None:
            return {}
        return {p.project_id: (p.room_id, p.starts_at) for p in draft.pitches}


# --- slots and instances ------------------------------------------------------------------------


def test_a_session_is_cut_into_slots_that_fit_inside_it(app, roadshow):
    with app.app_context():
        setup = db.session.get(RoadshowSetup, roadshow["event"].id)
        slots = sessions.slots_of(setup)
    # 115 minutes hold six 15-minute pitches with 5 minutes between them (6×15 + 5×5 = 115).
    assert [slot.key for slot in slots] == [f"{roadshow['session']}-{n}" for n in range(6)]
    assert slots[1].starts_at - slots[0].starts_at == timedelta(minutes=20)
    assert slots[-1].ends_at == DAY + timedelta(minutes=115)


def test_the_instance_holds_accepted_projects_interests_and_unavailability(app, roadshow):
    with app.app_context():
        db.session.add(
            PresenterUnavailability(
                registration_id=roadshow["presenters"][2], agenda_item_id=roadshow["session"]
            )
        )
        rejected = db.session.get(Project, roadshow["projects"][3])
        rejected.status = ProjectStatus.REJECTED
        db.session.commit()
        problem = planning.build_problem(db.session.get(Event, roadshow["event"].id))
    instance = problem.instance
    assert [p["id"] for p in instance["projects"]] == roadshow["projects"][:3]
    assert len(instance["interests"]) == 12
    assert instance["unavailable"] == {
        str(roadshow["presenters"][2]): [f"{roadshow['session']}-{n}" for n in range(6)]
    }
    assert [room["capacity"] for room in instance["rooms"]] == [100, 2]


def test_interests_of_cancelled_investors_do_not_count(app, roadshow):
    with app.app_context():
        investor = db.session.scalar(db.select(Registration).filter_by(name="投资人0"))
        investor.status = "cancelled"
        db.session.commit()
        problem = planning.build_problem(db.session.get(Event, roadshow["event"].id))
    assert len(problem.instance["interests"]) == 10


@pytest.mark.parametrize("missing", ["rooms", "sessions", "projects"])
def test_an_incomplete_roadshow_says_what_is_missing(app, client, login_as, roadshow, missing):
    event = roadshow["event"]
    with app.app_context():
        setup = db.session.get(RoadshowSetup, event.id)
        if missing == "rooms":
            setup.rooms = []
        elif missing == "sessions":
            setup.sessions = []
        else:
            for project in db.session.scalars(db.select(Project)):
                project.status = ProjectStatus.SUBMITTED
        db.session.commit()
    login_as(db_user(app, "organiser@huiwu.example"))
    url = f"/manage/{event.id}/roadshow"
    response = client.post(
        f"{url}/runs", data={"csrf_token": csrf_token(client, url)}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    expected = {
        "rooms": "选择承办路演的会议室",
        "sessions": "至少选择一个",
        "projects": "还没有已采纳的项目",
    }[missing]
    assert expected in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SchedulerRun.id))) == 0


def db_user(app, email) -> User:
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email=email))
        db.session.expunge(user)
    return user


# --- runs ---------------------------------------------------------------------------------------


def test_a_run_from_the_page_fills_the_draft_with_a_valid_plan(app, client, login_as, roadshow):
    event = roadshow["event"]
    login_as(db_user(app, "organiser@huiwu.example"))
    run = start_run(client, app, event)
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert run.progress["missed_interests"] == 0
    with app.app_context():
        draft = db.session.get(RoadshowSchedule, run.schedule_id)
        assert draft.number is None
        problem = planning.build_problem(db.session.get(Event, event.id))
        plan = _as_plan(problem, draft)
        assert plan_check.check_plan(problem.instance, plan) == []
        assert draft.figures["missed_interests"] == 0
        assert draft.figures["baseline_missed"] is not None
    page = client.get(f"/manage/{event.id}/roadshow").get_data(as_text=True)
    assert 'data-testid="roadshow-grid"' in page
    for title in ("智能制造", "海洋牧场", "康养小镇", "光伏电站"):
        assert title in page


def _as_plan(problem: planning.Problem, draft: RoadshowSchedule) -> dict:
    by_start = {(slot.starts_at): slot.key for slot in problem.slots}
    assignments = [
        {"project": p.project_id, "room": p.room_id, "slot": by_start[p.starts_at]}
        for p in draft.pitches
    ]
    return {
        "assignments": assignments,
        "unscheduled": [],
        "missed_interests": draft.figures["missed_interests"],
        "interests": draft.figures["interests"],
        "violations": [],
    }


def test_the_run_keeps_interesting_projects_apart_and_respects_capacity(
    app, client, login_as, roadshow
):
    event = roadshow["event"]
    login_as(db_user(app, "organiser@huiwu.example"))
    start_run(client, app, event)
    placed = draft_pitches(app, event)
    first, second = roadshow["projects"][:2]
    assert placed[first][1] != placed[second][1]
    # Six investors want them: the two-seat room cannot hold either.
    big = roadshow["rooms"][0]
    assert placed[first][0] == big and placed[second][0] == big


def test_the_status_endpoint_reports_progress_as_json(app, client, login_as, roadshow):
    event = roadshow["event"]
    login_as(db_user(app, "organiser@huiwu.example"))
    run = start_run(client, app, event)
    answer = client.get(f"/manage/{event.id}/roadshow/runs/{run.id}").get_json()
    assert answer["status"] == "succeeded"
    assert answer["progress"]["missed_interests"] == 0
    assert "elapsed" in answer["progress"]


def test_a_second_run_while_one_is_going_is_refused(app, client, login_as, roadshow):
    event = roadshow["event"]
    with app.app_context():
        db.session.add(SchedulerRun(event_id=event.id, status=RunStatus.RUNNING, time_limit=20))
        db.session.commit()
    login_as(db_user(app, "organiser@huiwu.example"))
    url = f"/manage/{event.id}/roadshow"
    page = client.post(
        f"{url}/runs", data={"csrf_token": csrf_token(client, url)}, follow_redirects=True
    ).get_data(as_text=True)
    assert "排程程序正在运行" in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SchedulerRun.id))) == 1


def _keep_a_draft(app, event, roadshow) -> dict:
    with app.app_context():
        schedule = RoadshowSchedule(event_id=event.id, number=None, figures={"missed_interests": 9})
        schedule.pitches = [
            Pitch(
                project_id=roadshow["projects"][0],
                room_id=roadshow["rooms"][1],
                starts_at=DAY,
                ends_at=DAY + timedelta(minutes=15),
            )
        ]
        db.session.add(schedule)
        db.session.commit()
    return draft_pitches(app, event)


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ([sys.executable, "-c", "import sys; sys.exit(3)"], "crashed"),
        ([sys.executable, "-c", "print('not json')"], "crashed"),
        (
            [sys.executable, "-c", "import json; print(json.dumps({'assignments': [], 'x': 1}))"],
            "invalid",
        ),
        ([sys.executable, "-c", "import time; time.sleep(30)"], "timeout"),
    ],
)
def test_a_failed_run_leaves_the_draft_untouched(
    app, client, login_as, roadshow, monkeypatch, command, code
):
    event = roadshow["event"]
    before = _keep_a_draft(app, event, roadshow)
    monkeypatch.setitem(app.config, "ROADSHOW_SOLVER_COMMAND", command)
    monkeypatch.setitem(app.config, "ROADSHOW_RUN_GRACE", 1)
    login_as(db_user(app, "organiser@huiwu.example"))
    run = start_run(client, app, event)
    assert (run.status, run.error) == (RunStatus.FAILED, code)
    assert draft_pitches(app, event) == before
    page = client.get(f"/manage/{event.id}/roadshow").get_data(as_text=True)
    assert 'data-testid="run-failed"' in page
    assert "排程保持不变" in page


def _solver_waiting_for_a_flag(app, monkeypatch, tmp_path):
    """The real solver, started only once the returned file exists: a run that stays busy."""
    flag = tmp_path / "go"
    script = tmp_path / "slow_solver.py"
    script.write_text(
        "import os, sys, time\n"
        f"while not os.path.exists({str(flag)!r}):\n"
        "    time.sleep(0.05)\n"
        "from events.roadshow.scheduling import main\n"
        "sys.exit(main(['roadshow', sys.argv[-1], '--time-limit', '0']))\n"
    )
    monkeypatch.setitem(app.config, "ROADSHOW_SOLVER_COMMAND", [sys.executable, str(script)])
    return flag


def test_a_roadshow_changed_during_the_run_is_not_overwritten(
    app, client, login_as, roadshow, monkeypatch, tmp_path
):
    event = roadshow["event"]
    before = _keep_a_draft(app, event, roadshow)
    flag = _solver_waiting_for_a_flag(app, monkeypatch, tmp_path)
    login_as(db_user(app, "organiser@huiwu.example"))
    url = f"/manage/{event.id}/roadshow"
    client.post(f"{url}/runs", data={"csrf_token": csrf_token(client, url)})
    with app.app_context():
        run_id = db.session.scalar(db.select(SchedulerRun.id))
        db.session.get(Project, roadshow["projects"][3]).status = ProjectStatus.WITHDRAWN
        db.session.commit()
    flag.write_text("go")
    run = wait_for_run(app, run_id)
    assert (run.status, run.error) == (RunStatus.FAILED, "changed")
    assert draft_pitches(app, event) == before


def test_a_run_whose_process_died_is_reported_failed(app, client, login_as, roadshow):
    event = roadshow["event"]
    with app.app_context():
        old = datetime.now(UTC) - timedelta(minutes=10)
        run = SchedulerRun(
            event_id=event.id,
            status=RunStatus.RUNNING,
            time_limit=20,
            started_at=old,
            heartbeat_at=old,
        )
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    login_as(db_user(app, "organiser@huiwu.example"))
    answer = client.get(f"/manage/{event.id}/roadshow/runs/{run_id}").get_json()
    assert answer["status"] == "failed"
    assert answer["error"]
    with app.app_context():
        assert db.session.get(SchedulerRun, run_id).error == "lost"


# --- moving by hand -------------------------------------------------------------------------


def move(client, event, project_id, target):
    url = f"/manage/{event.id}/roadshow/draft/{project_id}"
    return client.post(url, data={"csrf_token": csrf_token(client, url), "target": target})


def test_a_move_onto_a_pitch_swaps_them_and_warns_but_never_blocks(app, client, login_as, roadshow):
    event = roadshow["event"]
    login_as(db_user(app, "organiser@huiwu.example"))
    start_run(client, app, event)
    placed = draft_pitches(app, event)
    first, second, third, fourth = roadshow["projects"]
    big, small = roadshow["rooms"]
    session = roadshow["session"]
    # Move project 1 to project 0's place: they swap.
    slot_of_first = _slot_key(app, event, placed[first][1])
    response = move(client, event, second, f"{placed[first][0]}:{slot_of_first}")
    assert response.status_code == 302
    after = draft_pitches(app, event)
    assert after[second] == placed[first]
    assert after[first][1] == placed[second][1]
    # Put project 0 into the small room alongside project 1: six interested, two seats,
    # and the investors must choose. Allowed, with warnings.
    response = move(client, event, first, f"{small}:{_slot_key(app, event, after[second][1])}")
    assert response.status_code == 302
    page = client.get(f"/manage/{event.id}/roadshow").get_data(as_text=True)
    assert "6 位投资人感兴趣，但会议室只有 2 个座位。" in page
    with app.app_context():
        check = planning.schedule_check(
            db.session.get(Event, event.id), planning.draft_of(db.session.get(Event, event.id))
        )
    assert check.missed_interests == 6
    assert check.warnings[first]
    # Project 3 shares project 0's presenter: the same slot warns about the presenter.
    response = move(client, event, fourth, f"{big}:{_slot_key(app, event, after[second][1])}")
    page = client.get(f"/manage/{event.id}/roadshow").get_data(as_text=True)
    assert "主讲人同时还要推介" in page
    assert session and third


def _slot_key(app, event, starts_at) -> str:
    with app.app_context():
        setup = db.session.get(RoadshowSetup, event.id)
        return next(s.key for s in sessions.slots_of(setup) if s.starts_at == starts_at)


def test_a_project_taken_off_the_grid_is_listed_as_not_placed(app, client, login_as, roadshow):
    event = roadshow["event"]
    login_as(db_user(app, "organiser@huiwu.example"))
    start_run(client, app, event)
    first = roadshow["projects"][0]
    assert move(client, event, first, "").status_code == 302
    assert first not in draft_pitches(app, event)
    page = client.get(f"/manage/{event.id}/roadshow").get_data(as_text=True)
    assert 'data-testid="unplaced"' in page
    with app.app_context():
        check = planning.schedule_check(
            db.session.get(Event, event.id), planning.draft_of(db.session.get(Event, event.id))
        )
    assert check.missed_interests == 6  # its six interests are all missed
    # It can be placed again from the list.
    session = roadshow["session"]
    assert move(client, event, first, f"{roadshow['rooms'][0]}:{session}-5").status_code == 302
    assert first in draft_pitches(app, event)


def test_a_move_to_a_place_that_does_not_exist_is_refused(app, client, login_as, roadshow):
    event = roadshow["event"]
    login_as(db_user(app, "organiser@huiwu.example"))
    start_run(client, app, event)
    before = draft_pitches(app, event)
    first = roadshow["projects"][0]
    response = move(client, event, first, "999999:1-1")
    assert response.status_code == 400
    assert draft_pitches(app, event) == before


def test_a_double_slot_project_spans_two_slots(app, client, login_as, roadshow):
    event = roadshow["event"]
    with app.app_context():
        db.session.get(Project, roadshow["projects"][2]).duration_slots = 2
        db.session.commit()
    login_as(db_user(app, "organiser@huiwu.example"))
    run = start_run(client, app, event)
    assert run.status is RunStatus.SUCCEEDED, run.error
    with app.app_context():
        pitch = db.session.scalar(
            db.select(Pitch).filter_by(
                schedule_id=run.schedule_id, project_id=roadshow["projects"][2]
            )
        )
        assert pitch.ends_at - pitch.starts_at == timedelta(minutes=35)


# --- versions -----------------------------------------------------------------------------------


def publish(client, event, note=""):
    url = f"/manage/{event.id}/roadshow"
    response = client.post(
        f"{url}/publish", data={"csrf_token": csrf_token(client, url), "note": note}
    )
    response.close()  # queued messages go out as the response closes
    return response


def test_publishing_numbers_versions_lists_changes_and_emails_presenters(
    app, client, login_as, roadshow, smtp_server
):
    event = roadshow["event"]
    login_as(db_user(app, "organiser@huiwu.example"))
    start_run(client, app, event)
    response = publish(client, event, "第一版")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/{event.id}/roadshow/versions/1")
    with app.app_context():
        first = db.session.scalar(db.select(RoadshowSchedule).filter_by(number=1))
        assert {change["kind"] for change in first.changes} == {"added"}
        assert len(first.changes) == 4
        assert first.note == "第一版"
    # Presenters 0 (two projects), 1 and 2 hear about each of their pitches.
    recipients = sorted(m["to"][0] for m in smtp_server.messages)
    assert recipients == [
        "p0@huiwu.example",
        "p0@huiwu.example",
        "p1@huiwu.example",
        "p2@huiwu.example",
    ]
    message = smtp_server.messages[0]["message"]
    assert "路演" in str(message["subject"])
    # Move one pitch and publish again: one change, one email.
    smtp_server.messages.clear()
    placed = draft_pitches(app, event)
    third = roadshow["projects"][2]
    session = roadshow["session"]
    free = next(
        f"{room}:{session}-{n}"
        for n in range(6)
        for room in roadshow["rooms"]
        if (room, _start(app, event, n)) not in set(placed.values())
    )
    move(client, event, third, free)
    publish(client, event)
    with app.app_context():
        second = db.session.scalar(db.select(RoadshowSchedule).filter_by(number=2))
        assert [(c["project"], c["kind"]) for c in second.changes] == [(third, "moved")]
        assert second.changes[0]["before"]["room"]
    assert [m["to"][0] for m in smtp_server.messages] == ["p2@huiwu.example"]
    body = smtp_server.messages[0]["message"].get_body(("plain",)).get_content()
    assert "已调整" in body or "调整" in body
    page = client.get(f"/manage/{event.id}/roadshow/versions/2").get_data(as_text=True)
    assert 'data-testid="changes"' in page and "康养小镇" in page
    # The draft is still the working copy; version 1 is kept as published.
    with app.app_context():
        assert len(db.session.scalar(db.select(RoadshowSchedule).filter_by(number=1)).pitches) == 4


def _start(app, event, n):
    with app.app_context():
        return sessions.slots_of(db.session.get(RoadshowSetup, event.id))[n].starts_at


def test_an_empty_draft_cannot_be_published(app, client, login_as, roadshow):
    event = roadshow["event"]
    login_as(db_user(app, "organiser@huiwu.example"))
    page = publish(client, event).get_data(as_text=True)
    follow = client.get(f"/manage/{event.id}/roadshow").get_data(as_text=True)
    assert "草稿是空的" in follow or "草稿是空的" in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(RoadshowSchedule.id))) == 0


def test_the_draft_can_start_again_from_a_version(app, client, login_as, roadshow):
    event = roadshow["event"]
    login_as(db_user(app, "organiser@huiwu.example"))
    start_run(client, app, event)
    publish(client, event)
    published = draft_pitches(app, event)
    move(client, event, roadshow["projects"][0], "")
    assert draft_pitches(app, event) != published
    url = f"/manage/{event.id}/roadshow/versions/1"
    response = client.post(f"{url}/restore", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    assert draft_pitches(app, event) == published


# --- set-up -------------------------------------------------------------------------------------


def test_the_setup_form_saves_rooms_sessions_and_lengths(app, client, login_as, roadshow):
    event = roadshow["event"]
    big, _small = roadshow["rooms"]
    login_as(db_user(app, "organiser@huiwu.example"))
    url = f"/manage/{event.id}/roadshow/setup"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "room_ids": [big],
            "session_ids": [roadshow["session"]],
            "pitch_minutes": "10",
            "changeover_minutes": "0",
            "time_limit": "30",
            "one_sector_per_room_session": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        setup = db.session.get(RoadshowSetup, event.id)
        assert [room.id for room in setup.rooms] == [big]
        assert (setup.pitch_minutes, setup.changeover_minutes, setup.time_limit) == (10, 0, 30)
        assert setup.one_sector_per_room_session
        assert len(sessions.slots_of(setup)) == 11


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pitch_minutes", "2", "5"),
        ("pitch_minutes", "abc", "Not a valid integer value"),
        ("changeover_minutes", "-1", "60"),
        ("time_limit", "1000", "300"),
    ],
)
def test_bad_setup_values_are_refused_with_a_message(
    app, client, login_as, roadshow, field, value, message
):
    event = roadshow["event"]
    login_as(db_user(app, "organiser@huiwu.example"))
    url = f"/manage/{event.id}/roadshow/setup"
    data = {
        "csrf_token": csrf_token(client, url),
        "room_ids": [roadshow["rooms"][0]],
        "session_ids": [roadshow["session"]],
        "pitch_minutes": "15",
        "changeover_minutes": "5",
        "time_limit": "20",
    }
    data[field] = value
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "invalid-feedback" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(RoadshowSetup, event.id).time_limit == 1


def test_a_plenary_or_another_events_room_cannot_join_the_roadshow(
    app, client, login_as, roadshow, make_event, organiser
):
    event = roadshow["event"]
    other = make_event(organiser=organiser)
    with app.app_context():
        plenary = AgendaItem(
            event_id=event.id,
            kind=AgendaKind.PLENARY,
            title_zh="开幕式",
            starts_at=DAY,
            ends_at=DAY + timedelta(hours=1),
        )
        foreign = Room(event_id=other.id, name_zh="外部厅")
        db.session.add_all([plenary, foreign])
        db.session.commit()
        plenary_id, foreign_id = plenary.id, foreign.id
    login_as(db_user(app, "organiser@huiwu.example"))
    with app.app_context():
        ev = db.session.get(Event, event.id)
        for data in (
            sessions.SetupData([roadshow["rooms"][0]], [plenary_id], 15, 5, False, 20),
            sessions.SetupData([foreign_id], [roadshow["session"]], 15, 5, False, 20),
        ):
            with pytest.raises(Exception) as refused:
                sessions.save_setup(ev, data, db.session.get(User, organiser.id))
            assert refused.type.__name__ == "RuleError"
            db.session.rollback()


# --- who may ------------------------------------------------------------------------------------


def test_staff_and_strangers_cannot_reach_the_schedule(app, client, login_as, roadshow, make_user):
    event = roadshow["event"]
    stranger = make_user("stranger@huiwu.example")
    login_as(stranger)
    assert client.get(f"/manage/{event.id}/roadshow").status_code == 404
    with app.app_context():
        from events.models import EventRole
        from events.services import add_member

        add_member(
            db.session.get(Event, event.id), db.session.get(User, stranger.id), EventRole.STAFF
        )
        db.session.commit()
    assert client.get(f"/manage/{event.id}/roadshow").status_code == 403
    assert client.get(f"/manage/{event.id}/roadshow/setup").status_code == 403


def test_another_events_project_or_run_is_not_found(
    app, client, login_as, roadshow, make_event, organiser
):
    mine = roadshow["event"]
    other = make_event(organiser=organiser)
    with app.app_context():
        run = SchedulerRun(event_id=other.id, status=RunStatus.SUCCEEDED, time_limit=5)
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    login_as(db_user(app, "organiser@huiwu.example"))
    assert (
        client.get(f"/manage/{other.id}/roadshow/draft/{roadshow['projects'][0]}").status_code
        == 404
    )
    assert client.get(f"/manage/{mine.id}/roadshow/runs/{run_id}").status_code == 404
    assert client.get(f"/manage/{mine.id}/roadshow/versions/7").status_code == 404


def test_the_move_page_annotates_every_place(app, client, login_as, roadshow):
    event = roadshow["event"]
    login_as(db_user(app, "organiser@huiwu.example"))
    start_run(client, app, event)
    page = client.get(f"/manage/{event.id}/roadshow/draft/{roadshow['projects'][0]}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "与“海洋牧场”对调" in text or "对调" in text
    assert "兴趣冲突" in text
    assert runs.ERRORS  # the failure texts exist for every code the runner writes


# --- presenters' availability -------------------------------------------------------------------


def test_the_organiser_marks_a_presenter_away_and_the_scheduler_obeys(
    app, client, login_as, roadshow
):
    event = roadshow["event"]
    presenter = roadshow["presenters"][0]
    login_as(db_user(app, "organiser@huiwu.example"))
    url = f"/manage/{event.id}/roadshow/availability"
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="availability"' in page and "王立" in page
    with app.app_context():
        later = AgendaItem(
            event_id=event.id,
            kind=AgendaKind.ROADSHOW,
            title_zh="下午场",
            starts_at=DAY + timedelta(hours=5),
            ends_at=DAY + timedelta(hours=7),
        )
        db.session.add(later)
        db.session.flush()
        setup = db.session.get(RoadshowSetup, event.id)
        setup.sessions.append(later)
        db.session.commit()
        later_id = later.id
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "away": [f"{presenter}:{roadshow['session']}", "999999:1", "junk"],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        rows = db.session.execute(
            db.select(
                PresenterUnavailability.registration_id, PresenterUnavailability.agenda_item_id
            )
        ).all()
    assert rows == [(presenter, roadshow["session"])]
    start_run(client, app, event)
    placed = draft_pitches(app, event)
    for project in (roadshow["projects"][0], roadshow["projects"][3]):  # both of 王立's
        assert placed[project][1] >= DAY + timedelta(hours=5)
    assert later_id
    # Unticking everything clears it again.
    client.post(url, data={"csrf_token": csrf_token(client, url)})
    with app.app_context():
        assert (
            db.session.scalar(db.select(db.func.count()).select_from(PresenterUnavailability)) == 0
        )


def test_a_pitch_moved_into_an_away_session_warns(app, client, login_as, roadshow):
    event = roadshow["event"]
    login_as(db_user(app, "organiser@huiwu.example"))
    start_run(client, app, event)
    with app.app_context():
        db.session.add(
            PresenterUnavailability(
                registration_id=roadshow["presenters"][1], agenda_item_id=roadshow["session"]
            )
        )
        db.session.commit()
    page = client.get(f"/manage/{event.id}/roadshow").get_data(as_text=True)
    assert "主讲人表示无法参加这个场次。" in page


def test_a_room_holding_pitches_cannot_be_deleted(app, client, login_as, roadshow):
    event = roadshow["event"]
    login_as(db_user(app, "organiser@huiwu.example"))
    start_run(client, app, event)
    big = roadshow["rooms"][0]
    url = f"/manage/{event.id}/rooms"
    page = client.post(
        f"{url}/{big}/delete", data={"csrf_token": csrf_token(client, url)}, follow_redirects=True
    ).get_data(as_text=True)
    assert "路演推介" in page and "不能删除" in page
    with app.app_context():
        assert db.session.get(Room, big) is not None
        assert len(planning.draft_of(db.session.get(Event, event.id)).pitches) == 4


def test_the_database_keeps_one_draft_per_event(app, roadshow):
    from sqlalchemy.exc import IntegrityError

    event = roadshow["event"]
    with app.app_context():
        db.session.add_all(
            [RoadshowSchedule(event_id=event.id), RoadshowSchedule(event_id=event.id)]
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        # Published versions are numbered, so any number of them may exist.
        db.session.add_all(
            [
                RoadshowSchedule(event_id=event.id, number=1),
                RoadshowSchedule(event_id=event.id, number=2),
                RoadshowSchedule(event_id=event.id),
            ]
        )
        db.session.commit()


def test_hand_moves_made_during_a_run_are_not_overwritten(
    app, client, login_as, roadshow, monkeypatch, tmp_path
):
    event = roadshow["event"]
    login_as(db_user(app, "organiser@huiwu.example"))
    start_run(client, app, event)
    flag = _solver_waiting_for_a_flag(app, monkeypatch, tmp_path)
    url = f"/manage/{event.id}/roadshow"
    client.post(f"{url}/runs", data={"csrf_token": csrf_token(client, url)})
    with app.app_context():
        run_id = db.session.scalar(db.select(SchedulerRun.id).order_by(SchedulerRun.id.desc()))
    # While it runs, the organiser takes a pitch off the grid.
    assert move(client, event, roadshow["projects"][0], "").status_code == 302
    moved = draft_pitches(app, event)
    flag.write_text("go")
    run = wait_for_run(app, run_id)
    assert (run.status, run.error) == (RunStatus.FAILED, "draft_changed")
    assert draft_pitches(app, event) == moved
