"""Check-in set-up by organisers: checkpoints, scanner devices, the note for the door."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app import db
from events.models import AgendaItem, AuditEntry, Category, Event
from registration.checkin import checkpoints
from registration.checkin.models import CheckIn, Checkpoint, CheckpointKind, ScannerDevice
from registration.checkin.services import ScanInput, Scanner, record_scan
from registration.models import Registration
from tests.conftest import csrf_token


@pytest.fixture
def organiser(make_user):
    return make_user("organiser@huiwu.example")


@pytest.fixture
def staff(make_user):
    return make_user("gate@huiwu.example")


@pytest.fixture
def event(app, make_event, organiser, staff):
    made = make_event(organiser=organiser, staff=staff)
    with app.app_context():
        db.session.add(
            Category(event_id=made.id, code="guest", name_zh="嘉宾", name_en="Guest", position=1)
        )
        db.session.commit()
    return made


def category_id(app, event, code):
    with app.app_context():
        return db.session.execute(
            db.select(Category.id).filter_by(event_id=event.id, code=code)
        ).scalar_one()


def checkpoints_of(app, event):
    with app.app_context():
        rows = checkpoints.checkpoints_of(db.session.get(Event, event.id))
        return [(c.id, c.name_zh, c.kind, c.active, [x.code for x in c.categories]) for c in rows]


def form(client, event, **fields):
    data = {"csrf_token": csrf_token(client, f"/manage/{event.id}/checkpoints"), "kind": "entry"}
    data.update(fields)
    return data


def test_the_list_starts_with_a_main_entrance(app, client, login_as, organiser, event):
    login_as(organiser)
    page = client.get(f"/manage/{event.id}/checkpoints")
    assert page.status_code == 200
    assert "主入口" in page.get_data(as_text=True)
    assert [row[1:4] for row in checkpoints_of(app, event)] == [
        ("主入口", CheckpointKind.ENTRY, True)
    ]
    client.get(f"/manage/{event.id}/checkpoints")
    assert len(checkpoints_of(app, event)) == 1  # created once only


def test_organiser_adds_a_vip_entrance_for_two_categories(app, client, login_as, organiser, event):
    login_as(organiser)
    guest = category_id(app, event, "guest")
    response = client.post(
        f"/manage/{event.id}/checkpoints",
        data=form(
            client,
            event,
            name_zh="贵宾通道",
            name_en="VIP entrance",
            category_ids=[str(guest)],
            opens_at="2030-09-25T07:30",
            closes_at="2030-09-25T12:00",
            staff_ids=[],
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        vip = db.session.execute(db.select(Checkpoint).filter_by(name_zh="贵宾通道")).scalar_one()
        assert [c.code for c in vip.categories] == ["guest"]
        # Entered on the event's clock (Asia/Shanghai), stored in UTC.
        assert vip.opens_at == datetime(2030, 9, 24, 23, 30, tzinfo=UTC)
        assert vip.closes_at == datetime(2030, 9, 25, 4, 0, tzinfo=UTC)
        assert db.session.execute(
            db.select(AuditEntry).filter_by(action="checkin.checkpoint_created")
        ).scalar_one()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name_zh": ""}, "Enter the checkpoint"),
        (
            {"name_zh": "A", "opens_at": "2030-09-25T12:00", "closes_at": "2030-09-25T08:00"},
            "close",
        ),
        ({"name_zh": "A", "kind": "teleport"}, "Not a valid choice"),
        ({"name_zh": "A", "category_ids": ["999999"]}, "not a valid choice"),
        ({"name_zh": "A", "agenda_item_id": "999999"}, "programme"),
        ({"name_zh": "A", "opens_at": "yesterday"}, "Not a valid datetime"),
    ],
)
def test_bad_checkpoints_are_refused_with_a_reason(
    app, client, login_as, organiser, event, fields, error
):
    login_as(organiser)
    client.get("/", headers={"Accept-Language": "en"})
    with client.session_transaction() as session:
        session["locale"] = "en"
    response = client.post(f"/manage/{event.id}/checkpoints", data=form(client, event, **fields))
    assert response.status_code == 400
    assert error in response.get_data(as_text=True)
    assert [row[1] for row in checkpoints_of(app, event)] == ["主入口"]


def test_staff_of_another_event_cannot_be_assigned(
    app, client, login_as, organiser, event, make_user
):
    outsider = make_user("outsider@huiwu.example")
    login_as(organiser)
    response = client.post(
        f"/manage/{event.id}/checkpoints",
        data=form(client, event, name_zh="侧门", staff_ids=[str(outsider.id)]),
    )
    assert response.status_code == 400
    assert len(checkpoints_of(app, event)) == 1


def test_editing_assigns_staff_and_links_a_session(app, client, login_as, organiser, staff, event):
    with app.app_context():
        item = AgendaItem(
            event_id=event.id,
            title_zh="重点项目推介会",
            starts_at=datetime(2030, 9, 25, 6, 0, tzinfo=UTC),
            ends_at=datetime(2030, 9, 25, 8, 0, tzinfo=UTC),
        )
        db.session.add(item)
        db.session.commit()
        item_id = item.id
    login_as(organiser)
    client.get(f"/manage/{event.id}/checkpoints")
    checkpoint_id = checkpoints_of(app, event)[0][0]
    response = client.post(
        f"/manage/{event.id}/checkpoints/{checkpoint_id}",
        data=form(
            client,
            event,
            name_zh="推介会场",
            kind="session",
            agenda_item_id=str(item_id),
            staff_ids=[str(staff.id)],
            allows_reentry="y",
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        checkpoint = db.session.get(Checkpoint, checkpoint_id)
        assert [u.email for u in checkpoint.staff] == ["gate@huiwu.example"]
        assert checkpoint.allows_reentry
        opens, closes = checkpoint.window()
        assert opens == datetime(2030, 9, 25, 5, 30, tzinfo=UTC)  # doors 30 minutes early
        assert closes == datetime(2030, 9, 25, 8, 0, tzinfo=UTC)


def scan_once(app, event, checkpoint_id, user):
    with app.app_context():
        registration = Registration(
            event_id=event.id,
            category_id=category_id(app, event, "delegate"),
            name="王立",
            status="confirmed",
        )
        db.session.add(registration)
        db.session.commit()
        scanner = Scanner(user=db.session.get(type(user), user.id))
        checkpoint = db.session.get(Checkpoint, checkpoint_id)
        return record_scan(
            scanner, checkpoint, ScanInput("nonce-0001", registration.ticket_secret)
        ).result


def test_a_used_checkpoint_is_retired_not_deleted(app, client, login_as, organiser, event):
    login_as(organiser)
    client.get(f"/manage/{event.id}/checkpoints")
    checkpoint_id = checkpoints_of(app, event)[0][0]
    assert scan_once(app, event, checkpoint_id, organiser) == "ok"
    token = csrf_token(client, f"/manage/{event.id}/checkpoints")
    base = f"/manage/{event.id}/checkpoints/{checkpoint_id}"
    response = client.post(f"{base}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "retire" in response.get_data(as_text=True) or "停用" in response.get_data(as_text=True)
    assert len(checkpoints_of(app, event)) == 1
    assert client.post(f"{base}/retire", data={"csrf_token": token}).status_code == 302
    assert checkpoints_of(app, event)[0][3] is False
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(CheckIn.id))).scalar() == 1
    assert client.post(f"{base}/reopen", data={"csrf_token": token}).status_code == 302
    assert checkpoints_of(app, event)[0][3] is True


def test_an_unused_checkpoint_can_be_deleted(app, client, login_as, organiser, event):
    login_as(organiser)
    client.post(f"/manage/{event.id}/checkpoints", data=form(client, event, name_zh="侧门"))
    side = next(row[0] for row in checkpoints_of(app, event) if row[1] == "侧门")
    token = csrf_token(client, f"/manage/{event.id}/checkpoints")
    response = client.post(
        f"/manage/{event.id}/checkpoints/{side}/delete", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert [row[1] for row in checkpoints_of(app, event)] == ["主入口"]


def test_checkpoint_changes_need_a_csrf_token(app, client, login_as, organiser, event):
    login_as(organiser)
    client.get(f"/manage/{event.id}/checkpoints")
    checkpoint_id = checkpoints_of(app, event)[0][0]
    response = client.post(f"/manage/{event.id}/checkpoints/{checkpoint_id}/retire")
    assert response.status_code == 400
    assert checkpoints_of(app, event)[0][3] is True


def test_set_up_pages_are_for_organisers_only(
    app, client, login_as, staff, event, make_user, make_event
):
    urls = [f"/manage/{event.id}/checkpoints", f"/manage/{event.id}/scanner-devices"]
    for url in urls:
        assert client.get(url).status_code == 302  # to the sign-in page
    login_as(staff)
    for url in urls:
        assert client.get(url).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(make_user("stranger@huiwu.example"))
    for url in urls:
        assert client.get(url).status_code == 404


def test_another_events_checkpoint_is_not_found(
    app, client, login_as, organiser, event, make_event
):
    other = make_event(organiser=organiser)
    login_as(organiser)
    client.get(f"/manage/{other.id}/checkpoints")
    other_checkpoint = checkpoints_of(app, other)[0][0]
    assert client.get(f"/manage/{event.id}/checkpoints/{other_checkpoint}").status_code == 404


def test_a_device_token_is_shown_once_and_can_be_revoked(app, client, login_as, organiser, event):
    login_as(organiser)
    token = csrf_token(client, f"/manage/{event.id}/scanner-devices")
    page = client.post(
        f"/manage/{event.id}/scanner-devices", data={"csrf_token": token, "name": "A馆闸机1"}
    ).get_data(as_text=True)
    import re

    secret = re.search(r"hwd_[A-Za-z0-9_-]{43}", page).group(0)
    listing = client.get(f"/manage/{event.id}/scanner-devices").get_data(as_text=True)
    assert "A馆闸机1" in listing
    assert secret not in listing
    with app.app_context():
        device = db.session.execute(db.select(ScannerDevice)).scalar_one()
        assert secret not in device.token_hash
        device_id = device.id
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/checkin/checkpoints", headers=headers).status_code == 200
    client.post(
        f"/manage/{event.id}/scanner-devices/{device_id}/revoke", data={"csrf_token": token}
    )
    answer = api.get("/api/checkin/checkpoints", headers=headers)
    assert answer.status_code == 401
    assert answer.get_json()["error"] == "bad_device_token"


def test_a_device_must_be_named(app, client, login_as, organiser, event):
    login_as(organiser)
    token = csrf_token(client, f"/manage/{event.id}/scanner-devices")
    response = client.post(
        f"/manage/{event.id}/scanner-devices", data={"csrf_token": token, "name": "  "}
    )
    assert response.status_code == 400
    assert "hwd_" not in response.get_data(as_text=True)


def test_the_door_note_is_saved_and_logged(
    app, client, login_as, organiser, event, make_registration
):
    registration = make_registration(event)
    login_as(organiser)
    url = f"/manage/{event.id}/attendees/{registration.id}"
    token = csrf_token(client, url)
    response = client.post(
        f"{url}/door-note",
        data={
            "csrf_token": token,
            "staff_note": "轮椅通行，请引导至无障碍通道",
            "needs_attention": "y",
        },
    )
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "轮椅通行" in page
    with app.app_context():
        saved = db.session.get(Registration, registration.id)
        assert saved.needs_attention and saved.staff_note.startswith("轮椅")
        assert db.session.execute(
            db.select(AuditEntry).filter_by(action="registration.door_note_changed")
        ).scalar_one()


def test_a_door_note_is_limited_in_length(
    app, client, login_as, organiser, event, make_registration
):
    registration = make_registration(event)
    login_as(organiser)
    url = f"/manage/{event.id}/attendees/{registration.id}"
    response = client.post(
        f"{url}/door-note",
        data={"csrf_token": csrf_token(client, url), "staff_note": "长" * 301},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Registration, registration.id).staff_note == ""


def test_a_cloned_event_gets_the_same_checkpoints(app, client, login_as, organiser, event):
    login_as(organiser)
    guest = category_id(app, event, "guest")
    client.post(
        f"/manage/{event.id}/checkpoints",
        data=form(client, event, name_zh="贵宾通道", category_ids=[str(guest)]),
    )
    response = client.post(
        f"/manage/{event.id}/clone",
        data={
            "csrf_token": csrf_token(client, f"/manage/{event.id}/clone"),
            "title_zh": "2031儒商大会",
            "slug": "rushang-2031",
            "starts_on": "2031-09-24",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        clone = db.session.execute(db.select(Event).filter_by(slug="rushang-2031")).scalar_one()
    copied = checkpoints_of(app, clone)
    assert sorted(row[1] for row in copied) == ["主入口", "贵宾通道"]
    vip = next(row for row in copied if row[1] == "贵宾通道")
    assert vip[4] == ["guest"]


def test_erasing_a_person_removes_the_door_note_and_exports_include_scans(
    app, client, login_as, organiser, event, make_registration
):
    registration = make_registration(event, staff_note="糖尿病，备好点心", needs_attention=True)
    with app.app_context():
        checkpoints.ensure_default(db.session.get(Event, event.id))
        db.session.commit()
    checkpoint_id = checkpoints_of(app, event)[0][0]
    with app.app_context():
        scanner = Scanner(user=db.session.get(type(organiser), organiser.id))
        saved = db.session.get(Registration, registration.id)
        checkpoint = db.session.get(Checkpoint, checkpoint_id)
        record_scan(scanner, checkpoint, ScanInput("nonce-export-1", saved.ticket_secret))
    login_as(organiser)
    base = f"/manage/{event.id}/attendees/{registration.id}"
    record = client.get(f"{base}/personal-data.json").get_json()
    assert record["note_for_check_in_staff"] == "糖尿病，备好点心"
    assert [scan["state"] for scan in record["check_ins"]] == ["in"]
    token = csrf_token(client, base)
    assert client.post(f"{base}/erase", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        erased = db.session.get(Registration, registration.id)
        assert (erased.staff_note, erased.needs_attention) == ("", False)
