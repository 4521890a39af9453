"""The outbox: messages written with their cause, sent over real SMTP, retried."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from app import db
from events.models import Event
from registration import mail
from registration.models import EmailOutbox, MailStatus, Registration
from tests.pgserver import free_port

ROOT = Path(__file__).resolve().parent.parent


def queue_confirmation(app, event, registration, locale="zh_Hans_CN"):
    with app.test_request_context("/"):
        queue_confirmation_in_request(event, registration, locale)


def queue_confirmation_in_request(event, registration, locale="zh_Hans_CN"):
    stored = db.session.get(Registration, registration.id)
    mail.queue(
        "confirmation",
        "wangli@example.com",
        locale=locale,
        event=db.session.get(Event, event.id),
        registration=stored,
        attachments=[("badge.png", "image/png", b"\x89PNG fake")],
    )
    db.session.commit()


def outbox(app):
    with app.app_context():
        return list(db.session.execute(db.select(EmailOutbox)).scalars())


def test_a_queued_message_is_sent_over_smtp_in_the_recipients_language(
    app, make_event, make_registration, smtp_server, runner
):
    event = make_event(title_zh="2030儒商大会")
    registration = make_registration(event, name="王立")
    queue_confirmation(app, event, registration)
    assert [m.status for m in outbox(app)] == [MailStatus.PENDING]
    result = runner.invoke(args=["outbox", "send"])
    assert "Sent 1, failed 0." in result.output
    (received,) = smtp_server.messages
    message = received["message"]
    assert received["to"] == ["wangli@example.com"]
    assert message["Subject"] == "您的2030儒商大会报名已确认"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "王立" in text and "2030年9月25日 09:00" in text
    assert "<h1" in message.get_body(preferencelist=("html",)).get_content()
    attachment, badge = list(message.iter_attachments())
    assert attachment.get_filename() == "badge.png"
    assert attachment.get_content() == b"\x89PNG fake"
    # A confirmed registration's confirmation carries its badge's QR code.
    assert badge.get_filename() == "badge-qr.png"
    assert badge.get_content().startswith(b"\x89PNG")
    assert [m.status for m in outbox(app)] == [MailStatus.SENT]


def test_english_registrants_get_english_mail(
    app, make_event, make_registration, smtp_server, runner
):
    event = make_event(title_en="Test Conference")
    queue_confirmation(app, event, make_registration(event), locale="en")
    runner.invoke(args=["outbox", "send"])
    assert smtp_server.messages[0]["message"]["Subject"] == (
        "Your registration for Test Conference is confirmed"
    )


def test_a_failed_send_stays_pending_and_is_retried_later(
    app, make_event, make_registration, smtp_server, runner
):
    event = make_event()
    queue_confirmation(app, event, make_registration(event))
    working_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    result = runner.invoke(args=["outbox", "send"])
    assert "Sent 0, failed 1." in result.output
    (message,) = outbox(app)
    assert (message.status, message.attempts) == (MailStatus.PENDING, 1)
    assert message.last_error.startswith("ConnectionRefusedError")
    assert message.next_attempt_at > datetime.now(UTC)
    assert smtp_server.messages == []

    app.config["MAIL_PORT"] = working_port
    assert "Sent 0, failed 0." in runner.invoke(args=["outbox", "send"]).output  # not due yet
    assert "Sent 1, failed 0." in runner.invoke(args=["outbox", "send", "--all"]).output
    assert len(smtp_server.messages) == 1
    assert outbox(app)[0].status is MailStatus.SENT


def test_a_message_is_given_up_after_the_last_retry(app, make_event, make_registration, runner):
    event = make_event()
    queue_confirmation(app, event, make_registration(event))
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    try:
        for _attempt in range(len(mail.RETRY_DELAYS) + 1):
            runner.invoke(args=["outbox", "send", "--all"])
    finally:
        app.config.update(MAIL_BACKEND="console")
    (message,) = outbox(app)
    assert message.status is MailStatus.FAILED
    assert message.attempts == len(mail.RETRY_DELAYS) + 1
    assert "failed: 1" in runner.invoke(args=["outbox", "status"]).output


def test_a_rolled_back_change_leaves_no_message(app, make_event, make_registration):
    event = make_event()
    registration = make_registration(event)
    with app.test_request_context("/"):
        mail.queue(
            "confirmation",
            "x@example.com",
            locale="zh_Hans_CN",
            event=db.session.get(Event, event.id),
            registration=db.session.get(Registration, registration.id),
        )
        db.session.rollback()
    assert outbox(app) == []


def test_organisers_resend_confirmations_in_each_persons_language(
    app, client, make_user, make_event, make_registration, login_as, smtp_server
):
    from tests.conftest import csrf_token

    organiser = make_user()
    event = make_event(organiser=organiser, title_en="Test Conference")
    chinese = make_registration(
        event, name="王立", email="wangli@example.com", mobile="+8613900000001"
    )
    english = make_registration(
        event,
        name="David Cohen",
        email="david@example.com",
        mobile="+972541234567",
        locale="en",
        status="waitlisted",
    )
    mobile_only = make_registration(event, name="张伟", mobile="+8613900000003")
    login_as(organiser)
    base = f"/manage/{event.id}/attendees"
    response = client.post(
        f"{base}/bulk",
        follow_redirects=True,
        data={
            "ids": [str(r.id) for r in (chinese, english, mobile_only)],
            "action": "resend",
            "csrf_token": csrf_token(client, base),
        },
    )
    page = response.get_data(as_text=True)
    assert "已为 2 条报名重新发送确认邮件。" in page
    assert "张伟（无电子邮箱）" in page
    subjects = sorted(m["message"]["Subject"] for m in smtp_server.messages)
    assert subjects == [
        "You are on the waiting list for Test Conference",
        "您的测试大会1报名已确认",
    ]
    detail = client.get(f"{base}/{chinese.id}").get_data(as_text=True)
    assert "已重新发送确认邮件" in detail


def test_approval_and_rejection_are_written_to_the_person(
    app, client, make_user, make_event, make_registration, login_as, smtp_server
):
    from tests.conftest import csrf_token

    organiser = make_user()
    event = make_event(organiser=organiser)
    approved = make_registration(
        event, name="王立", email="wangli@example.com", mobile="+8613900000001", status="pending"
    )
    refused = make_registration(
        event, name="张伟", email="zhangwei@example.com", mobile="+8613900000002", status="pending"
    )
    login_as(organiser)
    base = f"/manage/{event.id}/attendees"
    for registration, action, extra in (
        (approved, "approve", {}),
        (refused, "reject", {"message": "名额已满，敬请谅解"}),
    ):
        client.post(
            f"{base}/bulk",
            follow_redirects=True,
            data={
                "ids": [str(registration.id)],
                "action": action,
                "csrf_token": csrf_token(client, base),
                **extra,
            },
        )
    by_recipient = {m["to"][0]: m["message"] for m in smtp_server.messages}
    assert by_recipient["wangli@example.com"]["Subject"] == "您的测试大会1报名已确认"
    refusal = by_recipient["zhangwei@example.com"].get_body(preferencelist=("plain",))
    assert "很遗憾，您的报名未获通过。" in refusal.get_content()
    assert "名额已满，敬请谅解" in refusal.get_content()


def test_messages_can_be_written_outside_a_request(app, make_event, make_registration):
    """Commands (a purge, a reminder job) queue mail with no request around them."""
    event = make_event()
    registration = make_registration(event, email="wangli@example.com")
    with app.app_context():
        message = mail.queue(
            "confirmation",
            "wangli@example.com",
            locale="zh_Hans_CN",
            event=db.session.get(Event, event.id),
            registration=db.session.get(Registration, registration.id),
        )
        assert "王立" in message.body_text
        db.session.rollback()


def test_the_sender_thread_sends_after_the_response(app, make_event, smtp_server):
    """Production hands queued mail to a per-process thread: the worker never waits."""
    import time

    from registration.signup import Person, register

    event = make_event()
    app.config["MAIL_SEND_AFTER_RESPONSE"] = "thread"
    try:
        with app.test_request_context("/"):
            stored = db.session.get(Event, event.id)
            registration = register(
                stored,
                stored.categories[0],
                Person(name="王立", mobile="13900000011", email="wangli@example.com"),
                check_window=False,
            )
            mail.queue(
                "confirmation",
                registration.email,
                locale="zh_Hans_CN",
                event=stored,
                registration=registration,
            )
            db.session.commit()
            response = app.response_class("done")
            app.process_response(response)
            response.close()
        deadline = time.monotonic() + 10
        while not smtp_server.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        app.config["MAIL_SEND_AFTER_RESPONSE"] = "inline"
    (received,) = smtp_server.messages
    assert received["to"] == ["wangli@example.com"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and [m.status for m in outbox(app)] != [MailStatus.SENT]:
        time.sleep(0.05)
    assert [m.status for m in outbox(app)] == [MailStatus.SENT]


def test_names_are_escaped_in_html_mail_and_plain_in_text(app, make_event, make_registration):
    event = make_event()
    registration = make_registration(event, name="<b>王立</b>")
    with app.test_request_context("/"):
        message = mail.queue(
            "confirmation",
            "wangli@example.com",
            locale="zh_Hans_CN",
            event=db.session.get(Event, event.id),
            registration=db.session.get(Registration, registration.id),
        )
        assert "&lt;b&gt;王立&lt;/b&gt;" in message.body_html
        assert "<b>王立</b>" not in message.body_html
        assert "<b>王立</b>" in message.body_text
        db.session.rollback()


def test_messages_written_when_sent_fail_cleanly_without_their_registration(
    app, make_event, make_registration, runner
):
    event = make_event()
    registration = make_registration(event, email="wangli@example.com")
    with app.test_request_context("/"):
        mail.queue(
            "confirmation",
            "wangli@example.com",
            locale="zh_Hans_CN",
            event=db.session.get(Event, event.id),
            registration=db.session.get(Registration, registration.id),
            flush=True,
            render_later=True,
            manage_url="http://localhost/r/x",
        )
        db.session.delete(db.session.get(Registration, registration.id))
        db.session.commit()
    result = runner.invoke(args=["outbox", "send"])
    assert "Sent 0, failed 1." in result.output
    (message,) = outbox(app)
    # Nothing is left to write about: given up at once, not retried for hours.
    assert message.status is MailStatus.FAILED and "GoneMissing" in message.last_error


def test_sending_exact_ids_sends_all_of_them_past_one_batch(
    app, make_event, make_registration, smtp_server
):
    event = make_event()
    registration = make_registration(event)
    with app.test_request_context("/"):
        for number in range(5):
            mail.queue(
                "confirmation",
                f"person{number}@example.com",
                locale="zh_Hans_CN",
                event=db.session.get(Event, event.id),
                registration=db.session.get(Registration, registration.id),
            )
        db.session.commit()
        ids = [message.id for message in outbox(app)]
    with app.app_context():
        assert mail.send_pending(ids=ids, limit=2) == {"sent": 5, "failed": 0}
    assert len(smtp_server.messages) == 5


def queue_to(app, event, registration, recipients, **options) -> list[int]:
    with app.test_request_context("/"):
        for recipient in recipients:
            mail.queue(
                "confirmation",
                recipient,
                locale="zh_Hans_CN",
                event=db.session.get(Event, event.id),
                registration=db.session.get(Registration, registration.id),
                **options,
            )
        db.session.commit()
    return [message.id for message in outbox(app)]


def test_a_batch_goes_out_over_one_smtp_session(app, make_event, make_registration, smtp_server):
    event = make_event()
    recipients = [f"person{number}@example.com" for number in range(5)]
    queue_to(app, event, make_registration(event), recipients)
    with app.app_context():
        assert mail.send_pending(ignore_schedule=True) == {"sent": 5, "failed": 0}
    assert [m["to"][0] for m in smtp_server.messages] == recipients
    assert len({m["peer"] for m in smtp_server.messages}) == 1


def test_a_refused_recipient_fails_alone_and_the_batch_goes_on(
    app, make_event, make_registration, smtp_server
):
    event = make_event()
    refused = "nobody" + smtp_server.REFUSED_DOMAIN
    recipients = ["a@example.com", "b@example.com", refused, "c@example.com"]
    queue_to(app, event, make_registration(event), recipients)
    with app.app_context():
        assert mail.send_pending(ignore_schedule=True) == {"sent": 3, "failed": 1}
    assert [m["to"][0] for m in smtp_server.messages] == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]
    # The failure closed its session; the next message opened another.
    assert len({m["peer"] for m in smtp_server.messages}) == 2
    by_recipient = {message.recipient: message for message in outbox(app)}
    failed = by_recipient.pop(refused)
    assert (failed.status, failed.attempts) == (MailStatus.PENDING, 1)
    assert failed.last_error.startswith("SMTPRecipientsRefused")
    assert failed.subject  # the row keeps what it was queued with
    assert {m.status for m in by_recipient.values()} == {MailStatus.SENT}
    assert {m.attempts for m in by_recipient.values()} == {1}


def test_two_senders_at_once_send_each_message_once(
    app, make_event, make_registration, smtp_server
):
    """The sender thread and the retry command may overlap: no message goes out twice."""
    import threading

    event = make_event()
    registration = make_registration(event)
    with app.test_request_context("/"):
        for number in range(6):
            mail.queue(
                "confirmation",
                f"person{number}@example.com",
                locale="zh_Hans_CN",
                event=db.session.get(Event, event.id),
                registration=db.session.get(Registration, registration.id),
            )
        db.session.commit()

    def sender():
        with app.app_context():
            mail.send_pending(ignore_schedule=True)
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recipients = sorted(m["to"][0] for m in smtp_server.messages)
    assert recipients == sorted(f"person{n}@example.com" for n in range(6))


def test_a_message_claimed_by_a_sender_that_died_is_sent_after_its_lease(
    app, make_event, make_registration, smtp_server, runner
):
    from datetime import timedelta

    from events.dbtypes import utcnow

    event = make_event()
    queue_confirmation(app, event, make_registration(event))
    with app.app_context():
        (message,) = db.session.execute(db.select(EmailOutbox)).scalars()
        message.status, message.next_attempt_at = (
            MailStatus.SENDING,
            utcnow() + timedelta(minutes=5),
        )
        db.session.commit()
    assert "Sent 0, failed 0." in runner.invoke(args=["outbox", "send"]).output
    with app.app_context():
        (message,) = db.session.execute(db.select(EmailOutbox)).scalars()
        message.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert "Sent 1, failed 0." in runner.invoke(args=["outbox", "send"]).output
    assert len(smtp_server.messages) == 1


def while_sending(monkeypatch, on_call: int, action) -> None:
    """Run ``action`` just before the ``on_call``-th message goes out."""
    real_send, calls = mail._Postman.send, []

    def send(postman, email):
        calls.append(1)
        if len(calls) == on_call:
            action()
        real_send(postman, email)

    monkeypatch.setattr(mail._Postman, "send", send)


def write_elsewhere(app, statement: str, **values) -> None:
    """A write on another connection, as a sign-up in another worker would make."""
    with app.app_context():
        with db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET lock_timeout = '2s'")
            connection.execute(text(statement), values)
            connection.commit()


def test_nothing_is_locked_while_a_batch_goes_out(
    app, make_event, make_registration, smtp_server, monkeypatch
):
    event = make_event()
    recipients = ["a@example.com", "b@example.com"]
    # Written when sent: reading the rows they need flushed earlier outcomes, and locked.
    ids = queue_to(app, event, make_registration(event), recipients, render_later=True)
    # The first message's row was read and sent: another worker can still write to it.
    update_first = "UPDATE email_outbox SET last_error = 'touched' WHERE id = :id"
    while_sending(monkeypatch, 2, lambda: write_elsewhere(app, update_first, id=ids[0]))
    with app.app_context():
        assert mail.send_pending(ignore_schedule=True) == {"sent": 2, "failed": 0}
    statuses = {message.id: (message.status, message.last_error) for message in outbox(app)}
    assert statuses == {ids[0]: (MailStatus.SENT, "touched"), ids[1]: (MailStatus.SENT, "")}


def test_a_row_deleted_while_its_batch_goes_out_leaves_the_others_recorded(
    app, make_event, make_registration, smtp_server, monkeypatch
):
    event = make_event()
    recipients = ["a@example.com", "b@example.com", "c@example.com"]
    ids = queue_to(app, event, make_registration(event), recipients)
    delete_last = "DELETE FROM email_outbox WHERE id = :id"  # as erasing a person's data does
    while_sending(monkeypatch, 2, lambda: write_elsewhere(app, delete_last, id=ids[2]))
    with app.app_context():
        mail.send_pending(ignore_schedule=True)
    assert {m.id: m.status for m in outbox(app)} == {
        ids[0]: MailStatus.SENT,
        ids[1]: MailStatus.SENT,
    }
    assert len(smtp_server.messages) == 3  # the third was written before it was deleted


def test_messages_are_claimed_a_chunk_at_a_time(
    app, make_event, make_registration, smtp_server, monkeypatch
):
    """A lease covers one chunk's sending, not a whole run's: a slow server cannot outlast it."""
    event = make_event()
    queue_to(app, event, make_registration(event), [f"p{n}@example.com" for n in range(5)])
    monkeypatch.setattr(mail, "CHUNK", 2)
    seen = []

    def note_statuses():
        seen.append(sorted(message.status.value for message in outbox(app)))

    while_sending(monkeypatch, 1, note_statuses)
    with app.app_context():
        assert mail.send_pending(ignore_schedule=True) == {"sent": 5, "failed": 0}
    assert seen == [["pending", "pending", "pending", "sending", "sending"]]


def test_a_round_ends_between_chunks_when_told_to(app, make_event, make_registration, smtp_server):
    """The watcher looks at the CPUs between chunks: what it did not claim stays due."""
    event = make_event()
    queue_to(app, event, make_registration(event), [f"p{n}@example.com" for n in range(5)])
    looks = []

    def keep_going() -> bool:
        looks.append(1)
        return len(looks) < 2  # a rush starts after the second chunk

    with app.app_context():
        counts = mail.send_pending(ignore_schedule=True, chunk=2, keep_going=keep_going)
    assert counts == {"sent": 4, "failed": 0}
    assert len(smtp_server.messages) == 4
    statuses = sorted(message.status.value for message in outbox(app))
    assert statuses == ["pending", "sent", "sent", "sent", "sent"]  # not left claimed


def test_with_a_watcher_the_web_process_leaves_mail_queued(
    app, make_event, make_registration, smtp_server
):
    """``watcher`` mode: a sign-up's confirmation waits for ``flask outbox watch``."""
    event = make_event()
    registration = make_registration(event)
    app.config["MAIL_SEND_AFTER_RESPONSE"] = "watcher"
    try:
        with app.test_request_context("/"):
            queue_confirmation_in_request(event, registration)
            response = app.process_response(app.response_class("done"))
            response.close()
    finally:
        app.config["MAIL_SEND_AFTER_RESPONSE"] = "inline"
    assert smtp_server.messages == []
    assert [m.status for m in outbox(app)] == [MailStatus.PENDING]


def test_an_unknown_send_mode_stops_the_app_from_starting(tmp_path):
    from tests.conftest import make_test_app

    url = f"sqlite:///{tmp_path / 'huiwu.db'}"
    with pytest.raises(ValueError, match="MAIL_SEND_AFTER_RESPONSE must be one of"):
        make_test_app(url, tmp_path / "instance", MAIL_SEND_AFTER_RESPONSE="later")


def watcher_process(app, smtp_port: int, instance: Path) -> subprocess.Popen:
    """``flask outbox watch`` as production runs it: a process of its own, on the same database."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "HUIWU_INSTANCE_PATH": str(instance),
        "HUIWU_MAIL_BACKEND": "smtp",
        "HUIWU_MAIL_SERVER": "127.0.0.1",
        "HUIWU_MAIL_PORT": str(smtp_port),
        "HUIWU_MAIL_LOCAL_HOSTNAME": "app.huiwu.test",
    }
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "app",
        "outbox",
        "watch",
        "--interval",
        "0.1",
        "--yield-above",
        "0",  # the suite keeps the CPUs busy: here the watcher must not wait for calm
    ]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_outbox_watcher_sends_what_is_queued_until_it_is_stopped(
    app, make_event, make_registration, smtp_server, tmp_path
):
    event = make_event()
    first = make_registration(event, name="王立", mobile="+8613900000011")
    watcher = watcher_process(app, app.config["MAIL_PORT"], tmp_path / "instance")
    try:
        queue_confirmation(app, event, first)
        assert wait_until(lambda: len(smtp_server.messages) == 1), "the first message never came"
        # It keeps watching: a message queued later goes out too.
        second = make_registration(event, name="李娜", mobile="+8613900000012")
        queue_confirmation(app, event, second)
        assert wait_until(lambda: len(smtp_server.messages) == 2), "the second message never came"
        assert wait_until(lambda: [m.status for m in outbox(app)] == [MailStatus.SENT] * 2)
    finally:
        watcher.send_signal(signal.SIGTERM)
        output, _ = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, output
    assert "Stopped. Sent 2, failed 0." in output
    assert "wangli@example.com" not in output  # no addresses in what it prints


def test_the_watcher_goes_on_when_the_smtp_server_is_away(app, make_event, make_registration):
    """A failed send is rescheduled (not lost, not retried in a loop); watching goes on."""
    event = make_event()
    registration = make_registration(event)
    queue_confirmation(app, event, registration)
    stopping = threading.Event()
    saved = {key: app.config[key] for key in ("MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    results: list[dict] = []

    def watch() -> None:
        with app.app_context():
            results.append(mail.watch(interval=0.05, stopping=stopping))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        assert wait_until(lambda: outbox(app)[0].attempts == 1)
        time.sleep(0.3)  # several rounds: the message is not due again yet
    finally:
        stopping.set()
        watcher.join(10)
        app.config.update(saved)
    (message,) = outbox(app)
    assert results == [{"sent": 0, "failed": 1}]
    assert message.status is MailStatus.PENDING and message.attempts == 1
    assert message.next_attempt_at.replace(tzinfo=None) > datetime.now(UTC).replace(tzinfo=None)


def busy_for_rounds(rounds: int, stopping: threading.Event):
    """A meter that always says busy, and stops the watcher after ``rounds`` looks."""
    looks: list[int] = []

    def always_busy() -> bool:
        looks.append(1)
        if len(looks) >= rounds:
            stopping.set()
        return True

    return always_busy


def test_a_busy_machine_holds_fresh_mail_back_but_not_past_max_defer(
    app, make_event, make_registration, smtp_server
):
    """In a rush the watcher leaves the CPUs to the sign-ups, for ``max_defer`` at most."""
    event = make_event()
    fresh = make_registration(event, name="王立", mobile="+8613900000021")
    waited = make_registration(event, name="李娜", mobile="+8613900000022")
    queue_confirmation(app, event, fresh)
    queue_confirmation(app, event, waited)
    with app.app_context():
        db.session.execute(
            db.update(EmailOutbox)
            .where(EmailOutbox.registration_id == waited.id)
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=31))
        )
        db.session.commit()
    stopping = threading.Event()
    always_busy = busy_for_rounds(5, stopping)
    with app.app_context():
        counts = mail.watch(
            interval=0.01,
            stopping=stopping,
            is_busy=always_busy,
            max_defer=timedelta(seconds=30),
        )
    # The overdue message lets a round through; it sends what is due, the fresh one too.
    assert counts == {"sent": 2, "failed": 0}
    assert len(smtp_server.messages) == 2


def test_a_busy_machine_keeps_a_fresh_message_queued(app, make_event, make_registration):
    event = make_event()
    queue_confirmation(app, event, make_registration(event))
    stopping = threading.Event()
    always_busy = busy_for_rounds(5, stopping)
    with app.app_context():
        counts = mail.watch(interval=0.01, stopping=stopping, is_busy=always_busy)
    assert counts == {"sent": 0, "failed": 0}
    assert [m.status for m in outbox(app)] == [MailStatus.PENDING]


def write_stat(path: Path, busy: int, idle: int) -> None:
    """A /proc/stat first line: user, nice, system, idle, iowait, irq, softirq, steal, guest…"""
    path.write_text(f"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\ncpu0 1 2 3 4\n", encoding="ascii")


def test_the_cpu_meter_leaves_its_own_process_out(tmp_path):
    stat = tmp_path / "stat"
    own = [0]
    write_stat(stat, busy=1000, idle=1000)
    meter = mail.CpuMeter(str(stat), own_ticks=lambda: own[0])
    write_stat(stat, busy=1080, idle=1020)  # 100 ticks, 80 busy
    assert meter.busy_share() == pytest.approx(0.8)
    own[0] = 60  # of the next 100 ticks' 90 busy, 60 were this process's
    write_stat(stat, busy=1170, idle=1030)
    assert meter.busy_share() == pytest.approx(0.3)
    assert meter.busy_share() is None  # no time has passed: nothing to say


def test_the_cpu_meter_says_nothing_without_proc_stat(tmp_path):
    meter = mail.CpuMeter(str(tmp_path / "missing"))
    assert meter.busy_share() is None
    assert meter.busier_than(0.5)() is False  # the watcher then never waits


def test_busy_lasts_until_the_cpus_have_been_calm_for_a_while(tmp_path):
    stat = tmp_path / "stat"
    ticks = {"busy": 0, "idle": 0}

    def tick(busy: int, idle: int) -> None:
        ticks["busy"] += busy
        ticks["idle"] += idle
        write_stat(stat, **ticks)

    tick(0, 0)
    meter = mail.CpuMeter(str(stat), own_ticks=lambda: 0)
    busy = meter.busier_than(0.75, calm_for=0.2, look_every=0)
    tick(95, 5)
    assert busy() is True
    tick(10, 90)
    assert busy() is True  # one calm look is a dip, not the end of the rush
    time.sleep(0.25)
    tick(10, 90)
    assert busy() is False
    tick(90, 10)
    assert busy() is True  # busy again: the calm starts over
    tick(10, 90)
    assert busy() is True


def test_looks_closer_together_than_a_tenth_of_a_second_repeat_the_last_answer(tmp_path):
    """The kernel counts CPU time in hundredths of a second: a shorter look sees noise."""
    stat = tmp_path / "stat"
    write_stat(stat, busy=0, idle=0)
    meter = mail.CpuMeter(str(stat), own_ticks=lambda: 0)
    busy = meter.busier_than(0.5, calm_for=0, look_every=60)
    write_stat(stat, busy=10, idle=90)
    assert busy() is False
    write_stat(stat, busy=110, idle=90)  # busy since: not looked at yet
    assert busy() is False
