"""The express lane: the everyday scan decided in two statements on PostgreSQL.

Whatever lane answers, the answer and what is recorded must be the same; the
lane may only ever decline (and write nothing), never decide differently.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask import request_started
from sqlalchemy import text

from app import db
from events.models import User
from registration.checkin import devices, express
from registration.checkin.models import CheckIn, CheckpointKind, ScanAttempt, ScannerDevice
from registration.models import Delegation, DelegationKind, DelegationStatus, RegistrationStatus
from tests import test_checkin_api
from tests.test_checkin_api import (
    add_category,
    add_checkpoint,
    check_ins,
    count,
    device_api,
    staff_api,
)

# The scan API's own people and event, shared rather than copied.
organiser = test_checkin_api.organiser
staff = test_checkin_api.staff
event = test_checkin_api.event


def on_postgres(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


@pytest.fixture
def lanes(monkeypatch):
    """Which scans the express lane recorded (True) or declined (False), in order."""
    seen: list[bool] = []
    admit = express.admit

    def spy(*args, **kwargs):
        admission = admit(*args, **kwargs)
        seen.append(admission is not None)
        return admission

    monkeypatch.setattr(express, "admit", spy)
    return seen


@pytest.fixture
def gate(app, event) -> int:
    return add_checkpoint(app, event, "主入口", name_en="Main entrance")


@pytest.fixture
def person(make_registration, event):
    return make_registration(event, name="王立", name_en="Li WANG", mobile="+8613912345678")


def test_an_everyday_scan_takes_the_express_lane_on_postgresql(
    app, event, organiser, staff, gate, person, make_registration, lanes
):
    other = make_registration(event, name="孔繁华", mobile="+8613900000001")
    device = device_api(app, event, organiser)
    assert device.result(gate, person.ticket_secret)["result"] == "ok"
    assert staff_api(app, staff).result(gate, other.ticket_secret)["result"] == "ok"
    # SQLite has no express lane: the full path decides the same.
    assert lanes == ([True, True] if on_postgres(app) else [False, False])
    (by_device, by_staff) = check_ins(app)
    assert (by_device.device_id, by_device.staff_id) == (device_id(app), None)
    assert (by_staff.staff_id, by_staff.device_id) == (staff.id, None)
    logged = {(a.registration_id, a.check_in_id, a.result) for a in attempts_of(app)}
    assert logged == {(person.id, by_device.id, "ok"), (other.id, by_staff.id, "ok")}


def device_id(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(ScannerDevice.id)).scalar_one()


def attempts_of(app) -> list[ScanAttempt]:
    with app.app_context():
        rows = list(db.session.execute(db.select(ScanAttempt)).scalars())
        db.session.expunge_all()
        return rows


VOLATILE = ("nonce", "scanned_at", "check_in")


def comparable(answer: dict) -> dict:
    kept = {key: value for key, value in answer.items() if key not in VOLATILE}
    kept["person"] = {k: v for k, v in answer["person"].items() if k not in ("id", "badge_url")}
    return kept


@pytest.mark.parametrize("lang", [None, "zh_Hans_CN", "en"])
def test_both_lanes_answer_alike(
    app, event, organiser, gate, make_registration, monkeypatch, lanes, lang
):
    """Without a cookie the doorway answers; with one (a language) the scan API does."""
    delegation = add_delegation(app, event)
    people = [
        make_registration(
            event,
            name="孟子",
            name_en="MENG Zi",
            organisation="邹城文旅集团",
            position="董事长",
            mobile=f"+861390000{number:04d}",
            staff_note="轮椅通道",
            needs_attention=True,
            delegation_id=delegation,
        )
        for number in range(2)
    ]
    device = device_api(app, event, organiser)
    if lang:
        device.client.get(f"/?lang={lang}")
    express_answer = device.result(gate, people[0].ticket_secret)
    monkeypatch.setattr(express, "admit", lambda *args, **kwargs: None)
    full_answer = device.result(gate, people[1].ticket_secret)
    assert lanes == [on_postgres(app)]
    assert comparable(express_answer) == comparable(full_answer)
    assert express_answer["person"]["delegation"]["name"] == "邹城代表团"
    badges = [
        answer["person"]["badge_url"].rsplit(str(registration.id), 1)
        for answer, registration in zip((express_answer, full_answer), people, strict=True)
    ]
    assert badges[0] == badges[1] and len(badges[0]) == 2
    english = lang == "en"
    assert express_answer["checkpoint"]["name"] == ("Main entrance" if english else "主入口")
    assert express_answer["message"] == ("Welcome: checked in" if english else "欢迎：签到成功")


@pytest.fixture
def flask_requests(app):
    """How many requests reached Flask's request handling."""
    started: list[object] = []

    def count(sender, **extra):
        started.append(sender)

    request_started.connect(count, app)
    yield started
    request_started.disconnect(count, app)


def test_a_devices_everyday_scan_is_answered_before_flask(
    app, event, organiser, gate, person, flask_requests
):
    device = device_api(app, event, organiser)
    first = device.scan(gate, person.ticket_secret)
    assert first.status_code == 200 and first.get_json()["result"] == "ok"
    assert len(flask_requests) == (0 if on_postgres(app) else 1)
    again = device.scan(gate, person.ticket_secret)  # not everyday: the scan API answers
    assert again.get_json()["result"] == "already_checked_in"
    assert len(flask_requests) == (1 if on_postgres(app) else 2)
    assert headers_of(first) == headers_of(again)
    assert first.headers["Cache-Control"] == "no-store"
    assert first.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert first.get_data().endswith(b"}\n") and again.get_data().endswith(b"}\n")


def headers_of(response) -> dict:
    return {name: value for name, value in response.headers.items() if name != "Content-Length"}


@pytest.mark.parametrize(
    "body, status, error",
    [
        (b"{not json", 400, "bad_json"),
        (b"[1, 2]", 400, "bad_json"),
        (b'{"secret": "X", "checkpoint": 1}', 400, "missing_nonce"),
        (b'{"checkpoint": 1, "nonce": "nonce-0001"}', 400, "missing_secret"),
        (b'{"secret": "X", "checkpoint": "1", "nonce": "nonce-0001"}', 400, "bad_checkpoint"),
        (
            b'{"secret": "X", "nonce": "nonce-0001", "pad": "' + b"x" * 5000 + b'"}',
            413,
            "too_large",
        ),
    ],
)
def test_the_doorway_passes_bad_requests_on_intact(
    app, event, organiser, gate, person, body, status, error
):
    device = device_api(app, event, organiser)
    response = device.client.post(
        "/api/checkin/scan", data=body, headers=device.headers, content_type="application/json"
    )
    assert (response.status_code, response.get_json()["error"]) == (status, error)
    assert count(app, ScanAttempt) == 0


def test_a_wrong_token_is_401_whatever_the_body(app, event, organiser, gate, person):
    for token in ("hwd_" + "x" * 43, "not-a-token"):
        for body in (
            {"secret": person.ticket_secret, "checkpoint": gate, "nonce": "n-00000001"},
            [],
        ):
            response = app.test_client().post(
                "/api/checkin/scan", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            assert (response.status_code, response.get_json()["error"]) == (
                401,
                "bad_device_token",
            )
    assert count(app, CheckIn) == 0


def test_a_language_in_the_query_string_is_the_scan_apis(app, event, organiser, gate, person):
    device = device_api(app, event, organiser)
    body = {"secret": person.ticket_secret, "checkpoint": gate, "nonce": str(uuid.uuid4())}
    response = device.client.post("/api/checkin/scan?lang=en", json=body, headers=device.headers)
    assert response.get_json()["message"] == "Welcome: checked in"


def add_delegation(
    app, event, *, name="邹城代表团", leader_name="周团长", leader_mobile="+8613800000000"
) -> int:
    with app.app_context():
        delegation = Delegation(
            event_id=event.id,
            name=name,
            kind=DelegationKind.CHAMBER,
            status=DelegationStatus.APPROVED,
            leader_name=leader_name,
            leader_mobile=leader_mobile,
        )
        db.session.add(delegation)
        db.session.commit()
        return delegation.id


def test_a_repeat_scan_is_declined_and_answered_by_the_full_path(
    app, event, organiser, gate, person, lanes
):
    device = device_api(app, event, organiser)
    device.result(gate, person.ticket_secret)
    again = device.result(gate, person.ticket_secret)
    assert again["result"] == "already_checked_in" and again["first"]["staff"] == "检票机"
    assert lanes == [on_postgres(app), False]
    assert count(app, CheckIn) == 1 and count(app, ScanAttempt) == 2


def test_a_nonce_reused_for_another_badge_admits_nobody(
    app, event, organiser, gate, person, make_registration, lanes
):
    """The check-in and its log are one statement: when the log fails, no check-in stays."""
    other = make_registration(event, name="孔繁华", mobile="+8613900000001")
    device = device_api(app, event, organiser)
    nonce = str(uuid.uuid4())
    first = device.post(
        "/scan", {"secret": person.ticket_secret, "checkpoint": gate, "nonce": nonce}
    )
    assert first.get_json()["result"] == "ok"
    reused = device.post(
        "/scan", {"secret": other.ticket_secret, "checkpoint": gate, "nonce": nonce}
    )
    assert reused.status_code == 409 and reused.get_json()["error"] == "nonce_reused"
    assert check_ins(app, registration_id=other.id) == []
    assert count(app, ScanAttempt) == 1
    assert lanes == [on_postgres(app), False]


def test_a_retried_express_scan_replays_its_answer(app, event, organiser, gate, person, lanes):
    device = device_api(app, event, organiser)
    body = {"secret": person.ticket_secret, "checkpoint": gate, "nonce": str(uuid.uuid4())}
    first = device.post("/scan", body).get_json()
    again = device.post("/scan", body).get_json()
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["result"] == "ok" and again["check_in"]["id"] == first["check_in"]["id"]
    assert count(app, CheckIn) == 1 and count(app, ScanAttempt) == 1


def leader_of(app, event, make_registration):
    delegation = add_delegation(app, event)
    return make_registration(
        event, name="周团长", mobile="+8613800000000", delegation_id=delegation
    )


@pytest.mark.parametrize(
    "case, expected",
    [
        ("exit", "ok"),
        ("closed_window", "outside_window"),
        ("category", "not_allowed"),
        ("leader", "ok"),
        ("pending", "pending"),
        ("offline", "ok"),
        ("by_id", "ok"),
    ],
)
def test_every_other_case_is_left_to_the_full_path(
    app, event, organiser, make_registration, lanes, case, expected
):
    checkpoint_fields = {
        "exit": {"kind": CheckpointKind.EXIT},
        "closed_window": {"closes_at": datetime.now(UTC) - timedelta(hours=1)},
        "category": {"category_ids": [add_category(app, event)]},
    }.get(case, {})
    checkpoint = add_checkpoint(app, event, "会场", **checkpoint_fields)
    if case == "leader":
        someone = leader_of(app, event, make_registration)
    else:
        status = RegistrationStatus.PENDING if case == "pending" else RegistrationStatus.CONFIRMED
        someone = make_registration(event, name="王立", mobile="+8613912345678", status=status)
    device = device_api(app, event, organiser)
    fields = {"offline": True} if case == "offline" else {}
    if case == "by_id":
        body = {"registration": someone.id, "checkpoint": checkpoint, "nonce": str(uuid.uuid4())}
        answer = device.post("/scan", body).get_json()
    else:
        answer = device.result(checkpoint, someone.ticket_secret, **fields)
    assert answer["result"] == expected
    assert lanes in ([False], [])  # declined, or not even asked (a scan by id)


def test_a_device_bound_elsewhere_or_revoked_is_declined(
    app, event, organiser, gate, person, lanes
):
    other_gate = add_checkpoint(app, event, "东门")
    bound = device_api(app, event, organiser, checkpoint_id=other_gate)
    refused = bound.scan(gate, person.ticket_secret)
    assert refused.status_code == 403 and refused.get_json()["error"] == "not_assigned"
    wrong = device_api(app, event, organiser)
    wrong.headers["Authorization"] = "Bearer hwd_" + "x" * 43
    assert wrong.scan(gate, person.ticket_secret).status_code == 401
    revoked = device_api(app, event, organiser, name="旧扫描枪")
    with app.app_context():
        device = db.session.execute(
            db.select(ScannerDevice).where(ScannerDevice.name == "旧扫描枪")
        ).scalar_one()
        devices.revoke(device, db.session.get(User, organiser.id))
        db.session.commit()
    assert revoked.scan(gate, person.ticket_secret).status_code == 401
    assert lanes == [False, False, False]
    assert count(app, CheckIn) == 0 and count(app, ScanAttempt) == 0


def test_a_device_of_another_event_is_declined(
    app, event, organiser, gate, person, make_event, lanes
):
    elsewhere = make_event(organiser=organiser, title_zh="泰山论坛")
    refused = device_api(app, elsewhere, organiser).scan(gate, person.ticket_secret)
    assert refused.status_code == 404 and refused.get_json()["error"] == "unknown_checkpoint"
    assert lanes == [False] and count(app, CheckIn) == 0


@pytest.mark.parametrize("secret", ["ABC\u0000DEF", "\ud800", "   ", "x" * 300])
def test_garbage_secrets_never_reach_the_database(
    app, event, organiser, staff, gate, person, lanes, secret
):
    for scanner in (device_api(app, event, organiser), staff_api(app, staff)):
        body = json.dumps({"secret": secret, "checkpoint": gate, "nonce": str(uuid.uuid4())})
        response = scanner.client.post(
            "/api/checkin/scan", data=body, headers=scanner.headers, content_type="application/json"
        )
        expected = (400, "missing_secret") if not secret.strip() else (200, None)
        assert (response.status_code, response.get_json().get("error")) == expected
        if response.status_code == 200:
            assert response.get_json()["result"] == "unknown"
    assert True not in lanes and count(app, CheckIn) == 0


def test_organisers_and_site_admins_take_the_express_lane(
    app, event, organiser, gate, make_registration, make_user, lanes
):
    admin = make_user("admin@huiwu.example", admin=True, name="管理员")
    people = [
        make_registration(event, name=f"代表{n}", mobile=f"+861390000{n:04d}") for n in (1, 2)
    ]
    for user, someone in zip((organiser, admin), people, strict=True):
        assert staff_api(app, user).result(gate, someone.ticket_secret)["result"] == "ok"
    assert lanes == [on_postgres(app)] * 2
    assert {c.staff_id for c in check_ins(app)} == {organiser.id, admin.id}


def test_a_window_not_yet_open_is_declined(app, event, organiser, person, lanes):
    later = add_checkpoint(app, event, "晚宴", opens_at=datetime.now(UTC) + timedelta(hours=2))
    answer = device_api(app, event, organiser).result(later, person.ticket_secret)
    assert answer["result"] == "outside_window" and lanes == [False]


@pytest.mark.parametrize(
    "leader_mobile, member_mobile, express_admits",
    [
        ("", "+8613900000001", False),  # no leader mobile: the same name is the leader
        ("+8613800000000", "+8613900000001", True),  # same name, another mobile: a member
    ],
)
def test_the_leader_is_matched_by_mobile_else_by_name(
    app,
    event,
    organiser,
    gate,
    make_registration,
    lanes,
    leader_mobile,
    member_mobile,
    express_admits,
):
    delegation_id = add_delegation(
        app, event, name="曲阜代表团", leader_name="孔令德", leader_mobile=leader_mobile or None
    )
    someone = make_registration(
        event, name="孔令德", mobile=member_mobile, delegation_id=delegation_id
    )
    answer = device_api(app, event, organiser).result(gate, someone.ticket_secret)
    assert answer["result"] == "ok"
    assert answer["person"]["delegation"]["is_leader"] is not express_admits
    assert lanes == [express_admits and on_postgres(app)]


def test_answers_are_compact_json_on_both_lanes(
    app, event, organiser, gate, person, make_registration
):
    """Byte for byte as jsonify writes them, whichever lane answered."""
    other = make_registration(event, name="孔繁华", mobile="+8613900000001")
    device = device_api(app, event, organiser)
    by_doorway = device.scan(gate, person.ticket_secret)
    device.client.set_cookie("seen", "1")  # a cookie: the scan API answers
    by_api = device.scan(gate, other.ticket_secret)
    for response in (by_doorway, by_api):
        body = response.get_data(as_text=True)
        assert body == json.dumps(json.loads(body), separators=(",", ":"), sort_keys=True) + "\n"


def test_staff_assigned_elsewhere_are_declined(app, event, staff, person, lanes):
    add_checkpoint(app, event, "贵宾通道", staff=[staff])
    hall = add_checkpoint(app, event, "大厅")
    refused = staff_api(app, staff).scan(hall, person.ticket_secret)
    assert refused.status_code == 403 and refused.get_json()["error"] == "not_assigned"
    assert lanes == [False] and count(app, CheckIn) == 0


def test_the_express_lane_marks_a_device_seen(app, event, organiser, gate, person):
    device = device_api(app, event, organiser)
    before = datetime.now(UTC)
    device.result(gate, person.ticket_secret)
    with app.app_context():
        seen = db.session.execute(db.select(ScannerDevice.last_seen_at)).scalar_one()
    assert seen is not None and seen >= before - timedelta(seconds=1)


def test_a_dropped_connection_loses_no_scan(app, event, organiser, gate, make_registration, lanes):
    """PostgreSQL restarted under the pool: the full path answers, the lane reconnects."""
    if not on_postgres(app):
        pytest.skip("the express lane runs on PostgreSQL only")
    people = [
        make_registration(event, name=f"代表{n}", mobile=f"+861390000{n:04d}") for n in range(3)
    ]
    device = device_api(app, event, organiser)
    assert device.result(gate, people[0].ticket_secret)["result"] == "ok"
    fill_the_express_pool(app)
    drop_every_other_connection(app)
    assert device.result(gate, people[1].ticket_secret)["result"] == "ok"
    assert device.result(gate, people[2].ticket_secret)["result"] == "ok"
    assert lanes == [True, False, True]
    assert len(check_ins(app)) == 3 and count(app, ScanAttempt) == 3


def fill_the_express_pool(app) -> None:
    """Several idle connections, as after a busy morning."""
    with app.app_context():
        engine = express.engine_of_app()
        held = [engine.raw_connection() for _ in range(3)]
        for connection in held:
            connection.close()


def drop_every_other_connection(app) -> None:
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    with app.app_context(), db.engine.connect() as connection:
        # One connection throughout (the pool's others are the ones dropped), in
        # autocommit: pg_stat_activity is read afresh by each statement then.
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(text(f"SELECT pg_terminate_backend(pid) {others}"))  # noqa: S608
        # Terminating only signals the servers: wait until they have gone, as
        # after a restart, or a socket may still look alive at the next checkout.
        deadline = time.monotonic() + 10
        while connection.execute(text(f"SELECT count(*) {others}")).scalar() and (  # noqa: S608
            time.monotonic() < deadline
        ):
            time.sleep(0.02)
