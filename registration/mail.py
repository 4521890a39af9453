"""Outgoing email through an outbox table.

:func:`queue` renders a message in the recipient's language and adds it to
the outbox in the caller's transaction. After the request the queued rows
are sent (the response is not kept waiting); a failure leaves the row
pending with a later ``next_attempt_at``, and ``flask outbox send`` retries.
Addresses and bodies never go to the application log.
"""

from __future__ import annotations

import base64
import os
import smtplib
import ssl
import sys
import threading
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import Flask, current_app, g, render_template
from flask_babel import force_locale

from app import db
from events.dbtypes import utcnow
from registration.models import EmailOutbox, MailStatus

#: Delay before the next try after 1, 2, 3… failures; then the message is given up.
RETRY_DELAYS = [timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 720)]


def queue(
    kind: str,
    recipient: str,
    *,
    locale: str,
    event=None,
    registration=None,
    attachments=(),
    **context,
) -> EmailOutbox:
    """Render ``templates/mail/<kind>.{txt,html}`` in ``locale`` and add it to the outbox."""
    with force_locale(locale):
        text = render_template(
            f"mail/{kind}.txt", event=event, registration=registration, locale=locale, **context
        )
        html = render_template(
            f"mail/{kind}.html", event=event, registration=registration, locale=locale, **context
        )
    subject, _sep, body = text.partition("\n")
    message = EmailOutbox(
        event_id=event.id if event is not None else None,
        registration_id=registration.id if registration is not None else None,
        kind=kind,
        locale=locale,
        recipient=recipient,
        subject=subject.strip()[:300],
        body_text=body.lstrip("\n"),
        body_html=html,
        attachments=[
            {
                "filename": name,
                "content_type": content_type,
                "data": base64.b64encode(data).decode("ascii"),
            }
            for name, content_type, data in attachments
        ],
    )
    db.session.add(message)
    db.session.flush()
    g.setdefault("queued_mail", []).append(message.id)
    return message


def init_app(app: Flask) -> None:
    app.after_request(_send_after_response)


def _send_after_response(response):
    """Send what this request queued once the response has gone out, if it committed.

    With ``MAIL_SEND_AFTER_RESPONSE = "thread"`` (the default) a per-process
    sender thread takes the messages, so a worker never waits for the SMTP
    server before serving its next request, and messages queued by many
    requests meanwhile go out in one batch. ``"inline"`` sends them on the
    closing response itself (tests use it: they read the mailbox right after).
    Either way a message not sent (a crash, a stop) stays pending in the
    outbox for ``flask outbox send``.
    """
    ids = g.pop("queued_mail", [])
    if ids:
        app = current_app._get_current_object()
        if app.config.get("MAIL_SEND_AFTER_RESPONSE", "thread") == "thread":
            response.call_on_close(lambda: _SENDER.submit(app, ids))
        else:
            response.call_on_close(lambda: _send_in_context(app, ids))
    return response


def _send_in_context(app: Flask, ids) -> None:
    with app.app_context():
        try:
            send_pending(ids=ids)
        except Exception:  # the outbox keeps the messages for the next try
            app.logger.exception("sending queued mail failed")
            db.session.rollback()


class _Sender:
    """One daemon thread per process that sends queued messages in batches.

    Started on first use and again after a fork (gunicorn forks its workers
    from a master that may have imported the app).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._waiting: dict[Flask, list[int]] = {}
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def submit(self, app: Flask, ids) -> None:
        with self._lock:
            self._waiting.setdefault(app, []).extend(ids)
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="huiwu-mail", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                batches, self._waiting = self._waiting, {}
            for app, ids in batches.items():
                _send_in_context(app, ids)


_SENDER = _Sender()


def send_pending(*, ids=None, limit: int = 200, ignore_schedule: bool = False) -> dict:
    """Send due messages (or exactly ``ids``); returns counts of sent and failed."""
    statement = db.select(EmailOutbox).where(EmailOutbox.status == MailStatus.PENDING)
    if ids is not None:
        statement = statement.where(EmailOutbox.id.in_(ids))
    elif not ignore_schedule:
        statement = statement.where(EmailOutbox.next_attempt_at <= utcnow())
    statement = statement.order_by(EmailOutbox.id).limit(limit).with_for_update(skip_locked=True)
    counts = {"sent": 0, "failed": 0}
    for message in db.session.execute(statement).scalars():
        try:
            deliver(to_email_message(message))
        except (OSError, smtplib.SMTPException) as error:
            _record_failure(message, error)
            counts["failed"] += 1
        else:
            message.status, message.sent_at = MailStatus.SENT, utcnow()
            message.attempts += 1
            counts["sent"] += 1
        db.session.commit()  # one message at a time: a crash never resends the rest
    return counts


def _record_failure(message: EmailOutbox, error: Exception) -> None:
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:500]
    if message.attempts > len(RETRY_DELAYS):
        message.status = MailStatus.FAILED
    else:
        message.next_attempt_at = utcnow() + RETRY_DELAYS[message.attempts - 1]
    current_app.logger.warning(
        "mail %s (%s) not sent, attempt %s: %s",
        message.id,
        message.kind,
        message.attempts,
        type(error).__name__,
    )


def to_email_message(message: EmailOutbox) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(idstring=f"huiwu{message.id}")
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    for attachment in message.attachments:
        maintype, _sep, subtype = attachment["content_type"].partition("/")
        email.add_attachment(
            base64.b64decode(attachment["data"]),
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
        )
    return email


def deliver(email: EmailMessage) -> None:
    config = current_app.config
    if config["MAIL_BACKEND"] == "console":
        print(f"----- mail (console backend) -----\n{email.as_string()}", file=sys.stdout)
        return
    timeout = config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        client = smtplib.SMTP_SSL(
            config["MAIL_SERVER"],
            config["MAIL_PORT"],
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    else:
        client = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
    with client:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            client.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            client.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        client.send_message(email)
