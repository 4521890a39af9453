"""A delegation's 5,000-member roster imported in one go: CSV in GB18030 and XLSX.

Builds a roster of ``--rows`` generated members (Chinese names, some with
full-width digits and stray spaces as Excel on Chinese Windows leaves them,
categories by name, three in four with an email address) once as a GB18030
CSV and once as an XLSX written with openpyxl, then imports each into its own
delegation through the same service the leader's upload calls
(:func:`registration.delegations.import_roster`): parsing, every row's
checks, the lookup of people already registered, the quota counts under
lock, 5,000 registrations with their audit entries and confirmation mails
written to the outbox, and the commit.

Runs on a temporary SQLite database, and on PostgreSQL when one is reachable
(``--database-url``, else a throwaway database on 127.0.0.1:5432, else a
throwaway cluster from the server binaries; skipped with the reason
otherwise). The baseline, measured in the same run, is reading the same CSV
with nothing but ``csv.reader`` (decode and split): the ratio says what all
the checking and saving costs on top. The last line (SQLite, or PostgreSQL
when it ran):

    roster_import: rows=5000 csv_s=… xlsx_s=…

Target: under 5 s for each file.

    .venv/bin/python bench/roster_import.py [--rows 5000] [--runs 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import openpyxl  # noqa: E402
from registration_rush import postgres  # noqa: E402

from app import create_app, db  # noqa: E402
from events.models import Category, Event, EventKind, EventStatus  # noqa: E402
from registration import delegations  # noqa: E402
from registration.demo import POSITIONS, People  # noqa: E402
from registration.models import (  # noqa: E402
    Delegation,
    DelegationKind,
    DelegationQuota,
    DelegationStatus,
    Registration,
)

HEADINGS = ["姓名", "英文名", "参会类别", "单位", "职务", "手机", "邮箱"]
CATEGORIES = [("delegate", "代表", "Delegate"), ("guest", "嘉宾", "Guest")]
CITIES = ["济南", "青岛", "烟台", "潍坊", "济宁", "临沂", "淄博", "威海"]
FULL_WIDTH = str.maketrans("0123456789 ", "０１２３４５６７８９　")


def roster_rows(count: int, first_mobile: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)  # noqa: S311 -- reproducible fiction
    people = People(rng, set())
    rows = []
    for number in range(first_mobile, first_mobile + count):
        name, latin = people.name()
        mobile = f"139 {number // 10_000:04d} {number % 10_000:04d}"
        if rng.random() < 0.2:  # typed with a Chinese input method on
            mobile = mobile.translate(FULL_WIDTH)
        email = people.email(latin) if rng.random() < 0.75 else ""
        rows.append(
            [
                f" {name} " if rng.random() < 0.1 else name,
                latin,
                "嘉宾" if rng.random() < 0.05 else "代表",
                people.organisation(rng.choice(CITIES)),
                rng.choice(POSITIONS),
                mobile,
                email or "",
            ]
        )
    return rows


def as_csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADINGS)
    writer.writerows(rows)
    return buffer.getvalue().encode("gb18030")


def as_xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADINGS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def seed(app, rows: int, runs: int) -> dict[str, list[int]]:
    """Fresh tables; one open event and a delegation per format and run."""
    now = datetime.now(UTC)
    with app.app_context():
        db.drop_all()
        db.create_all()
        event = Event(
            slug="roster-bench",
            kind=EventKind.CONFERENCE,
            status=EventStatus.PUBLISHED,
            title_zh="名单导入压测大会",
            city="济南",
            venue_zh="山东国际会展中心",
            starts_at=now + timedelta(days=30),
            ends_at=now + timedelta(days=31),
            registration_closes_at=now + timedelta(days=20),
        )
        categories = [
            Category(event=event, code=code, name_zh=zh, name_en=en, position=n)
            for n, (code, zh, en) in enumerate(CATEGORIES)
        ]
        db.session.add_all([event, *categories])
        ids: dict[str, list[int]] = {"csv": [], "xlsx": []}
        for label, run in [(label, run) for label in ids for run in range(runs)]:
            delegation = Delegation(
                event=event,
                name=f"压测代表团（{label} {run + 1}）",
                kind=DelegationKind.CHAMBER,
                status=DelegationStatus.APPROVED,
                leader_name="李建国",
                leader_mobile="+8613800000000",
            )
            for category in categories:
                delegation.quotas.append(DelegationQuota(category=category, places=rows))
            db.session.add(delegation)
            db.session.flush()
            ids[label].append(delegation.id)
        db.session.commit()
    return ids


def timed_import(app, delegation_id: int, data: bytes) -> float:
    with app.test_request_context("/", base_url="http://huiwu.bench"):
        delegation = db.session.get(Delegation, delegation_id)
        started = time.perf_counter()
        members = delegations.import_roster(delegation, data)
        db.session.commit()
        seconds = time.perf_counter() - started
        stored = db.session.execute(
            db.select(db.func.count(Registration.id)).filter_by(delegation_id=delegation_id)
        ).scalar()
        assert len(members) == stored, (len(members), stored)
        return seconds


def baseline(data: bytes) -> float:
    started = time.perf_counter()
    rows = list(csv.reader(io.StringIO(data.decode("gb18030"))))
    assert len(rows) > 1
    return time.perf_counter() - started


def measure(url: str, args, files: dict[str, list[bytes]], label: str) -> tuple[float, float]:
    """Median seconds of ``args.runs`` imports of each format (fresh members every run)."""
    folder = Path(tempfile.mkdtemp(prefix="huiwu-roster-"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": "bench-only-secret-key-0123456789abcdef",
        }
    )
    ids = seed(app, args.rows, args.runs)
    times = {
        kind: [timed_import(app, ids[kind][n], files[kind][n]) for n in range(args.runs)]
        for kind in ("csv", "xlsx")
    }
    csv_s, xlsx_s = (statistics.median(times[kind]) for kind in ("csv", "xlsx"))
    with app.app_context():
        db.drop_all()
        db.engine.dispose()
    runs = {kind: " ".join(f"{t:.2f}" for t in times[kind]) for kind in times}
    print(
        f"[{label}] median of {args.runs}: csv {csv_s:.2f} s ({runs['csv']}), "
        f"xlsx {xlsx_s:.2f} s ({runs['xlsx']}) for {args.rows} members each"
    )
    return csv_s, xlsx_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3, help="imports of each format; median")
    parser.add_argument("--database-url", help="PostgreSQL URL (its tables are recreated)")
    args = parser.parse_args()
    # Every run its own people: nobody may be registered twice.
    files = {
        "csv": [as_csv(roster_rows(args.rows, 10_000_000 * (n + 1), n)) for n in range(args.runs)],
        "xlsx": [
            as_xlsx(roster_rows(args.rows, 50_000_000 + 10_000_000 * n, 100 + n))
            for n in range(args.runs)
        ],
    }
    sizes = {kind: f"{len(data[0]) / 1024:.0f} KiB" for kind, data in files.items()}
    print(f"[files] csv (GB18030) {sizes['csv']}, xlsx {sizes['xlsx']}")
    base = min(baseline(files["csv"][0]) for _ in range(5))
    print(f"[baseline] csv.reader alone: {base * 1000:.1f} ms")
    with tempfile.TemporaryDirectory() as folder:
        result = measure(f"sqlite:///{folder}/bench.db", args, files, "sqlite")
    with postgres(args.database_url) as (url, where):
        if url is None:
            print(f"[postgresql] skipped: {where}")
        else:
            print(f"[postgresql] {where}")
            result = measure(url, args, files, "postgresql")
    print(f"[ratio] csv import / csv.reader alone: {result[0] / base:.0f}x")
    print(f"roster_import: rows={args.rows} csv_s={result[0]:.2f} xlsx_s={result[1]:.2f}")


if __name__ == "__main__":
    main()
