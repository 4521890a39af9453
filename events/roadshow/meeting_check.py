"""Independent validator for matchmaking plans (see :mod:`events.roadshow.matchmaking`).

It reads the raw instance and plan dictionaries itself and shares no code with
the solver, so a solver bug cannot hide behind a shared helper. It assumes the
instance is well formed (validated) and reports every rule a plan breaks as a
readable string.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


def _pair(a: Any, b: Any) -> frozenset[Any]:
    return frozenset((a, b))


def _people(instance: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    return {person["id"]: person for person in instance.get("participants", [])}


def _meeting_rules(instance: dict[str, Any], meetings: list[dict[str, Any]]) -> list[str]:
    people = _people(instance)
    priorities = {_pair(r["a"], r["b"]): r["priority"] for r in instance.get("requests", [])}
    slots, tables = instance["slots"], instance["tables"]
    problems = []
    seen: Counter[frozenset[Any]] = Counter()
    for index, meeting in enumerate(meetings):
        a, b, slot, table = meeting["a"], meeting["b"], meeting["slot"], meeting["table"]
        label = f"meeting {index} ({a!r}–{b!r}, slot {slot}, table {table})"
        if _pair(a, b) not in priorities or a == b:
            problems.append(f"{label}: not among the requests")
        seen[_pair(a, b)] += 1
        if not 0 <= slot < slots:
            problems.append(f"{label}: slot out of range 0..{slots - 1}")
        if not 0 <= table < tables:
            problems.append(f"{label}: table out of range 0..{tables - 1}")
        for person in (a, b):
            if slot in people.get(person, {}).get("unavailable", []):
                problems.append(f"{label}: {person!r} is unavailable in slot {slot}")
    for pair, times in seen.items():
        if times > 1:
            problems.append(f"request {sorted(map(str, pair))} scheduled {times} times")
    return problems


def _slot_rules(instance: dict[str, Any], meetings: list[dict[str, Any]]) -> list[str]:
    people = _people(instance)
    problems = []
    per_slot = Counter(m["slot"] for m in meetings)
    for slot, count in sorted(per_slot.items()):
        if count > instance["tables"]:
            problems.append(f"slot {slot}: {count} meetings for {instance['tables']} tables")
    per_table = Counter((m["slot"], m["table"]) for m in meetings)
    for (slot, table), count in sorted(per_table.items()):
        if count > 1:
            problems.append(f"slot {slot}, table {table}: {count} meetings on one table")
    busy = Counter((person, m["slot"]) for m in meetings for person in (m["a"], m["b"]))
    for (person, slot), count in busy.items():
        capacity = people.get(person, {}).get("capacity", 1)
        if count > capacity:
            problems.append(f"{person!r} has {count} meetings in slot {slot}, capacity {capacity}")
    return problems


def _locked_rules(
    instance: dict[str, Any], meetings: list[dict[str, Any]], unscheduled: list[dict[str, Any]]
) -> list[str]:
    placed = {(_pair(m["a"], m["b"]), m["slot"], m["table"]) for m in meetings}
    reported = {_pair(u["a"], u["b"]) for u in unscheduled}
    problems = []
    for index, lock in enumerate(instance.get("locked", [])):
        key = (_pair(lock["a"], lock["b"]), lock["slot"], lock["table"])
        if key not in placed and key[0] not in reported:
            problems.append(f"locked[{index}]: moved or missing without a reason")
    return problems


def _figures(instance: dict[str, Any], plan: dict[str, Any]) -> list[str]:
    priorities = {_pair(r["a"], r["b"]): r["priority"] for r in instance.get("requests", [])}
    meetings = plan.get("meetings", [])
    weight = sum(priorities.get(_pair(m["a"], m["b"]), 0) for m in meetings)
    problems = []
    if plan.get("count") != len(meetings):
        problems.append(f"count is {plan.get('count')}, the plan holds {len(meetings)} meetings")
    if plan.get("weight") != weight:
        problems.append(f"weight is {plan.get('weight')}, the meetings weigh {weight}")
    bound = plan.get("bound") or {}
    if "weight" in bound and weight > bound["weight"]:
        problems.append(f"weight {weight} above the bound {bound['weight']}")
    if "count" in bound and len(meetings) > bound["count"]:
        problems.append(f"count {len(meetings)} above the bound {bound['count']}")
    return problems


def check_plan(instance: dict[str, Any], plan: dict[str, Any]) -> list[str]:
    """Every rule the plan breaks, as readable strings; empty when the plan is valid."""
    meetings = plan.get("meetings", [])
    return (
        _meeting_rules(instance, meetings)
        + _slot_rules(instance, meetings)
        + _locked_rules(instance, meetings, plan.get("unscheduled", []))
        + _figures(instance, plan)
    )
