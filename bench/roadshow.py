"""Roadshow scheduling on generated instances: our solver against a naive grid.

Three families of seeded instances:

* main: 150 projects by 110 presenters (40 present two), 6 rooms of 40 to 200
  seats, 24 slots over two days (4 sessions of 6), 10 sectors, 300 investors
  with 6–12 interests each leaning towards their favourite sectors, skewed
  popularity so that room capacity matters, some presenters unavailable;
* small: 30 projects, 3 rooms, 12 slots, 60 investors;
* large: 300 projects, 10 rooms, 36 slots, 600 investors, one sector per
  room-session, a few two-slot pitches.

For each instance the baseline (sector-grouped first-feasible grid that
ignores interests, :func:`events.roadshow.scheduling.baseline`) and the solver
run in the same process; both plans go through the independent validator.
Per instance: family, seed, missed interests of each in percent of all
interests, the improvement and the solver's seconds. The last line:

    roadshow: instances=… violations=0 baseline_missed_pct=… missed_pct=… improvement_pct=… max_s=…

Target: no violation, improvement >= 25 %, max_s <= 60 on 2 cores.

    .venv/bin/python bench/roadshow.py [--instances main:3,small:2,large:2] [--time-limit S]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from events.roadshow.plan_check import check_plan  # noqa: E402
from events.roadshow.scheduling import baseline, solve  # noqa: E402


@dataclass(frozen=True)
class Family:
    projects: int
    presenters: int
    capacities: tuple[int, ...]
    sessions: int
    slots_per_session: int
    sectors: int
    investors: int
    interests: tuple[int, int]
    one_sector: bool
    two_slot_share: float
    time_limit: float


FAMILIES = {
    "main": Family(150, 110, (40, 60, 80, 120, 150, 200), 4, 6, 10, 300, (6, 12), False, 0.0, 45),
    "small": Family(30, 24, (30, 50, 80), 2, 6, 5, 60, (4, 8), False, 0.0, 5),
    "large": Family(
        300,
        220,
        (40, 50, 60, 80, 100, 120, 150, 180, 200, 250),
        6,
        6,
        12,
        600,
        (6, 12),
        True,
        0.05,
        45,
    ),
}
DEFAULT_INSTANCES = "main:3,small:2,large:2"


def generate(family: Family, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    slots = [
        {"id": f"s{session + 1}-{slot + 1}", "session": f"session-{session + 1}"}
        for session in range(family.sessions)
        for slot in range(family.slots_per_session)
    ]
    projects = _projects(family, rng)
    return {
        "rooms": [
            {"id": f"room-{index + 1}", "capacity": size}
            for index, size in enumerate(family.capacities)
        ],
        "slots": slots,
        "projects": projects,
        "unavailable": _unavailability(family, projects, slots, rng),
        "interests": _interests(family, projects, rng),
        "one_sector_per_room_session": family.one_sector,
    }


def _projects(family: Family, rng: random.Random) -> list[dict[str, Any]]:
    presenters = [f"P{index + 1}" for index in range(family.presenters)]
    # Every presenter pitches once; the remaining projects go to presenters pitching twice.
    owners = presenters + rng.sample(presenters, family.projects - family.presenters)
    rng.shuffle(owners)
    return [
        {
            "id": f"p{index + 1}",
            "presenter": owner,
            "sector": f"sector-{rng.randrange(family.sectors) + 1}",
            "duration_slots": 2 if rng.random() < family.two_slot_share else 1,
        }
        for index, owner in enumerate(owners)
    ]


def _unavailability(
    family: Family, projects: list[dict[str, Any]], slots: list[dict[str, Any]], rng: random.Random
) -> dict[str, list[str]]:
    presenters = sorted({project["presenter"] for project in projects})
    unavailable = {}
    for presenter in rng.sample(presenters, len(presenters) // 6):
        if rng.random() < 0.5:
            session = f"session-{rng.randrange(family.sessions) + 1}"
            unavailable[presenter] = [slot["id"] for slot in slots if slot["session"] == session]
        else:
            unavailable[presenter] = [slot["id"] for slot in rng.sample(slots, 3)]
    return unavailable


def _interests(
    family: Family, projects: list[dict[str, Any]], rng: random.Random
) -> list[list[str]]:
    # Zipf-like popularity, capped below the largest room so every project stays placeable.
    popularity = [1 / (rank + 1) ** 0.7 for rank in range(len(projects))]
    rng.shuffle(popularity)
    cap = int(max(family.capacities) * 0.85)
    audience = dict.fromkeys(range(len(projects)), 0)
    by_sector: dict[str, list[int]] = {}
    for index, project in enumerate(projects):
        by_sector.setdefault(project["sector"], []).append(index)
    pairs = []
    for investor in range(family.investors):
        favourites = rng.sample(sorted(by_sector), rng.randint(1, 3))
        leaning = [index for sector in favourites for index in by_sector[sector]]
        chosen: set[int] = set()
        wanted = rng.randint(*family.interests)
        for _ in range(wanted * 10):
            if len(chosen) == wanted:
                break
            pool = leaning if rng.random() < 0.7 else range(len(projects))
            pool = [index for index in pool if index not in chosen and audience[index] < cap]
            if not pool:
                continue
            pick = rng.choices(pool, weights=[popularity[index] for index in pool])[0]
            chosen.add(pick)
            audience[pick] += 1
        pairs += [[f"investor-{investor + 1}", projects[index]["id"]] for index in sorted(chosen)]
    return pairs


def _parse_instances(text: str) -> list[tuple[str, int]]:
    wanted = []
    for part in text.split(","):
        name, _, count = part.partition(":")
        if name not in FAMILIES:
            raise SystemExit(f"error: unknown family {name!r} (main, small, large)")
        wanted += [(name, seed) for seed in range(1, int(count or 1) + 1)]
    return wanted


def _pct(part: float, whole: float) -> float:
    return 100 * part / whole if whole else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default=DEFAULT_INSTANCES, help="family:count,…")
    parser.add_argument("--time-limit", type=float, help="seconds per solver run (per family)")
    arguments = parser.parse_args()
    totals = {"interests": 0, "baseline": 0, "ours": 0, "violations": 0}
    slowest = 0.0
    runs = _parse_instances(arguments.instances)
    for name, seed in runs:
        family = FAMILIES[name]
        instance = generate(family, seed)
        naive = baseline(instance)
        started = time.monotonic()
        plan = solve(instance, time_limit=arguments.time_limit or family.time_limit, seed=seed)
        seconds = time.monotonic() - started
        slowest = max(slowest, seconds)
        totals["violations"] += len(check_plan(instance, naive)) + len(check_plan(instance, plan))
        totals["interests"] += plan["interests"]
        totals["baseline"] += naive["missed_interests"]
        totals["ours"] += plan["missed_interests"]
        gain = naive["missed_interests"] - plan["missed_interests"]
        print(
            f"{name:5} seed={seed} projects={len(instance['projects'])} "
            f"interests={plan['interests']} "
            f"unscheduled={len(naive['unscheduled'])}->{len(plan['unscheduled'])} "
            f"baseline_missed_pct={_pct(naive['missed_interests'], plan['interests']):.1f} "
            f"missed_pct={_pct(plan['missed_interests'], plan['interests']):.1f} "
            f"improvement_pct={_pct(gain, naive['missed_interests']):.1f} "
            f"s={seconds:.1f}",
            flush=True,
        )
    print(
        f"roadshow: instances={len(runs)} violations={totals['violations']} "
        f"baseline_missed_pct={_pct(totals['baseline'], totals['interests']):.1f} "
        f"missed_pct={_pct(totals['ours'], totals['interests']):.1f} "
        f"improvement_pct={_pct(totals['baseline'] - totals['ours'], totals['baseline']):.1f} "
        f"max_s={slowest:.1f}"
    )
    return 0 if totals["violations"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
