"""Badge rendering: a batch of 5,000 to A4 sheets, and single badges on demand.

Generates 5,000 badges with varied Chinese names (the demo's name generator
plus a pool of less common characters, so that at least 2,500 distinct
characters appear and the embedded font subset is realistic), renders them
to A4 sheets of four (one PDF), then renders ``--singles`` one-badge A6 PDFs
one at a time as printing at the door does, after a warm-up. The baseline,
measured in the same run, is ReportLab drawing the same text with a
built-in PDF font and no QR code: what the Chinese font and the codes cost.
The last line:

    badges: n=5000 batch_s=… per_s=… mb_per_1000=… single_ms_p50=…

Targets: the batch under 10 s on two cores, under 4 MB per 1,000 badges, a
single badge under 15 ms. One process is enough: with the codes encoded by
zxing-cpp the batch takes a few seconds, and a pool's start-up cost more
than it saved.

    .venv/bin/python bench/badges.py [--badges 5000] [--singles 200]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportlab.lib.pagesizes import A6  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from registration import badges, ticket_codes  # noqa: E402
from registration.demo import People  # noqa: E402

#: CJK Unified Ideographs the font has, beyond everyday surnames and given names.
RARE_START, RARE_END = 0x4E00, 0x9FA5


def crowd(count: int, seed: int = 2019) -> list[badges.BadgeData]:
    rng = random.Random(seed)  # noqa: S311 -- reproducible fiction
    people = People(rng, set())
    rare = [chr(code) for code in range(RARE_START, RARE_END)]
    made = []
    for number in range(count):
        name, latin = people.name()
        if number % 2:  # half the given names drawn from the whole block
            name = name[0] + "".join(rng.choice(rare) for _ in range(rng.randint(1, 2)))
        made.append(
            badges.BadgeData(
                name=name,
                name_en=latin,
                secret=ticket_codes.new_secret(),
                event_title="2027儒商大会",
                event_dates="2027年9月24日 – 2027年9月26日",
                category=rng.choice(["代表", "嘉宾", "投资商", "媒体"]),
                color=rng.choice(["#1f6feb", "#b8860b", "#2e7d32", "#6a1b9a"]),
                organisation=people.organisation(rng.choice(["济南", "青岛", "烟台"])),
                delegation=rng.choice(["", "济南市工商联代表团", "青岛市工商联代表团"]),
            )
        )
    return made


def baseline(items: list[badges.BadgeData]) -> float:
    """Seconds to draw the same lines in Helvetica (Latin only), no font file, no code."""
    started = time.perf_counter()
    canvas = Canvas(io.BytesIO(), pagesize=A6)
    for item in items:
        canvas.setFont("Helvetica", 24)
        canvas.drawString(20, 300, item.name_en)
        canvas.setFont("Helvetica", 10)
        canvas.drawString(20, 280, item.secret)
        canvas.showPage()
    canvas.save()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--badges", type=int, default=5000)
    parser.add_argument("--singles", type=int, default=200)
    args = parser.parse_args()
    items = crowd(args.badges)
    characters = {c for item in items for c in item.name if ord(c) > 0x2E80}
    print(f"[names] {len(items)} badges, {len(characters)} distinct Chinese characters in names")
    badges.render(items[:4], "a4")  # load the font once
    started = time.perf_counter()
    pdf = badges.render(items, "a4")
    batch_s = time.perf_counter() - started
    mb_per_1000 = len(pdf) / 1e6 / (len(items) / 1000)
    print(f"[batch] {len(items)} badges on A4 sheets: {batch_s:.2f} s, {len(pdf) / 1e6:.1f} MB")
    for item in items[:20]:
        badges.render([item], "a6")
    singles = []
    for item in items[: args.singles]:
        started = time.perf_counter()
        badges.render([item], "a6")
        singles.append((time.perf_counter() - started) * 1000)
    base = baseline(items)
    print(
        f"[baseline] Helvetica text only, no code: {base:.2f} s for {len(items)}; "
        f"the badges cost {batch_s / base:.0f}x that"
    )
    print(
        f"badges: n={len(items)} batch_s={batch_s:.2f} per_s={len(items) / batch_s:.0f} "
        f"mb_per_1000={mb_per_1000:.2f} single_ms_p50={statistics.median(singles):.1f}"
    )


if __name__ == "__main__":
    main()
