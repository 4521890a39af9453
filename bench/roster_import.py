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

    .venv/bin/python bench/roster_import.py [--rows 5000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
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


def seed(app, rows: int) -> dict[str, int]:
    """Fresh tables; one open event and two delegations with room for everyone."""
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
        ids = {}
        for label in ("csv", "xlsx"):
            delegation = Delegation(
                event=event,
                name=f"压测代表团（{label}）",
                kind=DelegationKind.CHAMBER,
                status=DelegationStatus.APPROVED,
                leader_name="李建国",
                leader_mobile="+8613800000000",
            )
            for category in categories:
                delegation.quotas.append(DelegationQuota(category=category, places=rows))
            db.session.add(delegation)
            db.session.flush()
            ids[label] = delegation.id
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


def measure(url: str, rows: int, files: dict[str, bytes], label: str) -> tuple[float, float]:
    folder = Path(tempfile.mkdtemp(prefix="huiwu-roster-"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": "bench-only-secret-key-0123456789abcdef",
        }
    )
    ids = seed(app, rows)
    csv_s = timed_import(app, ids["csv"], files["csv"])
    xlsx_s = timed_import(app, ids["xlsx"], files["xlsx"])
    with app.app_context():
        db.drop_all()
        db.engine.dispose()
    print(f"[{label}] csv {csv_s:.2f} s, xlsx {xlsx_s:.2f} s for {rows} members each")
    return csv_s, xlsx_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--database-url", help="PostgreSQL URL (its tables are recreated)")
    args = parser.parse_args()
    files = {
        "csv": as_csv(roster_rows(args.rows, 10_000_000, 1)),
        "xlsx": as_xlsx(roster_rows(args.rows, 20_000_000, 2)),
    }
    sizes = {kind: f"{len(data) / 1024:.0f} KiB" for kind, data in files.items()}
    print(f"[files] csv (GB18030) {sizes['csv']}, xlsx {sizes['xlsx']}")
    base = min(baseline(files["csv"]) for _ in range(5))
    print(f"[baseline] csv.reader alone: {base * 1000:.1f} ms")
    with tempfile.TemporaryDirectory() as folder:
        result = measure(f"sqlite:///{folder}/bench.db", args.rows, files, "sqlite")
    with postgres(args.database_url) as (url, where):
        if url is None:
            print(f"[postgresql] skipped: {where}")
        else:
            print(f"[postgresql] {where}")
            result = measure(url, args.rows, files, "postgresql")
    print(f"[ratio] csv import / csv.reader alone: {result[0] / base:.0f}x")
    print(f"roster_import: rows={args.rows} csv_s={result[0]:.2f} xlsx_s={result[1]:.2f}")


if __name__ == "__main__":
    main()
