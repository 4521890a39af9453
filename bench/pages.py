"""Page latency with the demo data, against a trivial Flask endpoint.

Serves the organiser's pages in-process through the WSGI test client (no
network), so the figures are the application's own cost: routing, queries,
templates, translations. The baseline is a one-line Flask view in the same
process; the ratio is how many trivial requests one page costs.

    .venv/bin/python bench/pages.py [--requests 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402

from app import create_app, db  # noqa: E402
from registration import demo  # noqa: E402

PUBLIC_PAGES = ["/", "/e/rushang-2019", "/login"]
ORGANISER_PAGES = ["/dashboard", "/manage/1/", "/staff/1/"]


def timings(client, url: str, count: int) -> list[float]:
    client.get(url)  # warm caches and templates
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return samples


def baseline_client():
    bare = Flask("baseline")

    @bare.get("/")
    def index():
        return "ok"

    return bare.test_client()


def signed_in_client(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    client.post(
        "/login",
        data={
            "email": "organiser@huiwu.example",
            "password": demo.DEMO_PASSWORD,
            "csrf_token": token,
        },
    )
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="huiwu-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": "bench-" * 8,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        demo.load()
        db.session.commit()
    base = statistics.median(timings(baseline_client(), "/", args.requests))
    clients = {"public": app.test_client(), "organiser": signed_in_client(app)}
    print(
        f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('://')[0]}, "
        f"{args.requests} requests per page, median latency"
    )
    print(f"{'baseline (trivial Flask view)':32} {base * 1000:8.3f} ms")
    for who, pages in (("public", PUBLIC_PAGES), ("organiser", ORGANISER_PAGES)):
        for page in pages:
            median = statistics.median(timings(clients[who], page, args.requests))
            label = f"{page} ({who})"
            print(f"{label:32} {median * 1000:8.3f} ms  x{median / base:7.1f} baseline")
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
