"""The check-in API: who may scan where, what every scan answers, and what it records."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from app import db
from events.models import AgendaItem, AuditEntry, Category, Event, EventRole, User
from events.services import add_member
from registration import tickets
from registration.checkin import devices
from registration.checkin.models import (
    CheckIn,
    CheckInConflict,
    CheckInState,
    Checkpoint,
    CheckpointKind,
    ScanAttempt,
    ScannerDevice,
)
from registration.models import Delegation, DelegationKind, DelegationStatus, Registration
from registration.models import RegistrationStatus as Status
from tests.conftest import PASSWORD, csrf_token

ANSWER_KEYS = {
    "result",
    "message",
    "replayed",
    "nonce",
    "scanned_at",
    "checkpoint",
    "person",
    "check_in",
    "first",
    "reentry",
    "conflict",
    "window",
    "event",
}
PERSON_KEYS = {
    "id",
    "name",
    "name_en",
    "organisation",
    "position",
    "status",
    "category",
    "delegation",
    "attention",
    "badge_url",
}


# --- helpers ---------------------------------------------------------------------------------


def new_nonce() -> str:
    return str(uuid.uuid4())


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Api:
    """One scanner talking to the API: a signed-in person's browser or a device."""

    def __init__(self, client, headers: dict[str, str]):
        self.client = client
        self.headers = headers

    def post(self, path: str, body, **kwargs):
        return self.client.post(f"/api/checkin{path}", json=body, headers=self.headers, **kwargs)

    def get(self, path: str, **params):
        return self.client.get(f"/api/checkin{path}", headers=self.headers, query_string=params)

    def scan(self, checkpoint_id: int, secret: str, **fields):
        body = {"secret": secret, "checkpoint": checkpoint_id, "nonce": new_nonce(), **fields}
        return self.post("/scan", body)

    def result(self, checkpoint_id: int, secret: str, **fields) -> dict:
        response = self.scan(checkpoint_id, secret, **fields)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()


def sign_in(client, user) -> None:
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def staff_api(app, user) -> Api:
    """A fresh browser signed in as ``user``, sending the CSRF token the API hands out."""
    client = app.test_client()
    sign_in(client, user)
    token = client.get("/api/checkin/session").get_json()["csrf_token"]
    return Api(client, {"X-CSRFToken": token})


def issue_device(app, event, actor, checkpoint_id: int | None = None, name="检票机") -> str:
    with app.app_context():
        checkpoint = db.session.get(Checkpoint, checkpoint_id) if checkpoint_id else None
        _device, token = devices.issue(
            db.session.get(Event, event.id), name, checkpoint, db.session.get(User, actor.id)
        )
        db.session.commit()
    return token


def device_api(app, event, actor, checkpoint_id: int | None = None, name="检票机") -> Api:
    token = issue_device(app, event, actor, checkpoint_id, name)
    return Api(app.test_client(), {"Authorization": f"Bearer {token}"})


def add_checkpoint(app, event, name="主入口", *, category_ids=(), staff=(), **fields) -> int:
    with app.app_context():
        checkpoint = Checkpoint(event_id=event.id, name_zh=name, **fields)
        checkpoint.categories = [db.session.get(Category, c) for c in category_ids]
        checkpoint.staff = [db.session.get(User, user.id) for user in staff]
        db.session.add(checkpoint)
        db.session.commit()
        return checkpoint.id


def add_category(app, event, code="guest") -> int:
    with app.app_context():
        category = Category(event_id=event.id, code=code, name_zh="嘉宾", name_en="Guest")
        db.session.add(category)
        db.session.commit()
        return category.id


def count(app, model, **filters) -> int:
    with app.app_context():
        return len(db.session.execute(db.select(model).filter_by(**filters)).scalars().all())


def check_ins(app, **filters) -> list[CheckIn]:
    with app.app_context():
        found = db.session.execute(
            db.select(CheckIn).filter_by(**filters).order_by(CheckIn.id)
        ).scalars()
        rows = list(found)
        db.session.expunge_all()
        return rows


def attempts(app) -> list[ScanAttempt]:
    with app.app_context():
        rows = list(db.session.execute(db.select(ScanAttempt).order_by(ScanAttempt.id)).scalars())
        db.session.expunge_all()
        return rows


def reissue(app, registration, actor) -> str:
    with app.app_context():
        stored = db.session.get(Registration, registration.id)
        new = tickets.reissue(stored, db.session.get(User, actor.id), "证件遗失")
        db.session.commit()
        return new


def add_staff(app, event, user) -> None:
    with app.app_context():
        add_member(db.session.get(Event, event.id), db.session.get(User, user.id), EventRole.STAFF)
        db.session.commit()


def move_recorded_at(app, check_in_id: int, back: timedelta) -> None:
    with app.app_context():
        check_in = db.session.get(CheckIn, check_in_id)
        check_in.recorded_at = check_in.recorded_at - back
        db.session.commit()


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def organiser(make_user):
    return make_user("organiser@huiwu.example", name="陈组织")


@pytest.fixture
def staff(make_user):
    return make_user("staff@huiwu.example", name="李检票")


@pytest.fixture
def event(make_event, organiser, staff):
    return make_event(organiser=organiser, staff=staff)


@pytest.fixture
def gate(app, event) -> int:
    return add_checkpoint(app, event, "主入口")


@pytest.fixture
def person(make_registration, event):
    return make_registration(
        event, name="王立", name_en="Li WANG", mobile="+8613912345678", position="总经理"
    )


@pytest.fixture
def desk(app, staff) -> Api:
    return staff_api(app, staff)


@pytest.fixture
def office(app, organiser) -> Api:
    return staff_api(app, organiser)


@pytest.fixture
def outsider(make_user):
    return make_user("outsider@huiwu.example", name="外人")


@pytest.fixture
def other_event(make_event, outsider):
    return make_event(organiser=outsider, title_zh="泰山论坛")


# --- authentication --------------------------------------------------------------------------


def test_signed_out_requests_get_401_json(app, client, gate, person):
    for response in (
        client.post(
            "/api/checkin/scan",
            json={"secret": person.ticket_secret, "checkpoint": gate, "nonce": new_nonce()},
        ),
        client.get("/api/checkin/checkpoints"),
        client.get(f"/api/checkin/checkpoints/{gate}/roster"),
    ):
        assert response.status_code == 401
        assert response.get_json()["error"] == "unauthorized"
    assert count(app, ScanAttempt) == 0


def test_a_session_post_without_the_csrf_header_is_refused(app, staff, gate, person):
    client = app.test_client()
    sign_in(client, staff)
    body = {"secret": person.ticket_secret, "checkpoint": gate, "nonce": new_nonce()}
    response = client.post("/api/checkin/scan", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf_failed"
    wrong = client.post("/api/checkin/scan", json=body, headers={"X-CSRFToken": "forged"})
    assert wrong.get_json()["error"] == "csrf_failed"
    assert count(app, CheckIn) == 0 and count(app, ScanAttempt) == 0


def test_the_session_endpoint_hands_out_a_working_csrf_token(app, staff, gate, person):
    client = app.test_client()
    sign_in(client, staff)
    info = client.get("/api/checkin/session").get_json()
    assert info["name"] == "李检票" and info["csrf_token"]
    response = client.post(
        "/api/checkin/scan",
        json={"secret": person.ticket_secret, "checkpoint": gate, "nonce": new_nonce()},
        headers={"X-CSRFToken": info["csrf_token"]},
    )
    assert response.status_code == 200 and response.get_json()["result"] == "ok"


def test_a_device_token_scans_without_csrf(app, event, organiser, gate, person):
    device = device_api(app, event, organiser, name="东门闸机")
    assert device.get("/session").get_json()["name"] == "东门闸机"
    assert device.result(gate, person.ticket_secret)["result"] == "ok"
    (check_in,) = check_ins(app)
    with app.app_context():
        stored = db.session.execute(db.select(ScannerDevice)).scalar_one()
        assert (check_in.device_id, check_in.staff_id) == (stored.id, None)


def test_a_revoked_or_wrong_device_token_is_401(app, event, organiser, gate, person):
    token = issue_device(app, event, organiser)
    with app.app_context():
        stored = db.session.execute(db.select(ScannerDevice)).scalar_one()
        devices.revoke(stored, db.session.get(User, organiser.id))
        db.session.commit()
    for bearer in (token, "hwd_" + "x" * 43, "nonsense"):
        response = Api(app.test_client(), {"Authorization": f"Bearer {bearer}"}).scan(
            gate, person.ticket_secret
        )
        assert response.status_code == 401
        assert response.get_json()["error"] == "bad_device_token"
    assert count(app, CheckIn) == 0


def test_a_device_that_only_reads_is_still_marked_seen(app, event, organiser, gate):
    device = device_api(app, event, organiser)
    assert device.get(f"/checkpoints/{gate}/roster").status_code == 200
    with app.app_context():
        stored = db.session.execute(db.select(ScannerDevice)).scalar_one()
        assert stored.last_seen_at is not None


def test_a_device_bound_to_one_checkpoint_cannot_scan_at_another(
    app, event, organiser, gate, person
):
    hall = add_checkpoint(app, event, "主会场")
    device = device_api(app, event, organiser, checkpoint_id=hall)
    response = device.scan(gate, person.ticket_secret)
    assert response.status_code == 403
    assert response.get_json()["error"] == "not_assigned"
    assert device.result(hall, person.ticket_secret)["result"] == "ok"
    assert [c["id"] for c in device.get("/checkpoints").get_json()["checkpoints"]] == [hall]


def test_a_device_of_another_event_does_not_see_the_checkpoint(
    app, other_event, gate, person, make_user
):
    device = device_api(app, other_event, make_user())
    response = device.scan(gate, person.ticket_secret)
    assert response.status_code == 404
    assert response.get_json()["error"] == "unknown_checkpoint"


def test_assigned_staff_scan_only_at_their_checkpoints(app, event, staff, person):
    entrance = add_checkpoint(app, event, "主入口", staff=[staff])
    hall = add_checkpoint(app, event, "主会场")
    desk = staff_api(app, staff)
    refused = desk.scan(hall, person.ticket_secret)
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "not_assigned"
    assert desk.result(entrance, person.ticket_secret)["result"] == "ok"
    listed = desk.get("/checkpoints").get_json()["checkpoints"]
    assert [c["id"] for c in listed] == [entrance]


def test_unassigned_staff_scan_everywhere_in_their_event(app, event, desk, gate, person):
    hall = add_checkpoint(app, event, "主会场")
    assert desk.result(gate, person.ticket_secret)["result"] == "ok"
    assert desk.result(hall, person.ticket_secret)["result"] == "ok"
    listed = desk.get("/checkpoints").get_json()["checkpoints"]
    assert [c["id"] for c in listed] == [gate, hall]


def test_staff_of_another_event_get_unknown_checkpoint(app, other_event, gate, person, make_user):
    stranger = make_user("stranger@huiwu.example")
    add_staff(app, other_event, stranger)
    api = staff_api(app, stranger)
    for response in (
        api.scan(gate, person.ticket_secret),
        api.get(f"/checkpoints/{gate}/roster"),
        api.get(f"/checkpoints/{gate}/search", q="王"),
        api.get(f"/checkpoints/{gate}/stats"),
    ):
        assert response.status_code == 404
        assert response.get_json()["error"] == "unknown_checkpoint"
    assert api.get("/checkpoints").get_json()["checkpoints"] == []
    assert count(app, CheckIn) == 0


def test_organisers_scan_anywhere_even_where_staff_are_assigned(app, event, staff, office, person):
    reserved = add_checkpoint(app, event, "贵宾通道", staff=[staff])
    assert office.result(reserved, person.ticket_secret)["result"] == "ok"


# --- results ---------------------------------------------------------------------------------


def test_an_ok_answer_has_the_documented_shape(app, desk, gate, person):
    before = datetime.now(UTC)
    answer = desk.result(gate, person.ticket_secret, nonce="scan-0001-ok")
    assert set(answer) == ANSWER_KEYS
    assert answer["result"] == "ok" and answer["message"]
    assert (answer["replayed"], answer["nonce"]) == (False, "scan-0001-ok")
    assert answer["checkpoint"] == {"id": gate, "name": "主入口", "kind": "entry"}
    assert set(answer["person"]) == PERSON_KEYS
    assert answer["person"]["id"] == person.id
    assert (answer["person"]["name"], answer["person"]["name_en"]) == ("王立", "Li WANG")
    assert answer["person"]["position"] == "总经理"
    assert answer["person"]["status"] == "confirmed"
    assert answer["person"]["category"]["code"] == "delegate"
    assert answer["person"]["delegation"] is None and answer["person"]["attention"] is None
    assert answer["scanned_at"].endswith("Z") and parse(answer["scanned_at"]) >= before
    (check_in,) = check_ins(app)
    assert check_in.state is CheckInState.IN
    assert answer["check_in"]["id"] == check_in.id
    assert parse(answer["check_in"]["undo_until"]) == check_in.recorded_at + timedelta(minutes=10)
    assert (answer["first"], answer["window"], answer["event"]) == (None, None, None)
    assert (answer["reentry"], answer["conflict"]) == (False, False)


def test_the_attention_note_is_shown_only_when_flagged(app, desk, gate, event, make_registration):
    flagged = make_registration(
        event, name="孔繁华", staff_note="轮椅通道", needs_attention=True, mobile="+8613900000001"
    )
    quiet = make_registration(event, name="孟子", staff_note="内部备注", mobile="+8613900000002")
    assert desk.result(gate, flagged.ticket_secret)["person"]["attention"] == "轮椅通道"
    assert desk.result(gate, quiet.ticket_secret)["person"]["attention"] is None


def test_a_second_scan_is_already_checked_in_with_who_when_where(app, desk, office, gate, person):
    first = desk.result(gate, person.ticket_secret)
    again = office.result(gate, person.ticket_secret)
    assert again["result"] == "already_checked_in"
    assert again["first"] == {"at": first["scanned_at"], "checkpoint": "主入口", "staff": "李检票"}
    assert again["check_in"] is None and again["person"]["id"] == person.id
    assert count(app, CheckIn) == 1


def test_already_checked_in_names_the_device_that_admitted(
    app, event, organiser, desk, gate, person
):
    device_api(app, event, organiser, name="东门闸机").result(gate, person.ticket_secret)
    again = desk.result(gate, person.ticket_secret)
    assert again["result"] == "already_checked_in"
    assert (again["first"]["staff"], again["first"]["checkpoint"]) == ("东门闸机", "主入口")


def test_a_category_not_admitted_is_not_allowed(app, event, desk, person):
    guest = add_category(app, event, "guest")
    vip_room = add_checkpoint(app, event, "贵宾室", category_ids=[guest])
    answer = desk.result(vip_room, person.ticket_secret)
    assert answer["result"] == "not_allowed" and answer["person"]["id"] == person.id
    assert count(app, CheckIn) == 0


def test_scans_outside_the_explicit_window_are_refused(app, event, desk, person):
    now = datetime.now(UTC)
    later = add_checkpoint(app, event, "午宴", opens_at=now + timedelta(hours=1))
    closed = add_checkpoint(app, event, "早餐", closes_at=now - timedelta(hours=1))
    early = desk.result(later, person.ticket_secret)
    assert early["result"] == "outside_window"
    assert parse(early["window"]["opens_at"]) == now + timedelta(hours=1)
    assert early["window"]["closes_at"] is None
    late = desk.result(closed, person.ticket_secret)
    assert late["result"] == "outside_window"
    assert parse(late["window"]["closes_at"]) == now - timedelta(hours=1)
    assert count(app, CheckIn) == 0


def agenda_item(app, event, starts_at: datetime) -> int:
    with app.app_context():
        item = AgendaItem(
            event_id=event.id,
            title_zh="开幕式",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
        )
        db.session.add(item)
        db.session.commit()
        return item.id


def test_an_agenda_item_opens_its_doors_30_minutes_before(app, event, desk, person):
    now = datetime.now(UTC)
    soon = agenda_item(app, event, now + timedelta(minutes=20))
    later = agenda_item(app, event, now + timedelta(minutes=40))
    open_room = add_checkpoint(
        app, event, "开幕式", agenda_item_id=soon, kind=CheckpointKind.SESSION
    )
    shut_room = add_checkpoint(
        app, event, "分论坛", agenda_item_id=later, kind=CheckpointKind.SESSION
    )
    assert desk.result(open_room, person.ticket_secret)["result"] == "ok"
    refused = desk.result(shut_room, person.ticket_secret)
    assert refused["result"] == "outside_window"
    assert parse(refused["window"]["opens_at"]) == now + timedelta(minutes=10)
    assert parse(refused["window"]["closes_at"]) == now + timedelta(minutes=40, hours=2)


@pytest.mark.parametrize(
    ("status", "result"),
    [
        (Status.CANCELLED, "cancelled"),
        (Status.REJECTED, "cancelled"),
        (Status.PENDING, "pending"),
        (Status.WAITLISTED, "waitlisted"),
    ],
)
def test_registrations_not_confirmed_are_refused(
    app, event, desk, gate, make_registration, status, result
):
    registration = make_registration(event, status=status)
    answer = desk.result(gate, registration.ticket_secret)
    assert answer["result"] == result
    assert answer["person"]["status"] == status.value
    assert answer["person"]["badge_url"] is None and answer["check_in"] is None
    assert count(app, CheckIn) == 0


def test_a_replaced_badge_scans_as_revoked_and_the_new_one_works(
    app, desk, gate, person, organiser
):
    new_secret = reissue(app, person, organiser)
    old = desk.result(gate, person.ticket_secret)
    assert old["result"] == "revoked" and old["person"]["id"] == person.id
    assert count(app, CheckIn) == 0
    assert desk.result(gate, new_secret)["result"] == "ok"


def test_an_unknown_code_answers_unknown_without_a_person(app, desk, gate):
    answer = desk.result(gate, "A" * 32)
    assert (answer["result"], answer["person"], answer["event"]) == ("unknown", None, None)


def test_another_events_badge_names_only_that_event(
    app, desk, gate, other_event, make_registration
):
    stranger = make_registration(
        other_event, name="赵敏", organisation="泰山集团", mobile="+8613811112222"
    )
    response = desk.scan(gate, stranger.ticket_secret)
    answer = response.get_json()
    assert answer["result"] == "wrong_event"
    assert answer["event"] == {"title": "泰山论坛"}
    assert answer["person"] is None and answer["check_in"] is None
    raw = response.get_data(as_text=True)
    for private in ("赵敏", "泰山集团", "13811112222"):
        assert private not in json.dumps(answer, ensure_ascii=False) and private not in raw
    (attempt,) = attempts(app)
    assert (attempt.result, attempt.registration_id) == ("wrong_event", None)


def test_an_exit_records_leaving_and_answers_ok(app, event, desk, gate, person):
    way_out = add_checkpoint(app, event, "出口", kind=CheckpointKind.EXIT)
    desk.result(gate, person.ticket_secret)
    for _ in range(2):
        answer = desk.result(way_out, person.ticket_secret)
        assert answer["result"] == "ok" and answer["checkpoint"]["kind"] == "exit"
    states = [c.state for c in check_ins(app, checkpoint_id=way_out)]
    assert states == [CheckInState.EXIT, CheckInState.EXIT]


def test_reentry_is_ok_where_allowed(app, event, desk, person):
    hall = add_checkpoint(app, event, "展厅", allows_reentry=True)
    first = desk.result(hall, person.ticket_secret)
    again = desk.result(hall, person.ticket_secret)
    assert (again["result"], again["reentry"]) == ("ok", True)
    assert again["first"]["at"] == first["scanned_at"]
    assert [c.state for c in check_ins(app)] == [CheckInState.IN, CheckInState.REENTRY]


def test_without_reentry_a_repeat_is_already_checked_in(app, desk, gate, person):
    desk.result(gate, person.ticket_secret)
    again = desk.result(gate, person.ticket_secret)
    assert (again["result"], again["reentry"]) == ("already_checked_in", False)
    assert count(app, CheckIn) == 1


def test_a_search_result_can_be_admitted_by_registration_id(app, desk, gate, person):
    response = desk.post(
        "/scan", {"registration": person.id, "checkpoint": gate, "nonce": new_nonce()}
    )
    assert response.get_json()["result"] == "ok"
    assert response.get_json()["person"]["id"] == person.id


# --- bad input -------------------------------------------------------------------------------


def test_a_lowercase_or_padded_secret_is_normalised(app, event, desk, gate, make_registration):
    padded = make_registration(event, mobile="+8613900000003")
    lower = make_registration(event, mobile="+8613900000004")
    assert desk.result(gate, f"  {padded.ticket_secret}\n")["result"] == "ok"
    assert desk.result(gate, lower.ticket_secret.lower())["result"] == "ok"
    assert count(app, CheckIn) == 2


@pytest.mark.parametrize(
    "secret",
    ["not-a-badge", "x" * 3000, "A" * 31, "'; DROP TABLE check_in; --"],
    ids=["garbage", "3kb", "one-short", "sql"],
)
def test_garbage_secrets_scan_as_unknown(app, desk, gate, person, secret):
    answer = desk.result(gate, secret)
    assert answer["result"] == "unknown" and answer["person"] is None
    assert count(app, CheckIn) == 0
    (attempt,) = attempts(app)
    assert attempt.result == "unknown"


DROP, OTHER_GATE = object(), object()


def body_with(**changes):
    """A valid scan body with ``changes``: DROP removes a key, OTHER_GATE is another event's."""

    def build(secret: str, gate: int, other_gate: int) -> dict:
        body = {"secret": secret, "checkpoint": gate, "nonce": new_nonce()}
        for key, value in changes.items():
            if value is DROP:
                body.pop(key)
            elif value is OTHER_GATE:
                body[key] = other_gate
            else:
                body[key] = value
        return body

    return build


NOW = datetime.now(UTC)

BAD_BODIES = {
    "empty-secret": (body_with(secret=""), 400, "missing_secret"),
    "blank-secret": (body_with(secret="   \t"), 400, "missing_secret"),
    "secret-not-a-string": (body_with(secret=12345), 400, "missing_secret"),
    "no-secret": (body_with(secret=DROP), 400, "missing_secret"),
    "10kb-secret": (body_with(secret="x" * 10_000), 413, "too_large"),
    "no-checkpoint": (body_with(checkpoint=DROP), 400, "bad_checkpoint"),
    "checkpoint-string": (body_with(checkpoint="1"), 400, "bad_checkpoint"),
    "checkpoint-bool": (body_with(checkpoint=True), 400, "bad_checkpoint"),
    "checkpoint-float": (body_with(checkpoint=1.5), 400, "bad_checkpoint"),
    "checkpoint-missing": (body_with(checkpoint=987654), 404, "unknown_checkpoint"),
    "checkpoint-other-event": (body_with(checkpoint=OTHER_GATE), 404, "unknown_checkpoint"),
    "no-nonce": (body_with(nonce=DROP), 400, "missing_nonce"),
    "blank-nonce": (body_with(nonce="  "), 400, "missing_nonce"),
    "short-nonce": (body_with(nonce="abc"), 400, "bad_nonce"),
    "long-nonce": (body_with(nonce="n" * 65), 400, "bad_nonce"),
    "non-ascii-nonce": (body_with(nonce="扫码扫码扫码扫码扫码"), 400, "bad_nonce"),
    "future": (
        body_with(scanned_at=iso(NOW + timedelta(hours=1))),
        422,
        "scanned_at_in_future",
    ),
    "three-days-ago": (
        body_with(scanned_at=iso(NOW - timedelta(days=3))),
        422,
        "scanned_at_too_old",
    ),
    "naive-time": (body_with(scanned_at="2030-09-25T09:00:00"), 400, "bad_scanned_at"),
    "time-not-a-string": (body_with(scanned_at=1758762123), 400, "bad_scanned_at"),
    "time-gibberish": (body_with(scanned_at="yesterday"), 400, "bad_scanned_at"),
    "registration-string": (
        body_with(secret=DROP, registration="12"),
        400,
        "bad_registration",
    ),
}


@pytest.mark.parametrize(("build", "status", "error"), BAD_BODIES.values(), ids=BAD_BODIES)
def test_a_bad_scan_request_is_refused_and_records_nothing(
    app, desk, gate, person, other_event, build, status, error
):
    other_gate = add_checkpoint(app, other_event, "泰山入口")
    response = desk.post("/scan", build(person.ticket_secret, gate, other_gate))
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["error"] == error
    assert count(app, CheckIn) == 0 and count(app, ScanAttempt) == 0


@pytest.mark.parametrize(
    "raw",
    [b"secret=ABC", b"{not json", b'["secret", "checkpoint"]', b'"just a string"', b"null"],
    ids=["form", "broken", "array", "string", "null"],
)
def test_a_body_that_is_not_a_json_object_is_bad_json(app, desk, raw):
    response = desk.client.post(
        "/api/checkin/scan",
        data=raw,
        headers={**desk.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_json"
    assert count(app, ScanAttempt) == 0


def test_deeply_nested_json_is_bad_json_not_a_crash(app, desk, gate):
    raw = b'{"secret": ' + b"[" * 2000 + b"]" * 2000 + b"}"
    assert len(raw) < 4096
    response = desk.client.post(
        "/api/checkin/scan",
        data=raw,
        headers={**desk.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_json"


@pytest.mark.parametrize("checkpoint_id", [2**31, 2**63], ids=["int4-overflow", "int8-overflow"])
def test_an_out_of_range_checkpoint_id_is_refused_not_a_crash(app, desk, person, checkpoint_id):
    response = desk.scan(checkpoint_id, person.ticket_secret)
    assert (response.status_code, response.get_json()["error"]) in {
        (400, "bad_checkpoint"),
        (404, "unknown_checkpoint"),
    }


@pytest.mark.parametrize("registration_id", [2**31, 2**63], ids=["int4-overflow", "int8-overflow"])
def test_an_out_of_range_registration_id_is_not_a_crash(app, desk, gate, registration_id):
    response = desk.post(
        "/scan", {"registration": registration_id, "checkpoint": gate, "nonce": new_nonce()}
    )
    answer = response.get_json()
    assert (response.status_code, answer.get("result") or answer.get("error")) in {
        (200, "unknown"),
        (400, "bad_registration"),
    }
    assert count(app, CheckIn) == 0


@pytest.mark.parametrize("checkpoint_id", [2**31, 2**63], ids=["int4-overflow", "int8-overflow"])
def test_an_out_of_range_checkpoint_in_the_path_is_404(app, desk, checkpoint_id):
    for view in ("roster", "search", "stats"):
        response = desk.get(f"/checkpoints/{checkpoint_id}/{view}", q="王")
        assert response.status_code == 404, view
        assert response.get_json()["error"] == "unknown_checkpoint"


def test_a_scan_time_within_the_clock_skew_or_two_days_back_is_accepted(
    app, event, desk, gate, make_registration
):
    ahead = make_registration(event, mobile="+8613900000010")
    queued = make_registration(event, mobile="+8613900000011")
    now = datetime.now(UTC)
    early = desk.result(gate, ahead.ticket_secret, scanned_at=iso(now + timedelta(seconds=90)))
    assert early["result"] == "ok"
    old = desk.result(
        gate, queued.ticket_secret, scanned_at=iso(now - timedelta(hours=47)), offline=True
    )
    assert old["result"] == "ok" and old["scanned_at"] == iso(now - timedelta(hours=47))
    too_far = desk.scan(gate, queued.ticket_secret, scanned_at=iso(now + timedelta(minutes=3)))
    assert too_far.status_code == 422
    assert count(app, CheckIn) == 2


def test_a_retired_checkpoint_takes_no_scans(app, event, desk, person):
    retired = add_checkpoint(app, event, "旧入口", active=False)
    response = desk.scan(retired, person.ticket_secret)
    assert response.status_code == 409
    assert response.get_json()["error"] == "checkpoint_closed"
    assert count(app, CheckIn) == 0 and count(app, ScanAttempt) == 0


def test_a_nonce_reused_for_another_badge_is_409(app, event, desk, gate, person, make_registration):
    other = make_registration(event, name="孟子", mobile="+8613900000005")
    assert desk.result(gate, person.ticket_secret, nonce="nonce-0001")["result"] == "ok"
    response = desk.scan(gate, other.ticket_secret, nonce="nonce-0001")
    assert response.status_code == 409
    assert response.get_json()["error"] == "nonce_reused"
    assert count(app, CheckIn) == 1 and count(app, ScanAttempt) == 1


def test_a_nonce_reused_by_someone_else_is_409(app, desk, gate, person, organiser):
    assert desk.result(gate, person.ticket_secret, nonce="nonce-0002")["result"] == "ok"
    response = staff_api(app, organiser).scan(gate, person.ticket_secret, nonce="nonce-0002")
    assert response.status_code == 409
    assert response.get_json()["error"] == "nonce_reused"
    assert count(app, ScanAttempt) == 1


def test_a_nonce_reused_at_another_checkpoint_is_409(app, event, desk, gate, person):
    hall = add_checkpoint(app, event, "主会场")
    desk.result(gate, person.ticket_secret, nonce="nonce-0003")
    response = desk.scan(hall, person.ticket_secret, nonce="nonce-0003")
    assert response.status_code == 409
    assert count(app, CheckIn) == 1


def test_an_offline_scan_time_with_an_offset_is_answered_in_utc(app, desk, gate, person):
    expected = datetime.now(UTC) - timedelta(minutes=30)
    shanghai = expected.astimezone(timezone(timedelta(hours=8))).isoformat()
    assert shanghai.endswith("+08:00")
    answer = desk.result(gate, person.ticket_secret, scanned_at=shanghai, offline=True)
    assert answer["result"] == "ok"
    assert answer["scanned_at"] == iso(expected)
    (check_in,) = check_ins(app)
    assert check_in.scanned_at == expected and check_in.offline is True


# --- idempotency -----------------------------------------------------------------------------


@pytest.mark.parametrize("padding", ["", "  "], ids=["same", "padded-nonce"])
def test_a_retried_scan_replays_the_original_answer(app, desk, gate, person, padding):
    first = desk.result(gate, person.ticket_secret, nonce="retry-0001")
    second = desk.result(gate, person.ticket_secret.lower(), nonce=f"{padding}retry-0001")
    assert (first["replayed"], second["replayed"]) == (False, True)
    assert {**second, "replayed": False} == first
    assert count(app, ScanAttempt) == 1 and count(app, CheckIn) == 1


def test_a_retried_refusal_replays_too(app, desk, gate, other_event, make_registration):
    stranger = make_registration(other_event, name="赵敏")
    first = desk.result(gate, stranger.ticket_secret, nonce="retry-0002")
    second = desk.result(gate, stranger.ticket_secret, nonce="retry-0002")
    assert second["replayed"] is True
    assert {**second, "replayed": False} == first
    assert count(app, ScanAttempt) == 1


# --- undo ------------------------------------------------------------------------------------


def undo(api: Api, check_in_id):
    return api.post("/undo", {"check_in": check_in_id})


def test_staff_undo_their_own_scan_and_the_badge_scans_again(app, desk, gate, person, staff):
    check_in_id = desk.result(gate, person.ticket_secret)["check_in"]["id"]
    response = undo(desk, check_in_id)
    assert response.status_code == 200
    assert response.get_json() == {"undone": True, "check_in": check_in_id}
    (annulled,) = check_ins(app)
    assert annulled.state is CheckInState.ANNULLED and annulled.annulled_by_id == staff.id
    assert desk.result(gate, person.ticket_secret)["result"] == "ok"
    assert [c.state for c in check_ins(app)] == [CheckInState.ANNULLED, CheckInState.IN]
    with app.app_context():
        (entry,) = db.session.execute(
            db.select(AuditEntry).filter_by(action="checkin.annulled")
        ).scalars()
        assert (entry.subject_type, entry.subject_id) == ("registration", person.id)
        assert entry.actor_id == staff.id and entry.details["checkpoint"] == "主入口"


def test_staff_cannot_undo_after_ten_minutes(app, desk, gate, person):
    check_in_id = desk.result(gate, person.ticket_secret)["check_in"]["id"]
    move_recorded_at(app, check_in_id, timedelta(minutes=11))
    response = undo(desk, check_in_id)
    assert response.status_code == 403
    assert response.get_json()["error"] == "undo_expired"
    assert check_ins(app)[0].state is CheckInState.IN


def test_staff_cannot_undo_someone_elses_scan(app, event, office, gate, person, make_user):
    colleague = make_user("colleague@huiwu.example")
    add_staff(app, event, colleague)
    check_in_id = office.result(gate, person.ticket_secret)["check_in"]["id"]
    response = undo(staff_api(app, colleague), check_in_id)
    assert response.status_code == 403
    assert response.get_json()["error"] == "not_yours"


def test_organisers_undo_any_scan_at_any_time(app, desk, office, gate, person):
    check_in_id = desk.result(gate, person.ticket_secret)["check_in"]["id"]
    move_recorded_at(app, check_in_id, timedelta(hours=5))
    assert undo(office, check_in_id).get_json()["undone"] is True
    again = undo(office, check_in_id)
    assert again.status_code == 409
    assert again.get_json()["error"] == "not_undoable"


def test_undoing_twice_is_not_undoable(app, desk, gate, person):
    check_in_id = desk.result(gate, person.ticket_secret)["check_in"]["id"]
    assert undo(desk, check_in_id).status_code == 200
    response = undo(desk, check_in_id)
    assert response.status_code == 409
    assert response.get_json()["error"] == "not_undoable"
    assert count(app, AuditEntry, action="checkin.annulled") == 1


def test_a_device_undoes_its_own_scan(app, event, organiser, gate, person):
    device = device_api(app, event, organiser)
    check_in_id = device.result(gate, person.ticket_secret)["check_in"]["id"]
    assert undo(device, check_in_id).get_json() == {"undone": True, "check_in": check_in_id}


@pytest.mark.parametrize(
    ("value", "status", "error"),
    [
        ("1", 400, "bad_check_in"),
        (True, 400, "bad_check_in"),
        (None, 400, "bad_check_in"),
        (424242, 404, "unknown_check_in"),
        (2**31, 404, "unknown_check_in"),
        (2**63, 404, "unknown_check_in"),
    ],
    ids=["string", "bool", "null", "missing", "int4-overflow", "int8-overflow"],
)
def test_undo_of_no_real_check_in_is_refused(app, desk, value, status, error):
    response = undo(desk, value)
    assert response.status_code == status
    assert response.get_json()["error"] == error


def test_undo_by_another_events_organiser_is_unknown(
    app, desk, gate, person, other_event, outsider
):
    check_in_id = desk.result(gate, person.ticket_secret)["check_in"]["id"]
    response = undo(staff_api(app, outsider), check_in_id)
    assert response.status_code == 404
    assert response.get_json()["error"] == "unknown_check_in"
    assert check_ins(app)[0].state is CheckInState.IN


# --- offline sync ----------------------------------------------------------------------------


@pytest.mark.parametrize("earlier_syncs_first", [True, False], ids=["in-order", "reversed"])
def test_two_offline_admissions_keep_the_earliest(
    app, event, organiser, gate, person, earlier_syncs_first
):
    north = device_api(app, event, organiser, name="北门")
    south = device_api(app, event, organiser, name="南门")
    now = datetime.now(UTC)
    earlier, later = now - timedelta(minutes=30), now - timedelta(minutes=20)
    sync = [(north, earlier), (south, later)]
    if not earlier_syncs_first:
        sync.reverse()
    answers = [
        api.result(gate, person.ticket_secret, scanned_at=iso(when), offline=True)
        for api, when in sync
    ]
    assert answers[0]["result"] == "ok" and answers[0]["conflict"] is False
    assert answers[1]["conflict"] is True
    if earlier_syncs_first:
        assert answers[1]["result"] == "already_checked_in"
        assert answers[1]["first"]["at"] == iso(earlier)
    else:
        assert answers[1]["result"] == "ok"
    (kept,) = check_ins(app, state=CheckInState.IN)
    (superseded,) = check_ins(app, state=CheckInState.SUPERSEDED)
    assert (kept.scanned_at, superseded.scanned_at) == (earlier, later)
    with app.app_context():
        (conflict,) = db.session.execute(db.select(CheckInConflict)).scalars()
        assert (conflict.kept_id, conflict.superseded_id) == (kept.id, superseded.id)


def test_an_offline_scan_after_an_online_one_is_a_conflict(
    app, event, organiser, desk, gate, person
):
    desk.result(gate, person.ticket_secret)
    offline = device_api(app, event, organiser)
    queued = iso(datetime.now(UTC) + timedelta(seconds=30))
    answer = offline.result(gate, person.ticket_secret, scanned_at=queued, offline=True)
    assert (answer["result"], answer["conflict"]) == ("already_checked_in", True)
    assert answer["first"]["staff"] == "李检票"
    assert count(app, CheckInConflict) == 1


# --- delegations -----------------------------------------------------------------------------


def add_delegation(app, event, make_registration) -> dict:
    """A delegation led by 李建国: two more confirmed members, one pending, one cancelled."""
    with app.app_context():
        group = Delegation(
            event_id=event.id,
            name="济南市工商联代表团",
            kind=DelegationKind.CHAMBER,
            status=DelegationStatus.APPROVED,
            leader_name="李建国",
            leader_mobile="+8613805310001",
        )
        db.session.add(group)
        db.session.commit()
        group_id = group.id

    def member(name, mobile, status=Status.CONFIRMED):
        return make_registration(
            event, name=name, mobile=mobile, status=status, delegation_id=group_id
        )

    return {
        "id": group_id,
        "leader": member("李建国", "+8613805310001"),
        "confirmed": [member("张伟", "+8613805310002"), member("刘洋", "+8613805310003")],
        "pending": member("赵强", "+8613805310004", Status.PENDING),
        "cancelled": member("孙丽", "+8613805310005", Status.CANCELLED),
    }


@pytest.fixture
def delegation(app, event, make_registration):
    return add_delegation(app, event, make_registration)


def test_a_leaders_badge_admits_the_confirmed_members(app, desk, gate, delegation):
    body = {"secret": delegation["leader"].ticket_secret, "checkpoint": gate, "nonce": "group-01"}
    response = desk.post("/delegation", body)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["counts"] == {"ok": 3, "pending": 1, "cancelled": 1}
    assert sorted(answer["admitted"]) == sorted(["李建国", "张伟", "刘洋"])
    refused = {(r["name"], r["result"]) for r in answer["refused"]}
    assert refused == {("赵强", "pending"), ("孙丽", "cancelled")}
    assert count(app, CheckIn, state=CheckInState.IN) == 3
    assert count(app, ScanAttempt) == 5


def test_retrying_a_delegation_admission_changes_nothing(app, desk, gate, delegation):
    body = {"secret": delegation["leader"].ticket_secret, "checkpoint": gate, "nonce": "group-02"}
    first = desk.post("/delegation", body).get_json()
    second = desk.post("/delegation", body).get_json()
    assert second == first
    assert count(app, CheckIn) == 3 and count(app, ScanAttempt) == 5


def test_a_delegation_admission_after_some_arrived_counts_them(app, desk, gate, delegation):
    desk.result(gate, delegation["confirmed"][0].ticket_secret)
    body = {"secret": delegation["leader"].ticket_secret, "checkpoint": gate, "nonce": "group-03"}
    answer = desk.post("/delegation", body).get_json()
    assert answer["counts"] == {"ok": 2, "already_checked_in": 1, "pending": 1, "cancelled": 1}
    assert "张伟" not in answer["admitted"]
    assert {r["name"] for r in answer["refused"]} == {"赵强", "孙丽"}


def test_a_members_badge_is_not_a_leaders(app, desk, gate, delegation, person):
    for secret in (delegation["confirmed"][0].ticket_secret, person.ticket_secret, "B" * 32):
        body = {"secret": secret, "checkpoint": gate, "nonce": new_nonce()}
        response = desk.post("/delegation", body)
        assert response.status_code == 409
        assert response.get_json()["error"] == "not_a_leader"
    assert count(app, CheckIn) == 0


def test_a_replaced_leader_badge_admits_nobody(app, desk, gate, delegation, organiser):
    old_secret = delegation["leader"].ticket_secret
    reissue(app, delegation["leader"], organiser)
    body = {"secret": old_secret, "checkpoint": gate, "nonce": "group-04"}
    response = desk.post("/delegation", body)
    assert response.status_code in (200, 409), response.get_data(as_text=True)
    assert response.status_code == 409 or response.get_json()["admitted"] == []
    assert count(app, CheckIn) == 0


def test_the_leaders_scan_shows_who_has_not_arrived(app, desk, gate, delegation):
    desk.result(gate, delegation["confirmed"][0].ticket_secret)
    member = desk.result(gate, delegation["confirmed"][1].ticket_secret)
    assert member["person"]["delegation"] == {
        "id": delegation["id"],
        "name": "济南市工商联代表团",
        "is_leader": False,
    }
    leader = desk.result(gate, delegation["leader"].ticket_secret)
    assert leader["person"]["delegation"] == {
        "id": delegation["id"],
        "name": "济南市工商联代表团",
        "is_leader": True,
        "members": 3,
        "not_arrived": 0,
    }


def test_the_leaders_first_scan_counts_the_others_still_missing(app, desk, gate, delegation):
    leader = desk.result(gate, delegation["leader"].ticket_secret)
    summary = leader["person"]["delegation"]
    assert (summary["members"], summary["not_arrived"]) == (3, 2)


# --- roster, search, stats -------------------------------------------------------------------


def test_the_roster_snapshot_keys_people_by_the_hash_of_their_secret(
    app, desk, gate, person, event, organiser, make_registration, other_event
):
    replaced = make_registration(event, name="孟子", mobile="+8613900000006")
    old_secret = replaced.ticket_secret
    new_secret = reissue(app, replaced, organiser)
    stranger = make_registration(other_event, name="赵敏", mobile="+8613811112222")
    reissue(app, stranger, organiser)
    desk.result(gate, person.ticket_secret)
    response = desk.get(f"/checkpoints/{gate}/roster")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    snapshot = response.get_json()
    by_id = {entry["id"]: entry for entry in snapshot["people"]}
    assert set(by_id) == {person.id, replaced.id}
    assert by_id[person.id]["h"] == hashlib.sha256(person.ticket_secret.encode()).hexdigest()
    assert by_id[replaced.id]["h"] == hashlib.sha256(new_secret.encode()).hexdigest()
    assert snapshot["revoked"] == [hashlib.sha256(old_secret.encode()).hexdigest()]
    assert parse(by_id[person.id]["in"]) == check_ins(app)[0].scanned_at
    assert by_id[replaced.id]["in"] is None
    assert by_id[person.id]["mobile"] == "139****5678"
    raw = response.get_data(as_text=True)
    for secret_or_private in (
        person.ticket_secret,
        new_secret,
        old_secret,
        "13912345678",
        "13900000006",
        "赵敏",
    ):
        assert secret_or_private not in raw
    assert snapshot["checkpoint"]["id"] == gate
    assert snapshot["categories"]["delegate"]["allowed"] is True


def test_the_roster_marks_categories_a_checkpoint_refuses(app, event, desk, person):
    guest = add_category(app, event, "guest")
    vip_room = add_checkpoint(app, event, "贵宾室", category_ids=[guest])
    categories = desk.get(f"/checkpoints/{vip_room}/roster").get_json()["categories"]
    assert {code: c["allowed"] for code, c in categories.items()} == {
        "delegate": False,
        "guest": True,
    }


def test_the_roster_marks_the_delegation_leader(app, desk, gate, delegation):
    people = desk.get(f"/checkpoints/{gate}/roster").get_json()["people"]
    leaders = [entry["name"] for entry in people if entry["leader"]]
    assert leaders == ["李建国"]
    assert {entry["delegation"] for entry in people} == {"济南市工商联代表团"}


@pytest.fixture
def crowd(event, make_registration, other_event):
    """A few people to search among, plus a namesake at another event."""
    return {
        "wang_li": make_registration(event, name="王立", mobile="+8613912345678"),
        "wang_xiao": make_registration(
            event, name="王小明", name_en="Xiaoming WANG", mobile="+8613700001111"
        ),
        "percent": make_registration(
            event, name="孟子", organisation="百分百100%科技", mobile="+8613600002222"
        ),
        "elsewhere": make_registration(other_event, name="王立群", mobile="+8613512345678"),
    }


def search(api: Api, checkpoint_id: int, query: str) -> list[dict]:
    response = api.get(f"/checkpoints/{checkpoint_id}/search", q=query)
    assert response.status_code == 200
    return response.get_json()["people"]


def test_search_by_partial_chinese_name(app, desk, gate, crowd):
    found = search(desk, gate, "王")
    assert {p["id"] for p in found} == {crowd["wang_li"].id, crowd["wang_xiao"].id}
    assert [p["name"] for p in search(desk, gate, "小明")] == ["王小明"]
    assert [p["name"] for p in search(desk, gate, "xiaoming")] == ["王小明"]
    assert all("h" not in p for p in found)
    # The category's name and colour come along, for a page without the snapshot yet.
    assert found[0]["category_info"] == {"name": "代表", "color": "#1f6feb", "allowed": True}


def test_search_by_the_last_four_mobile_digits(app, desk, gate, crowd):
    (found,) = search(desk, gate, "1111")
    assert found["id"] == crowd["wang_xiao"].id and found["mobile"] == "137****1111"
    (found,) = search(desk, gate, "5678")  # the namesake at the other event stays hidden
    assert found["id"] == crowd["wang_li"].id
    assert "h" not in found and "13912345678" not in json.dumps(found)


def test_like_wildcards_in_a_search_are_literal(app, desk, gate, crowd):
    assert [p["id"] for p in search(desk, gate, "%")] == [crowd["percent"].id]
    assert search(desk, gate, "_") == []
    assert search(desk, gate, "王%") == []
    assert search(desk, gate, "") == []


def test_search_results_show_who_is_in(app, desk, gate, crowd):
    desk.result(gate, crowd["wang_li"].ticket_secret)
    found = {p["id"]: p for p in search(desk, gate, "王")}
    assert found[crowd["wang_li"].id]["in"] is not None
    assert found[crowd["wang_xiao"].id]["in"] is None


def test_stats_count_admitted_against_expected(app, event, desk, gate, crowd, make_registration):
    make_registration(event, status=Status.PENDING, mobile="+8613900000009")
    assert desk.get(f"/checkpoints/{gate}/stats").get_json() == {"admitted": 0, "expected": 3}
    desk.result(gate, crowd["wang_li"].ticket_secret)
    desk.result(gate, crowd["wang_li"].ticket_secret)
    desk.result(gate, crowd["percent"].ticket_secret)
    assert desk.get(f"/checkpoints/{gate}/stats").get_json() == {"admitted": 2, "expected": 3}
    guest = add_category(app, event, "guest")
    vip_room = add_checkpoint(app, event, "贵宾室", category_ids=[guest])
    assert desk.get(f"/checkpoints/{vip_room}/stats").get_json() == {
        "admitted": 0,
        "expected": 0,
    }


# --- the scan log ----------------------------------------------------------------------------


def test_every_scan_is_logged_with_who_and_what_came_out(
    app, event, organiser, desk, gate, person, make_registration
):
    pending = make_registration(event, status=Status.PENDING, mobile="+8613900000007")
    device = device_api(app, event, organiser)
    desk.result(gate, person.ticket_secret)
    desk.result(gate, pending.ticket_secret)
    device.result(gate, person.ticket_secret)
    device.result(gate, "garbage")
    with app.app_context():
        device_id = db.session.execute(db.select(ScannerDevice.id)).scalar_one()
        staff_id = db.session.execute(
            db.select(User.id).filter_by(email="staff@huiwu.example")
        ).scalar_one()
    logged = [
        (a.staff_id, a.device_id, a.registration_id, a.result, a.checkpoint_id)
        for a in attempts(app)
    ]
    assert logged == [
        (staff_id, None, person.id, "ok", gate),
        (staff_id, None, pending.id, "pending", gate),
        (None, device_id, person.id, "already_checked_in", gate),
        (None, device_id, None, "unknown", gate),
    ]


def test_the_scan_log_never_holds_a_secret(app, event, desk, gate, person, make_registration):
    pending = make_registration(event, status=Status.PENDING, mobile="+8613900000008")
    secrets = [person.ticket_secret, pending.ticket_secret]
    desk.result(gate, person.ticket_secret)
    desk.result(gate, pending.ticket_secret.lower())
    desk.post("/scan", {"registration": person.id, "checkpoint": gate, "nonce": new_nonce()})
    with app.app_context():
        rows = db.session.execute(text("SELECT * FROM scan_attempt")).all()
    assert len(rows) == 3
    dumped = " ".join(str(value) for row in rows for value in row).upper()
    for secret in secrets:
        assert secret not in dumped
