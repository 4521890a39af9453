"""The registration opening rush: public sign-ups from many browsers at once.

Serves the app with gunicorn (``--workers 2``, sync workers, the production
command) on PostgreSQL and sends ``--signups`` people (default 1,000) from
``--clients`` concurrent clients (default 50) at one event whose only public
category has a ``--quota`` (default 300) smaller than demand, without approval.
PostgreSQL is the URL given with ``--database-url`` (its tables are
recreated), else a throwaway database on the server at 127.0.0.1:5432 when it
trusts local connections (dropped afterwards), else a throwaway cluster from
``/usr/lib/postgresql/*/bin`` (fsync off), else the run is skipped with the
reason printed.

Each person is a fresh browser with its own cookies: it GETs the form (the
session cookie and the ``csrf_token`` come with it) and POSTs it with a
generated Chinese name, organisation, unique mobile and, three times in four,
an email address. Mail goes to the console backend and, with ``--mail
watcher`` (default, as README recommends for openings), is sent by ``nice -n
19 flask outbox watch`` beside gunicorn, whose workers then send nothing (the
bench starts measuring once it says it watches, as a watcher in production
runs long before a rush); after the rush the bench waits until the outbox is
empty and prints when the last message went and the watcher's CPU. ``--mail thread`` keeps each
worker's sender thread. A 302 to ``/r/<token>`` is a sign-up done. When the category
is full the page re-renders offering the waiting list and the person clicks
"Join the waiting list" once: with ``--waitlist-post browser`` (default) the
POST carries what a browser sends, any hidden ``waitlist`` input of the page
and then the button's ``waitlist=yes`` (an earlier page had a hidden input
that a browser posted first, so nobody could join); ``single`` sends
``waitlist=yes`` alone, as the test suite does. The redirect target, the event pages and static
assets are not fetched; Flask-Limiter's sign-up limit (10 a minute per IP,
and every client here is 127.0.0.1) is switched off with
``HUIWU_RATELIMIT_ENABLED=false``.

A warm-up event (no quota) takes two sign-ups per client first. The baseline
is ``GET /static/css/app.css`` (the app has no health endpoint) from the same
clients and server; the ratio says how many of those one sign-up costs.
Latencies are client-side, connection included (sync workers close every
connection); the load generator shares the machine's CPUs and its CPU time
is printed. Afterwards the database is counted: place holders (confirmed
and pending) against the quota, and the waiting list. The last line:

    registration_rush: signups_per_s=… p99_ms=… confirmed=… quota=… oversold=0

``signups_per_s`` counts 302s over the rush's wall time; ``p99_ms`` is over
every POST of the rush, the waiting-list ones included (their latencies are
printed too: the sign-up POSTs, those given a place, those refused, and the
waiting-list POSTs). Targets: at least 100 sign-ups per second, p99 under
250 ms, nobody oversold.

    .venv/bin/python bench/registration_rush.py [--clients 50] [--signups 1000]
        [--quota 300] [--workers 2] [--waitlist-post browser] [--mail watcher]
        [--database-url URL]
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import math
import os
import queue
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from app import create_app, db  # noqa: E402
from events.models import Category, Event, EventStatus  # noqa: E402
from registration.demo import POSITIONS, People  # noqa: E402
from registration.models import (  # noqa: E402
    EmailOutbox,
    MailStatus,
    Registration,
    RegistrationStatus,
)
from tests.pgserver import ThrowawayPostgres, find_bindir, free_port  # noqa: E402

RUSH_SLUG, WARMUP_SLUG = "rush", "rush-warmup"
REQUEST_KINDS = ("form_get", "signup_post", "waitlist_post")
DATABASE = "huiwu_rush_bench"
SECRET_KEY = "bench-" * 8
BASELINE_PATH = "/static/css/app.css"
CITIES = ["济南", "青岛", "烟台", "潍坊", "济宁", "临沂", "淄博", "威海", "北京", "上海"]
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
HIDDEN_WAITLIST = re.compile(r'name="waitlist" type="hidden" value="([^"]*)"')
WAITLIST_BUTTON = 'name="waitlist" value="yes"'
MANAGE_LINK = re.compile(r"^(?:http://[^/]+)?/r/[A-Za-z0-9_-]{43}$")


# --- the database ------------------------------------------------------------------


@contextmanager
def postgres(url: str | None):
    """Yield (SQLAlchemy URL, description), or (None, why not)."""
    if url:
        yield url, "the given --database-url"
    elif _local_server_trusts_us():
        yield from _local_database()
    elif find_bindir() is not None:
        server = ThrowawayPostgres(find_bindir()).start()
        try:
            yield server.create_database(DATABASE), "a throwaway cluster (fsync off)"
        finally:
            server.stop()
    else:
        yield None, "no --database-url, no server on 127.0.0.1:5432, no PostgreSQL binaries"


def _admin(**options):
    return psycopg.connect(
        host="127.0.0.1", port=5432, user="postgres", dbname="postgres", **options
    )


def _local_server_trusts_us() -> bool:
    try:
        with _admin(connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _local_database():
    with _admin(autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"
        yield url, "a throwaway database on the server at 127.0.0.1:5432"
    finally:
        with _admin(autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def make_app(url: str, folder: Path):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": SECRET_KEY,
        }
    )


def seed(app, quota: int) -> dict[str, int]:
    """Recreate the tables; the rush event and a warm-up event, open now. Category ids."""
    now = datetime.now(UTC)
    with app.app_context():
        db.drop_all()
        db.create_all()
        categories = {
            RUSH_SLUG: _event(RUSH_SLUG, "2030 儒商大会（抢报压测）", quota, now),
            WARMUP_SLUG: _event(WARMUP_SLUG, "预热活动", None, now),
        }
        db.session.commit()
        ids = {slug: category.id for slug, category in categories.items()}
        db.engine.dispose()
    return ids


def _event(slug: str, title: str, quota: int | None, now: datetime) -> Category:
    event = Event(
        slug=slug,
        status=EventStatus.PUBLISHED,
        title_zh=title,
        starts_at=now + timedelta(days=30),
        ends_at=now + timedelta(days=32),
        registration_opens_at=now - timedelta(hours=1),
        registration_closes_at=now + timedelta(days=7),
    )
    category = Category(event=event, code="delegate", name_zh="代表", name_en="Delegate")
    category.quota = quota
    db.session.add_all([event, category])
    return category


def count_in_database(app, category_id: int) -> Counter:
    """Registrations of the category by status, as the database has them."""
    with app.app_context():
        rows = db.session.execute(
            db.select(Registration.status, db.func.count(Registration.id))
            .where(Registration.category_id == category_id)
            .group_by(Registration.status)
        ).all()
        db.engine.dispose()
    return Counter({status: count for status, count in rows})


# --- the server --------------------------------------------------------------------


def server_env(url: str, folder: Path, mail: str) -> dict[str, str]:
    """The environment of the web server and of the outbox watcher."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "HUIWU_INSTANCE_PATH": str(folder),
        "HUIWU_RATELIMIT_ENABLED": "false",
        "HUIWU_MAIL_BACKEND": "console",
        "HUIWU_MAIL_SEND_AFTER_RESPONSE": mail,
    }


@contextmanager
def gunicorn(env: dict[str, str], workers: int, folder: Path, threads: int = 1):
    """Serve ``app:create_app()`` on a free port; yield (port, master process)."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads)]
    command += ["-b", f"127.0.0.1:{port}", "app:create_app()"]
    log_path = folder / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        _wait_until_serving(port, process, log_path)
        yield port, process
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def outbox_watcher(env: dict[str, str], folder: Path):
    """``flask outbox watch`` at the lowest priority, as README suggests; yield its process."""
    command = ["nice", "-n", "19", sys.executable, "-m", "flask", "--app", "app"]
    command += ["outbox", "watch", "--interval", "0.2"]
    log_path = folder / "watcher.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        _wait_until_watching(process, log_path)
        yield process
    finally:
        _stop(process)


def _wait_until_watching(process: subprocess.Popen, log_path: Path) -> None:
    """Until the watcher says it watches: at nice 19 its start-up, starved by the
    warm-up, would otherwise run into the rush (a watcher starts long before one)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if b"Watching the outbox" in log_path.read_bytes():
            return
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"the outbox watcher did not start:\n{log_path.read_text()[-3000:]}")


def drain_outbox(app, watcher: subprocess.Popen | None, rush_ended: float) -> None:
    """Wait for the watcher to send every message; say when the last went and its CPU."""
    if watcher is None:
        return
    waiting = None
    while time.monotonic() - rush_ended < 300:
        with app.app_context():
            waiting = db.session.execute(
                db.select(db.func.count(EmailOutbox.id)).where(
                    EmailOutbox.status.in_([MailStatus.PENDING, MailStatus.SENDING])
                )
            ).scalar_one()
            db.session.remove()
        if waiting == 0 or watcher.poll() is not None:
            break
        time.sleep(0.1)
    with app.app_context():
        sent = db.session.execute(
            db.select(db.func.count(EmailOutbox.id)).where(EmailOutbox.status == MailStatus.SENT)
        ).scalar_one()
        db.engine.dispose()
    cpu = process_cpu_seconds(watcher.pid)
    print(
        f"[mail] outbox watcher (nice 19): {sent} sent, {waiting} still queued, the last "
        f"{time.monotonic() - rush_ended:.1f} s after the rush; its CPU {cpu or 0:.1f} s"
    )


def _wait_until_serving(port: int, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
        try:
            if Browser(port).get(BASELINE_PATH).status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in 60 s:\n{log_path.read_text()[-3000:]}")


def workers_cpu_seconds(master: subprocess.Popen) -> float | None:
    """User plus system CPU of gunicorn's workers so far (Linux /proc), else None."""
    try:
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    except OSError:
        return None
    seconds = [process_cpu_seconds(int(pid)) for pid in children]
    return None if None in seconds else sum(seconds)


def process_cpu_seconds(pid: int) -> float | None:
    """User plus system CPU of one process so far (Linux /proc), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    except (OSError, ValueError, IndexError):
        return None


# --- the clients -------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    location: str
    body: str
    seconds: float


class Browser:
    """One person's browser: its own cookies, a new connection per request."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def get(self, path: str) -> Reply:
        return self._request("GET", path, None)

    def post(self, path: str, fields: list[tuple[str, str]]) -> Reply:
        return self._request("POST", path, urlencode(fields).encode())

    def _request(self, method: str, path: str, body: bytes | None) -> Reply:
        headers = {"Accept-Language": "zh-CN,zh;q=0.9"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        seconds = time.perf_counter() - start
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies.update({k: m.value for k, m in SimpleCookie(header).items()})
        return Reply(response.status, response.getheader("Location", ""), text, seconds)


@dataclass
class Tally:
    """What one client thread saw; merged after the phase."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    outcomes: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def record(self, kind: str, reply: Reply) -> Reply:
        self.latencies.setdefault(kind, []).append(reply.seconds)
        return reply

    def merge(self, other: Tally) -> None:
        for kind, samples in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(samples)
        self.outcomes.update(other.outcomes)
        self.errors.extend(other.errors)


def people(count: int, first_number: int, seed_value: int) -> list[list[tuple[str, str]]]:
    """Form fields of ``count`` distinct people; mobiles count up from ``first_number``."""
    rng = random.Random(seed_value)  # noqa: S311 -- reproducible fiction
    generator = People(rng, set())
    crowd = []
    for number in range(first_number, first_number + count):
        name, latin = generator.name()
        email = generator.email(latin)
        crowd.append(
            [
                ("name", name),
                ("name_en", latin),
                ("organisation", generator.organisation(rng.choice(CITIES))),
                ("position", rng.choice(POSITIONS)),
                ("mobile", f"+86139{number:08d}"),
                ("email", email or ""),
                ("consent", "y"),
            ]
        )
    return crowd


def sign_up(port: int, slug: str, category_id: int, person, style: str, tally: Tally) -> None:
    """One person: fetch the form, send it, join the waiting list once if offered."""
    opened = open_form(port, slug, tally)
    if opened is not None:
        submit(opened, category_id, person, style, tally)


def open_form(port: int, slug: str, tally: Tally):
    """A fresh browser on the sign-up page: (browser, path, page), or None on an error."""
    browser, path = Browser(port), f"/e/{slug}/register"
    page = tally.record("form_get", browser.get(path))
    if page.status != 200 or CSRF.search(page.body) is None:
        return _error(tally, "form", page)
    return browser, path, page


def submit(opened, category_id: int, person, style: str, tally: Tally) -> None:
    """Send the form from an opened page; join the waiting list once if offered."""
    browser, path, page = opened
    token = CSRF.search(page.body).group(1)
    hidden = [("waitlist", value) for value in HIDDEN_WAITLIST.findall(page.body)]
    fields = [("csrf_token", token), *hidden, ("category", str(category_id))]
    reply = tally.record("signup_post", browser.post(path, fields + person))
    # The same POSTs again, by outcome: places are given under the quota lock.
    tally.record(" placed" if _done(reply) else " refused", reply)
    if _done(reply):
        tally.outcomes["placed"] += 1
    elif reply.status == 200 and WAITLIST_BUTTON in reply.body:
        tally.outcomes["offered_waitlist"] += 1
        _join_waitlist(browser, path, category_id, person, reply, style, tally)
    else:
        _error(tally, "sign-up", reply)


def _join_waitlist(browser, path, category_id, person, page: Reply, style, tally) -> None:
    token = CSRF.search(page.body).group(1)
    if style == "browser":  # any hidden "waitlist" input is posted before the button
        hidden = [("waitlist", value) for value in HIDDEN_WAITLIST.findall(page.body)]
        choice = [*hidden, ("waitlist", "yes")]
    else:
        choice = [("waitlist", "yes")]
    fields = [("csrf_token", token), *choice, ("category", str(category_id))]
    reply = tally.record("waitlist_post", browser.post(path, fields + person))
    if _done(reply):
        tally.outcomes["waitlisted"] += 1
    elif reply.status == 200 and WAITLIST_BUTTON in reply.body:
        tally.outcomes["offered_waitlist_again"] += 1
    else:
        _error(tally, "waiting list", reply)


def _done(reply: Reply) -> bool:
    return reply.status == 302 and bool(MANAGE_LINK.match(reply.location))


def _error(tally: Tally, step: str, reply: Reply) -> None:
    tally.outcomes["errors"] += 1
    if len(tally.errors) < 3:
        snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", reply.body))[:200]
        tally.errors.append(f"{step}: HTTP {reply.status} {reply.location} {snippet}")


def run_clients(clients: int, jobs: list, work) -> tuple[Tally, float]:
    """Run ``work(job, tally)`` for every job on ``clients`` threads; (tally, wall seconds)."""
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for job in jobs:
        pending.put(job)
    tallies = [Tally() for _ in range(clients)]
    start_line = threading.Barrier(clients + 1)

    def client(tally: Tally) -> None:
        start_line.wait()
        while True:
            try:
                job = pending.get_nowait()
            except queue.Empty:
                return
            try:
                work(job, tally)
            except (OSError, http.client.HTTPException) as error:
                tally.outcomes["errors"] += 1
                tally.errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=client, args=(t,)) for t in tallies]
    for thread in threads:
        thread.start()
    start_line.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total, wall


# --- figures -----------------------------------------------------------------------


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` 0.99 for p99)."""
    ordered = sorted(samples)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)] if ordered else float("nan")


def latency_line(kind: str, samples: list[float]) -> str:
    figures = " ".join(
        f"{name}={percentile(samples, share) * 1000:.0f}"
        for name, share in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))
    )
    return f"  {kind:14} n={len(samples):5} {figures} max={max(samples) * 1000:.0f} ms"


def baseline(port: int, clients: int, requests: int) -> float:
    """Requests per second of the static file through the same server and clients."""

    def fetch(_job, tally: Tally) -> None:
        reply = tally.record("static_get", Browser(port).get(BASELINE_PATH))
        if reply.status != 200:
            _error(tally, "baseline", reply)

    run_clients(clients, range(clients), fetch)  # warm-up
    tally, wall = run_clients(clients, range(requests), fetch)
    rps = requests / wall
    print(f"[baseline] GET {BASELINE_PATH}: {requests} requests in {wall:.2f} s = {rps:.0f}/s")
    print(latency_line("static_get", tally.latencies["static_get"]))
    return rps


def warm_up(port: int, clients: int, category_id: int, style: str) -> None:
    crowd = people(2 * clients, 90_000_000, seed_value=7)

    def work(person, tally: Tally) -> None:
        sign_up(port, WARMUP_SLUG, category_id, person, style, tally)

    tally, wall = run_clients(clients, crowd, work)
    print(f"[warm-up] {len(crowd)} sign-ups at /e/{WARMUP_SLUG}, {wall:.2f} s: {_outcomes(tally)}")


def rush(port: int, master, args, category_id: int) -> tuple[Tally, float]:
    """The timed phase; with ``--flow opened`` every form was fetched just before it."""
    crowd = people(args.signups, 0, seed_value=2019)
    if args.flow == "opened":
        pages = open_all(port, args.clients, crowd)
        jobs = list(zip(pages, crowd, strict=True))

        def work(job, tally: Tally) -> None:
            submit(job[0], category_id, job[1], args.waitlist_post, tally)

    else:
        jobs = crowd

        def work(person, tally: Tally) -> None:
            sign_up(port, RUSH_SLUG, category_id, person, args.waitlist_post, tally)

    cpu_before, workers_before = time.process_time(), workers_cpu_seconds(master)
    tally, wall = run_clients(args.clients, jobs, work)
    bench_cpu = time.process_time() - cpu_before
    workers_after = workers_cpu_seconds(master)
    requests = sum(len(tally.latencies.get(kind, [])) for kind in REQUEST_KINDS)
    print(
        f"[rush] {args.signups} people from {args.clients} clients in {wall:.2f} s: "
        f"{args.signups / wall:.1f} people/s, {requests / wall:.0f} requests/s; {_outcomes(tally)}"
    )
    for kind in ("form_get", "signup_post", " placed", " refused", "waitlist_post"):
        if tally.latencies.get(kind):
            print(latency_line(kind, tally.latencies[kind]))
    if workers_before is not None and workers_after is not None:
        spent = workers_after - workers_before
        print(
            f"  CPU: gunicorn workers {spent:.1f} s "
            f"({spent / args.signups * 1000:.1f} ms a person), "
            f"this load generator {bench_cpu:.1f} s, over {wall:.1f} s on {os.cpu_count()} CPUs"
        )
    for error in tally.errors:
        print(f"  error: {error}")
    return tally, wall


def open_all(port: int, clients: int, crowd: list) -> list:
    """Everyone opens the sign-up page (untimed for the rush, reported on its own)."""
    pages: list = [None] * len(crowd)

    def work(index: int, tally: Tally) -> None:
        pages[index] = open_form(port, RUSH_SLUG, tally)

    tally, wall = run_clients(clients, range(len(crowd)), work)
    print(
        f"[forms] {len(crowd)} people open the form in {wall:.2f} s: "
        f"{len(crowd) / wall:.0f} pages/s; {_outcomes(tally) or 'no errors'}"
    )
    print(latency_line("form_get", tally.latencies["form_get"]))
    if None in pages:
        raise SystemExit("some forms could not be opened: see the errors above")
    return pages


def _outcomes(tally: Tally) -> str:
    return ", ".join(f"{name}={count}" for name, count in sorted(tally.outcomes.items()))


def report(tally: Tally, wall: float, base_rps: float, counts: Counter, quota: int) -> str:
    holders = counts[RegistrationStatus.CONFIRMED] + counts[RegistrationStatus.PENDING]
    done = tally.outcomes["placed"] + tally.outcomes["waitlisted"]
    signups_per_s = done / wall
    posts = tally.latencies.get("signup_post", []) + tally.latencies.get("waitlist_post", [])
    print(
        f"[database] holders (confirmed+pending)={holders} of quota={quota}, "
        f"waitlisted={counts[RegistrationStatus.WAITLISTED]}, "
        f"all statuses: {dict(sorted((s.value, n) for s, n in counts.items()))}"
    )
    if holders != tally.outcomes["placed"]:
        print(f"  MISMATCH: clients were given {tally.outcomes['placed']} places")
    if tally.outcomes["offered_waitlist_again"]:
        print(
            f"  WAITING LIST BROKEN: {tally.outcomes['offered_waitlist_again']} people clicked "
            "'Join the waiting list' and were offered it again, nothing saved"
        )
    print(
        f"[baseline] {base_rps:.0f} static requests/s; one sign-up costs "
        f"{base_rps / signups_per_s:.1f} of them ({signups_per_s:.1f} sign-ups done/s)"
    )
    return (
        f"registration_rush: signups_per_s={signups_per_s:.1f} "
        f"p99_ms={percentile(posts, 0.99) * 1000:.0f} confirmed={holders} quota={quota} "
        f"oversold={max(0, holders - quota)}"
    )


# --- main --------------------------------------------------------------------------


def measure(url: str, args) -> str:
    with tempfile.TemporaryDirectory(prefix="huiwu-bench-") as folder:
        app = make_app(url, Path(folder))
        categories = seed(app, args.quota)
        env = server_env(url, Path(folder), args.mail)
        with (
            gunicorn(env, args.workers, Path(folder), args.threads) as (port, master),
            outbox_watcher(env, Path(folder))
            if args.mail == "watcher"
            else nullcontext() as watcher,
        ):
            kind = "sync" if args.threads == 1 else f"gthread, {args.threads} threads each"
            print(f"[server] gunicorn -w {args.workers} ({kind}) on 127.0.0.1:{port}")
            print(f"[mail] sent by: {args.mail}")
            base_rps = baseline(port, args.clients, args.baseline_requests)
            warm_up(port, args.clients, categories[WARMUP_SLUG], args.waitlist_post)
            tally, wall = rush(port, master, args, categories[RUSH_SLUG])
            drain_outbox(app, watcher, time.monotonic())
        counts = count_in_database(app, categories[RUSH_SLUG])
        with app.app_context():
            db.drop_all()
            db.engine.dispose()
    return report(tally, wall, base_rps, counts, args.quota)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--signups", type=int, default=1000)
    parser.add_argument("--quota", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="more than 1: gthread workers")
    parser.add_argument("--baseline-requests", type=int, default=2000)
    parser.add_argument("--waitlist-post", choices=("browser", "single"), default="browser")
    parser.add_argument(
        "--flow",
        choices=("opened", "whole"),
        default="opened",
        help="opened: forms fetched before the timed rush; whole: each person fetches, then posts",
    )
    parser.add_argument(
        "--mail",
        choices=("watcher", "thread"),
        default="watcher",
        help="watcher: a niced `flask outbox watch` sends; thread: each worker's sender thread",
    )
    parser.add_argument("--database-url", help="PostgreSQL URL (its tables are recreated)")
    args = parser.parse_args()
    if importlib.util.find_spec("gunicorn") is None:
        print("registration_rush: skipped (gunicorn is not installed: pip install -e '.[dev]')")
        return
    with postgres(args.database_url) as (url, where):
        if url is None:
            print(f"registration_rush: skipped ({where})")
            return
        print(f"[database] PostgreSQL: {where}")
        line = measure(url, args)
    print(line)


if __name__ == "__main__":
    main()
