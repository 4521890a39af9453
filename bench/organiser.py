"""Organiser pages on a big event: the attendee list, searches and the full XLSX export.

Seeds one event with 20,000 registrations (generated Chinese names, E.164
mobiles, delegations, five categories, four custom questions with answers)
into a temporary SQLite database, and into PostgreSQL too: the URL given with
``--database-url``, else a throwaway cluster when the server binaries exist
(``/usr/lib/postgresql/*/bin``), else skipped with the reason printed.

Pages are served in-process through the test client, signed in as the
event's organiser; each figure is the median of several runs. Peak memory of
the export is measured in a fresh subprocess, after a warm-up export has
imported everything: the peak resident set size during one full export
(Linux ``VmHWM``, reset just before through ``/proc/self/clear_refs``) minus
the resident set size just before. It covers the whole process (database
driver, zip compression, the response body), not only Python objects.
``resource.getrusage``'s ``ru_maxrss`` is the fallback without ``/proc``;
it is not the default because Linux carries it over ``exec`` from the big
parent process. The last lines are one summary per database:

    organiser: db=sqlite list_ms=… search_mobile_ms=… search_name_ms=… export_s=… export_peak_mb=…

Targets: list and search pages under 150 ms; the export of 20,000 rows under
6 s with peak memory under 300 MB.

    .venv/bin/python bench/organiser.py [--rows 20000] [--runs 15] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from app import create_app, db  # noqa: E402
from events.models import Category, Event, EventKind, EventRole, EventStatus  # noqa: E402
from events.services import add_member, create_user  # noqa: E402
from registration.demo import POSITIONS, People  # noqa: E402
from registration.models import (  # noqa: E402
    Answer,
    Delegation,
    DelegationKind,
    DelegationStatus,
    Question,
    QuestionKind,
    Registration,
    RegistrationStatus,
)
from tests.pgserver import ThrowawayPostgres, find_bindir  # noqa: E402

ORGANISER = "bench-organiser@huiwu.example"
PEAK_METHODS = {
    "VmHWM": "/proc/self/status VmHWM after a reset through /proc/self/clear_refs, minus VmRSS",
    "ru_maxrss": "resource.getrusage ru_maxrss minus RSS before: an upper bound",
}
PASSWORD = "bench-password-2019"  # noqa: S105 -- a throwaway database
CITIES = ["济南", "青岛", "烟台", "潍坊", "济宁", "临沂", "淄博", "威海", "北京", "上海"]
CATEGORIES = [
    ("delegate", "代表", "Delegate", 0.70),
    ("guest", "嘉宾", "Guest of honour", 0.06),
    ("investor", "投资商", "Investor", 0.14),
    ("media", "媒体", "Media", 0.04),
    ("exhibitor", "参展商", "Exhibitor", 0.06),
]
STATUSES = [
    (RegistrationStatus.CONFIRMED, 0.70),
    (RegistrationStatus.PENDING, 0.10),
    (RegistrationStatus.WAITLISTED, 0.05),
    (RegistrationStatus.CANCELLED, 0.10),
    (RegistrationStatus.REJECTED, 0.05),
]
DIETS = [("none", "无", "None"), ("veg", "素食", "Vegetarian"), ("halal", "清真", "Halal")]
INTERESTS = [
    ("it", "新一代信息技术", "Information technology"),
    ("equipment", "高端装备", "Advanced equipment"),
    ("energy", "新能源新材料", "New energy and materials"),
    ("health", "医养健康", "Health care"),
    ("finance", "现代金融", "Finance"),
]


# --- seeding -----------------------------------------------------------------------


def seed(rows: int, seed_value: int = 2019) -> int:
    """Create the organiser and one event with ``rows`` registrations; returns the event id."""
    rng = random.Random(seed_value)  # noqa: S311 -- reproducible fiction
    organiser = create_user(ORGANISER, "会务组 压测", PASSWORD)
    event = Event(
        slug="rushang-bench",
        kind=EventKind.CONFERENCE,
        status=EventStatus.PUBLISHED,
        title_zh="儒商大会（压测）",
        title_en="Confucian Merchants Conference (bench)",
        starts_at=datetime(2030, 9, 25, 1, tzinfo=UTC),
        ends_at=datetime(2030, 9, 27, 10, tzinfo=UTC),
    )
    categories = [
        Category(event=event, code=code, name_zh=zh, name_en=en, position=position)
        for position, (code, zh, en, _share) in enumerate(CATEGORIES)
    ]
    db.session.add_all([event, *categories])
    add_member(event, organiser, EventRole.ORGANISER, owner=True)
    delegations = _delegations(event, rng)
    questions = _questions(event)
    db.session.flush()
    people = People(rng, set())
    registrations = [
        _registration(number, event, categories, delegations, people, rng)
        for number in range(1, rows + 1)
    ]
    db.session.execute(insert(Registration), registrations)
    answers = [
        answer
        for registration in registrations
        for answer in _answers(registration["id"], questions, rng)
    ]
    db.session.execute(insert(Answer), answers)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            text("SELECT setval(pg_get_serial_sequence('registration', 'id'), :n)"), {"n": rows}
        )
    db.session.commit()
    return event.id


def _delegations(event: Event, rng: random.Random) -> list[Delegation]:
    delegations = []
    for number, city in enumerate(CITIES * 4):
        delegation = Delegation(
            event=event,
            name=f"{city}第{number + 1}代表团",
            kind=DelegationKind.CHAMBER,
            region=city,
            status=DelegationStatus.APPROVED,
            leader_name="王立强",
            leader_mobile=f"+86139{rng.randrange(10**8):08d}",
        )
        delegations.append(delegation)
    db.session.add_all(delegations)
    return delegations


def _questions(event: Event) -> list[Question]:
    specs = [
        (QuestionKind.SINGLE_CHOICE, "饮食要求", "Dietary requirements", DIETS),
        (QuestionKind.MULTIPLE_CHOICE, "关注产业", "Sectors of interest", INTERESTS),
        (QuestionKind.TEXT, "抵达航班/车次", "Arrival flight or train", None),
        (QuestionKind.YES_NO, "是否需要住宿", "Needs a hotel room", None),
    ]
    questions = []
    for position, (kind, zh, en, options) in enumerate(specs):
        option_list = [{"key": k, "zh": z, "en": e} for k, z, e in options or []]
        question = Question(
            event=event, kind=kind, label_zh=zh, label_en=en, position=position, options=option_list
        )
        questions.append(question)
    db.session.add_all(questions)
    return questions


def _pick(rng: random.Random, weighted):
    return rng.choices([item for item, _w in weighted], [w for _i, w in weighted])[0]


def _registration(number, event, categories, delegations, people, rng) -> dict:
    name, latin = people.name()
    place = rng.choice(CITIES)
    created = datetime(2030, 7, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(60 * 24 * 80))
    return {
        "id": number,
        "event_id": event.id,
        "category_id": _pick(
            rng, list(zip(categories, [c[3] for c in CATEGORIES], strict=True))
        ).id,
        "delegation_id": rng.choice(delegations).id if rng.random() < 0.3 else None,
        "status": _pick(rng, STATUSES),
        "name": name,
        "name_en": latin,
        "organisation": people.organisation(place),
        "position": rng.choice(POSITIONS),
        "mobile": people.mobile(),
        "email": people.email(latin),
        "created_at": created,
        "updated_at": created,
    }


def _answers(registration_id: int, questions: list[Question], rng: random.Random) -> list[dict]:
    diet, interests, arrival, hotel = questions
    values = [
        (diet, rng.choice(DIETS)[0]),
        (interests, sorted({rng.choice(INTERESTS)[0] for _ in range(rng.randint(1, 3))})),
        (arrival, f"CA{rng.randrange(1000, 9999)}" if rng.random() < 0.6 else None),
        (hotel, rng.random() < 0.5),
    ]
    return [
        {
            "registration_id": registration_id,
            "question_id": question.id,
            "value": value,
            "snapshot": _snapshot(question),
            "question_version": 1,
        }
        for question, value in values
        if value is not None
    ]


def _snapshot(question: Question) -> dict:
    return {
        "label": {"zh": question.label_zh, "en": question.label_en},
        "options": {o["key"]: {"zh": o["zh"], "en": o["en"]} for o in question.options},
    }


# --- measuring ---------------------------------------------------------------------


def make_app(url: str, folder: Path):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": "bench-" * 8,
            "RATELIMIT_ENABLED": False,
        }
    )


def signed_in_client(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": ORGANISER, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.status_code
    return client


def fetch(client, url: str) -> bytes:
    response = client.get(url)
    body = response.get_data()  # drains a streamed body too
    assert response.status_code == 200, (url, response.status_code)
    return body


def median_seconds(client, url: str, runs: int) -> float:
    fetch(client, url)  # warm caches, templates and imports
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fetch(client, url)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def search_terms(app, event_id: int) -> tuple[str, str]:
    """A partial mobile as a person types it, and a two-character given name."""
    with app.app_context():
        mobile, name = db.session.execute(
            db.select(Registration.mobile, Registration.name)
            .where(Registration.event_id == event_id, db.func.length(Registration.name) == 3)
            .order_by(Registration.id)
            .limit(1)
        ).one()
    digits = mobile.removeprefix("+86")
    return f"{digits[:3]} {digits[3:7]}", name[1:]


def export_peak_mb(url: str, event_id: int) -> tuple[float, str]:
    """Run one full export in a fresh interpreter and report its peak RSS growth."""
    output = subprocess.run(
        [sys.executable, __file__, "--export-memory", str(event_id), "--database-url", url],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    return result["peak_growth_mb"], result["method"]


def export_memory_child(url: str, event_id: int) -> None:
    """The subprocess: warm up, then measure the peak RSS growth of one full XLSX export."""
    with tempfile.TemporaryDirectory(prefix="huiwu-bench-") as folder:
        app = make_app(url, Path(folder))
        client = signed_in_client(app)
        _measure_export(client, event_id)
        with app.app_context():
            db.engine.dispose()


def _measure_export(client, event_id: int) -> None:
    base = f"/manage/{event_id}/attendees"
    fetch(client, base)
    fetch(client, f"{base}/export?format=xlsx&q=no-such-person")
    method = reset_peak_rss()
    before = proc_status_kib("VmRSS")
    size = len(fetch(client, f"{base}/export?format=xlsx"))
    after = proc_status_kib("VmHWM") if method == "VmHWM" else peak_by_getrusage()
    growth = max(after - before, 0) / 1024
    print(json.dumps({"peak_growth_mb": growth, "bytes": size, "method": method}))


def reset_peak_rss() -> str:
    """Start a fresh peak: Linux resets VmHWM when ``5`` is written to ``clear_refs``.

    ``getrusage``'s ``ru_maxrss`` cannot be reset, and Linux carries it over
    ``exec`` from the parent that forked us: after seeding 20,000 rows the
    parent is far bigger than the export, so that figure would only show the
    parent. It remains the fallback where ``/proc`` is missing.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return "VmHWM"
    except OSError:
        return "ru_maxrss"


def proc_status_kib(field: str) -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return peak_by_getrusage()


def peak_by_getrusage() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def run(label: str, url: str, rows: int, runs: int, export_runs: int) -> str:
    with tempfile.TemporaryDirectory(prefix="huiwu-bench-") as folder:
        return _run(label, make_app(url, Path(folder)), url, rows, runs, export_runs)


def _run(label: str, app, url: str, rows: int, runs: int, export_runs: int) -> str:
    with app.app_context():
        db.drop_all()
        db.create_all()
        start = time.perf_counter()
        event_id = seed(rows)
        print(f"[{label}] seeded {rows} registrations in {time.perf_counter() - start:.1f} s")
    client = signed_in_client(app)
    mobile, name = search_terms(app, event_id)
    base = f"/manage/{event_id}/attendees"
    figures = {
        "list_ms": median_seconds(client, base, runs) * 1000,
        "search_mobile_ms": median_seconds(client, f"{base}?q={quote(mobile)}", runs) * 1000,
        "search_name_ms": median_seconds(client, f"{base}?q={quote(name)}", runs) * 1000,
        "export_s": median_seconds(client, f"{base}/export?format=xlsx", export_runs),
    }
    print(f"[{label}] searched for mobile {mobile!r} and name fragment {name!r}")
    figures["export_peak_mb"], method = export_peak_mb(url, event_id)
    print(
        f"[{label}] list, searches: median of {runs}; export: median of {export_runs}; "
        f"export_peak_mb = peak RSS growth over one export in a subprocess ({PEAK_METHODS[method]})"
    )
    with app.app_context():
        db.drop_all()
        db.engine.dispose()
    return f"organiser: db={label} " + " ".join(
        f"{key}={value:.0f}" if key.endswith("_ms") else f"{key}={value:.2f}"
        for key, value in figures.items()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--export-runs", type=int, default=3)
    parser.add_argument("--database-url", help="PostgreSQL URL (its tables are recreated)")
    parser.add_argument("--export-memory", type=int, metavar="EVENT_ID", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_memory:
        export_memory_child(args.database_url, args.export_memory)
        return
    with tempfile.TemporaryDirectory(prefix="huiwu-bench-") as folder:
        database = f"sqlite:///{Path(folder) / 'bench.db'}"
        summaries = [run("sqlite", database, args.rows, args.runs, args.export_runs)]
    server = None
    url = args.database_url
    if url is None and find_bindir() is not None:
        server = ThrowawayPostgres(find_bindir()).start()
        url = server.create_database("huiwu_bench")
    try:
        if url is None:
            print("postgresql: skipped (no --database-url and no /usr/lib/postgresql/*/bin)")
        else:
            label = url.split(":", 1)[0].split("+", 1)[0]
            summaries.append(run(label, url, args.rows, args.runs, args.export_runs))
    finally:
        if server is not None:
            server.stop()
    for line in summaries:
        print(line)


if __name__ == "__main__":
    main()
