"""Check-in staff scan badges on the phone page: by camera, by a badge scanner, offline."""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from app import db, limiter
from events.models import Event, User
from registration.checkin import services
from registration.checkin.models import CheckIn, CheckInState, Checkpoint, ScanAttempt
from registration.demo import DEMO_PASSWORD
from registration.models import Registration, RegistrationStatus
from tests.browser.conftest import CHROMIUM_FLAGS, LIVE_APPS, chromium_path
from tests.browser.fakecamera import write_badge_video

pytestmark = pytest.mark.browser

EVENT_SLUG = "rushang-2019"
STAFF_EMAIL = "staff@huiwu.example"
#: Waits for answers that pass through the camera, the decoder and the server.
SLOW_MS = 20_000


@dataclass(frozen=True)
class Person:
    id: int
    secret: str


@contextmanager
def live_data():
    with LIVE_APPS[0].app_context():
        yield
        db.session.remove()


def new_checkpoint() -> int:
    """A checkpoint of the demo conference for this test alone: nobody is in yet."""
    with live_data():
        event = db.session.execute(db.select(Event).filter_by(slug=EVENT_SLUG)).scalar_one()
        staff = db.session.execute(db.select(User).filter_by(email=STAFF_EMAIL)).scalar_one()
        name = f"测试门 {uuid.uuid4().hex[:6]}"
        checkpoint = Checkpoint(event_id=event.id, name_zh=name, name_en=name)
        if services.assignments(staff, event.id):
            checkpoint.staff.append(staff)  # staff tied to some checkpoints may scan only there
        db.session.add(checkpoint)
        db.session.commit()
        return checkpoint.id


def people_not_yet_in(checkpoint_id: int, count: int) -> list[Person]:
    """Confirmed registrations with no check-in at the checkpoint."""
    with live_data():
        checkpoint = db.session.get(Checkpoint, checkpoint_id)
        checked_in = db.select(CheckIn.registration_id).where(
            CheckIn.checkpoint_id == checkpoint_id
        )
        rows = db.session.execute(
            db.select(Registration.id, Registration.ticket_secret)
            .where(
                Registration.event_id == checkpoint.event_id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.id.not_in(checked_in),
            )
            .order_by(Registration.id)
            .limit(count)
        ).all()
    assert len(rows) == count
    return [Person(row.id, row.ticket_secret) for row in rows]


def admissions(checkpoint_id: int, registration_id: int) -> list[CheckIn]:
    with live_data():
        return list(
            db.session.execute(
                db.select(CheckIn).where(
                    CheckIn.checkpoint_id == checkpoint_id,
                    CheckIn.registration_id == registration_id,
                    CheckIn.state == CheckInState.IN,
                )
            ).scalars()
        )


def attempts_with_nonce(nonce: str) -> list[ScanAttempt]:
    with live_data():
        return list(
            db.session.execute(db.select(ScanAttempt).where(ScanAttempt.nonce == nonce)).scalars()
        )


def sign_in_as_staff(page) -> None:
    page.goto("/login")
    page.get_by_label("电子邮箱").fill(STAFF_EMAIL)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)


def open_scanner(page, checkpoint_id: int) -> None:
    page.goto(f"/checkin/{checkpoint_id}")
    expect(page.locator("#scanner")).to_have_attribute("data-roster", "saved", timeout=SLOW_MS)


def expect_answer(page, result: str, person: Person | None = None, **attributes):
    answer = page.get_by_test_id("scan-result")
    expect(answer).to_be_visible(timeout=SLOW_MS)
    if person is not None:
        expect(answer).to_have_attribute("data-person-id", str(person.id), timeout=SLOW_MS)
    expect(answer).to_have_attribute("data-result", result, timeout=SLOW_MS)
    for name, value in attributes.items():
        expect(answer).to_have_attribute(f"data-{name}", value)
    return answer


def watch_for_script_errors(page) -> list[str]:
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def type_badge(page, text: str) -> None:
    page.keyboard.type(text)
    page.keyboard.press("Enter")


@pytest.fixture
def camera_browser(browser, tmp_path):
    """Launches a second Chromium whose camera films the given badge."""
    launched = []

    def launch(secret: str):
        video = write_badge_video(tmp_path / "badge.y4m", secret)
        camera = browser.browser_type.launch(
            executable_path=chromium_path(),
            args=[
                *CHROMIUM_FLAGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        launched.append(camera)
        return camera

    yield launch
    for camera in launched:
        camera.close()


def test_camera_admits_a_badge_once_and_then_says_already_checked_in(camera_browser, live_server):
    limiter.reset()
    checkpoint_id = new_checkpoint()
    [person] = people_not_yet_in(checkpoint_id, 1)
    camera = camera_browser(person.secret)
    context = camera.new_context(base_url=live_server, locale="zh-CN")
    context.grant_permissions(["camera"], origin=live_server)
    page = context.new_page()
    errors = watch_for_script_errors(page)
    sign_in_as_staff(page)
    open_scanner(page, checkpoint_id)

    expect(page.locator("#scanner")).to_have_attribute("data-camera", "running", timeout=SLOW_MS)
    expect_answer(page, "ok", person, tone="ok", offline="false")
    # Read by the browser's own detector or the ZXing WebAssembly, not the last resort.
    video = page.locator("#camera-video")
    expect(video).to_have_attribute("data-decoder", re.compile("native|zxing"))
    # The badge stays in view: after the answer clears and the repeat guard
    # has passed, the same code is read again and now refused as a repeat.
    expect_answer(page, "already_checked_in", person, tone="warning")

    assert len(admissions(checkpoint_id, person.id)) == 1
    assert errors == []
    context.close()


def test_badge_scanner_keystrokes_check_in_and_normalise_the_code(page):
    checkpoint_id = new_checkpoint()
    [person] = people_not_yet_in(checkpoint_id, 1)
    errors = watch_for_script_errors(page)
    sign_in_as_staff(page)
    open_scanner(page, checkpoint_id)
    scan_field = page.get_by_test_id("scan-input")
    expect(scan_field).to_be_focused()

    type_badge(page, person.secret)
    answer = expect_answer(page, "ok", person, offline="false")
    expect(answer.get_by_test_id("undo")).to_be_visible()
    expect(scan_field).to_be_focused()
    expect(page.get_by_test_id("admitted")).to_have_text(re.compile(r"^[1-9]\d*$"))

    type_badge(page, f"  {person.secret.lower()}  ")
    expect_answer(page, "already_checked_in", person)

    assert len(admissions(checkpoint_id, person.id)) == 1
    assert errors == []


def test_offline_scans_are_decided_on_the_phone_queued_and_sent_later(page):
    checkpoint_id = new_checkpoint()
    people = people_not_yet_in(checkpoint_id, 3)
    errors = watch_for_script_errors(page)
    sign_in_as_staff(page)
    open_scanner(page, checkpoint_id)
    scanner = page.locator("#scanner")
    if not page.evaluate("Boolean(navigator.serviceWorker.controller)"):
        page.reload()
    expect(scanner).to_have_attribute("data-sw", "ready", timeout=SLOW_MS)

    page.context.set_offline(True)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "offline")
    nonces = []
    for person in people:
        type_badge(page, person.secret)
        answer = expect_answer(page, "ok", person, offline="true")
        nonces.append(answer.get_attribute("data-nonce"))
    expect(scanner).to_have_attribute("data-queued", "3")
    expect(page.get_by_test_id("connection")).to_contain_text("3")

    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(scanner).to_have_attribute("data-queued", "3", timeout=SLOW_MS)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "offline")
    assert all(admissions(checkpoint_id, person.id) == [] for person in people)

    page.context.set_offline(False)
    expect(scanner).to_have_attribute("data-queued", "0", timeout=SLOW_MS)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "online")

    for person, nonce in zip(people, nonces, strict=True):
        [admission] = admissions(checkpoint_id, person.id)
        assert admission.offline
        [attempt] = attempts_with_nonce(nonce)
        assert (attempt.registration_id, attempt.result, attempt.offline) == (person.id, "ok", True)
    assert errors == []


def retire(checkpoint_id: int) -> None:
    with live_data():
        db.session.get(Checkpoint, checkpoint_id).active = False
        db.session.commit()


def test_an_offline_scan_the_server_refuses_stays_listed_on_the_phone(page):
    checkpoint_id = new_checkpoint()
    [person] = people_not_yet_in(checkpoint_id, 1)
    errors = watch_for_script_errors(page)
    sign_in_as_staff(page)
    open_scanner(page, checkpoint_id)
    scanner = page.locator("#scanner")
    page.context.set_offline(True)
    type_badge(page, person.secret)
    expect_answer(page, "ok", person, offline="true")
    expect(scanner).to_have_attribute("data-queued", "1")
    retire(checkpoint_id)  # an organiser closes the door while the phone is offline

    page.context.set_offline(False)
    expect(scanner).to_have_attribute("data-queued", "0", timeout=SLOW_MS)
    panel = page.get_by_test_id("set-aside")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("(1)")
    with live_data():
        name = db.session.get(Registration, person.id).name
    panel.locator("summary").click()
    expect(panel.locator("li")).to_contain_text(name)
    assert admissions(checkpoint_id, person.id) == []
    # The retired door's page is gone, but the phone still lists the scan on any other.
    open_scanner(page, new_checkpoint())
    expect(page.get_by_test_id("set-aside")).to_contain_text("(1)", timeout=SLOW_MS)
    assert errors == []


ROSTERS_STORED = """async () => {
  const database = await new Promise((resolve, reject) => {
    const request = indexedDB.open("huiwu-checkin");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const count = await new Promise((resolve, reject) => {
    const request = database.transaction("rosters").objectStore("rosters").count();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  database.close();
  const cached = (await caches.keys()).filter((name) => name.startsWith("huiwu-checkin-"));
  return { rosters: count, caches: cached.length };
}"""


def test_signing_out_on_the_scanner_leaves_no_names_on_the_phone(page):
    checkpoint_id = new_checkpoint()
    sign_in_as_staff(page)
    open_scanner(page, checkpoint_id)
    expect(page.locator("#scanner")).to_have_attribute("data-sw", "ready", timeout=SLOW_MS)
    assert page.evaluate(ROSTERS_STORED)["rosters"] == 1
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(lambda url: "/checkin/" not in url)
    assert page.evaluate(ROSTERS_STORED) == {"rosters": 0, "caches": 0}
