"""Matchmaking sessions: instances from the database, runs outside requests, locks, signs."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

import pytest

from app import db
from events.models import Category, Event, User
from events.roadshow import match_planning, meeting_check, participants
from events.roadshow.match_models import (
    MatchmakingSetup,
    MatchProfile,
    MatchSession,
    MatchUnavailability,
    Meeting,
    MeetingRequest,
    RequestStatus,
)
from events.roadshow.models import RunStatus, SchedulerRun
from registration.models import RegistrationStatus
from tests.conftest import csrf_token

START = datetime(2030, 9, 26, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai


@pytest.fixture
def organiser(make_user):
    return make_user("organiser@huiwu.example")


@pytest.fixture
def matchmaking(app, make_event, make_registration, organiser):
    """Three investors and four project owners; eight accepted requests; 3 slots, 2 tables."""
    event = make_event(organiser=organiser)
    investors = [
        make_registration(event, name=f"投资人{n}", mobile=None, email=f"i{n}@huiwu.example")
        for n in range(3)
    ]
    owners = [
        make_registration(event, name=f"项目方{n}", mobile=None, email=f"o{n}@huiwu.example")
        for n in range(4)
    ]
    with app.app_context():
        ev = db.session.get(Event, event.id)
        setup = MatchmakingSetup(event_id=event.id, requests_open=True, time_limit=2)
        setup.categories = list(
            db.session.scalars(db.select(Category).filter_by(event_id=event.id))
        )
        db.session.add(setup)
        db.session.flush()
        actor = db.session.get(User, organiser.id)
        pairs = [
            (0, 0, 3),
            (0, 1, 3),
            (0, 2, 2),
            (1, 0, 2),
            (1, 3, 1),
            (2, 1, 2),
            (2, 2, 1),
            (2, 3, 3),
        ]
        for investor, owner, priority in pairs:
            participants.create_request(
                ev,
                _registration(investors[investor].id),
                _registration(owners[owner].id),
                priority,
                added_by=actor,
            )
        session = MatchSession(
            event_id=event.id,
            name_zh="洽谈对接",
            starts_at=START,
            meeting_minutes=20,
            slot_count=3,
            table_count=2,
            table_names=["A1", "A2"],
        )
        db.session.add(session)
        db.session.commit()
        return {
            "event": event,
            "session": session.id,
            "investors": [r.id for r in investors],
            "owners": [r.id for r in owners],
        }


def _registration(registration_id):
    from registration.models import Registration

    return db.session.get(Registration, registration_id)


def db_user(app, email) -> User:
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email=email))
        db.session.expunge(user)
    return user


def session_url(matchmaking) -> str:
    return f"/manage/{matchmaking['event'].id}/matchmaking/sessions/{matchmaking['session']}"


def wait_for_run(app, run_id: int, timeout: float = 60) -> SchedulerRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            run = db.session.get(SchedulerRun, run_id)
            if run.status is not RunStatus.RUNNING:
                db.session.expunge(run)
                return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish")


def run_scheduler(client, app, matchmaking) -> SchedulerRun:
    url = session_url(matchmaking)
    response = client.post(f"{url}/runs", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    with app.app_context():
        run_id = db.session.scalar(db.select(SchedulerRun.id).order_by(SchedulerRun.id.desc()))
    return wait_for_run(app, run_id)


def meetings(app, matchmaking) -> dict[int, tuple[int, int, bool]]:
    with app.app_context():
        rows = db.session.scalars(db.select(Meeting).filter_by(session_id=matchmaking["session"]))
        return {m.request_id: (m.slot, m.table, m.locked) for m in rows}


# --- the instance -------------------------------------------------------------------------------


def test_the_instance_holds_capacities_unavailability_locks_and_the_previous_plan(app, matchmaking):
    investor = matchmaking["investors"][0]
    with app.app_context():
        db.session.add(MatchProfile(registration_id=investor, capacity=2))
        db.session.add(
            MatchUnavailability(
                registration_id=matchmaking["owners"][0], session_id=matchmaking["session"], slot=2
            )
        )
        db.session.add(  # out of range: ignored
            MatchUnavailability(
                registration_id=matchmaking["owners"][0], session_id=matchmaking["session"], slot=9
            )
        )
        session = db.session.get(MatchSession, matchmaking["session"])
        first = db.session.scalar(db.select(MeetingRequest).order_by(MeetingRequest.id))
        session.meetings.append(Meeting(request_id=first.id, slot=1, table=0, locked=True))
        db.session.commit()
        job = match_planning.build_job(session)
    instance = job.instance
    assert (instance["slots"], instance["tables"]) == (3, 2)
    people = {p["id"]: p for p in instance["participants"]}
    assert people[investor]["capacity"] == 2
    assert people[matchmaking["owners"][0]]["unavailable"] == [2]
    assert len(instance["requests"]) == 8
    assert instance["locked"] == [
        {"a": investor, "b": matchmaking["owners"][0], "slot": 1, "table": 0}
    ]
    assert job.previous == {"meetings": []}


def test_declined_cancelled_and_non_participant_requests_are_not_scheduled(app, matchmaking):
    with app.app_context():
        requests = list(db.session.scalars(db.select(MeetingRequest).order_by(MeetingRequest.id)))
        requests[0].status = RequestStatus.DECLINED
        requests[1].status = RequestStatus.CANCELLED
        # The investor of request 3 cancels their registration: no longer a participant.
        _registration(requests[3].requester_id).status = RegistrationStatus.CANCELLED
        db.session.commit()
        session = db.session.get(MatchSession, matchmaking["session"])
        instance = match_planning.build_job(session).instance
        left_out = [(r.requester_id, r.recipient_id) for r in requests[:2]]
        gone = requests[3].requester_id
    pairs = {(r["a"], r["b"]) for r in instance["requests"]}
    assert not set(left_out) & pairs
    assert all(gone not in pair for pair in pairs)


def test_a_session_without_requests_says_so(app, client, login_as, matchmaking):
    with app.app_context():
        for request in db.session.scalars(db.select(MeetingRequest)):
            request.status = RequestStatus.PENDING
        db.session.commit()
    login_as(db_user(app, "organiser@huiwu.example"))
    url = session_url(matchmaking)
    page = client.post(
        f"{url}/runs", data={"csrf_token": csrf_token(client, url)}, follow_redirects=True
    ).get_data(as_text=True)
    assert "还没有已接受的洽谈请求" in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SchedulerRun.id))) == 0


# --- runs ---------------------------------------------------------------------------------------


def test_a_run_places_meetings_at_the_bound_and_shows_the_grid(app, client, login_as, matchmaking):
    login_as(db_user(app, "organiser@huiwu.example"))
    run = run_scheduler(client, app, matchmaking)
    assert run.status is RunStatus.SUCCEEDED, run.error
    with app.app_context():
        session = db.session.get(MatchSession, matchmaking["session"])
        figures = session.figures
        plan = {
            "meetings": [
                {
                    "a": m.request.requester_id,
                    "b": m.request.recipient_id,
                    "slot": m.slot,
                    "table": m.table,
                }
                for m in session.meetings
            ],
            "unscheduled": [],
            "count": figures["count"],
            "weight": figures["weight"],
            "bound": figures["bound"],
            "seconds": 0,
        }
        instance = match_planning.build_job(session).instance
        problems = [p for p in meeting_check.check_plan(instance, plan) if "unscheduled" not in p]
        assert problems == []
    # 3 investors × 3 slots, at most 2 tables a slot: 6 meetings at most; the bound proves it.
    assert figures["bound"]["count"] == 6
    assert figures["count"] == 6
    assert figures["weight"] == figures["bound"]["weight"]
    page = client.get(session_url(matchmaking)).get_data(as_text=True)
    assert 'data-testid="match-grid"' in page
    assert "100.0%" in page
    assert 'data-testid="unplaced-requests"' in page  # two requests could not fit


def test_locked_meetings_stay_and_a_cancellation_moves_few_others(
    app, client, login_as, matchmaking
):
    login_as(db_user(app, "organiser@huiwu.example"))
    run_scheduler(client, app, matchmaking)
    before = meetings(app, matchmaking)
    locked_request, (slot, table, _locked) = next(iter(before.items()))
    with app.app_context():
        meeting_id = db.session.scalar(
            db.select(Meeting.id).filter_by(
                session_id=matchmaking["session"], request_id=locked_request
            )
        )
    url = session_url(matchmaking)
    client.post(
        f"{url}/meetings/{meeting_id}/lock",
        data={"csrf_token": csrf_token(client, url), "locked": "1"},
    )
    assert meetings(app, matchmaking)[locked_request][2] is True
    # Another meeting is cancelled: it leaves the grid at once.
    cancelled = next(r for r in before if r != locked_request)
    with app.app_context():
        participants.change_status(
            db.session.get(MeetingRequest, cancelled), RequestStatus.CANCELLED
        )
        db.session.commit()
    assert cancelled not in meetings(app, matchmaking)
    run = run_scheduler(client, app, matchmaking)
    assert run.status is RunStatus.SUCCEEDED, run.error
    after = meetings(app, matchmaking)
    assert after[locked_request] == (slot, table, True)
    kept = [r for r in before if r in after and r != cancelled]
    moved = [r for r in kept if after[r][:2] != before[r][:2]]
    assert len(moved) <= 1
    assert cancelled not in after


def test_a_failed_run_leaves_the_meetings_untouched(
    app, client, login_as, matchmaking, monkeypatch
):
    login_as(db_user(app, "organiser@huiwu.example"))
    run_scheduler(client, app, matchmaking)
    before = meetings(app, matchmaking)
    monkeypatch.setitem(
        app.config, "ROADSHOW_SOLVER_COMMAND", [sys.executable, "-c", "import sys; sys.exit(4)"]
    )
    run = run_scheduler(client, app, matchmaking)
    assert (run.status, run.error) == (RunStatus.FAILED, "crashed")
    assert meetings(app, matchmaking) == before
    page = client.get(session_url(matchmaking)).get_data(as_text=True)
    assert 'data-testid="run-failed"' in page


def test_a_request_accepted_during_the_run_makes_it_fail_safely(
    app, client, login_as, matchmaking, monkeypatch, tmp_path
):
    flag = tmp_path / "go"
    script = tmp_path / "slow.py"
    script.write_text(
        "import os, sys, time\n"
        f"while not os.path.exists({str(flag)!r}):\n"
        "    time.sleep(0.05)\n"
        "from events.roadshow.scheduling import main\n"
        "sys.exit(main(['meetings', sys.argv[-1], '--time-limit', '0.5']))\n"
    )
    monkeypatch.setitem(app.config, "ROADSHOW_SOLVER_COMMAND", [sys.executable, str(script)])
    login_as(db_user(app, "organiser@huiwu.example"))
    url = session_url(matchmaking)
    client.post(f"{url}/runs", data={"csrf_token": csrf_token(client, url)})
    with app.app_context():
        run_id = db.session.scalar(db.select(SchedulerRun.id))
        request = db.session.scalar(db.select(MeetingRequest).order_by(MeetingRequest.id))
        participants.change_status(request, RequestStatus.CANCELLED)
        db.session.commit()
    flag.write_text("go")
    run = wait_for_run(app, run_id)
    assert (run.status, run.error) == (RunStatus.FAILED, "requests_changed")
    assert meetings(app, matchmaking) == {}


def test_the_status_endpoint_and_a_second_run(app, client, login_as, matchmaking):
    login_as(db_user(app, "organiser@huiwu.example"))
    run = run_scheduler(client, app, matchmaking)
    answer = client.get(f"{session_url(matchmaking)}/runs/{run.id}").get_json()
    assert answer["status"] == "succeeded"
    assert answer["progress"]["bound"]["count"] == 6
    with app.app_context():
        db.session.add(
            SchedulerRun(
                event_id=matchmaking["event"].id,
                match_session_id=matchmaking["session"],
                status=RunStatus.RUNNING,
                time_limit=5,
            )
        )
        db.session.commit()
    url = session_url(matchmaking)
    page = client.post(
        f"{url}/runs", data={"csrf_token": csrf_token(client, url)}, follow_redirects=True
    ).get_data(as_text=True)
    assert "本场次的排程程序正在运行" in page


# --- sessions -----------------------------------------------------------------------------------


def test_an_organiser_adds_and_edits_a_session(app, client, login_as, matchmaking):
    event = matchmaking["event"]
    login_as(db_user(app, "organiser@huiwu.example"))
    url = f"/manage/{event.id}/matchmaking/sessions"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "name_zh": "第二场洽谈",
            "starts_at": "2030-09-27T09:00",
            "meeting_minutes": "15",
            "slot_count": "10",
            "table_count": "30",
            "table_names": "贵宾桌\n\nB2\n",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        session = db.session.scalar(db.select(MatchSession).filter_by(name_zh="第二场洽谈"))
        assert session.starts_at == datetime(2030, 9, 27, 1, 0, tzinfo=UTC)
        assert session.table_names == ["贵宾桌", "", "B2"]
        assert [session.table_name(n) for n in range(4)] == ["贵宾桌", "2", "B2", "4"]
        assert session.slot_end(9) == datetime(2030, 9, 27, 3, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "value"),
    [("slot_count", "0"), ("table_count", "99999"), ("meeting_minutes", "abc"), ("name_zh", "")],
)
def test_bad_session_values_are_refused(app, client, login_as, matchmaking, field, value):
    event = matchmaking["event"]
    login_as(db_user(app, "organiser@huiwu.example"))
    url = f"/manage/{event.id}/matchmaking/sessions"
    data = {
        "csrf_token": csrf_token(client, url),
        "name_zh": "坏场次",
        "starts_at": "2030-09-27T09:00",
        "meeting_minutes": "15",
        "slot_count": "10",
        "table_count": "30",
    }
    data[field] = value
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "invalid-feedback" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(MatchSession.id))) == 1


def test_shrinking_a_session_drops_meetings_that_no_longer_fit(app, client, login_as, matchmaking):
    login_as(db_user(app, "organiser@huiwu.example"))
    run_scheduler(client, app, matchmaking)
    url = f"{session_url(matchmaking)}/edit"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "name_zh": "洽谈对接",
            "starts_at": "2030-09-26T14:00",
            "meeting_minutes": "20",
            "slot_count": "2",
            "table_count": "2",
        },
        follow_redirects=True,
    )
    assert "重新运行排程程序" in response.get_data(as_text=True)
    assert all(slot < 2 for slot, _table, _locked in meetings(app, matchmaking).values())


def test_table_signs_list_each_tables_meetings(app, client, login_as, matchmaking):
    login_as(db_user(app, "organiser@huiwu.example"))
    run_scheduler(client, app, matchmaking)
    page = client.get(f"{session_url(matchmaking)}/signs").get_data(as_text=True)
    assert page.count('data-testid="table-sign"') == 2
    assert "A1" in page and "A2" in page
    assert "投资人0" in page
    assert "+86" not in page and "@huiwu.example" not in page


def test_staff_strangers_and_other_events_are_kept_out(
    app, client, login_as, matchmaking, make_user, make_event, organiser
):
    other = make_event(organiser=organiser)
    login_as(db_user(app, "organiser@huiwu.example"))
    assert (
        client.get(f"/manage/{other.id}/matchmaking/sessions/{matchmaking['session']}").status_code
        == 404
    )
    stranger = make_user("stranger@huiwu.example")
    other_client = app.test_client()
    other_client.post(
        "/login",
        data={
            "email": stranger.email,
            "password": "correct-horse-battery",
            "csrf_token": csrf_token(other_client),
        },
    )
    assert other_client.get(session_url(matchmaking)).status_code == 404
    assert app.test_client().get(session_url(matchmaking)).status_code == 302


def test_a_cancelled_pair_can_be_asked_again_and_keeps_one_row(app, matchmaking):
    with app.app_context():
        event = db.session.get(Event, matchmaking["event"].id)
        request = db.session.scalar(db.select(MeetingRequest).order_by(MeetingRequest.id))
        requester, recipient = request.requester, request.recipient
        with pytest.raises(participants.MatchError):
            participants.create_request(event, recipient, requester, 1)
        participants.change_status(request, RequestStatus.CANCELLED)
        again = participants.create_request(event, recipient, requester, 1, "再约一次")
        db.session.commit()
        assert again.id == request.id
        assert (again.requester_id, again.status, again.note) == (
            recipient.id,
            RequestStatus.PENDING,
            "再约一次",
        )
        assert db.session.scalar(db.select(db.func.count(MeetingRequest.id))) == 8


def test_a_lock_that_now_breaks_a_rule_is_reported_not_dropped_in_silence(
    app, client, login_as, matchmaking
):
    login_as(db_user(app, "organiser@huiwu.example"))
    run_scheduler(client, app, matchmaking)
    with app.app_context():
        meeting = db.session.scalar(
            db.select(Meeting).filter_by(session_id=matchmaking["session"]).order_by(Meeting.id)
        )
        meeting.locked = True
        # The investor now says they are away in that round.
        db.session.add(
            MatchUnavailability(
                registration_id=meeting.request.requester_id,
                session_id=matchmaking["session"],
                slot=meeting.slot,
            )
        )
        request_id, table_name = meeting.request_id, meeting.session.table_name(meeting.table)
        db.session.commit()
    run = run_scheduler(client, app, matchmaking)
    assert run.status is RunStatus.SUCCEEDED, run.error
    with app.app_context():
        figures = db.session.get(MatchSession, matchmaking["session"]).figures
    assert [lock["request"] for lock in figures["refused_locks"]] == [request_id]
    page = client.get(session_url(matchmaking)).get_data(as_text=True)
    assert f"曾锁定在 {table_name} 号桌" in page
