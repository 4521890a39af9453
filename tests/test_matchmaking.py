"""Matchmaking scheduler: bound, exactness, validator, locking, minimal change, command."""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from events.roadshow.matchmaking import (
    InstanceError,
    _flow_selection,
    _max_count,
    _sides,
    baseline,
    solve,
    validate_instance,
)
from events.roadshow.meeting_check import check_plan

ROOT = Path(__file__).resolve().parent.parent


def people(count: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"id": f"p{i}", **extra} for i in range(count)]


def tiny_instance(seed: int, with_availability: bool) -> dict[str, Any]:
    rng = random.Random(seed)
    slots, tables, count = rng.randint(1, 3), rng.randint(1, 2), rng.randint(2, 6)
    participants = []
    for index in range(count):
        person: dict[str, Any] = {"id": f"p{index}", "capacity": rng.choice([1, 1, 2])}
        if with_availability:
            person["unavailable"] = [s for s in range(slots) if rng.random() < 0.3]
        participants.append(person)
    pairs = list(itertools.combinations(range(count), 2))
    rng.shuffle(pairs)
    requests = [
        {"a": f"p{a}", "b": f"p{b}", "priority": rng.choice([1, 2, 3])}
        for a, b in pairs[: rng.randint(1, 7)]
    ]
    return {"slots": slots, "tables": tables, "participants": participants, "requests": requests}


def brute_force_optimum(instance: dict[str, Any]) -> int:
    """Best weight over every slot choice (or none) per request; tables are interchangeable."""
    return brute_force(instance)[0]


def brute_force(instance: dict[str, Any]) -> tuple[int, int]:
    """(best weight, most meetings) over every slot choice (or none) per request."""
    slots, tables = instance["slots"], instance["tables"]
    people_by_id = {p["id"]: p for p in instance["participants"]}
    best = most = 0
    for choice in itertools.product(range(-1, slots), repeat=len(instance["requests"])):
        busy: dict[tuple[str, int], int] = {}
        per_slot = [0] * slots
        weight, feasible = 0, True
        for request, slot in zip(instance["requests"], choice, strict=True):
            if slot < 0:
                continue
            per_slot[slot] += 1
            weight += request["priority"]
            for person in (request["a"], request["b"]):
                busy[(person, slot)] = busy.get((person, slot), 0) + 1
                data = people_by_id[person]
                if slot in data.get("unavailable", []) or busy[(person, slot)] > data.get(
                    "capacity", 1
                ):
                    feasible = False
        if feasible and max(per_slot) <= tables:
            best = max(best, weight)
            most = max(most, sum(slot >= 0 for slot in choice))
    return best, most


@pytest.mark.parametrize("seed", range(30))
def test_bound_and_solver_against_brute_force(seed: int) -> None:
    instance = tiny_instance(seed, with_availability=seed % 2 == 1)
    optimum, most = brute_force(instance)
    plan = solve(instance, time_limit=0.2)
    assert plan["bound"]["weight"] >= optimum
    assert plan["bound"]["count"] >= most
    assert plan["weight"] == optimum
    assert check_plan(instance, plan) == []


def bipartite_instance(seed: int, slots: int, tables: int) -> dict[str, Any]:
    rng = random.Random(seed)
    left = [{"id": f"L{i}", "capacity": rng.choice([1, 2])} for i in range(12)]
    right = [{"id": f"R{i}", "capacity": rng.choice([1, 1, 2])} for i in range(15)]
    pairs = rng.sample([(a, b) for a in range(12) for b in range(15)], 90)
    requests = [{"a": f"L{a}", "b": f"R{b}", "priority": rng.choice([1, 2, 3])} for a, b in pairs]
    return {"slots": slots, "tables": tables, "participants": left + right, "requests": requests}


@pytest.mark.parametrize(("seed", "slots", "tables"), [(1, 3, 2), (2, 4, 5), (3, 5, 30), (4, 2, 1)])
def test_exact_on_bipartite_without_availability(seed: int, slots: int, tables: int) -> None:
    instance = bipartite_instance(seed, slots, tables)
    plan = solve(instance)
    assert plan["weight"] == plan["bound"]["weight"]
    assert check_plan(instance, plan) == []


def test_general_graph_bound_is_valid() -> None:
    triangle = {
        "slots": 1,
        "tables": 5,
        "participants": people(3),
        "requests": [
            {"a": "p0", "b": "p1", "priority": 3},
            {"a": "p1", "b": "p2", "priority": 3},
            {"a": "p0", "b": "p2", "priority": 3},
        ],
    }
    plan = solve(triangle, time_limit=0.2)
    assert plan["weight"] == 3
    assert plan["bound"]["weight"] >= 3
    assert check_plan(triangle, plan) == []


SMALL = {
    "slots": 2,
    "tables": 2,
    "participants": [{"id": "a"}, {"id": "b"}, {"id": "c", "unavailable": [1]}, {"id": "d"}],
    "requests": [
        {"a": "a", "b": "b", "priority": 3},
        {"a": "a", "b": "c", "priority": 2},
        {"a": "c", "b": "d", "priority": 1},
    ],
}


def meeting(a: str, b: str, slot: int, table: int) -> dict[str, Any]:
    return {"a": a, "b": b, "slot": slot, "table": table}


def figures(meetings: list[dict[str, Any]], weight: int) -> dict[str, Any]:
    bound = {"count": 3, "weight": 6}
    return {"meetings": meetings, "unscheduled": [], "count": len(meetings), "weight": weight}, {
        "bound": bound
    }


@pytest.mark.parametrize(
    ("meetings", "weight", "expected"),
    [
        ([meeting("a", "b", 0, 0), meeting("a", "c", 0, 1)], 5, "capacity 1"),
        ([meeting("a", "c", 1, 0)], 2, "unavailable in slot 1"),
        ([meeting("a", "b", 0, 2)], 3, "table out of range"),
        ([meeting("a", "b", 0, 0), meeting("c", "d", 0, 0)], 4, "on one table"),
        ([meeting("b", "d", 0, 0)], 0, "not among the requests"),
        ([meeting("a", "b", 0, 0), meeting("b", "a", 1, 0)], 6, "scheduled 2 times"),
        ([meeting("a", "b", 0, 0)], 2, "weight is 2"),
    ],
)
def test_validator_catches(meetings: list[dict[str, Any]], weight: int, expected: str) -> None:
    plan = {"meetings": meetings, "unscheduled": [], "count": len(meetings), "weight": weight}
    problems = check_plan(SMALL, plan)
    assert any(expected in problem for problem in problems), problems


def test_validator_catches_slot_overflow_count_bound_and_locks() -> None:
    instance = {**SMALL, "tables": 1, "locked": [meeting("a", "b", 1, 0)]}
    plan = {
        "meetings": [meeting("a", "b", 0, 0), meeting("c", "d", 0, 1)],
        "unscheduled": [],
        "count": 5,
        "weight": 4,
        "bound": {"count": 1, "weight": 3},
    }
    text = "\n".join(check_plan(instance, plan))
    for expected in ("2 meetings for 1 tables", "table out of range", "locked[0]", "count is 5"):
        assert expected in text
    assert "above the bound 3" in text


def test_valid_locked_meeting_is_kept_and_invalid_one_reported() -> None:
    instance = {
        **SMALL,
        "locked": [meeting("a", "b", 1, 1), meeting("c", "d", 1, 0)],
    }
    plan = solve(instance, time_limit=1.0)
    assert meeting("a", "b", 1, 1) in plan["meetings"]
    reasons = {(u["a"], u["b"]): u["reason"] for u in plan["unscheduled"]}
    assert "c" not in {m["a"] for m in plan["meetings"] if m["b"] == "d" and m["slot"] == 1}
    assert check_plan(instance, plan) == []
    placed = {(m["a"], m["b"]) for m in plan["meetings"]}
    assert ("c", "d") in placed or "locked[1]" in reasons[("c", "d")]


def test_minimal_change_after_cancellation() -> None:
    rng = random.Random(5)
    instance = {
        "slots": 4,
        "tables": 6,
        "participants": people(14) + [{"id": "late", "unavailable": [0]}],
        "requests": [
            {"a": f"p{a}", "b": f"p{b}", "priority": rng.choice([1, 2, 3])}
            for a, b in rng.sample(list(itertools.combinations(range(14), 2)), 30)
        ]
        + [{"a": "late", "b": f"p{i}", "priority": 3} for i in range(3)],
    }
    first = solve(instance, time_limit=1.0)
    cancelled = {
        **instance,
        "requests": [r for r in instance["requests"] if "p0" not in (r["a"], r["b"])],
    }
    second = solve(cancelled, previous_plan=first, time_limit=1.0)
    kept = [m for m in first["meetings"] if "p0" not in (m["a"], m["b"])]
    for item in kept:
        assert item in second["meetings"]
    assert check_plan(cancelled, second) == []


def test_participant_unavailable_everywhere() -> None:
    instance = {
        "slots": 2,
        "tables": 1,
        "participants": [{"id": "x", "unavailable": [0, 1]}, {"id": "y"}],
        "requests": [{"a": "x", "b": "y", "priority": 3}],
    }
    plan = solve(instance)
    assert plan["meetings"] == []
    assert "unavailable in every slot" in plan["unscheduled"][0]["reason"]
    assert plan["bound"] == {"count": 0, "weight": 0}


def test_baseline_is_valid_first_fit() -> None:
    plan = baseline(SMALL)
    assert [(m["a"], m["slot"]) for m in plan["meetings"]] == [("a", 0), ("c", 0)]
    assert check_plan(SMALL, {k: v for k, v in plan.items() if k != "bound"}) == []


def broken(**changes: Any) -> dict[str, Any]:
    return {**SMALL, **changes}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "instance"),
        (broken(tables=0), "tables"),
        (broken(slots=-1), "slots"),
        (broken(slots="2"), "slots"),
        (broken(slots=201), "slots"),
        (broken(tables=5001), "tables"),
        (broken(participants="x"), "participants"),
        (broken(participants=[{"id": f"p{i}"} for i in range(20_001)]), "participants"),
        (broken(participants=[{"id": "a"}, {"id": "a"}]), "participants[1].id"),
        (broken(participants=[{"id": None}]), "participants[0].id"),
        (broken(participants=[{"id": "a", "capacity": 0}]), "participants[0].capacity"),
        (broken(participants=[{"id": "a", "unavailable": [2]}]), "participants[0].unavailable"),
        (broken(participants=[{"id": "a", "unavailable": 1}]), "participants[0].unavailable"),
        (broken(requests=[{"a": "a", "b": "a", "priority": 1}]), "requests[0].b"),
        (broken(requests=[{"a": "a", "b": "zz", "priority": 1}]), "requests[0].b"),
        (broken(requests=[{"a": "a", "b": "b", "priority": 4}]), "requests[0].priority"),
        (broken(requests=[{"a": "a", "b": "b", "priority": True}]), "requests[0].priority"),
        (
            broken(
                requests=[{"a": "a", "b": "b", "priority": 1}, {"a": "b", "b": "a", "priority": 2}]
            ),
            "requests[1]",
        ),
        (broken(requests=[5]), "requests[0]"),
        (broken(locked=[meeting("b", "d", 0, 0)]), "locked[0]"),
        (broken(locked=[{"a": "a", "b": "b", "slot": "x", "table": 0}]), "locked[0].slot"),
    ],
)
def test_malformed_instances(data: Any, field: str) -> None:
    with pytest.raises(InstanceError) as raised:
        validate_instance(data)
    message = str(raised.value)
    assert message.startswith(field)
    assert "\n" not in message


def run_command(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "events.roadshow.scheduling", "meetings", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_command_prints_plan(tmp_path: Path) -> None:
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(SMALL), encoding="utf-8")
    result = run_command(path)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert check_plan(SMALL, plan) == []
    assert plan["weight"] == 5


def test_command_rejects_malformed_instance(tmp_path: Path) -> None:
    path = tmp_path / "instance.json"
    path.write_text(json.dumps({**SMALL, "tables": 0}), encoding="utf-8")
    result = run_command(path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: tables")


def test_progress_reports_figures() -> None:
    instance = tiny_instance(3, with_availability=True)
    reports: list[dict[str, Any]] = []
    plan = solve(instance, time_limit=0.5, progress=reports.append)
    assert reports, "at least the first complete placement is reported"
    for report in reports:
        assert set(report) == {"elapsed", "count", "weight", "bound"}
        assert isinstance(report["elapsed"], float)
        assert report["elapsed"] == round(report["elapsed"], 2)
        assert report["bound"] == plan["bound"]
        assert report["weight"] <= plan["bound"]["weight"]
    assert reports[-1]["weight"] <= plan["weight"]


def test_progress_in_exact_case_and_rate_limited() -> None:
    reports: list[dict[str, Any]] = []
    instance = bipartite_instance(2, 4, 5)
    plan = solve(instance, progress=reports.append)
    assert reports == [
        {"elapsed": reports[0]["elapsed"], "count": plan["count"], "weight": plan["weight"]}
        | {"bound": plan["bound"]}
    ]
    # A search that cannot reach its (loose) bound runs to the limit: about one report a second.
    rng = random.Random(8)
    hard = {
        "slots": 3,
        "tables": 40,
        "participants": [{"id": f"p{i}", "unavailable": [i % 3]} for i in range(40)],
        "requests": [
            {"a": f"p{a}", "b": f"p{b}", "priority": rng.choice([1, 2, 3])}
            for a, b in rng.sample(list(itertools.combinations(range(40), 2)), 300)
        ],
    }
    reports.clear()
    plan = solve(hard, time_limit=2.5, progress=reports.append)
    assert 1 <= len(reports) <= 5
    times = [report["elapsed"] for report in reports]
    assert times == sorted(times)
    assert all(later - earlier >= 0.9 for earlier, later in itertools.pairwise(times))
    assert check_plan(hard, plan) == []


def run_meetings(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "events.roadshow.scheduling", "meetings", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_command_progress_lines(tmp_path: Path) -> None:
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(SMALL), encoding="utf-8")
    result = run_meetings(str(path), "--progress", "--time-limit", "0.5")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert lines
    assert all(set(line) == {"elapsed", "count", "weight", "bound"} for line in lines)
    assert lines[-1]["bound"] == plan["bound"]


def test_command_rerun_from_previous_plan(tmp_path: Path) -> None:
    rng = random.Random(11)
    instance = {
        "slots": 4,
        "tables": 5,
        "participants": people(12) + [{"id": "late", "unavailable": [0, 1]}],
        "requests": [
            {"a": f"p{a}", "b": f"p{b}", "priority": rng.choice([1, 2, 3])}
            for a, b in rng.sample(list(itertools.combinations(range(12), 2)), 25)
        ]
        + [{"a": "late", "b": f"p{i}", "priority": 3} for i in range(4)],
    }
    first = solve(instance, time_limit=0.5)
    changed = {
        **instance,
        "requests": [r for r in instance["requests"] if "p1" not in (r["a"], r["b"])]
        + [{"a": "p1", "b": "late", "priority": 2}],
    }
    instance_path, plan_path = tmp_path / "instance.json", tmp_path / "plan.json"
    instance_path.write_text(json.dumps(changed), encoding="utf-8")
    plan_path.write_text(json.dumps(first), encoding="utf-8")
    result = run_meetings(str(instance_path), "--previous", str(plan_path), "--time-limit", "0.5")
    assert result.returncode == 0, result.stderr
    second = json.loads(result.stdout)
    assert check_plan(changed, second) == []
    for item in first["meetings"]:
        if "p1" not in (item["a"], item["b"]):
            assert item in second["meetings"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "cannot read"),
        ("[]", "must be a JSON object"),
        ('{"meetings": 3}', "meetings: must be a list"),
        ('{"meetings": [{"a": "a", "b": "b", "slot": "0", "table": 0}]}', "meetings[0].slot"),
        (None, "cannot read"),
    ],
)
def test_command_rejects_malformed_previous_plan(
    tmp_path: Path, text: str | None, expected: str
) -> None:
    instance_path, plan_path = tmp_path / "instance.json", tmp_path / "plan.json"
    instance_path.write_text(json.dumps(SMALL), encoding="utf-8")
    if text is not None:
        plan_path.write_text(text, encoding="utf-8")
    result = run_meetings(str(instance_path), "--previous", str(plan_path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert result.stdout == ""


@pytest.mark.parametrize("seed", range(40))
def test_count_bound_max_flow_matches_unit_cost_flow(seed: int) -> None:
    """The count bound by maximum flow equals the unit-cost min-cost flow it replaced."""
    rng = random.Random(seed)
    if seed % 2:
        instance = tiny_instance(seed, with_availability=True)
    else:
        instance = bipartite_instance(seed, rng.randint(1, 4), rng.randint(1, 30))
        for person in instance["participants"]:
            person["unavailable"] = [s for s in range(instance["slots"]) if rng.random() < 0.3]
    model = validate_instance(instance)
    usable = [r for r in range(len(model.requests)) if model.common[r]]
    if not usable:
        return
    side = _sides(model, usable)
    reference, _, _ = _flow_selection(model, usable, side, unit=True)
    assert _max_count(model, usable, side) == reference


def test_broken_lock_is_reported_not_scheduled_elsewhere() -> None:
    instance = {
        **SMALL,
        "locked": [meeting("c", "d", 1, 0)],  # c is unavailable in slot 1
    }
    previous = {"meetings": [meeting("c", "d", 0, 0)]}
    for plan in (solve(instance, time_limit=0.3), solve(instance, previous, time_limit=0.3)):
        assert check_plan(instance, plan) == []
        assert all({m["a"], m["b"]} != {"c", "d"} for m in plan["meetings"])
        reasons = {(u["a"], u["b"]): u["reason"] for u in plan["unscheduled"]}
        assert reasons[("c", "d")].startswith("locked[0]")
