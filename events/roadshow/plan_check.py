"""Independent check of a roadshow plan against its instance.

Kept apart from the solver on purpose: it reads the instance and the plan as
plain JSON-shaped data and rebuilds every figure itself, so a bug in the
solver's bookkeeping cannot hide behind the same bug here. The instance is
expected to have passed :func:`events.roadshow.scheduling.validate_instance`;
the plan may be anything.

:func:`check_plan` returns readable violations, an empty list meaning the plan
respects every hard constraint and states its ``missed_interests`` and
``interests`` correctly. The counting is the one documented in
:mod:`events.roadshow.scheduling`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any


def _is_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _names(values: Any) -> str:
    return ", ".join(repr(value) for value in sorted(values, key=repr))


class _Catalogue:
    """The instance's facts, keyed by the ids exactly as the instance gives them."""

    def __init__(self, instance: dict[str, Any]) -> None:
        self.capacity = {room["id"]: room["capacity"] for room in instance["rooms"]}
        self.slot_ids = [slot["id"] for slot in instance["slots"]]
        self.slot_position = {slot_id: index for index, slot_id in enumerate(self.slot_ids)}
        self.session = {slot["id"]: slot["session"] for slot in instance["slots"]}
        self.projects = {project["id"]: project for project in instance["projects"]}
        self.blocked = {
            presenter: set(slots) for presenter, slots in instance.get("unavailable", {}).items()
        }
        self.audience: dict[Any, set[Any]] = {project_id: set() for project_id in self.projects}
        for investor, project_id in instance.get("interests", []):
            self.audience[project_id].add(investor)
        self.one_sector = bool(instance.get("one_sector_per_room_session", False))

    def duration(self, project_id: Any) -> int:
        return self.projects[project_id].get("duration_slots", 1)

    def presenter(self, project_id: Any) -> Any:
        return self.projects[project_id]["presenter"]


def check_plan(instance: dict[str, Any], plan: Any) -> list[str]:
    """Every way ``plan`` breaks the rules of ``instance``, as readable sentences."""
    if not isinstance(plan, dict):
        return ["plan: must be an object"]
    catalogue = _Catalogue(instance)
    placed, violations = _read_assignments(catalogue, plan.get("assignments"))
    violations += _room_double_bookings(placed)
    violations += _project_shapes(catalogue, placed)
    violations += _presenter_clashes(catalogue, placed)
    violations += _capacity_shortfalls(catalogue, placed)
    if catalogue.one_sector:
        violations += _mixed_sectors(catalogue, placed)
    violations += _unscheduled_problems(catalogue, placed, plan.get("unscheduled"))
    violations += _figure_mismatches(catalogue, placed, plan)
    return violations


Placed = dict[Any, list[tuple[Any, Any]]]
"""project id -> its (room id, slot id) entries, in plan order."""


def _read_assignments(catalogue: _Catalogue, assignments: Any) -> tuple[Placed, list[str]]:
    placed: Placed = defaultdict(list)
    if not isinstance(assignments, list):
        return placed, ["assignments: must be a list"]
    violations = []
    known = {
        "project": catalogue.projects,
        "room": catalogue.capacity,
        "slot": catalogue.slot_position,
    }
    for index, entry in enumerate(assignments):
        if not isinstance(entry, dict):
            violations.append(f"assignments[{index}]: must be an object")
            continue
        problems = [
            _unknown_reference(index, field, entry.get(field), ids) for field, ids in known.items()
        ]
        problems = [problem for problem in problems if problem]
        if problems:
            violations += problems
            continue
        placed[entry["project"]].append((entry["room"], entry["slot"]))
    return placed, violations


def _unknown_reference(index: int, field: str, value: Any, ids: Any) -> str | None:
    if not _is_id(value):
        return f"assignments[{index}].{field}: must be a string or an integer"
    if value not in ids:
        return f"assignments[{index}].{field}: unknown {field} {value!r}"
    return None


def _room_double_bookings(placed: Placed) -> list[str]:
    occupants: dict[tuple[Any, Any], list[Any]] = defaultdict(list)
    for project_id, cells in placed.items():
        for cell in cells:
            occupants[cell].append(project_id)
    return [
        f"room {room!r} double-booked in slot {slot!r}: projects {_names(projects)}"
        for (room, slot), projects in occupants.items()
        if len(projects) > 1
    ]


def _project_shapes(catalogue: _Catalogue, placed: Placed) -> list[str]:
    violations = []
    for project_id, cells in placed.items():
        duration = catalogue.duration(project_id)
        if len(cells) != duration:
            violations.append(
                f"project {project_id!r} assigned {len(cells)} times but needs {duration} slot(s)"
            )
            continue
        if duration > 1 and not _one_block(catalogue, cells):
            violations.append(
                f"project {project_id!r} is not in {duration} consecutive slots "
                "of one session in one room"
            )
    return violations


def _one_block(catalogue: _Catalogue, cells: list[tuple[Any, Any]]) -> bool:
    rooms = {room for room, _ in cells}
    positions = sorted(catalogue.slot_position[slot] for _, slot in cells)
    sessions = {catalogue.session[slot] for _, slot in cells}
    consecutive = positions == list(range(positions[0], positions[0] + len(positions)))
    return len(rooms) == 1 and len(sessions) == 1 and consecutive


def _presenter_clashes(catalogue: _Catalogue, placed: Placed) -> list[str]:
    busy: dict[tuple[Any, Any], set[Any]] = defaultdict(set)
    violations = []
    for project_id, cells in placed.items():
        presenter = catalogue.presenter(project_id)
        blocked = catalogue.blocked.get(str(presenter), set())
        for _, slot in cells:
            busy[(presenter, slot)].add(project_id)
            if slot in blocked:
                violations.append(
                    f"presenter {presenter!r} is unavailable in slot {slot!r} "
                    f"(project {project_id!r})"
                )
    violations += [
        f"presenter {presenter!r} in two places in slot {slot!r}: projects {_names(projects)}"
        for (presenter, slot), projects in busy.items()
        if len(projects) > 1
    ]
    return violations


def _capacity_shortfalls(catalogue: _Catalogue, placed: Placed) -> list[str]:
    violations = []
    for project_id, cells in placed.items():
        audience = len(catalogue.audience[project_id])
        for room in {room for room, _ in cells}:
            if catalogue.capacity[room] < audience:
                violations.append(
                    f"room {room!r} holds {catalogue.capacity[room]} but project "
                    f"{project_id!r} has {audience} interested investors"
                )
    return violations


def _mixed_sectors(catalogue: _Catalogue, placed: Placed) -> list[str]:
    sectors: dict[tuple[Any, Any], set[Any]] = defaultdict(set)
    for project_id, cells in placed.items():
        for room, slot in cells:
            sectors[(room, catalogue.session[slot])].add(catalogue.projects[project_id]["sector"])
    return [
        f"room {room!r} mixes sectors {_names(found)} in session {session!r}"
        for (room, session), found in sectors.items()
        if len(found) > 1
    ]


def _unscheduled_problems(catalogue: _Catalogue, placed: Placed, unscheduled: Any) -> list[str]:
    if not isinstance(unscheduled, list):
        return ["unscheduled: must be a list"]
    violations = []
    ids = [value for value in unscheduled if _is_id(value)]
    if len(ids) != len(unscheduled):
        violations.append("unscheduled: entries must be project ids")
    listed = Counter(ids)
    for project_id, times in listed.items():
        if project_id not in catalogue.projects:
            violations.append(f"unscheduled: unknown project {project_id!r}")
        elif times > 1:
            violations.append(f"unscheduled: project {project_id!r} listed {times} times")
        elif project_id in placed:
            violations.append(f"project {project_id!r} is both assigned and unscheduled")
    missing = [
        project_id
        for project_id in catalogue.projects
        if project_id not in placed and project_id not in listed
    ]
    violations += [
        f"project {project_id!r} neither assigned nor unscheduled" for project_id in missing
    ]
    return violations


def _missed_interests(catalogue: _Catalogue, placed: Placed) -> int:
    """Clashing interests among placed projects plus every interest in an unplaced one."""
    running: dict[Any, Counter[Any]] = defaultdict(Counter)
    for project_id, cells in placed.items():
        for slot in {slot for _, slot in cells}:
            for investor in catalogue.audience[project_id]:
                running[investor][slot] += 1
    clashes = sum(max(0, count - 1) for slots in running.values() for count in slots.values())
    not_placed = sum(
        len(investors)
        for project_id, investors in catalogue.audience.items()
        if project_id not in placed
    )
    return clashes + not_placed


def _figure_mismatches(catalogue: _Catalogue, placed: Placed, plan: dict[str, Any]) -> list[str]:
    expected = {
        "interests": sum(len(investors) for investors in catalogue.audience.values()),
        "missed_interests": _missed_interests(catalogue, placed),
    }
    return [
        f"{key}: plan says {plan.get(key)!r}, recomputed {value}"
        for key, value in expected.items()
        if plan.get(key) != value or isinstance(plan.get(key), bool)
    ]
