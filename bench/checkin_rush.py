"""The morning rush at the doors: badge scans from many gates at once.

Serves the app with gunicorn (``--workers 2``, sync workers: the production
command of the README) on PostgreSQL and scans distinct badges from
``--gates`` gates (default 32) for ``--duration`` seconds (default 20). The
event has ``--registrations`` confirmed people (default 40,000, bulk
inserted, four categories, 1 in 100 flagged for the staff's attention), its
default main entrance (:func:`registration.checkin.checkpoints.ensure_default`)
and one device token per gate (:func:`registration.checkin.devices.issue`,
bound to the entrance). PostgreSQL is found as ``bench/registration_rush.py``
finds it: ``--database-url`` (tables recreated), else a throwaway database on
the server at 127.0.0.1:5432 when it trusts local connections, else a
throwaway cluster (fsync off), else the run is skipped with the reason.

Each gate is a closed loop: ``POST /api/checkin/scan`` with the next badge
nobody has scanned yet, a fresh nonce (uuid4) and its device's
``Authorization: Bearer`` token, wait for the answer, next badge. Should the
badges run out, later scans are re-scans expecting ``already_checked_in``
(counted and flagged; the default leaves room for 1,000 scans a second). The
scan API has no rate limit, so Flask-Limiter stays on as in production.

The framework floor, measured in the same run: a one-route Flask app
(:func:`floor_app`, answering ``{"nonce", "result": "ok"}`` at the same path
after parsing the same JSON body) under the same gunicorn command, worker
class and count, from the same gates, client and duration. ``ratio`` is
scans per second over floor requests per second: what a scan costs beyond
Flask and gunicorn themselves.

``--client python`` (default) is a single-threaded non-blocking client
(``selectors``) that drives every gate; connecting is blocking, which on
loopback never waits. Sync workers close the connection after each answer,
so each scan connects anew and latency includes the connect; with
``--worker-class gthread`` (``--threads``, default 4) connections are kept
alive. ``--client wrk`` runs ``wrk`` (``apt-get install wrk``, one thread a CPU)
with a Lua script that reads the badges and tokens from files; its nonces
are UUID-shaped, a random prefix for the run then the thread and a counter.
wrk's latency starts after the connect, the scans in flight when it stops go
unread, and it rotates the tokens per request rather than per connection.
Warm-ups (two scans a gate, one second of floor) always use the Python
client. The load generator shares the machine's two CPUs with the server and
PostgreSQL: each phase prints the CPU time of the gunicorn workers, the
PostgreSQL backends, the client and the rest of the machine (Linux
``/proc``), naming the busiest other processes; a phase where other
processes took over a tenth of the CPUs is flagged ``NOISY``.

Afterwards the database is checked with SQL: (registration, checkpoint)
pairs with more than one check-in in state ``in``, plus people admitted more
often than their badge was sent, make ``double``; the ``ok`` answers must
equal the ``in`` check-ins and the 200 answers the logged scan attempts.
``errors`` counts non-200 answers, answers other than expected (``ok``) and
failed connections. The last line:

    checkin_rush: scans_per_s=… p50_ms=… p99_ms=… floor_per_s=… ratio=… errors=0 double=0

Latencies are client-side, over every answered scan. Targets: ratio at least
0.30, p99 under 50 ms, no errors, nobody double. Closed loops make the mean
latency the number of gates over the throughput: at 32 gates a p99 under
50 ms needs well over 640 scans a second.

``--profile N`` instead runs N scans in-process (the WSGI app called
directly, no HTTP, one after another) on the same data and prints where a
scan's time goes: wall and CPU time a scan without a profiler, every round
trip one scan makes to PostgreSQL (pre-ping, BEGIN, statements, COMMIT), then
under cProfile the time by layer (driver and waiting for PostgreSQL,
SQLAlchemy, Flask and its extensions, Babel, JSON, Huiwu's code), by step of
the scan, and the top functions. cProfile inflates the Python-heavy parts:
read its shares, and the unprofiled times for totals.

    .venv/bin/python bench/checkin_rush.py [--gates 32] [--duration 20] [--workers 2]
        [--worker-class sync|gthread] [--threads N] [--registrations 40000]
        [--client python|wrk] [--database-url URL] [--profile N]
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import json
import math
import os
import pstats
import random
import resource
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import psycopg  # noqa: E402
from registration_rush import percentile, postgres  # noqa: E402
from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app, db  # noqa: E402
from events.models import Category, Event, EventRole, EventStatus  # noqa: E402
from events.services import add_member, create_user  # noqa: E402
from registration.checkin import checkpoints, devices  # noqa: E402
from registration.checkin.models import Checkpoint  # noqa: E402
from registration.demo import POSITIONS, People  # noqa: E402
from registration.models import Registration, RegistrationStatus  # noqa: E402
from registration.ticket_codes import new_secret  # noqa: E402
from tests.pgserver import free_port  # noqa: E402

SCAN_PATH = "/api/checkin/scan"
SECRET_KEY = "bench-" * 8
ORGANISER = "bench-doors@huiwu.example"
APP_SPEC = "app:create_app()"
FLOOR_SPEC = "bench.checkin_rush:floor_app()"
WARMUP_SCANS = 2  # a gate, before the timed rush
FLOOR_WARMUP_SECONDS = 1.0
REQUEST_TIMEOUT = 60.0
#: Beyond this share of the CPUs used by anything else, a phase is flagged as disturbed.
NOISE_SHARE = 0.10
CITIES = ["济南", "青岛", "烟台", "潍坊", "济宁", "临沂", "淄博", "威海", "北京", "上海"]
CATEGORIES = [
    ("delegate", "代表", "Delegate", "#1f6feb", 0.70),
    ("guest", "嘉宾", "Guest of honour", "#d1242f", 0.08),
    ("exhibitor", "参展商", "Exhibitor", "#1a7f37", 0.17),
    ("media", "媒体", "Media", "#8250df", 0.05),
]
ATTENTION = "贵宾：请引导至前排就座"
OK, ALREADY = "ok", "already_checked_in"


# --- the database ------------------------------------------------------------------


@dataclass
class Setup:
    event_id: int
    checkpoint_id: int
    tokens: list[str]
    #: Distinct badges in the order the gates take them; the warm-up's come first.
    secrets: list[str]


def make_app(url: str, folder: Path):
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": SECRET_KEY}
    )


def seed(app, registrations: int, gates: int) -> Setup:
    """Recreate the tables: one event under way, its entrance, devices, confirmed people."""
    rng = random.Random(2019)  # noqa: S311 -- reproducible fiction
    now = datetime.now(UTC)
    with app.app_context():
        db.drop_all()
        db.create_all()
        organiser = create_user(ORGANISER, "会务组 签到压测", None)
        event = Event(
            slug="checkin-rush",
            status=EventStatus.PUBLISHED,
            title_zh="2030 儒商大会（签到压测）",
            title_en="Confucian Merchants Conference 2030 (check-in bench)",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=2),
        )
        categories = [
            Category(event=event, code=code, name_zh=zh, name_en=en, color=color, position=n)
            for n, (code, zh, en, color, _share) in enumerate(CATEGORIES)
        ]
        db.session.add_all([event, *categories])
        add_member(event, organiser, EventRole.ORGANISER, owner=True)
        checkpoints.ensure_default(event)
        entrance = db.session.execute(
            db.select(Checkpoint).where(Checkpoint.event_id == event.id)
        ).scalar_one()
        tokens = [
            devices.issue(event, f"{number:02d} 号闸机", entrance, organiser)[1]
            for number in range(1, gates + 1)
        ]
        people = People(rng, set())
        weights = [share for *_rest, share in CATEGORIES]
        rows = [
            _person(number, event.id, rng.choices(categories, weights)[0].id, people, rng, now)
            for number in range(1, registrations + 1)
        ]
        db.session.execute(insert(Registration), rows)
        db.session.execute(
            text("SELECT setval(pg_get_serial_sequence('registration', 'id'), :n)"),
            {"n": registrations},
        )
        db.session.commit()
        setup = Setup(event.id, entrance.id, tokens, [row["ticket_secret"] for row in rows])
        db.engine.dispose()
    rng.shuffle(setup.secrets)  # people arrive in no particular order
    return setup


def _person(number: int, event_id: int, category_id: int, people, rng, now) -> dict:
    name, latin = people.name()
    attention = rng.random() < 0.01
    created = now - timedelta(days=30, minutes=rng.randrange(60 * 24 * 60))
    return {
        "id": number,
        "event_id": event_id,
        "category_id": category_id,
        "status": RegistrationStatus.CONFIRMED,
        "name": name,
        "name_en": latin,
        "organisation": people.organisation(rng.choice(CITIES)),
        "position": rng.choice(POSITIONS),
        "mobile": people.mobile(),
        "email": people.email(latin),
        "ticket_secret": new_secret(),
        "staff_note": ATTENTION if attention else "",
        "needs_attention": attention,
        "created_at": created,
        "updated_at": created,
    }


@dataclass
class Verdict:
    """What the database says after the rush."""

    admitted: int  # check-ins in state 'in'
    duplicate_pairs: int
    over_admitted: int  # people admitted more often than their badge was sent
    attempts: int
    attempt_results: dict[str, int]

    @property
    def double(self) -> int:
        return self.duplicate_pairs + self.over_admitted


def verify(app, event_id: int, sent: Counter) -> Verdict:
    with app.app_context():
        run = db.session.execute
        admitted = run(
            text("SELECT count(*) FROM check_in WHERE event_id = :e AND state = 'in'"),
            {"e": event_id},
        ).scalar_one()
        duplicate_pairs = run(
            text(
                "SELECT count(*) FROM (SELECT registration_id, checkpoint_id FROM check_in"
                " WHERE event_id = :e AND state = 'in'"
                " GROUP BY registration_id, checkpoint_id HAVING count(*) > 1) AS pairs"
            ),
            {"e": event_id},
        ).scalar_one()
        admissions = run(
            text(
                "SELECT r.ticket_secret, count(*) FROM check_in AS c"
                " JOIN registration AS r ON r.id = c.registration_id"
                " WHERE c.event_id = :e AND c.state IN ('in', 'reentry')"
                " GROUP BY r.ticket_secret"
            ),
            {"e": event_id},
        ).all()
        attempts = dict(
            run(
                text(
                    "SELECT result, count(*) FROM scan_attempt WHERE event_id = :e GROUP BY result"
                ),
                {"e": event_id},
            ).all()
        )
        db.engine.dispose()
    over = sum(1 for secret, times in admissions if times > sent[secret])
    return Verdict(admitted, duplicate_pairs, over, sum(attempts.values()), attempts)


def postgres_settings(url: str) -> str:
    with psycopg.connect(_libpq_url(url)) as connection:
        values = [
            connection.execute(f"SHOW {name}").fetchone()[0]
            for name in ("server_version", "fsync", "synchronous_commit")
        ]
    return "PostgreSQL {} (fsync={}, synchronous_commit={})".format(*values)


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def backend_pids(url: str) -> list[int] | None:
    """The server processes holding connections to the bench database now, if on this machine."""
    if make_url(url).host not in (None, "", "127.0.0.1", "localhost", "::1"):
        return None
    with psycopg.connect(_libpq_url(url)) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


def processes() -> dict[int, tuple[str, int]]:
    """Every process now: (command line, CPU ticks so far), from Linux /proc; else empty."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
            command = (
                (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            )
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        name = command.strip() or f"[{stat[stat.find('(') + 1 : stat.rfind(')')]}]"
        found[int(entry.name)] = (name, int(fields[11]) + int(fields[12]))
    return found


def machine_ticks() -> tuple[int, int, int]:
    """(busy, interrupts, steal) CPU ticks of all CPUs since boot, from Linux /proc/stat.

    Steal is time a virtual machine's CPUs wanted to run but the host ran others.
    """
    try:
        ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0, 0
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks[:8]
    return user + nice + system + irq + softirq + steal, irq + softirq, steal


def _short_name(command: str) -> str:
    words = command.split()
    if command.startswith("["):  # a kernel thread
        return command
    if words and words[0].endswith(":"):  # PostgreSQL's process titles
        return " ".join(words[:3])
    return " ".join(Path(word).name for word in words[:2])


class Meter:
    """Who spent the CPUs during one phase: the server, PostgreSQL, the client, the rest."""

    def __init__(self, master: subprocess.Popen, backends: list[int] | None = None):
        self.master, self.backends = master, backends
        self.before, self.machine_before = processes(), machine_ticks()
        self.others: list[tuple[str, float]] = []
        self.others_total = 0.0
        self.interrupts = 0.0
        self.steal = 0.0

    def stop(self, client_cpu: float) -> dict[str, float | None]:
        after, machine_after = processes(), machine_ticks()
        tick = os.sysconf("SC_CLK_TCK")

        def spent(pid: int) -> float:
            return (after[pid][1] - self.before.get(pid, ("", 0))[1]) / tick

        try:
            children = Path(f"/proc/{self.master.pid}/task/{self.master.pid}/children")
            workers = {int(pid) for pid in children.read_text().split()}
        except OSError:
            workers = set()
        backends = set(self.backends or ())
        usage: dict[str, float | None] = {
            "gunicorn workers": sum(spent(pid) for pid in workers & after.keys()) or None
        }
        if self.backends is not None:
            usage["PostgreSQL backends"] = sum(spent(pid) for pid in backends & after.keys())
        usage["client"] = client_cpu
        known = workers | backends | {os.getpid(), self.master.pid}
        others: Counter = Counter()
        for pid in after.keys() - known:
            others[_short_name(after[pid][0])] += spent(pid)
        self.others_total = sum(others.values())
        self.others = [
            (name, seconds) for name, seconds in others.most_common(3) if seconds >= 0.05
        ]
        busy = (machine_after[0] - self.machine_before[0]) / tick
        self.interrupts = (machine_after[1] - self.machine_before[1]) / tick
        self.steal = (machine_after[2] - self.machine_before[2]) / tick
        if busy > 0:
            usage["rest of the machine"] = busy - sum(v for v in usage.values() if v)
        return usage


# --- the servers -------------------------------------------------------------------


def floor_app():
    """The framework floor: one Flask route doing what every scan must (parse, answer JSON)."""
    from flask import Flask, jsonify, request

    floor = Flask("checkin_floor")

    @floor.post(SCAN_PATH)
    def scan():
        data = request.get_json(silent=True) or {}
        return jsonify(result=OK, nonce=data.get("nonce"))

    return floor


@dataclass(frozen=True)
class ServerSettings:
    workers: int
    worker_class: str
    threads: int

    def command(self, port: int, spec: str) -> list[str]:
        """The one gunicorn command line; only the application differs."""
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(self.workers),
            "-k",
            self.worker_class,
            "--threads",
            str(self.threads),
            "-b",
            f"127.0.0.1:{port}",
            spec,
        ]

    def describe(self) -> str:
        threads = f", {self.threads} threads each" if self.worker_class == "gthread" else ""
        return f"gunicorn -w {self.workers} -k {self.worker_class}{threads}"


@contextmanager
def gunicorn(spec: str, settings: ServerSettings, url: str, folder: Path):
    """Serve ``spec`` on a free port; yield (port, master process)."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "HUIWU_INSTANCE_PATH": str(folder),
    }
    log_path = folder / f"gunicorn-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            settings.command(port, spec), cwd=ROOT, env=env, stdout=log, stderr=log
        )
    try:
        _wait_until_answering(port, process, log_path)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_answering(port: int, process: subprocess.Popen, log_path: Path) -> None:
    """Until an HTTP status line comes back (any status: the floor has no ``/``)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if sock.recv(12).startswith(b"HTTP/1."):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in 60 s:\n{log_path.read_text()[-3000:]}")


# --- the gates ---------------------------------------------------------------------


@dataclass
class Job:
    body: bytes
    expect: str


class Badges:
    """Hands out the next badge nobody has scanned, each request with a fresh nonce."""

    def __init__(self, secrets: list[str], checkpoint_id: int, repeat_result: str = ALREADY):
        self.secrets = secrets
        self.checkpoint_id = checkpoint_id
        self.repeat_result = repeat_result
        self.taken = 0
        self.sent: Counter = Counter()

    @property
    def rescans(self) -> int:
        return max(0, self.taken - len(self.secrets))

    def take(self) -> Job:
        index, self.taken = self.taken, self.taken + 1
        secret = self.secrets[index % len(self.secrets)]
        self.sent[secret] += 1
        scan = {"secret": secret, "checkpoint": self.checkpoint_id, "nonce": str(uuid.uuid4())}
        expect = OK if index < len(self.secrets) else self.repeat_result
        return Job(json.dumps(scan).encode(), expect)


@dataclass
class Tally:
    """What the gates saw in one phase."""

    answered: int = 0
    latencies: list[float] = field(default_factory=list)
    #: (p50, p99, max) when the client keeps its latencies to itself (wrk).
    reported_latency: tuple[float, float, float] | None = None
    results: Counter = field(default_factory=Counter)
    errors: int = 0
    samples: list[str] = field(default_factory=list)
    wall: float = 0.0
    client_cpu: float = 0.0
    connections: int = 0
    rescans: int = 0
    unanswered: int = 0

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.samples) < 5:
            self.samples.append(what)


class Gate:
    """One gate's exchanges over a non-blocking socket: send a scan, read its answer."""

    def __init__(self, client: Client, token: str):
        self.client = client
        self.head = (
            f"POST {SCAN_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{client.port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            "Content-Length: "
        ).encode()
        self.sock: socket.socket | None = None
        self.reused = False
        self.pending = b""
        self.received = bytearray()
        self.job: Job | None = None
        self.started = 0.0

    def begin(self) -> bool:
        """Send the next scan; False if that failed at once (the error is counted)."""
        self.job = self.client.feed()
        self.started = time.perf_counter()
        return self._send()

    def _send(self) -> bool:
        body = self.job.body
        self.pending = self.head + str(len(body)).encode() + b"\r\n\r\n" + body
        self.received.clear()
        self.reused = self.sock is not None
        if self.sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.connect(self.client.address)  # loopback: does not wait
                sock.setblocking(False)
            except OSError as error:
                sock.close()
                return not self._failed(f"connect: {type(error).__name__}: {error}")
            self.client.selector.register(sock, selectors.EVENT_READ, self)
            self.client.tally.connections += 1
            self.sock = sock
        return self.writable()

    def writable(self) -> bool:
        """Send what is pending; False if the connection failed."""
        try:
            sent = self.sock.send(self.pending)
        except BlockingIOError:
            sent = 0
        except OSError as error:
            return not self._failed(f"send: {type(error).__name__}: {error}")
        self.pending = self.pending[sent:]
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if self.pending else 0)
        self.client.selector.modify(self.sock, events, self)
        return True

    def readable(self) -> bool:
        """Read what arrived; True once the exchange is over, answered or failed."""
        try:
            chunk = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as error:
            return self._failed(f"recv: {type(error).__name__}: {error}")
        if not chunk:
            if self.reused and not self.received:  # a kept-alive connection was closed
                self._close()
                return not self._send()  # the same request (and nonce) again
            return self._failed("connection closed before the answer")
        self.received += chunk
        return self._answered()

    def _answered(self) -> bool:
        data = self.received
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(data[:end]).lower()
        length_at = head.find(b"\r\ncontent-length:")
        if length_at < 0:
            return self._failed("an answer without Content-Length")
        line_end = head.find(b"\r\n", length_at + 2)
        length = int(head[length_at + 17 : line_end if line_end > 0 else len(head)])
        if len(data) < end + 4 + length:
            return False
        seconds = time.perf_counter() - self.started
        self.client.record(self, int(head[9:12]), bytes(data[end + 4 : end + 4 + length]), seconds)
        if b"\r\nconnection: close" in head:
            self._close()
        return True

    def _failed(self, what: str) -> bool:
        self.client.tally.error(what)
        self._close()
        return True

    def _close(self) -> None:
        if self.sock is not None:
            self.client.selector.unregister(self.sock)
            self.sock.close()
            self.sock = None


class Client:
    """Every gate in one thread: the lightest load generator pure Python allows."""

    def __init__(self, port: int, tokens: list[str], feed):
        self.port = port
        self.address = ("127.0.0.1", port)
        self.feed = feed
        self.selector = selectors.DefaultSelector()
        self.tally = Tally()
        self.gates = [Gate(self, token) for token in tokens]
        self.deadline = 0.0
        self.budget: int | None = None
        self.begun = 0

    def record(self, gate: Gate, status: int, body: bytes, seconds: float) -> None:
        tally = self.tally
        tally.answered += 1
        tally.latencies.append(seconds)
        if status != 200:
            tally.results[f"HTTP {status}"] += 1
            tally.error(f"HTTP {status}: {body[:200].decode('utf-8', 'replace')}")
            return
        try:
            result = json.loads(body).get("result")
        except (ValueError, AttributeError):
            result = "unreadable"
        tally.results[result] += 1
        if result != gate.job.expect:
            tally.error(f"{result} where {gate.job.expect} was expected")

    def _next(self, gate: Gate) -> bool:
        """The gate's next scan while time and budget last; False when the gate is done."""
        while time.perf_counter() < self.deadline and (
            self.budget is None or self.begun < self.budget
        ):
            self.begun += 1
            if gate.begin():
                return True
        gate._close()
        return False

    def run(self, duration: float, requests: int | None = None) -> Tally:
        """Until ``duration`` is over or ``requests`` were sent; answers in flight are awaited."""
        cpu_before = time.process_time()
        start = time.perf_counter()
        self.deadline, self.budget = start + duration, requests
        running = {gate for gate in self.gates if self._next(gate)}
        while running:
            for key, events in self.selector.select(timeout=1.0):
                gate = key.data
                if events & selectors.EVENT_WRITE and gate.pending:
                    over = not gate.writable()
                else:
                    over = events & selectors.EVENT_READ and gate.readable()
                if over and not self._next(gate):
                    running.discard(gate)
            now = time.perf_counter()
            for gate in [gate for gate in running if now - gate.started > REQUEST_TIMEOUT]:
                gate._failed(f"no answer in {REQUEST_TIMEOUT:.0f} s")
                if not self._next(gate):
                    running.discard(gate)
        self.tally.wall = time.perf_counter() - start
        self.tally.client_cpu = time.process_time() - cpu_before
        self.selector.close()
        return self.tally


def python_gates(port: int, tokens: list[str], feed, duration: float, requests=None) -> Tally:
    return Client(port, tokens, feed).run(duration, requests)


WRK_SCRIPT = r"""
-- Distinct badges a thread (every n-th line of the badge file), numbered nonces.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(args[5])
  badges = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == id then table.insert(badges, line) end
    i = i + 1
  end
  tokens = {}
  for line in io.lines(args[2]) do table.insert(tokens, line) end
  checkpoint, prefix = args[3], args[4]
  sent, oks, others, bad = 0, 0, 0, 0
end

function request()
  sent = sent + 1
  local badge = badges[(sent - 1) % #badges + 1]
  local nonce = string.format("%s-%04x-4000-8000-%012x", prefix, id, sent)
  local body = '{"secret": "' .. badge .. '", "checkpoint": ' .. checkpoint
    .. ', "nonce": "' .. nonce .. '"}'
  local headers = {}
  headers["Authorization"] = "Bearer " .. tokens[(sent - 1) % #tokens + 1]
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", wrk.path, headers, body)
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  elseif string.find(body, '"result":"ok"', 1, true) then
    oks = oks + 1
  else
    others = others + 1
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    io.write(string.format("checkin_wrk thread %d %d %d %d %d\n", thread:get("id"),
      thread:get("sent"), thread:get("oks"), thread:get("others"), thread:get("bad")))
  end
  local e = summary.errors
  io.write(string.format("checkin_wrk summary %d %d %d %d %d %d %d %d %d %d\n",
    summary.duration, summary.requests, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def wrk_gates(port: int, setup: Setup, badges: list[str], duration: float, folder: Path):
    """The timed phase through wrk, one thread a CPU; (tally, badges sent)."""
    threads = max(1, min(os.cpu_count() or 1, len(setup.tokens)))
    (folder / "badges.txt").write_text("\n".join(badges) + "\n")
    (folder / "tokens.txt").write_text("\n".join(setup.tokens) + "\n")
    (folder / "scan.lua").write_text(WRK_SCRIPT)
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(len(setup.tokens)),
        "-d",
        f"{max(1, round(duration))}s",
    ]
    command += ["--timeout", f"{REQUEST_TIMEOUT:.0f}s", "-s", str(folder / "scan.lua")]
    command += [f"http://127.0.0.1:{port}{SCAN_PATH}", "--", str(folder / "badges.txt")]
    command += [str(folder / "tokens.txt"), str(setup.checkpoint_id), uuid.uuid4().hex[:8]]
    command += [str(threads)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [
        line.split()[1:] for line in finished.stdout.splitlines() if line.startswith("checkin_wrk")
    ]
    if finished.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed:\n{finished.stdout}\n{finished.stderr}")
    return _wrk_tally(lines, badges, threads, before, after)


def _wrk_tally(lines, badges: list[str], threads: int, before, after) -> tuple[Tally, Counter]:
    tally, sent = Tally(), Counter()
    slices = [badges[n::threads] for n in range(threads)]
    oks = others = bad = unanswered = rescans = 0
    socket_errors = [0] * 5  # connect, read, write, status, timeout
    for kind, *numbers in lines:
        values = [int(float(number)) for number in numbers]
        if kind == "thread":
            thread, count, thread_oks, thread_others, thread_bad = values
            mine = slices[thread]
            for index in range(count):
                sent[mine[index % len(mine)]] += 1
            rescans += max(0, count - len(mine))
            oks, others, bad = oks + thread_oks, others + thread_others, bad + thread_bad
            unanswered += count - thread_oks - thread_others - thread_bad
        else:
            micros, requests, *socket_errors, p50, p99, longest = values
            tally.wall = micros / 1e6
            tally.reported_latency = (p50 / 1e6, p99 / 1e6, longest / 1e6)
    tally.answered = oks + others + bad
    tally.results = Counter({OK: oks, "other than ok": others, "non-200": bad})
    tally.errors = max(0, others - rescans) + bad + sum(socket_errors[:3]) + socket_errors[4]
    tally.unanswered = unanswered
    tally.rescans = rescans
    tally.client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return tally, sent


# --- the phases --------------------------------------------------------------------


def latency_figures(tally: Tally) -> tuple[float, float, float, float]:
    """(p50, p90, p99, max) in seconds."""
    if tally.reported_latency is not None:
        p50, p99, longest = tally.reported_latency
        return p50, float("nan"), p99, longest
    samples = tally.latencies
    return (
        percentile(samples, 0.5),
        percentile(samples, 0.9),
        percentile(samples, 0.99),
        max(samples, default=float("nan")),
    )


def describe(label: str, tally: Tally, meter: Meter, cpu: dict[str, float | None]) -> None:
    per_s = tally.answered / tally.wall if tally.wall else 0.0
    results = ", ".join(f"{name}={count}" for name, count in tally.results.most_common() if count)
    print(f"[{label}] {tally.answered} answers in {tally.wall:.2f} s = {per_s:.1f}/s; {results}")
    figures = zip(("p50", "p90", "p99", "max"), latency_figures(tally), strict=True)
    latency = " ".join(
        f"{name}={seconds * 1000:.1f}" for name, seconds in figures if not math.isnan(seconds)
    )
    connections = f"; {tally.connections} connections" if tally.connections else ""
    print(f"  latency {latency} ms{connections}; errors={tally.errors}")
    spent = ", ".join(
        f"{name} {seconds:.1f} s" for name, seconds in cpu.items() if seconds is not None
    )
    budget = tally.wall * (os.cpu_count() or 1)
    print(f"  CPU: {spent} (of {budget:.0f} CPU-seconds: {os.cpu_count()} CPUs)")
    rest = cpu.get("rest of the machine")
    if rest is not None:
        busiest = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in meter.others)
        others = rest - meter.interrupts - meter.steal
        gone = others - meter.others_total
        print(
            f"  rest: interrupts {meter.interrupts:.1f} s, stolen by the host "
            f"{meter.steal:.1f} s, processes that came and went {max(gone, 0):.1f} s; "
            f"busiest others: {busiest or 'none'}"
        )
        if others + meter.steal > NOISE_SHARE * budget:
            print(
                f"  NOISY: other processes and the host took {others + meter.steal:.1f} "
                f"CPU-seconds (over {NOISE_SHARE:.0%} of the machine): these figures are disturbed"
            )
    if tally.answered:
        workers = cpu.get("gunicorn workers")
        if workers is not None:
            print(f"  gunicorn workers: {workers / tally.answered * 1000:.2f} ms CPU an answer")
    for sample in tally.samples:
        print(f"  error: {sample}")


def floor_phase(args, settings: ServerSettings, setup: Setup, url: str, folder: Path) -> Tally:
    with gunicorn(FLOOR_SPEC, settings, url, folder) as (port, master):
        print(f"[floor] {settings.describe()} serving {FLOOR_SPEC} on 127.0.0.1:{port}")
        tokens = setup.tokens[: args.gates]

        def floor_badges() -> Badges:  # the very requests the scans send
            return Badges(setup.secrets, setup.checkpoint_id, OK)

        python_gates(port, tokens, floor_badges().take, FLOOR_WARMUP_SECONDS)
        meter = Meter(master)
        if args.client == "wrk":
            tally, _sent = wrk_gates(port, setup, setup.secrets, args.duration, folder)
        else:
            tally = python_gates(port, tokens, floor_badges().take, args.duration)
        cpu = meter.stop(tally.client_cpu)
    describe("floor", tally, meter, cpu)
    return tally


def scan_phase(args, settings: ServerSettings, setup: Setup, url: str, folder: Path):
    """Warm-up and the timed rush; (warm-up tally, rush tally, badges sent in all)."""
    warm_count = WARMUP_SCANS * args.gates
    warm_badges = Badges(setup.secrets[:warm_count], setup.checkpoint_id)
    rush_secrets = setup.secrets[warm_count:]
    with gunicorn(APP_SPEC, settings, url, folder) as (port, master):
        print(f"[scans] {settings.describe()} serving {APP_SPEC} on 127.0.0.1:{port}")
        warm = python_gates(port, setup.tokens, warm_badges.take, REQUEST_TIMEOUT, warm_count)
        print(
            f"[warm-up] {warm.answered} scans, {warm.wall:.2f} s: "
            + ", ".join(f"{k}={v}" for k, v in warm.results.items())
        )
        meter = Meter(master, backend_pids(url))
        if args.client == "wrk":
            rush, sent = wrk_gates(port, setup, rush_secrets, args.duration, folder)
            rescans = rush.rescans
        else:
            badges = Badges(rush_secrets, setup.checkpoint_id)
            rush = python_gates(port, setup.tokens, badges.take, args.duration)
            sent, rescans = badges.sent, badges.rescans
        cpu = meter.stop(rush.client_cpu)
    describe("scans", rush, meter, cpu)
    if rescans:
        print(
            f"  RE-SCANS: the {len(rush_secrets)} badges ran out, {rescans} scans were repeats "
            "(raise --registrations)"
        )
    if rush.unanswered:
        print(f"  {rush.unanswered} scans were in flight when wrk stopped (sent, never read)")
    return warm, rush, sent + warm_badges.sent


# --- in-process profile ------------------------------------------------------------

LAYERS = [
    ("psycopg: driver and waiting for PostgreSQL", ("psycopg",)),
    ("SQLAlchemy (ORM and Core)", ("sqlalchemy",)),
    ("Flask-Limiter and limits", ("flask_limiter", "/limits/")),
    ("Flask-Babel and Babel", ("flask_babel", "/babel/")),
    ("Flask-Login, Flask-WTF, Flask-SQLAlchemy", ("flask_login", "flask_wtf", "flask_sqlalchemy")),
    ("Flask and Werkzeug", ("/flask/", "/werkzeug/")),
    ("json", ("/json/", "_json")),
    ("Huiwu code", (str(ROOT / "events"), str(ROOT / "registration"), str(ROOT / "app.py"))),
]

#: (label, end of the file's path, function): cumulative time, whatever calls it.
STEPS = [
    ("doorway (a device's everyday scan, before Flask)", "checkin/doorway.py", "__call__"),
    ("  express lane: one statement", "checkin/express.py", "admit"),
    ("    pool checkout and return", "sqlalchemy/pool/base.py", "_checkout"),
    ("  the answer's dict (express_answer)", "checkin/api.py", "express_answer"),
    ("  the answer's JSON and headers", "checkin/doorway.py", "_respond"),
    ("whole request (Flask.wsgi_app)", "flask/app.py", "wsgi_app"),
    ("  pool checkout (pre-ping)", "sqlalchemy/pool/base.py", "_checkout"),
    ("  rate limiter", "flask_limiter/extension.py", "_check_request_limit"),
    ("  locale selection", "events/i18n.py", "select_locale"),
    ("  device token: device_for_token", "checkin/devices.py", "device_for_token"),
    ("  checkpoint_for", "checkin/services.py", "checkpoint_for"),
    ("  record_scan (all of the scan, commit included)", "checkin/services.py", "record_scan"),
    ("    attempt_for_nonce", "checkin/services.py", "attempt_for_nonce"),
    ("    _find (the registration by its secret)", "checkin/services.py", "_find"),
    ("    _refusal", "checkin/services.py", "_refusal"),
    ("    admitted_at", "checkin/services.py", "admitted_at"),
    ("    _admit (the check-in)", "checkin/services.py", "_admit"),
    ("    _log (the scan attempt)", "checkin/services.py", "_log"),
    ("    answer (the answer's dict)", "checkin/api.py", "answer"),
    ("      result_message (gettext)", "checkin/api.py", "result_message"),
    ("      _person", "checkin/api.py", "_person"),
    ("    Session.flush", "sqlalchemy/orm/session.py", "flush"),
    ("    Session.commit", "sqlalchemy/orm/session.py", "commit"),
    ("  jsonify", "flask/json/__init__.py", "jsonify"),
    ("  teardown: Session.remove", "sqlalchemy/orm/scoping.py", "remove"),
    ("SQLAlchemy statement execution", "sqlalchemy/engine/base.py", "_execute_context"),
    ("  of which psycopg Cursor.execute", "psycopg/cursor.py", "execute"),
    ("ORM loads of expired attributes", "sqlalchemy/orm/loading.py", "load_scalar_attributes"),
    ("ORM lazy loads of relationships", "sqlalchemy/orm/strategies.py", "_load_for_state"),
    ("psycopg Connection.commit", "psycopg/connection.py", "commit"),
]


def _environ(token: str, body: bytes) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": SCAN_PATH,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


class Statements:
    """Counts and times what SQLAlchemy hands the driver."""

    def __init__(self, engine):
        self.count = 0
        self.seconds = 0.0
        self._started = 0.0
        sa_event.listen(engine, "before_cursor_execute", self._before)
        sa_event.listen(engine, "after_cursor_execute", self._after)

    def reset(self) -> None:
        self.count, self.seconds = 0, 0.0

    def _before(self, *_args) -> None:
        self.count += 1
        self._started = time.perf_counter()

    def _after(self, *_args) -> None:
        self.seconds += time.perf_counter() - self._started


@contextmanager
def round_trips():
    """Everything psycopg sends PostgreSQL meanwhile (each one a round trip), in order.

    Wraps ``Cursor.execute`` (statements, the pool's pre-ping) and the
    connection's internal commands (BEGIN, COMMIT, ROLLBACK) for the bench
    process only.
    """
    sent: list[str] = []
    connection, cursor = psycopg.Connection, psycopg.Cursor
    exec_command, execute = connection._exec_command, cursor.execute
    own_command = "_exec_command" in vars(connection)

    def command(self, query, *args, **kwargs):
        sent.append(query.decode() if isinstance(query, bytes) else str(query))
        return exec_command(self, query, *args, **kwargs)  # a generator: sent when run

    def statement(self, query, *args, **kwargs):
        try:
            return execute(self, query, *args, **kwargs)
        finally:  # after the BEGIN that execute may send first
            sent.append(query.decode() if isinstance(query, bytes) else str(query))

    connection._exec_command, cursor.execute = command, statement
    try:
        yield sent
    finally:
        cursor.execute = execute
        if own_command:
            connection._exec_command = exec_command
        else:
            del connection._exec_command


class InProcess:
    """Scans through the WSGI app itself: no HTTP, no server, one after another."""

    def __init__(self, app, setup: Setup):
        self.app = app
        self.badges = Badges(setup.secrets, setup.checkpoint_id)
        self.token = setup.tokens[0]

    def prepare(self, count: int) -> list[tuple[dict, str]]:
        jobs = [self.badges.take() for _ in range(count)]
        return [(_environ(self.token, job.body), job.expect) for job in jobs]

    def run(self, batch: list[tuple[dict, str]]) -> None:
        for environ, expect in batch:
            status: list[str] = []
            chunks = self.app(environ, lambda code, _headers, *_, s=status: s.append(code))
            body = b"".join(chunks)
            getattr(chunks, "close", lambda: None)()
            if not status[0].startswith("200") or json.loads(body)["result"] != expect:
                raise RuntimeError(f"scan failed: {status[0]} {body[:300]!r}")


def profile(app, setup: Setup, scans: int) -> None:
    """A plain timed pass, one scan's round trips, a pass under cProfile; the breakdown."""
    scanner = InProcess(app, setup)
    with app.app_context():
        statements = Statements(db.engine)
    scanner.run(scanner.prepare(100))  # imports, the connection, statement caches
    batch = scanner.prepare(scans)
    statements.reset()
    cpu, start = time.process_time(), time.perf_counter()
    scanner.run(batch)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    per = 1000 / scans
    one = scanner.prepare(1)
    with round_trips() as sent:
        scanner.run(one)
    print(f"[profile] {scans} scans in-process (no HTTP), one after another, no profiler:")
    print(
        f"  {wall * per:.2f} ms a scan, {cpu * per:.2f} ms of it CPU in this process; "
        f"{len(sent)} round trips to PostgreSQL a scan, {statements.count / scans:.1f} of them "
        f"statements through SQLAlchemy taking {statements.seconds * per:.2f} ms a scan "
        "in cursor.execute"
    )
    print("  one scan's round trips, in order:")
    for number, what in enumerate(sent, 1):
        print(f"    {number:2}. {_shorten(what)}")

    batch = scanner.prepare(scans)
    profiler = cProfile.Profile()
    profiler.enable()
    scanner.run(batch)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())
    print(f"[profile] the same again under cProfile ({total * per:.2f} ms a scan profiled):")
    _print_layers(stats, total, scans)
    _print_steps(stats, scans)
    _print_top(stats, scans)


def _layer(filename: str, name: str) -> str:
    where = f"{filename} {name}"
    for layer, marks in LAYERS:
        if any(mark in where for mark in marks):
            return layer
    return "other (stdlib: uuid, hashlib, datetime, enum, …)"


def _print_layers(stats: pstats.Stats, total: float, scans: int) -> None:
    layers: Counter = Counter()
    for (filename, _line, name), row in stats.stats.items():
        layers[_layer(filename, name)] += row[2]
    print("  own time by layer, ms a scan and share:")
    for layer, seconds in layers.most_common():
        print(f"    {seconds * 1000 / scans:6.2f} ms {seconds / total:6.1%}  {layer}")


def _print_steps(stats: pstats.Stats, scans: int) -> None:
    print("  by step, cumulative (ms a scan, calls a scan):")
    for label, path, function in STEPS:
        rows = [
            row
            for (filename, _line, name), row in stats.stats.items()
            if name == function and filename.endswith(path)
        ]
        if rows:
            calls = sum(row[1] for row in rows)
            cumulative = max(row[3] for row in rows)  # recursion counts once
            print(f"    {cumulative * 1000 / scans:6.2f} ms {calls / scans:5.1f}x  {label}")


def _print_top(stats: pstats.Stats, scans: int) -> None:
    print("  top 25 functions by own time (ms a scan, calls a scan):")
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:25]
    for (filename, line, name), row in rows:
        where = filename.replace(str(ROOT) + "/", "").split("site-packages/")[-1]
        print(f"    {row[2] * 1000 / scans:6.3f} {row[1] / scans:6.1f}x  {name} ({where}:{line})")


def _shorten(statement: str, width: int = 160) -> str:
    """One line; a SELECT's column list (up to its own FROM) left out."""
    statement = " ".join(statement.split())
    if statement.startswith("SELECT "):
        depth, at = 0, len(statement)
        for index, char in enumerate(statement):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0 and statement.startswith(" FROM ", index):
                at = index
                break
        columns = statement[7:at]
        if at < len(statement) and len(columns) > 40:
            statement = f"SELECT <{columns.count(',') + 1} columns>{statement[at:]}"
    return statement if len(statement) <= width else statement[: width - 1] + "…"


# --- main --------------------------------------------------------------------------


def measure(url: str, args, settings: ServerSettings) -> str:
    with tempfile.TemporaryDirectory(prefix="huiwu-bench-") as folder:
        app = make_app(url, Path(folder))
        started = time.perf_counter()
        setup = seed(app, args.registrations, args.gates)
        print(
            f"[seed] {args.registrations} confirmed registrations, {len(CATEGORIES)} categories, "
            f"1 checkpoint, {args.gates} device tokens in {time.perf_counter() - started:.1f} s"
        )
        if args.profile:
            profile(app, setup, args.profile)
            with app.app_context():
                db.drop_all()
                db.engine.dispose()
            return ""
        floor = floor_phase(args, settings, setup, url, Path(folder))
        warm, rush, sent = scan_phase(args, settings, setup, url, Path(folder))
        verdict = verify(app, setup.event_id, sent)
        with app.app_context():
            db.drop_all()
            db.engine.dispose()
    return report(floor, warm, rush, verdict)


def report(floor: Tally, warm: Tally, rush: Tally, verdict: Verdict) -> str:
    ok_answers = warm.results[OK] + rush.results[OK]
    answers_200 = warm.answered + rush.answered - _non_200(warm) - _non_200(rush)
    print(
        f"[database] check-ins in state 'in'={verdict.admitted}, ok answers={ok_answers} "
        f"(warm-up {warm.results[OK]}); duplicate (registration, checkpoint) pairs="
        f"{verdict.duplicate_pairs}; admitted more often than scanned={verdict.over_admitted}"
    )
    print(
        f"  scan attempts logged={verdict.attempts}, 200 answers={answers_200}; "
        f"by result: {dict(sorted(verdict.attempt_results.items()))}"
    )
    unread = rush.unanswered  # wrk drops what is in flight when it stops
    if not ok_answers <= verdict.admitted <= ok_answers + unread:
        print(f"  MISMATCH: {verdict.admitted} admitted, {ok_answers} ok answers")
    if not answers_200 <= verdict.attempts <= answers_200 + unread:
        print(f"  MISMATCH: {verdict.attempts} attempts logged, {answers_200} answered")
    if unread:
        print(f"  ({unread} scans unread by wrk may account for as many more rows)")
    scans_per_s = rush.answered / rush.wall
    floor_per_s = floor.answered / floor.wall
    ratio = scans_per_s / floor_per_s
    p50, _p90, p99, _max = latency_figures(rush)
    errors = rush.errors + warm.errors + floor.errors
    print(
        "[targets] ratio >= 0.30: {}; p99 < 50 ms: {}; errors 0: {}; double 0: {}".format(
            *(
                "yes" if passed else "NO"
                for passed in (ratio >= 0.30, p99 * 1000 < 50, errors == 0, verdict.double == 0)
            )
        )
    )
    return (
        f"checkin_rush: scans_per_s={scans_per_s:.1f} p50_ms={p50 * 1000:.1f} "
        f"p99_ms={p99 * 1000:.1f} floor_per_s={floor_per_s:.1f} ratio={ratio:.2f} "
        f"errors={errors} double={verdict.double}"
    )


def _non_200(tally: Tally) -> int:
    return sum(count for name, count in tally.results.items() if name.startswith(("HTTP", "non")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gates", type=int, default=32)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of scanning")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--worker-class",
        choices=("sync", "gthread"),
        default="sync",
        help="sync (default): as in production, a connection per request; gthread: keep-alive",
    )
    parser.add_argument("--threads", type=int, help="gthread only (default 4)")
    parser.add_argument("--registrations", type=int, default=40_000)
    parser.add_argument("--client", choices=("python", "wrk"), default="python")
    parser.add_argument("--database-url", help="PostgreSQL URL (its tables are recreated)")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="profile N scans in-process instead"
    )
    args = parser.parse_args()
    if args.worker_class == "sync" and args.threads not in (None, 1):
        parser.error("sync workers have one thread: use --worker-class gthread")
    threads = args.threads or (4 if args.worker_class == "gthread" else 1)
    settings = ServerSettings(args.workers, args.worker_class, threads)
    needed = 2 * args.profile + 101 if args.profile else WARMUP_SCANS * args.gates + 1
    if args.registrations < needed:
        parser.error(f"--registrations must be at least {needed}")
    if importlib.util.find_spec("gunicorn") is None:
        print("checkin_rush: skipped (gunicorn is not installed: pip install -e '.[dev]')")
        return
    if args.client == "wrk" and shutil.which("wrk") is None:
        print("checkin_rush: skipped (--client wrk, but wrk is not installed: apt-get install wrk)")
        return
    with postgres(args.database_url) as (url, where):
        if url is None:
            print(f"checkin_rush: skipped ({where})")
            return
        print(f"[database] {postgres_settings(url)}: {where}")
        line = measure(url, args, settings)
    if line:
        print(line)


if __name__ == "__main__":
    main()
