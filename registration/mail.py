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
import time
from dataclasses import dataclass
from datetime import timedelta
from email import encoders
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from flask import Flask, current_app, g
from flask_babel import force_locale, get_translations
from sqlalchemy import inspect, null, update
from sqlalchemy.exc import SQLAlchemyError

from app import db
from events import i18n
from events.dbtypes import utcnow
from events.models import Event
from registration import ticket_codes
from registration.models import EmailOutbox, MailStatus, Registration, RegistrationStatus

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
    flush: bool = True,
    render_later: bool = False,
    **context,
) -> EmailOutbox:
    """Render ``templates/mail/<kind>.{txt,html}`` in ``locale`` and add it to the outbox.

    For the thousands of messages of a roster import: ``flush=False`` leaves
    the insert to the caller's next flush, and ``render_later=True`` keeps
    ``context`` (plain strings) in the row and renders when sending.
    """
    message = EmailOutbox(
        event_id=event.id if event is not None else None,
        registration_id=registration.id if registration is not None else None,
        kind=kind,
        locale=locale,
        recipient=recipient,
        subject="",
        body_text="",
        attachments=[
            {
                "filename": name,
                "content_type": content_type,
                "data": base64.b64encode(data).decode("ascii"),
            }
            for name, content_type, data in attachments
        ],
    )
    if render_later:
        message.render_context = context
    else:
        _fill(message, event, registration, context)
    db.session.add(message)
    if flush:
        db.session.flush()
    g.setdefault("queued_mail", []).append(message)
    return message


def _fill(message: EmailOutbox, event, registration, context: dict) -> None:
    """Render the message's subject and bodies in its language."""
    context = dict(context, event=event, registration=registration, locale=message.locale)
    with force_locale(message.locale):
        context.update(i18n.bound_gettext(get_translations()))
        text = _render(f"mail/{message.kind}.txt", context)
        html = _render(f"mail/{message.kind}.html", context)
    subject, _sep, body = text.partition("\n")
    message.subject = subject.strip()[:300]
    message.body_text = body.lstrip("\n")
    message.body_html = html
    if message.kind in BADGE_KINDS and registration is not None:
        _attach_badge(message, registration)


#: Messages that carry the QR code of a confirmed registration's badge.
BADGE_KINDS = ("confirmation", "promotion")


def _attach_badge(message: EmailOutbox, registration) -> None:
    if registration.status is not RegistrationStatus.CONFIRMED:
        return
    png = ticket_codes.qr_png(registration.ticket_secret)
    badge = {
        "filename": "badge-qr.png",
        "content_type": "image/png",
        "data": base64.b64encode(png).decode("ascii"),
    }
    message.attachments = [*(message.attachments or []), badge]


class GoneMissing(LookupError):
    """What a message was about no longer exists (deleted since it was queued)."""


def _render_now(message: EmailOutbox) -> None:
    """A message queued with ``render_later``: render it from today's rows."""
    event = db.session.get(Event, message.event_id) if message.event_id else None
    registration = (
        db.session.get(Registration, message.registration_id) if message.registration_id else None
    )
    if event is None or registration is None:
        raise GoneMissing("event or registration deleted before the message was written")
    _fill(message, event, registration, message.render_context or {})
    message.render_context = None


def _render(name: str, context: dict) -> str:
    # Mail needs none of the page context (request, session, the language
    # switcher): rendering from the environment skips building it per message.
    return current_app.jinja_env.get_template(name).render(context)


#: What the web process does with mail its requests queued (``MAIL_SEND_AFTER_RESPONSE``).
SEND_MODES = ("thread", "inline", "watcher")


def init_app(app: Flask) -> None:
    mode = app.config.get("MAIL_SEND_AFTER_RESPONSE", "thread")
    if mode not in SEND_MODES:
        raise ValueError(
            f"MAIL_SEND_AFTER_RESPONSE must be one of {', '.join(SEND_MODES)}, not {mode!r}"
        )
    app.after_request(_send_after_response)


def _send_after_response(response):
    """Send what this request queued and committed, without keeping the response waiting.

    With ``MAIL_SEND_AFTER_RESPONSE = "thread"`` (the default) the messages
    go to a per-process sender thread at once: the view has committed, and
    the worker goes on to its next request while the thread talks to the
    SMTP server (batching what many requests queued meanwhile). ``"inline"``
    sends them while the response closes (tests use it, to read the mailbox
    right after a request). ``"watcher"`` leaves them to ``flask outbox
    watch``, a process of its own (see :func:`watch`). Either way a message
    not sent (a crash, a stop) stays pending in the outbox for ``flask
    outbox send``.

    Not ``call_on_close`` for the thread: Werkzeug's development server
    closes a keep-alive response only when the browser's next request on the
    connection ends, which held mail back for seconds.
    """
    queued = g.pop("queued_mail", [])
    mode = current_app.config.get("MAIL_SEND_AFTER_RESPONSE", "thread")
    if mode == "watcher":
        return response
    # Identities, not attributes: the rows were committed and expired, and
    # reading ``id`` would load each one again.
    ids = [key[0] for key in (inspect(message).identity for message in queued) if key]
    if ids:
        app = current_app._get_current_object()
        if mode == "thread":
            _SENDER.submit(app, ids)
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

    #: Seconds a woken sender waits before taking what was queued.
    LINGER = 0.2

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
            # Let the requests of the next moment add theirs: in a rush one
            # batch then carries many messages, for one claim, one load and
            # one commit, instead of a round of them per message.
            time.sleep(self.LINGER)
            self._wake.clear()
            with self._lock:
                batches, self._waiting = self._waiting, {}
            for app, ids in batches.items():
                _send_in_context(app, ids)


_SENDER = _Sender()


def send_pending(
    *,
    ids=None,
    limit: int = 200,
    ignore_schedule: bool = False,
    chunk: int | None = None,
    keep_going=None,
) -> dict:
    """Send due messages (or exactly ``ids``, all of them); returns counts of sent and failed.

    ``chunk`` messages are claimed at a time (default :data:`CHUNK`), over
    one SMTP session in all; ``keep_going()`` is asked before each chunk
    after the first, and False ends the round.
    """
    counts = {"sent": 0, "failed": 0}
    with _Postman() as postman:
        for claimed in _claims(ids, limit, due_only=not ignore_schedule, chunk=chunk):
            for outcome in _send_chunk(claimed, postman):
                counts[outcome] += 1
            if keep_going is not None and not keep_going():
                break  # before the next chunk is claimed
    return counts


def watch(
    *,
    interval: float,
    stopping: threading.Event,
    on_error=None,
    is_busy=None,
    max_defer: timedelta = timedelta(seconds=30),
) -> dict:
    """Send what is due as it comes, until ``stopping`` is set; the counts sent and failed.

    The web workers then spend nothing on mail: in a registration rush the
    rendering, the QR codes and the SMTP sessions run here. ``is_busy``
    (see :class:`CpuMeter`) says when the machine's CPUs are taken: the
    watcher then gives way to the sign-ups, unless a message has waited
    ``max_defer`` already, and sends the backlog when the rush eases. A full
    round is followed at once by the next one; an empty or deferred round
    waits ``interval`` seconds. A database or SMTP error is handed to
    ``on_error`` and the next round tries again: the outbox keeps every message.
    """
    totals = {"sent": 0, "failed": 0}
    while not stopping.is_set():
        counts = {"sent": 0, "failed": 0}
        try:
            if is_busy is None:
                counts = send_pending(limit=CHUNK)
            elif not is_busy() or _overdue(max_defer):
                # A few at a time, looking again in between: a rush that
                # starts meanwhile has the CPUs back within a few messages.
                counts = send_pending(
                    limit=CHUNK,
                    chunk=CALM_CHUNK,
                    keep_going=lambda: not is_busy() or _overdue(max_defer),
                )
        except Exception as error:  # the database is away: wait and try again
            db.session.rollback()
            if on_error is not None:
                on_error(error)
        for outcome, count in counts.items():
            totals[outcome] += count
        if sum(counts.values()) < CHUNK:
            stopping.wait(interval)
    return totals


def _overdue(max_defer: timedelta) -> bool:
    """Whether a message has been due for ``max_defer`` or longer."""
    found = db.session.execute(
        db.select(EmailOutbox.id)
        .where(_sendable())  # a dead sender's lapsed claims count too
        .where(EmailOutbox.next_attempt_at <= utcnow() - max_defer)
        .limit(1)
    ).first()
    db.session.rollback()  # no transaction left open between rounds
    return found is not None


class CpuMeter:
    """How busy the machine's CPUs were since the last look, leaving out this process.

    Read from Linux's ``/proc/stat``; elsewhere :meth:`busy_share` is None
    (and the watcher never defers). The watcher's own work is left out, or
    sending one batch would make it wait for itself.
    """

    def __init__(self, stat_path: str = "/proc/stat", own_ticks=None):
        self._stat_path = stat_path
        self._own_ticks = own_ticks or _own_cpu_ticks
        self._last = self._sample()

    def busy_share(self) -> float | None:
        """The share of all CPUs' time others kept busy since the last call (0 to 1)."""
        now, last = self._sample(), self._last
        self._last = now
        if now is None or last is None or now[0] <= last[0]:
            return None
        total, idle, own = (a - b for a, b in zip(now, last, strict=True))
        return min(max((total - idle - own) / total, 0.0), 1.0)

    def busier_than(self, share: float, calm_for: float = 1.0, look_every: float = 0.1):
        """A predicate for :func:`watch`: busy until others kept at most ``share`` of the
        CPUs busy for ``calm_for`` seconds in a row.

        One calm look is not enough: in a rush the workers wait for the
        database now and then, and a short dip would let a whole batch in.
        Asked more often than ``look_every`` seconds, it repeats its last
        answer: the kernel counts in hundredths of a second, and a shorter
        look would see noise.
        """
        calm_since, last_look, last_answer = None, None, True

        def busy() -> bool:
            nonlocal calm_since, last_look, last_answer
            now = time.monotonic()
            if last_look is not None and now - last_look < look_every:
                return last_answer
            last_look, seen = now, self.busy_share()
            if seen is None:  # not Linux: nothing to go by
                last_answer = False
                return False
            if seen > share:
                calm_since = None
            elif calm_since is None:
                calm_since = now
            last_answer = calm_since is None or now - calm_since < calm_for
            return last_answer

        return busy

    def _sample(self) -> tuple[int, int, int] | None:
        try:
            with open(self._stat_path, encoding="ascii") as stat:
                fields = stat.readline().split()
        except OSError:
            return None
        if not fields or fields[0] != "cpu":
            return None
        ticks = [int(value) for value in fields[1:9]]  # user … steal: guests are in user
        return sum(ticks), ticks[3] + ticks[4], self._own_ticks()  # idle and iowait are idle


def _own_cpu_ticks() -> int:
    times = os.times()
    return round((times.user + times.system) * os.sysconf("SC_CLK_TCK"))


#: How long a sender holds a message it claimed; if it dies, the message is due again.
SEND_LEASE = timedelta(minutes=10)
#: Messages claimed, sent and recorded together: few enough that their lease
#: outlasts their sending even at the SMTP timeout each, and that a sender
#: dying in the middle sends few of them a second time after the lease.
CHUNK = 20
#: What the watcher sends between two looks at the CPUs: a few milliseconds' work.
CALM_CHUNK = 4


def _sendable():
    """Pending, or claimed by a sender whose lease ran out (it crashed or stopped)."""
    lapsed = (EmailOutbox.status == MailStatus.SENDING) & (EmailOutbox.next_attempt_at <= utcnow())
    return (EmailOutbox.status == MailStatus.PENDING) | lapsed


def _claims(ids, limit: int, *, due_only: bool, chunk: int | None = None):
    """Claim and yield the ids of one chunk after another, up to ``limit`` messages in all."""
    chunk = chunk or CHUNK
    if ids is not None:
        for start in range(0, len(ids), chunk):
            yield _claim(ids=ids[start : start + chunk], limit=chunk)
        return
    after, left = 0, limit
    while left > 0:
        # Past the last chunk's ids: a message that failed just now is not tried again.
        claimed = _claim(after=after, limit=min(chunk, left), due_only=due_only)
        if not claimed:
            return
        yield claimed
        after, left = claimed[-1], left - len(claimed)


def _claim(*, ids=None, after: int = 0, limit: int, due_only: bool = True) -> list[int]:
    """Make up to ``limit`` sendable messages this sender's until the lease ends; their ids.

    One conditional update, committed before any SMTP server is asked: the
    sender thread and ``flask outbox send`` may both look at a message, only
    one claims it (on PostgreSQL a second claimant waits for the first and
    then finds the message no longer sendable), and no lock is held while
    the messages go out.
    """
    chosen = db.select(EmailOutbox.id).where(_sendable(), EmailOutbox.id > after)
    if ids is not None:
        chosen = chosen.where(EmailOutbox.id.in_(ids))
    elif due_only:
        chosen = chosen.where(EmailOutbox.next_attempt_at <= utcnow())
    chosen = chosen.order_by(EmailOutbox.id).limit(limit)
    claimed = db.session.execute(
        update(EmailOutbox)
        .where(EmailOutbox.id.in_(chosen.scalar_subquery()), _sendable())
        .values(status=MailStatus.SENDING, next_attempt_at=utcnow() + SEND_LEASE)
        .returning(EmailOutbox.id),
        execution_options={"synchronize_session": False},
    ).scalars()
    claimed = sorted(claimed)
    db.session.commit()
    return claimed


@dataclass
class _Prepared:
    """A claimed message made ready to go, or why it cannot be."""

    id: int
    kind: str
    attempts: int
    email: Message | None = None
    rendered: dict | None = None  # columns written now, for a message queued unrendered
    error: Exception | None = None


def _send_chunk(ids: list[int], postman: _Postman):
    """Write, send and record claimed messages; "sent" or "failed" for each.

    The database is only read while the messages are written, nothing is held
    while they go out, and the outcomes are recorded by id in one short
    transaction: a message that fails (or a row deleted meanwhile) leaves the
    others' outcomes as they are.
    """
    rows = db.session.execute(
        db.select(EmailOutbox)
        .where(EmailOutbox.id.in_(ids), EmailOutbox.status == MailStatus.SENDING)
        .order_by(EmailOutbox.id)
    ).scalars()
    # What is recorded is read first: a failed read below expires the rows.
    prepared = [(_Prepared(row.id, row.kind, row.attempts), row) for row in rows]
    for item, message in prepared:
        _prepare(item, message)
    prepared = [item for item, _message in prepared]
    db.session.rollback()  # the end of a read: what rendering set on the rows is in `prepared`
    for item in prepared:
        if item.error is None:
            try:
                postman.send(item.email)
            except Exception as error:  # any failure: retried later, given up after the last try
                item.error = error
    _record(prepared)
    db.session.commit()
    return ["failed" if item.error else "sent" for item in prepared]


def _prepare(item: _Prepared, message: EmailOutbox) -> None:
    try:
        with db.session.no_autoflush:
            if message.render_context is not None:
                _render_now(message)
                item.rendered = {column: getattr(message, column) for column in _RENDERED}
                item.rendered["render_context"] = null()
            item.email = to_email_message(message)
    except Exception as error:  # recorded as this message's failure
        item.error = error
        if isinstance(error, SQLAlchemyError):
            db.session.rollback()  # the next message reads in a new transaction


#: What rendering a message when it is sent fills in.
_RENDERED = ("subject", "body_text", "body_html", "attachments")


def _record(prepared: list[_Prepared]) -> None:
    """Write each message's outcome by id, to rows still claimed."""
    table, now = EmailOutbox.__table__, utcnow()
    claimed = table.c.status == MailStatus.SENDING
    for item in prepared:
        if item.error is not None:
            values = _failure(item)
        else:
            values = {"status": MailStatus.SENT, "sent_at": now, "attempts": item.attempts + 1}
            values.update(item.rendered or {})
        db.session.execute(update(table).where(table.c.id == item.id, claimed).values(**values))


def _failure(item: _Prepared) -> dict:
    attempts = item.attempts + 1
    values = {
        "attempts": attempts,
        "last_error": f"{type(item.error).__name__}: {item.error}"[:500],
    }
    if attempts > len(RETRY_DELAYS) or isinstance(item.error, GoneMissing):
        values["status"] = MailStatus.FAILED  # the last try, or nothing left to write about
    else:
        values["status"] = MailStatus.PENDING
        values["next_attempt_at"] = utcnow() + RETRY_DELAYS[attempts - 1]
    current_app.logger.warning(
        "mail %s (%s) not sent, attempt %s: %s",
        item.id,
        item.kind,
        attempts,
        type(item.error).__name__,
    )
    return values


def to_email_message(message: EmailOutbox) -> Message:
    """The MIME message: text and HTML as alternatives, then any attachments.

    Built with the classic ``email.mime`` classes: the same message as
    ``EmailMessage`` gives, in a quarter of the time, which counts when
    thousands go out after a roster import or a registration rush.
    """
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(message.body_text, "plain", "utf-8"))
    if message.body_html:
        body.attach(MIMEText(message.body_html, "html", "utf-8"))
    email = body
    if message.attachments:
        email = MIMEMultipart("mixed")
        email.attach(body)
        for attachment in message.attachments:
            email.attach(_attachment(attachment))
    sender_name, sender_address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    email["Subject"] = Header(message.subject, "utf-8")
    email["From"] = formataddr((sender_name, sender_address), charset="utf-8")
    email["To"] = message.recipient
    email["Date"] = formatdate(localtime=False)
    # The sender's domain, not the host's name: that would ask DNS on every message.
    domain = sender_address.rpartition("@")[2] or "huiwu.localhost"
    email["Message-ID"] = make_msgid(idstring=f"huiwu{message.id}", domain=domain)
    return email


def _attachment(attachment: dict) -> MIMEBase:
    maintype, _sep, subtype = attachment["content_type"].partition("/")
    part = MIMEBase(maintype, subtype)
    part.set_payload(base64.b64decode(attachment["data"]))
    encoders.encode_base64(part)
    part.add_header(
        "Content-Disposition", "attachment", filename=("utf-8", "", attachment["filename"])
    )
    return part


class _Postman:
    """One SMTP session for a batch of messages, opened on the first and closed at the end.

    A message that fails closes the session; the next one opens a new one,
    so one bad recipient or a dropped connection costs only that message.
    """

    def __init__(self):
        self._config = current_app.config
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> _Postman:
        return self

    def __exit__(self, *exc_info) -> None:
        self._close()

    def send(self, email: Message) -> None:
        if self._config["MAIL_BACKEND"] == "console":
            print(f"----- mail (console backend) -----\n{email.as_string()}", file=sys.stdout)
            return
        try:
            if self._client is None:
                self._client = self._connect()
            self._client.send_message(email)
        except Exception:
            self._close()
            raise

    def _connect(self) -> smtplib.SMTP:
        config = self._config
        server = (config["MAIL_SERVER"], config["MAIL_PORT"])
        options = {
            "timeout": config["MAIL_TIMEOUT"],
            "local_hostname": config["MAIL_LOCAL_HOSTNAME"],
        }
        if config["MAIL_USE_SSL"]:
            client = smtplib.SMTP_SSL(*server, context=ssl.create_default_context(), **options)
        else:
            client = smtplib.SMTP(*server, **options)
        try:
            if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
                client.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                client.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        except Exception:
            client.close()
            raise
        return client

    def _close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
