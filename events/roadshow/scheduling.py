"""Roadshow (项目推介会) scheduler: investment projects pitched to investors in rooms and slots.

Pure functions over JSON-shaped data: no Flask, no database, standard library only.

Instance
--------
::

    {"rooms": [{"id": "A", "capacity": 120}],
     "slots": [{"id": "d1-09:00", "session": "day1-am"}],
     "projects": [{"id": "p1", "presenter": "P1", "sector": "biotech", "duration_slots": 1}],
     "unavailable": {"P1": ["d1-09:00"]},
     "interests": [["investor-1", "p1"]],
     "one_sector_per_room_session": false}

* Ids (rooms, slots, projects, presenters, sectors, sessions, investors) are
  strings or integers and come back in the plan exactly as given.
* Slots are ordered as listed. A session (e.g. a half-day) groups slots that
  must follow each other in the list; two slots are consecutive when they are
  adjacent in the list and belong to the same session.
* ``duration_slots`` (optional, default 1, at least 1): the project occupies
  that many consecutive slots of one session in one room.
* ``unavailable`` (optional) maps a presenter id (JSON keys are strings, so it
  is compared with the presenter's id written as a string) to slot ids.
* ``interests`` (optional): ``[investor id, project id]`` pairs; a pair given
  twice counts once. A project's expected audience is the number of distinct
  investors interested in it.
* ``one_sector_per_room_session`` (optional, default false).

Hard constraints: a room holds one pitch per slot; a presenter never runs two
pitches in the same slot and never pitches in a slot listed as unavailable for
them; the room's capacity covers the project's audience; with
``one_sector_per_room_session`` all projects in one room within one session
share a sector.

Plan
----
::

    {"assignments": [{"project": "p1", "room": "A", "slot": "d1-09:00"}],
     "unscheduled": ["p9"],
     "unscheduled_reasons": {"p9": "no room large enough for 230 interested investors"},
     "missed_interests": 12, "interests": 2700, "violations": []}

* ``assignments`` has one entry per occupied slot (a two-slot project has two
  entries), sorted by slot then room in instance order.
* ``unscheduled`` lists, in instance order, the projects left out, each with a
  reason in ``unscheduled_reasons``.
* ``interests``: distinct (investor, project) pairs.
* ``missed_interests``: for every investor and every slot, the number of
  projects interesting to that investor running in that slot minus one (when
  positive), summed; plus every interest in an unscheduled project. With
  single-slot pitches this is exactly the number of interests the investor
  cannot attend; a multi-slot clash counts once per shared slot.
* ``violations``: always empty, as returned plans pass
  :func:`events.roadshow.plan_check.check_plan`.

Objective: fewest unscheduled projects first, then fewest missed interests.

Solver (:func:`solve`): a constructive pass places the hardest projects first
(fewest allowed placements, then largest audience) where they add the fewest
clashes; simulated annealing then moves a project to another room-slot or
swaps it with the one occupying it (a left-out project may displace a placed
one), pricing each change from per-investor-per-slot counters. Each round
cools from the best plan so far; the search stops at the time limit, at a
proven optimum, or after three rounds without progress, so a seed gives the
same plan whenever the search settles before the time limit. The result goes
through the independent validator; should it ever object, the baseline (then
an empty plan) is returned instead, so a returned plan never breaks a rule.
The time limit bounds the search, not the first constructive pass.

:func:`baseline` is the sector-grouped first-feasible grid that ignores
interests, for comparison.

Limits: at most 200 rooms, 500 slots, 10,000 room-slots, 5,000 projects,
100,000 interests and 100,000 unavailability entries.

Command::

    python -m events.roadshow.scheduling roadshow INSTANCE.json [--time-limit S] [--seed N]
        [--progress]
    python -m events.roadshow.scheduling meetings INSTANCE.json [--time-limit S]
        [--progress] [--previous PLAN.json]

The ``meetings`` command runs :func:`events.roadshow.matchmaking.solve`; ``--progress``
writes its progress figures to stderr as JSON lines, ``--previous`` re-runs from an
earlier plan so that as few of its meetings as possible move.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from events.roadshow.instances import InstanceError, is_id, require_list, require_object
from events.roadshow.plan_check import check_plan

Ident = str | int

MAX_ROOMS = 200
MAX_SLOTS = 500
MAX_ROOM_SLOTS = 10_000
MAX_PROJECTS = 5_000
MAX_INTERESTS = 100_000
MAX_UNAVAILABLE = 100_000
DEFAULT_TIME_LIMIT = 20.0


@dataclass
class Instance:
    """A validated instance with every id replaced by its position."""

    raw: dict[str, Any]
    room_ids: list[Ident]
    capacities: list[int]
    slot_ids: list[Ident]
    slot_sessions: list[int]
    session_count: int
    project_ids: list[Ident]
    presenter_ids: list[Ident]
    project_presenters: list[int]
    project_sectors: list[int]
    sector_ids: list[Ident]
    durations: list[int]
    blocked_slots: list[frozenset[int]]
    audiences: list[list[int]]
    investor_count: int
    one_sector: bool

    @property
    def interest_count(self) -> int:
        return sum(len(audience) for audience in self.audiences)


# --- instance validation ---------------------------------------------------------------


def _require_id(item: dict[str, Any], key: str, where: str) -> Ident:
    if key not in item:
        raise InstanceError(f"{where}.{key}: missing")
    value = item[key]
    if not is_id(value):
        raise InstanceError(f"{where}.{key}: must be a string or an integer")
    if value == "":
        raise InstanceError(f"{where}.{key}: must not be empty")
    return value


def _require_count(item: dict[str, Any], key: str, where: str, default: int | None) -> int:
    if key not in item and default is not None:
        return default
    if key not in item:
        raise InstanceError(f"{where}.{key}: missing")
    value = item[key]
    smallest = 0 if default is None else 1
    if isinstance(value, bool) or not isinstance(value, int) or value < smallest:
        wording = "a non-negative integer" if smallest == 0 else f"an integer >= {smallest}"
        raise InstanceError(f"{where}.{key}: must be {wording}")
    return value


def _unique_ids(items: list[dict[str, Any]], name: str) -> dict[Ident, int]:
    positions: dict[Ident, int] = {}
    for index, item in enumerate(items):
        ident = _require_id(item, "id", f"{name}[{index}]")
        if ident in positions:
            raise InstanceError(f"{name}[{index}].id: duplicate id {ident!r}")
        positions[ident] = index
    return positions


def _objects(values: list[Any], name: str) -> list[dict[str, Any]]:
    return [require_object(value, f"{name}[{index}]") for index, value in enumerate(values)]


def _session_positions(slots: list[dict[str, Any]]) -> tuple[list[int], int]:
    positions: dict[Ident, int] = {}
    sessions = []
    previous: Ident | None = None
    for index, slot in enumerate(slots):
        session = _require_id(slot, "session", f"slots[{index}]")
        if session in positions and session != previous:
            raise InstanceError(
                f"slots[{index}].session: session {session!r} must be on consecutive slots"
            )
        positions.setdefault(session, len(positions))
        sessions.append(positions[session])
        previous = session
    return sessions, len(positions)


def _blocked_slots(
    data: dict[str, Any], presenter_ids: list[Ident], slot_positions: dict[Ident, int]
) -> list[frozenset[int]]:
    raw = data.get("unavailable", {})
    if not isinstance(raw, dict):
        raise InstanceError("unavailable: must be an object mapping presenter ids to slot ids")
    if sum(len(value) for value in raw.values() if isinstance(value, list)) > MAX_UNAVAILABLE:
        raise InstanceError(f"unavailable: at most {MAX_UNAVAILABLE:,} slot entries allowed")
    by_key = {str(presenter): index for index, presenter in enumerate(presenter_ids)}
    blocked: list[set[int]] = [set() for _ in presenter_ids]
    for key, slots in raw.items():
        if key not in by_key:
            raise InstanceError(f"unavailable[{key!r}]: unknown presenter")
        if not isinstance(slots, list):
            raise InstanceError(f"unavailable[{key!r}]: must be a list of slot ids")
        for index, slot in enumerate(slots):
            if not is_id(slot) or slot not in slot_positions:
                raise InstanceError(f"unavailable[{key!r}][{index}]: unknown slot {slot!r}")
            blocked[by_key[key]].add(slot_positions[slot])
    return [frozenset(slots) for slots in blocked]


def _audiences(
    data: dict[str, Any], project_positions: dict[Ident, int]
) -> tuple[list[list[int]], int]:
    interests = require_list(data, "interests", MAX_INTERESTS, required=False)
    investors: dict[Ident, int] = {}
    audiences: list[set[int]] = [set() for _ in project_positions]
    for index, pair in enumerate(interests):
        if not isinstance(pair, list) or len(pair) != 2:
            raise InstanceError(f"interests[{index}]: must be a pair [investor id, project id]")
        investor, project = pair
        if not is_id(investor):
            raise InstanceError(f"interests[{index}][0]: must be a string or an integer")
        if not is_id(project) or project not in project_positions:
            raise InstanceError(f"interests[{index}][1]: unknown project {project!r}")
        investor_index = investors.setdefault(investor, len(investors))
        audiences[project_positions[project]].add(investor_index)
    return [sorted(audience) for audience in audiences], len(investors)


def validate_instance(data: Any) -> Instance:
    """Check a parsed JSON instance; raise :class:`InstanceError` on the first problem."""
    if not isinstance(data, dict):
        raise InstanceError("instance: must be a JSON object")
    rooms = _objects(require_list(data, "rooms", MAX_ROOMS, required=True), "rooms")
    slots = _objects(require_list(data, "slots", MAX_SLOTS, required=True), "slots")
    projects = _objects(require_list(data, "projects", MAX_PROJECTS, required=True), "projects")
    if len(rooms) * len(slots) > MAX_ROOM_SLOTS:
        raise InstanceError(
            f"rooms: at most {MAX_ROOM_SLOTS:,} room-slots allowed, "
            f"got {len(rooms)} rooms × {len(slots)} slots"
        )
    _unique_ids(rooms, "rooms")
    slot_positions = _unique_ids(slots, "slots")
    project_positions = _unique_ids(projects, "projects")
    capacities = [
        _require_count(room, "capacity", f"rooms[{index}]", None)
        for index, room in enumerate(rooms)
    ]
    slot_sessions, session_count = _session_positions(slots)
    presenters: dict[Ident, int] = {}
    sectors: dict[Ident, int] = {}
    project_presenters, project_sectors, durations = [], [], []
    for index, project in enumerate(projects):
        where = f"projects[{index}]"
        presenter = _require_id(project, "presenter", where)
        project_presenters.append(presenters.setdefault(presenter, len(presenters)))
        sector = _require_id(project, "sector", where)
        project_sectors.append(sectors.setdefault(sector, len(sectors)))
        durations.append(_require_count(project, "duration_slots", where, 1))
    one_sector = data.get("one_sector_per_room_session", False)
    if not isinstance(one_sector, bool):
        raise InstanceError("one_sector_per_room_session: must be true or false")
    presenter_ids = list(presenters)
    audiences, investor_count = _audiences(data, project_positions)
    return Instance(
        raw=data,
        room_ids=[room["id"] for room in rooms],
        capacities=capacities,
        slot_ids=[slot["id"] for slot in slots],
        slot_sessions=slot_sessions,
        session_count=session_count,
        project_ids=list(project_positions),
        presenter_ids=presenter_ids,
        project_presenters=project_presenters,
        project_sectors=project_sectors,
        sector_ids=list(sectors),
        durations=durations,
        blocked_slots=_blocked_slots(data, presenter_ids, slot_positions),
        audiences=audiences,
        investor_count=investor_count,
        one_sector=one_sector,
    )


# --- the timetable under construction ---------------------------------------------------


def _starts(instance: Instance, project: int) -> list[int]:
    """Start slots where the project fits its session and its presenter is free."""
    duration = instance.durations[project]
    blocked = instance.blocked_slots[instance.project_presenters[project]]
    sessions = instance.slot_sessions
    return [
        start
        for start in range(len(sessions) - duration + 1)
        if sessions[start] == sessions[start + duration - 1]
        and not any(slot in blocked for slot in range(start, start + duration))
    ]


class Placements:
    """The (room, start) pairs a project may take before other projects are considered.

    Held as its start slots and its rooms rather than every pair, so that the
    largest instances stay small in memory; pairs run start-major, room-minor.
    """

    def __init__(self, starts: list[int], rooms: list[int]) -> None:
        self.starts = starts
        self.rooms = rooms
        self.start_set = frozenset(starts)
        self.room_set = frozenset(rooms)

    def __len__(self) -> int:
        return len(self.starts) * len(self.rooms)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return ((room, start) for start in self.starts for room in self.rooms)

    def __getitem__(self, index: int) -> tuple[int, int]:
        start, room = divmod(index, len(self.rooms))
        return self.rooms[room], self.starts[start]

    def allows(self, room: int, start: int) -> bool:
        return room in self.room_set and start in self.start_set


def static_placements(instance: Instance) -> list[Placements]:
    """Per project, where it may go as far as capacity, sessions and its presenter allow."""
    return [
        Placements(
            _starts(instance, project),
            [room for room, size in enumerate(instance.capacities) if size >= len(audience)],
        )
        for project, audience in enumerate(instance.audiences)
    ]


class Timetable:
    """A partial plan with the counters needed to price a change in O(audience × duration).

    ``energy`` is ``weight × unscheduled projects + missed interests``; ``weight``
    exceeds any possible number of missed interests, so leaving one more
    project out never pays for fewer clashes.
    """

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        slots = self.slots = len(instance.slot_ids)
        self.weight = sum(
            len(audience) * duration
            for audience, duration in zip(instance.audiences, instance.durations, strict=True)
        )
        self.weight += 1
        self.room_at = [-1] * (len(instance.room_ids) * slots)
        self.presenter_at = [-1] * (len(instance.presenter_ids) * slots)
        cells = len(instance.room_ids) * instance.session_count
        self.cell_sector = [-1] * cells
        self.cell_load = [0] * cells
        self.attending = [0] * (instance.investor_count * slots)
        self.offsets = [
            [investor * slots for investor in audience] for audience in instance.audiences
        ]
        self.rooms = [-1] * len(instance.project_ids)
        self.starts = [-1] * len(instance.project_ids)
        self.energy = sum(self.weight + len(audience) for audience in instance.audiences)

    @property
    def unscheduled_count(self) -> int:
        return self.rooms.count(-1)

    @property
    def missed(self) -> int:
        return self.energy - self.weight * self.unscheduled_count

    def is_free(self, project: int, room: int, start: int) -> bool:
        """Whether the (statically allowed) placement clashes with nothing placed."""
        instance = self.instance
        room_base = room * self.slots
        presenter_base = instance.project_presenters[project] * self.slots
        for slot in range(start, start + instance.durations[project]):
            if (
                self.room_at[room_base + slot] != -1
                or self.presenter_at[presenter_base + slot] != -1
            ):
                return False
        if instance.one_sector:
            sector = self.cell_sector[room * instance.session_count + instance.slot_sessions[start]]
            return sector in (-1, instance.project_sectors[project])
        return True

    def clashes_at(self, project: int, start: int) -> int:
        """Interests the project would newly clash with if it started at ``start``."""
        attending = self.attending
        return sum(
            1
            for slot in range(start, start + self.instance.durations[project])
            for offset in self.offsets[project]
            if attending[offset + slot]
        )

    def place(self, project: int, room: int, start: int) -> int:
        instance = self.instance
        delta = -self.weight - len(self.offsets[project])
        attending = self.attending
        room_base = room * self.slots
        presenter_base = instance.project_presenters[project] * self.slots
        for slot in range(start, start + instance.durations[project]):
            self.room_at[room_base + slot] = project
            self.presenter_at[presenter_base + slot] = project
            for offset in self.offsets[project]:
                if attending[offset + slot]:
                    delta += 1
                attending[offset + slot] += 1
        cell = room * instance.session_count + instance.slot_sessions[start]
        self.cell_sector[cell] = instance.project_sectors[project]
        self.cell_load[cell] += 1
        self.rooms[project], self.starts[project] = room, start
        self.energy += delta
        return delta

    def remove(self, project: int) -> int:
        instance = self.instance
        room, start = self.rooms[project], self.starts[project]
        delta = self.weight + len(self.offsets[project])
        attending = self.attending
        room_base = room * self.slots
        presenter_base = instance.project_presenters[project] * self.slots
        for slot in range(start, start + instance.durations[project]):
            self.room_at[room_base + slot] = -1
            self.presenter_at[presenter_base + slot] = -1
            for offset in self.offsets[project]:
                attending[offset + slot] -= 1
                if attending[offset + slot]:
                    delta -= 1
        cell = room * instance.session_count + instance.slot_sessions[start]
        self.cell_load[cell] -= 1
        if not self.cell_load[cell]:
            self.cell_sector[cell] = -1
        self.rooms[project] = self.starts[project] = -1
        self.energy += delta
        return delta

    def occupants(self, project: int, room: int, start: int) -> set[int]:
        base = room * self.slots
        cells = range(base + start, base + start + self.instance.durations[project])
        return {self.room_at[cell] for cell in cells} - {-1, project}

    def snapshot(self) -> tuple[list[int], list[int]]:
        return list(self.rooms), list(self.starts)

    def restore(self, snapshot: tuple[list[int], list[int]]) -> None:
        for project, room in enumerate(self.rooms):
            if room != -1:
                self.remove(project)
        for project, (room, start) in enumerate(zip(*snapshot, strict=True)):
            if room != -1:
                self.place(project, room, start)


# --- constructive start -----------------------------------------------------------------


def _construct(instance: Instance, placements: list[Placements]) -> Timetable:
    """Hardest projects first, each where it adds the fewest clashes."""
    timetable = Timetable(instance)
    order = sorted(
        range(len(instance.project_ids)),
        key=lambda project: (len(placements[project]), -len(instance.audiences[project]), project),
    )
    for project in order:
        best = _cheapest_free_placement(timetable, project, placements[project])
        if best is not None:
            timetable.place(project, *best)
    return timetable


def _cheapest_free_placement(
    timetable: Timetable, project: int, options: Placements
) -> tuple[int, int] | None:
    instance = timetable.instance
    clashes: dict[int, int] = {}
    best_key: tuple[int, ...] | None = None
    best = None
    for room, start in options:
        if not timetable.is_free(project, room, start):
            continue
        if start not in clashes:
            clashes[start] = timetable.clashes_at(project, start)
        # Joining a room-session already given to the sector keeps other rooms open for
        # other sectors; the smallest adequate room keeps the big ones for popular pitches.
        cell = room * instance.session_count + instance.slot_sessions[start]
        opens_cell = int(instance.one_sector and timetable.cell_load[cell] == 0)
        key = (opens_cell, clashes[start], instance.capacities[room], start, room)
        if best_key is None or key < best_key:
            best_key, best = key, (room, start)
    return best


# --- local search -------------------------------------------------------------------------


class _Annealer:
    """Simulated annealing over moves and swaps, restarted from the best plan each round."""

    def __init__(
        self,
        timetable: Timetable,
        placements: list[Placements],
        rng: random.Random,
        deadline: float,
        report: Callable[[int], None] = lambda energy: None,
    ) -> None:
        self.report = report
        self.timetable = timetable
        self.placements = placements
        self.movable = [project for project, options in enumerate(placements) if options]
        self.rng = rng
        self.deadline = deadline
        self.best_energy = timetable.energy
        self.best = timetable.snapshot()

    def lower_bound(self) -> int:
        """Energy of a plan leaving out only projects that fit nowhere, with no clash."""
        timetable = self.timetable
        audiences = timetable.instance.audiences
        return sum(
            timetable.weight + len(audiences[project])
            for project, options in enumerate(self.placements)
            if not options
        )

    def run(self) -> Timetable:
        if not self.movable:
            return self.timetable
        round_length = max(5_000, 2_000 * len(self.movable))
        stale_rounds = 0
        floor = self.lower_bound()
        while stale_rounds < 3 and self.best_energy > floor and time.monotonic() < self.deadline:
            before = self.best_energy
            self._anneal_round(round_length)
            self.timetable.restore(self.best)
            self.report(self.best_energy)
            stale_rounds = stale_rounds + 1 if self.best_energy >= before else 0
        return self.timetable

    def _anneal_round(self, length: int) -> None:
        hot, cold = 2.0, 0.05
        cooling = (cold / hot) ** (1 / length)
        temperature = hot
        for step in range(length):
            if step % 256 == 0 and time.monotonic() >= self.deadline:
                return
            temperature *= cooling
            self._try_move(temperature)
            if self.timetable.energy < self.best_energy:
                self.best_energy = self.timetable.energy
                self.best = self.timetable.snapshot()

    def _accepts(self, delta: int, temperature: float) -> bool:
        if delta <= 0:
            return True
        return self.rng.random() < math.exp(-delta / temperature)

    def _try_move(self, temperature: float) -> None:
        timetable, rng = self.timetable, self.rng
        project = self.movable[rng.randrange(len(self.movable))]
        options = self.placements[project]
        room, start = options[rng.randrange(len(options))]
        if (timetable.rooms[project], timetable.starts[project]) == (room, start):
            return
        occupants = timetable.occupants(project, room, start)
        if len(occupants) > 1:
            return
        displaced = occupants.pop() if occupants else -1
        previous = [
            (moved, timetable.rooms[moved], timetable.starts[moved])
            for moved in (project, displaced)
            if moved != -1 and timetable.rooms[moved] != -1
        ]
        delta = self._relocate(project, room, start, displaced, previous)
        if delta is None or not self._accepts(delta, temperature):
            self._undo((project, displaced), previous)

    def _relocate(
        self,
        project: int,
        room: int,
        start: int,
        displaced: int,
        previous: list[tuple[int, int, int]],
    ) -> int | None:
        """Move ``project`` to (room, start); ``displaced`` takes its old place or drops out.

        Returns the energy change, or None when the change breaks a hard constraint.
        """
        timetable = self.timetable
        delta = sum(timetable.remove(moved) for moved, _, _ in previous)
        if not timetable.is_free(project, room, start):
            return None
        delta += timetable.place(project, room, start)
        old = next(((r, s) for moved, r, s in previous if moved == project), None)
        if displaced == -1 or old is None:
            return delta
        if not self.placements[displaced].allows(*old) or not timetable.is_free(displaced, *old):
            return None
        return delta + timetable.place(displaced, *old)

    def _undo(self, involved: tuple[int, int], previous: list[tuple[int, int, int]]) -> None:
        timetable = self.timetable
        for project in involved:
            if project != -1 and timetable.rooms[project] != -1:
                timetable.remove(project)
        for project, room, start in previous:
            timetable.place(project, room, start)


def _fill_free_placements(timetable: Timetable, placements: list[Placements]) -> None:
    """Place any left-out project that still fits somewhere, so every reason holds."""
    for project, room in enumerate(timetable.rooms):
        if room == -1:
            best = _cheapest_free_placement(timetable, project, placements[project])
            if best is not None:
                timetable.place(project, *best)


# --- plans ----------------------------------------------------------------------------------


def _unscheduled_reason(instance: Instance, project: int, options: int) -> str:
    audience = len(instance.audiences[project])
    duration = instance.durations[project]
    if not instance.capacities or not instance.slot_ids:
        return "the instance has no rooms or no slots"
    if all(size < audience for size in instance.capacities):
        return f"no room large enough for {audience} interested investors"
    sessions = instance.slot_sessions
    if not any(
        sessions[start] == sessions[start + duration - 1]
        for start in range(len(sessions) - duration + 1)
    ):
        return f"no session has {duration} consecutive slots"
    if not options:
        presenter = instance.presenter_ids[instance.project_presenters[project]]
        return f"no available slot for presenter {presenter}"
    return f"no free room-slot left among its {options} suitable placements"


def _plan(timetable: Timetable, placements: list[Placements]) -> dict[str, Any]:
    instance = timetable.instance
    cells = sorted(
        (slot, room, project)
        for project, (room, start) in enumerate(zip(timetable.rooms, timetable.starts, strict=True))
        if room != -1
        for slot in range(start, start + instance.durations[project])
    )
    left_out = [project for project, room in enumerate(timetable.rooms) if room == -1]
    return {
        "assignments": [
            {
                "project": instance.project_ids[project],
                "room": instance.room_ids[room],
                "slot": instance.slot_ids[slot],
            }
            for slot, room, project in cells
        ],
        "unscheduled": [instance.project_ids[project] for project in left_out],
        "unscheduled_reasons": {
            instance.project_ids[project]: _unscheduled_reason(
                instance, project, len(placements[project])
            )
            for project in left_out
        },
        "missed_interests": timetable.missed,
        "interests": instance.interest_count,
        "violations": [],
    }


def _checked(instance: Instance, *candidates: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The first candidate plan the independent validator accepts.

    The last resort, leaving every project out, always passes.
    """
    for candidate in candidates:
        plan = candidate()
        if not check_plan(instance.raw, plan):
            return plan
    empty = Timetable(instance)
    return _plan(empty, static_placements(instance))


def _as_instance(instance: Instance | dict[str, Any]) -> Instance:
    return instance if isinstance(instance, Instance) else validate_instance(instance)


def _sort_key(value: Ident) -> tuple[int, Ident]:
    # Mixed string and integer ids sort integers first instead of failing.
    return (1, value) if isinstance(value, str) else (0, value)


def _baseline_timetable(instance: Instance) -> tuple[Timetable, list[Placements]]:
    placements = static_placements(instance)
    timetable = Timetable(instance)
    order = sorted(
        range(len(instance.project_ids)),
        key=lambda project: (
            _sort_key(instance.sector_ids[instance.project_sectors[project]]),
            _sort_key(instance.project_ids[project]),
        ),
    )
    for project in order:
        # Placements are listed start-major, room-minor: the grid's reading order.
        for room, start in placements[project]:
            if timetable.is_free(project, room, start):
                timetable.place(project, room, start)
                break
    return timetable, placements


def baseline(instance: Instance | dict[str, Any]) -> dict[str, Any]:
    """Sector-grouped first-feasible grid that ignores interests.

    Projects sorted by sector then id, each put in the first (slot, room), in
    instance order, that keeps every hard constraint.
    """
    model = _as_instance(instance)
    return _checked(model, lambda: _plan(*_baseline_timetable(model)))


def solve(
    instance: Instance | dict[str, Any],
    time_limit: float = DEFAULT_TIME_LIMIT,
    seed: int = 0,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """The best plan found within ``time_limit`` seconds; deterministic for a seed
    whenever the search settles before the time limit.

    ``progress``, when given, is called after the first plan and after every
    round of the search with ``{"elapsed", "unscheduled", "missed_interests"}``
    of the best plan so far.
    """
    began = time.monotonic()
    deadline = began + max(0.0, time_limit)
    model = _as_instance(instance)
    placements = static_placements(model)

    def searched() -> dict[str, Any]:
        timetable = _construct(model, placements)
        weight = timetable.weight

        def report(energy: int) -> None:
            if progress is not None:
                unscheduled, missed = divmod(energy, weight)
                elapsed = round(time.monotonic() - began, 2)
                progress(
                    {"elapsed": elapsed, "unscheduled": unscheduled, "missed_interests": missed}
                )

        report(timetable.energy)
        # Randomness here only diversifies the search; nothing secret depends on it.
        rng = random.Random(seed)  # noqa: S311
        timetable = _Annealer(timetable, placements, rng, deadline, report).run()
        _fill_free_placements(timetable, placements)
        return _plan(timetable, placements)

    return _checked(model, searched, lambda: _plan(*_baseline_timetable(model)))


# --- command line ---------------------------------------------------------------------------


def _read_instance(path: str) -> Instance:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise InstanceError(f"{path}: cannot read: {error}") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InstanceError(
            f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from error
    return validate_instance(data)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m events.roadshow.scheduling")
    commands = parser.add_subparsers(dest="command", required=True)
    roadshow = commands.add_parser("roadshow", help="schedule a roadshow instance")
    roadshow.add_argument("instance", help="instance JSON file")
    roadshow.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT)
    roadshow.add_argument("--seed", type=int, default=0)
    roadshow.add_argument(
        "--progress",
        action="store_true",
        help="write the best plan's figures to stderr as JSON lines while searching",
    )
    meetings = commands.add_parser("meetings", help="schedule a matchmaking instance")
    meetings.add_argument("instance", help="instance JSON file")
    meetings.add_argument("--time-limit", type=float, default=10.0)
    meetings.add_argument(
        "--progress",
        action="store_true",
        help="write the plan's figures to stderr as JSON lines while searching",
    )
    meetings.add_argument(
        "--previous", metavar="PLAN.json", help="earlier plan to keep as much of as possible"
    )
    return parser


def _load_json(path: str) -> Any:
    """The file's JSON; ValueError with a one-line message when unreadable or malformed."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: cannot read: {' '.join(str(error).split())}") from error


def _meetings_command(
    path: str, time_limit: float, progress: bool = False, previous: str | None = None
) -> int:
    # Imported here so the roadshow command does not need networkx.
    from events.roadshow import matchmaking

    try:
        instance = matchmaking.validate_instance(_load_json(path))
        previous_plan = None
        if previous is not None:
            try:
                previous_plan = matchmaking.validate_previous_plan(_load_json(previous))
            except matchmaking.InstanceError as error:
                raise ValueError(f"{previous}: {error}") from error
    except (ValueError, matchmaking.InstanceError) as error:
        print(f"error: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    plan = matchmaking.solve(
        instance,
        previous_plan=previous_plan,
        time_limit=time_limit,
        progress=_print_progress if progress else None,
    )
    print(json.dumps(plan, ensure_ascii=False, indent=2))
    return 0


def _print_progress(figures: dict[str, Any]) -> None:
    print(json.dumps(figures), file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    if not 0 <= arguments.time_limit < math.inf:
        print("error: --time-limit: must be a non-negative number of seconds", file=sys.stderr)
        return 2
    if arguments.command == "meetings":
        return _meetings_command(
            arguments.instance, arguments.time_limit, arguments.progress, arguments.previous
        )
    try:
        instance = _read_instance(arguments.instance)
    except InstanceError as error:
        print(f"error: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    plan = solve(
        instance,
        time_limit=arguments.time_limit,
        seed=arguments.seed,
        progress=_print_progress if arguments.progress else None,
    )
    print(json.dumps(plan, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
