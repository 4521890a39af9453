"""The same badge at many gates at once: exactly one admission, on every backend.

Each test fires its requests from threads released together by a barrier.
They run on PostgreSQL (row locks, real parallel writers) and on SQLite (one
writer at a time, the others waiting up to the busy timeout); the last test
runs two separate server processes on one database.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import db
from registration.checkin.models import CheckIn, CheckInConflict, CheckInState, ScanAttempt
from tests.test_checkin_api import (
    Api,
    add_checkpoint,
    add_delegation,
    check_ins,
    count,
    iso,
    issue_device,
    new_nonce,
    staff_api,
)

ROOT = Path(__file__).resolve().parent.parent
THREADS = 20


@pytest.fixture
def organiser(make_user):
    return make_user("organiser@huiwu.example")


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
def badge(make_registration, event) -> str:
    return make_registration(event, name="王立").ticket_secret


def all_at_once(calls) -> list:
    """Run every call in its own thread, all released at the same instant."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as error:  # reported below, with every other thread's
            errors.append(error)

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    assert errors == []
    return results


def browsers_of(app, api: Api, number: int) -> list[Api]:
    """``number`` separate test clients sharing the signed-in session of ``api``.

    Signing in 20 times would trip the login rate limit; a copied session
    cookie is exactly what a second tab of the same browser would send.
    """
    cookie = api.client.get_cookie("session")
    copies = []
    for _ in range(number):
        client = app.test_client()
        client.set_cookie("session", cookie.value)
        copies.append(Api(client, api.headers))
    return copies


def scan_call(api: Api, gate: int, badge: str, nonce: str, **fields):
    def call():
        response = api.scan(gate, badge, nonce=nonce, **fields)
        return response.status_code, response.get_json()

    return call


def assert_one_admission(app, answers) -> None:
    statuses = [status for status, _ in answers]
    results = sorted(answer.get("result", answer.get("error")) for _, answer in answers)
    assert statuses == [200] * len(answers), answers
    assert results == ["already_checked_in"] * (len(answers) - 1) + ["ok"]
    assert count(app, CheckIn, state=CheckInState.IN) == 1
    assert count(app, CheckIn) == 1
    assert count(app, ScanAttempt) == len(answers)


def test_twenty_browsers_scanning_one_badge_admit_it_once(app, staff, gate, badge):
    browsers = browsers_of(app, staff_api(app, staff), THREADS)
    answers = all_at_once([scan_call(api, gate, badge, new_nonce()) for api in browsers])
    assert_one_admission(app, answers)
    (winner,) = [answer for _, answer in answers if answer["result"] == "ok"]
    (admitted,) = check_ins(app)
    assert winner["check_in"]["id"] == admitted.id and admitted.state is CheckInState.IN
    firsts = [answer["first"] for _, answer in answers if answer is not winner]
    assert firsts == [{"at": winner["scanned_at"], "checkpoint": "主入口", "staff": "李检票"}] * (
        THREADS - 1
    )


def test_twenty_devices_scanning_one_badge_admit_it_once(app, event, organiser, gate, badge):
    tokens = [issue_device(app, event, organiser, name=f"闸机{n}") for n in range(THREADS)]
    devices = [Api(app.test_client(), {"Authorization": f"Bearer {t}"}) for t in tokens]
    answers = all_at_once([scan_call(api, gate, badge, new_nonce()) for api in devices])
    assert_one_admission(app, answers)


def test_twenty_retries_of_one_scan_give_the_original_answer(app, staff, gate, badge):
    browsers = browsers_of(app, staff_api(app, staff), THREADS)
    nonce = new_nonce()
    answers = all_at_once([scan_call(api, gate, badge, nonce) for api in browsers])
    assert [status for status, _ in answers] == [200] * THREADS, answers
    originals = [answer for _, answer in answers if not answer["replayed"]]
    assert len(originals) == 1 and originals[0]["result"] == "ok"
    assert all({**answer, "replayed": False} == originals[0] for _, answer in answers)
    assert count(app, ScanAttempt) == 1
    assert count(app, CheckIn) == 1


def test_a_delegation_admitted_at_two_gates_at_once_is_admitted_once(
    app, event, staff, gate, make_registration
):
    group = add_delegation(app, event, make_registration)
    browsers = browsers_of(app, staff_api(app, staff), 4)
    body = {"secret": group["leader"].ticket_secret, "checkpoint": gate}

    def admit(api):
        def call():
            response = api.post("/delegation", {**body, "nonce": new_nonce()})
            return response.status_code, response.get_json()

        return call

    answers = all_at_once([admit(api) for api in browsers])
    assert [status for status, _ in answers] == [200] * 4, answers
    admitted = sorted(name for _, answer in answers for name in answer["admitted"])
    assert admitted == sorted(["李建国", "张伟", "刘洋"])
    assert sum(answer["counts"].get("ok", 0) for _, answer in answers) == 3
    assert all(answer["counts"].get("pending") == 1 for _, answer in answers)
    assert count(app, CheckIn, state=CheckInState.IN) == 3 and count(app, CheckIn) == 3


def test_two_offline_syncs_at_once_keep_the_earliest_admission(app, event, organiser, gate, badge):
    now = datetime.now(UTC)
    earlier, later = now - timedelta(minutes=30), now - timedelta(minutes=20)
    calls = []
    for name, when in (("北门", earlier), ("南门", later)):
        token = issue_device(app, event, organiser, name=name)
        api = Api(app.test_client(), {"Authorization": f"Bearer {token}"})
        calls.append(scan_call(api, gate, badge, new_nonce(), scanned_at=iso(when), offline=True))
    answers = all_at_once(calls)
    assert [status for status, _ in answers] == [200, 200], answers
    (kept,) = check_ins(app, state=CheckInState.IN)
    (superseded,) = check_ins(app, state=CheckInState.SUPERSEDED)
    assert (kept.scanned_at, superseded.scanned_at) == (earlier, later)
    assert count(app, CheckInConflict) == 1
    with app.app_context():
        conflict = db.session.execute(db.select(CheckInConflict)).scalar_one()
        assert (conflict.kept_id, conflict.superseded_id) == (kept.id, superseded.id)


# --- two server processes on one database ----------------------------------------------------


@pytest.fixture
def two_instances(app, tmp_path):
    """Two real servers in their own processes on the test database; their base addresses."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    processes, port_files = [], []
    for number in range(2):
        port_file = tmp_path / f"port-{number}"
        log = (tmp_path / f"instance-{number}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.checkin_instance",
                    url,
                    str(tmp_path / f"instance-{number}"),
                    str(port_file),
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        log.close()
        port_files.append(port_file)
    try:
        yield [
            wait_for_port(process, port_file)
            for process, port_file in zip(processes, port_files, strict=True)
        ]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def wait_for_port(process: subprocess.Popen, port_file: Path) -> int:
    deadline = time.monotonic() + 60
    while not port_file.exists():
        assert process.poll() is None, "the instance exited before listening"
        assert time.monotonic() < deadline, "the instance did not start within 60 s"
        time.sleep(0.05)
    return int(port_file.read_text(encoding="ascii"))


def post_to(port: int, token: str, body: dict):
    def call():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request(
                "POST",
                "/api/checkin/scan",
                body=json.dumps(body),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        content_type = response.getheader("Content-Type", "")
        data = json.loads(raw) if content_type.startswith("application/json") else {"raw": raw}
        return response.status, data

    return call


def test_two_server_processes_admit_one_badge_once(
    app, event, organiser, gate, badge, two_instances
):
    calls = []
    for port in two_instances:
        for number in range(10):
            token = issue_device(app, event, organiser, name=f"{port}-{number}")
            body = {"secret": badge, "checkpoint": gate, "nonce": new_nonce()}
            calls.append(post_to(port, token, body))
    answers = all_at_once(calls)
    assert_one_admission(app, answers)
