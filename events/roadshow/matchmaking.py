"""Matchmaking (洽谈对接) scheduler: one-to-one business meetings in slots at tables.

Pure functions over JSON-shaped data: no Flask, no database.

Instance
--------
::

    {"slots": 16, "tables": 60,
     "participants": [{"id": "inv-1", "capacity": 1, "unavailable": [0, 1]}],
     "requests": [{"a": "inv-1", "b": "owner-7", "priority": 3}],
     "locked": [{"a": "inv-1", "b": "owner-7", "slot": 4, "table": 12}]}

* ``slots`` and ``tables`` are positive integers; slots and tables are
  numbered from 0.
* ``capacity`` (optional, default 1): how many meetings the participant (a
  company sending several people) can hold in the same slot.
* ``unavailable`` (optional): slot indices in which the participant cannot meet.
  A participant unavailable in every slot is allowed; its requests go
  unscheduled with a reason.
* ``priority``: 3 = must, 2 = would like, 1 = if possible. A pair may be
  requested once (in either order).
* ``locked`` (optional): meetings fixed by the organiser; the pair must be a
  request. A locked meeting that breaks a rule (slot or table out of range,
  an unavailable participant, a full participant or slot, a taken table, the
  pair locked twice) is reported in ``unscheduled`` with the reason.

Rules: nobody holds more meetings in a slot than their capacity; nobody meets in
a slot they are unavailable; a slot holds at most ``tables`` meetings, each at a
distinct table; each request is met at most once. Objective: the largest total
weight, the sum of the priorities of the scheduled meetings.

Plan
----
::

    {"meetings": [{"a": "inv-1", "b": "owner-7", "slot": 4, "table": 12}],
     "unscheduled": [{"a": "inv-2", "b": "owner-9", "reason": "..."}],
     "count": 950, "weight": 2210, "bound": {"count": 960, "weight": 2230},
     "seconds": 1.2}

Meetings are sorted by slot then table; ``unscheduled`` lists the other requests
in instance order.

Upper bound
-----------
Requests whose two participants share no available slot are dropped. Let
``c_p`` = capacity of p × the number of slots that p shares with at least one of
its remaining partners (at most its available slots): p cannot meet anyone in
another slot. Any plan
is a set of requests in which each participant p appears at most ``c_p`` times
and which holds at most ``slots × tables`` requests. The largest weight of such
a set (a degree-constrained subgraph problem) is computed exactly as a min-cost
flow (integer costs −priority) when the request graph is bipartite: source →
each participant of one side (capacity c_p), request edges (capacity 1), each
participant of the other side → sink (capacity c_p), with a zero-cost bypass so
that at most ``slots × tables`` units flow. When the request graph is not
bipartite the same flow runs on its bipartite double cover (a left and a right
copy of each participant, both of capacity c_p, each request giving the two
edges a_L→b_R and b_L→a_R, at most 2 × slots × tables units): a plan doubled
this way is feasible there with twice its weight, so half the flow's optimum,
rounded down, bounds every plan. ``bound.count`` is the same computation with
unit costs, so it bounds the number of meetings independently of the weight; with
all costs equal the min-cost flow just pushes as many units through request edges
as the capacities allow, so it is computed as a maximum flow (preflow-push, much
faster) capped at ``slots × tables`` per copy. The bound ignores locked meetings:
forcing meetings can only lower the optimum.

On the benchmark families this bound is tight in practice: the linear relaxation
with a variable per (request, slot) and every per-slot capacity (checked offline
with an LP solver) has the same value, and so has a flow that tracks slots on one
side; the remaining gap is the solver's.

Solver (:func:`solve`)
----------------------
* Bipartite request graph, nobody unavailable, nothing locked, no previous
  plan: the bound is reached. The flow's selection is split so that each
  participant's meetings are spread over ``capacity`` copies of degree at most
  ``slots``; König's theorem gives an edge colouring with ``slots`` colours,
  built by swapping colours along alternating paths; colour classes larger
  than ``tables`` are then evened out by swapping an over-full and an
  under-full colour along an alternating path with more edges of the first
  (de Werra's balancing). Tables are numbered within each slot.
* Otherwise: locked meetings, then the previous plan's still-valid meetings at
  their slot (and table when free; the search leaves them in place), then the
  bound's selection and the other requests by decreasing priority (fewest
  common slots first) are placed, each in the slot where it least hinders the
  selected requests still to come of its two participants, then in the least
  busy slot. A local search (a tenth of the remaining time) then places
  left-out requests by moving blocking meetings to other slots, by ejecting a
  blocking meeting of lower priority, by a breadth-first ejection chain (the
  request takes a slot where one participant is full, the displaced meeting
  moves on, and so on until a meeting fits or a cheaper one is dropped), or by
  a Kempe-chain swap of two slots restricted to available slots. Simulated
  annealing (seeded) uses the rest of the time: a left-out request, drawn by
  priority², takes a random common slot, pushing out the cheapest meeting of
  each saturated participant (and of the slot when its tables are full); those
  are re-placed in the least busy slot where they fit, and the freed room is
  refilled with the participants' best left-out requests. A loss is accepted
  with probability exp(loss / temperature), the temperature falling linearly
  from 0.2 to 0.03; the best timetable seen is returned. The search stops at
  the time limit or the bound.

:func:`baseline`: first-fit in request order (self-booking), for comparison.

Limits: at most 20,000 participants, 200,000 requests, 200 slots and 5,000 tables.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from networkx.algorithms.flow import preflow_push

from events.roadshow.instances import InstanceError, is_id, is_int, require_list, require_object

Ident = str | int
Progress = Callable[[dict[str, Any]], None]

MAX_PARTICIPANTS = 20_000
MAX_REQUESTS = 200_000
MAX_SLOTS = 200
MAX_TABLES = 5_000
DEFAULT_TIME_LIMIT = 10.0
PRIORITIES = (1, 2, 3)


@dataclass
class Instance:
    """A validated instance with participants replaced by their positions."""

    slots: int
    tables: int
    ids: list[Ident]
    capacity: list[int]
    available: list[frozenset[int]]
    requests: list[tuple[int, int, int]]
    pair_index: dict[frozenset[int], int]
    locked: list[tuple[int, int, int, int]]  # raw locked index, request, slot, table
    touching: list[list[int]] = field(default_factory=list)  # requests of each participant
    common: list[frozenset[int]] = field(default_factory=list)  # slots both sides can meet
    common_sorted: list[list[int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.touching = [[] for _ in self.ids]
        self.common, self.common_sorted = [], []
        for index, (a, b, _) in enumerate(self.requests):
            self.touching[a].append(index)
            self.touching[b].append(index)
            self.common.append(self.available[a] & self.available[b])
            self.common_sorted.append(sorted(self.common[-1]))


# --- instance validation ---------------------------------------------------------------


def _positive(data: dict[str, Any], key: str, limit: int) -> int:
    value = data.get(key)
    if not is_int(value) or value < 1:
        raise InstanceError(f"{key}: must be a positive integer, got {value!r}")
    if value > limit:
        raise InstanceError(f"{key}: at most {limit:,} allowed, got {value:,}")
    return value


def _participant(item: dict[str, Any], where: str, slots: int) -> tuple[int, frozenset[int]]:
    capacity = item.get("capacity", 1)
    if not is_int(capacity) or capacity < 1:
        raise InstanceError(f"{where}.capacity: must be an integer >= 1")
    unavailable = item.get("unavailable", [])
    if not isinstance(unavailable, list):
        raise InstanceError(f"{where}.unavailable: must be a list of slot indices")
    for slot in unavailable:
        if not is_int(slot) or not 0 <= slot < slots:
            raise InstanceError(f"{where}.unavailable: slot {slot!r} outside 0..{slots - 1}")
    return capacity, frozenset(range(slots)) - frozenset(unavailable)


def _member(item: dict[str, Any], key: str, where: str, positions: dict[Ident, int]) -> int:
    value = item.get(key)
    if not is_id(value):
        raise InstanceError(f"{where}.{key}: must be a participant id")
    if value not in positions:
        raise InstanceError(f"{where}.{key}: {value!r} is not a participant")
    return positions[value]


def _request(item: dict[str, Any], where: str, positions: dict[Ident, int]) -> tuple[int, int, int]:
    a = _member(item, "a", where, positions)
    b = _member(item, "b", where, positions)
    if a == b:
        raise InstanceError(f"{where}.b: a participant cannot request a meeting with itself")
    priority = item.get("priority")
    if not is_int(priority) or priority not in PRIORITIES:
        raise InstanceError(f"{where}.priority: must be 1, 2 or 3, got {priority!r}")
    return a, b, priority


def _locked(
    items: list[Any], positions: dict[Ident, int], pairs: dict[frozenset[int], int]
) -> list[tuple[int, int, int, int]]:
    locked = []
    for index, value in enumerate(items):
        where = f"locked[{index}]"
        item = require_object(value, where)
        a = _member(item, "a", where, positions)
        b = _member(item, "b", where, positions)
        if frozenset((a, b)) not in pairs:
            raise InstanceError(f"{where}: the pair is not among the requests")
        for key in ("slot", "table"):
            if not is_int(item.get(key)):
                raise InstanceError(f"{where}.{key}: must be an integer")
        locked.append((index, pairs[frozenset((a, b))], item["slot"], item["table"]))
    return locked


def validate_instance(data: Any) -> Instance:
    """The instance as positions, or :class:`InstanceError` naming the first bad field."""
    if not isinstance(data, dict):
        raise InstanceError("instance: must be a JSON object")
    slots = _positive(data, "slots", MAX_SLOTS)
    tables = _positive(data, "tables", MAX_TABLES)
    people = require_list(data, "participants", MAX_PARTICIPANTS, required=True)
    positions: dict[Ident, int] = {}
    capacity, available = [], []
    for index, value in enumerate(people):
        where = f"participants[{index}]"
        item = require_object(value, where)
        ident = item.get("id")
        if not is_id(ident) or ident == "":
            raise InstanceError(f"{where}.id: must be a non-empty string or an integer")
        if ident in positions:
            raise InstanceError(f"{where}.id: duplicate id {ident!r}")
        positions[ident] = index
        cap, free = _participant(item, where, slots)
        capacity.append(cap)
        available.append(free)
    requests, pairs = [], {}
    for index, value in enumerate(require_list(data, "requests", MAX_REQUESTS, required=True)):
        where = f"requests[{index}]"
        a, b, priority = _request(require_object(value, where), where, positions)
        pair = frozenset((a, b))
        if pair in pairs:
            raise InstanceError(f"{where}: duplicate of requests[{pairs[pair]}] (same pair)")
        pairs[pair] = index
        requests.append((a, b, priority))
    locked = _locked(require_list(data, "locked", MAX_REQUESTS, required=False), positions, pairs)
    return Instance(slots, tables, list(positions), capacity, available, requests, pairs, locked)


def validate_previous_plan(data: Any) -> dict[str, Any]:
    """A previous plan as read from JSON, or :class:`InstanceError` naming the first bad field.

    Only the shape is checked (an object whose ``meetings`` is a list of objects with ids
    ``a``/``b`` and integer ``slot``/``table``); meetings that no longer fit the instance are
    simply not kept by :func:`solve`.
    """
    if not isinstance(data, dict):
        raise InstanceError("previous plan: must be a JSON object")
    meetings = data.get("meetings")
    if not isinstance(meetings, list):
        raise InstanceError("previous plan: meetings: must be a list")
    for index, item in enumerate(meetings):
        where = f"previous plan: meetings[{index}]"
        if not isinstance(item, dict):
            raise InstanceError(f"{where}: must be an object")
        for key in ("a", "b"):
            if not is_id(item.get(key)):
                raise InstanceError(f"{where}.{key}: must be a participant id")
        for key in ("slot", "table"):
            if not is_int(item.get(key)):
                raise InstanceError(f"{where}.{key}: must be an integer")
    return data


def _as_instance(instance: Instance | dict[str, Any]) -> Instance:
    return instance if isinstance(instance, Instance) else validate_instance(instance)


# --- upper bound -----------------------------------------------------------------------


def _common_slots(model: Instance, request: int) -> frozenset[int]:
    return model.common[request]


def _sides(model: Instance, requests: list[int]) -> list[int] | None:
    """A 0/1 side per participant when the request graph is bipartite, else None."""
    neighbours: dict[int, list[int]] = {}
    for request in requests:
        a, b, _ = model.requests[request]
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    side = [-1] * len(model.ids)
    for start in neighbours:
        if side[start] >= 0:
            continue
        side[start] = 0
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for other in neighbours[node]:
                if side[other] < 0:
                    side[other] = 1 - side[node]
                    queue.append(other)
                elif side[other] == side[node]:
                    return None
    return side


def _usable_slots(model: Instance, requests: list[int]) -> dict[int, set[int]]:
    """Per participant, the slots it shares with at least one of its partners."""
    usable: dict[int, set[int]] = {}
    for request in requests:
        a, b, _ = model.requests[request]
        common = _common_slots(model, request)
        usable.setdefault(a, set()).update(common)
        usable.setdefault(b, set()).update(common)
    return usable


def _flow_selection(
    model: Instance, requests: list[int], side: list[int] | None, unit: bool
) -> tuple[int, int, list[int]]:
    """(count, weight, selected requests) of the optimal flow; doubled when side is None."""
    graph = nx.DiGraph()
    copies = 1 if side is not None else 2
    usable_slots = _usable_slots(model, requests)
    total = min(copies * model.slots * model.tables, copies * len(requests))
    graph.add_node("source", demand=-total)
    graph.add_node("sink", demand=total)
    graph.add_edge("source", "sink", capacity=total, weight=0)
    arcs: list[tuple[Any, Any, int]] = []
    for request in requests:
        a, b, priority = model.requests[request]
        if side is not None and side[a] == 1:
            a, b = b, a
        ends = [(("L", a), ("R", b))] if side is not None else [(("L", a), ("R", b))]
        if side is None:
            ends.append((("L", b), ("R", a)))
        for left, right in ends:
            graph.add_edge(left, right, capacity=1, weight=-1 if unit else -priority)
            arcs.append((left, right, request))
    for node in list(graph.nodes):
        if isinstance(node, tuple):
            cap = model.capacity[node[1]] * len(usable_slots[node[1]])
            if node[0] == "L":
                graph.add_edge("source", node, capacity=cap, weight=0)
            else:
                graph.add_edge(node, "sink", capacity=cap, weight=0)
    flow = nx.min_cost_flow(graph)
    chosen = [request for left, right, request in arcs if flow[left][right] > 0]
    weight = sum(model.requests[r][2] for r in chosen)
    if side is None:
        return len(chosen) // 2, weight // 2, sorted(set(chosen))
    return len(chosen), weight, chosen


def _max_count(model: Instance, requests: list[int], side: list[int] | None) -> int:
    """The unit-cost flow's count, computed faster as a maximum flow: with all costs -1 the
    min-cost flow routes as many units through request edges as the caps allow, at most
    ``slots × tables`` (per copy)."""
    graph = nx.DiGraph()
    copies = 1 if side is not None else 2
    usable_slots = _usable_slots(model, requests)
    for request in requests:
        a, b, _ = model.requests[request]
        if side is not None and side[a] == 1:
            a, b = b, a
        graph.add_edge(("L", a), ("R", b), capacity=1)
        if side is None:
            graph.add_edge(("L", b), ("R", a), capacity=1)
    for node in list(graph.nodes):
        cap = model.capacity[node[1]] * len(usable_slots[node[1]])
        if node[0] == "L":
            graph.add_edge("source", node, capacity=cap)
        else:
            graph.add_edge(node, "sink", capacity=cap)
    value = nx.maximum_flow_value(graph, "source", "sink", flow_func=preflow_push)
    return min(value, copies * model.slots * model.tables) // copies


def _bound(model: Instance) -> tuple[dict[str, int], list[int], list[int] | None]:
    usable = [r for r in range(len(model.requests)) if _common_slots(model, r)]
    if not usable:
        return {"count": 0, "weight": 0}, [], _sides(model, usable)
    side = _sides(model, usable)
    selected, weight, chosen = _flow_selection(model, usable, side, unit=False)
    # The weighted selection is itself a flow of the count relaxation: when it
    # already fills every table of every slot, no maximum flow can count more.
    full = model.slots * model.tables
    count = full if selected >= full else _max_count(model, usable, side)
    return {"count": count, "weight": weight}, chosen, side


def upper_bound(instance: Instance | dict[str, Any]) -> dict[str, int]:
    """The proven upper bound on count and weight (see the module docstring)."""
    return _bound(_as_instance(instance))[0]


# --- progress --------------------------------------------------------------------------


PROGRESS_INTERVAL = 1.0


@dataclass
class _Reporter:
    """Calls ``progress`` with the current figures, at most once per interval after the first."""

    progress: Progress | None
    started: float
    bound: dict[str, int]
    last: float | None = None

    def report(self, count: int, weight: int, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if not force and self.last is not None and now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        self.progress(
            {
                "elapsed": round(now - self.started, 2),
                "count": count,
                "weight": weight,
                "bound": dict(self.bound),
            }
        )

    def tick(self, timetable: Timetable) -> None:
        """Report when an interval has passed; cheap enough for the search loops."""
        if self.progress is not None:
            self.report(len(timetable.slot_of), timetable.weight)


# --- timetable -------------------------------------------------------------------------


@dataclass
class Timetable:
    """Meetings by slot with per-participant and per-slot load counters."""

    model: Instance
    slot_of: dict[int, int] = field(default_factory=dict)
    fixed: set[int] = field(default_factory=set)
    load: dict[tuple[int, int], int] = field(default_factory=dict)
    in_slot: list[set[int]] = field(default_factory=list)
    held: dict[tuple[int, int], set[int]] = field(default_factory=dict)
    weight: int = 0

    def __post_init__(self) -> None:
        self.in_slot = [set() for _ in range(self.model.slots)]

    def fits(self, request: int, slot: int) -> bool:
        a, b, _ = self.model.requests[request]
        model = self.model
        return (
            len(self.in_slot[slot]) < model.tables
            and slot in model.available[a]
            and slot in model.available[b]
            and self.load.get((a, slot), 0) < model.capacity[a]
            and self.load.get((b, slot), 0) < model.capacity[b]
        )

    def place(self, request: int, slot: int) -> None:
        a, b, priority = self.model.requests[request]
        self.slot_of[request] = slot
        self.in_slot[slot].add(request)
        self.load[(a, slot)] = self.load.get((a, slot), 0) + 1
        self.load[(b, slot)] = self.load.get((b, slot), 0) + 1
        self.held.setdefault((a, slot), set()).add(request)
        self.held.setdefault((b, slot), set()).add(request)
        self.weight += priority

    def remove(self, request: int) -> int:
        a, b, priority = self.model.requests[request]
        slot = self.slot_of.pop(request)
        self.in_slot[slot].discard(request)
        self.load[(a, slot)] -= 1
        self.load[(b, slot)] -= 1
        self.held[(a, slot)].discard(request)
        self.held[(b, slot)].discard(request)
        self.weight -= priority
        return slot

    def restore(self, snapshot: dict[int, int]) -> None:
        """Return to an earlier ``slot_of`` by undoing only the differences."""
        for request, slot in list(self.slot_of.items()):
            if snapshot.get(request) != slot:
                self.remove(request)
        for request, slot in snapshot.items():
            if request not in self.slot_of:
                self.place(request, slot)

    def place_first_fit(self, request: int, slots: list[int]) -> bool:
        for slot in slots:
            if self.fits(request, slot):
                self.place(request, slot)
                return True
        return False


def _blockers(timetable: Timetable, request: int, slot: int) -> list[set[int]]:
    """For each saturated resource of the request at the slot, the movable meetings using it."""
    model = timetable.model
    groups = []
    for person in model.requests[request][:2]:
        if timetable.load.get((person, slot), 0) >= model.capacity[person]:
            groups.append(timetable.held[(person, slot)] - timetable.fixed)
    # Last: clearing a participant's meeting also frees a table.
    if len(timetable.in_slot[slot]) >= model.tables:
        groups.append(timetable.in_slot[slot] - timetable.fixed)
    return groups


def _relocate(timetable: Timetable, meeting: int, avoid: int) -> bool:
    for slot in timetable.model.common_sorted[meeting]:
        if slot != avoid and timetable.fits(meeting, slot):
            timetable.remove(meeting)
            timetable.place(meeting, slot)
            return True
    return False


def _try_insert(timetable: Timetable, request: int, slot: int) -> bool:
    """Place the request at the slot, clearing each saturated resource by moving one of its
    meetings to another slot or, when that gains weight, ejecting a cheaper one."""
    model = timetable.model
    moved: list[tuple[int, int]] = []
    ejected: list[int] = []
    for group in _blockers(timetable, request, slot):
        if timetable.fits(request, slot):
            break
        present = sorted(m for m in group if timetable.slot_of.get(m) == slot)
        shifted = next((m for m in present if _relocate(timetable, m, slot)), None)
        if shifted is not None:
            moved.append((shifted, slot))
            continue
        if present:
            cheapest = min(present, key=lambda m: model.requests[m][2])
            timetable.remove(cheapest)
            ejected.append(cheapest)
    lost = sum(model.requests[m][2] for m in ejected)
    if timetable.fits(request, slot) and lost < model.requests[request][2]:
        timetable.place(request, slot)
        for meeting in ejected:
            _relocate_anywhere(timetable, meeting)
        return True
    for meeting in ejected:
        timetable.place(meeting, slot)
    for meeting, origin in reversed(moved):
        timetable.remove(meeting)
        timetable.place(meeting, origin)
    return False


def _construct(timetable: Timetable, order: list[int], selected: set[int]) -> None:
    """Place the requests in order, each in the slot where it least hinders the selected
    requests still to come of its two participants (then the least busy slot)."""
    model = timetable.model
    demand: dict[tuple[int, int], int] = {}
    for request in selected:
        a, b, priority = model.requests[request]
        for slot in model.common_sorted[request]:
            demand[(a, slot)] = demand.get((a, slot), 0) + priority
            demand[(b, slot)] = demand.get((b, slot), 0) + priority
    in_slot = timetable.in_slot
    for request in order:
        a, b, priority = model.requests[request]
        if request in selected:
            for slot in model.common_sorted[request]:
                demand[(a, slot)] -= priority
                demand[(b, slot)] -= priority
        if request in timetable.slot_of:
            continue
        best = min(
            (s for s in model.common_sorted[request] if timetable.fits(request, s)),
            key=lambda s: (demand.get((a, s), 0) + demand.get((b, s), 0), len(in_slot[s])),
            default=None,
        )
        if best is not None:
            timetable.place(request, best)


def _place_best_fit(timetable: Timetable, request: int) -> bool:
    """Place the request in the least busy slot where it fits (ties: the earliest)."""
    in_slot = timetable.in_slot
    best = min(
        (s for s in timetable.model.common_sorted[request] if timetable.fits(request, s)),
        key=lambda s: len(in_slot[s]),
        default=None,
    )
    if best is None:
        return False
    timetable.place(request, best)
    return True


def _relocate_anywhere(timetable: Timetable, meeting: int) -> None:
    timetable.place_first_fit(meeting, timetable.model.common_sorted[meeting])


# --- exact colouring (bipartite, no availability limits) -------------------------------


def _colour_edges(model: Instance, chosen: list[int]) -> dict[int, int]:
    """Colour the selection with ``slots`` colours, each participant copy once per colour."""
    used: dict[int, int] = {}
    at: dict[tuple[int, int], dict[int, int]] = {}
    colour_of: dict[int, int] = {}
    sizes = [0] * model.slots
    for request in chosen:
        a, b, _ = model.requests[request]
        ends = []
        for person in (a, b):
            ends.append((person, used.get(person, 0) % model.capacity[person]))
            used[person] = used.get(person, 0) + 1
        u, v = ends
        at.setdefault(u, {})
        at.setdefault(v, {})
        alpha = min((c for c in range(model.slots) if c not in at[u]), key=lambda c: sizes[c])
        if alpha in at[v]:
            beta = next(c for c in range(model.slots) if c not in at[v])
            _swap_path(model, at, colour_of, v, alpha, beta, sizes)
        at[u][alpha] = request
        at[v][alpha] = request
        colour_of[request] = alpha
        sizes[alpha] += 1
    return _balance(model, at, colour_of, sizes)


def _walk(
    model: Instance,
    at: dict[tuple[int, int], dict[int, int]],
    start: tuple[int, int],
    first: int,
    second: int,
) -> list[int]:
    """Requests of the alternating first/second path leaving ``start`` by colour ``first``."""
    path, node, colour = [], start, first
    while colour in at[node]:
        request = at[node][colour]
        path.append(request)
        node = _far_end(model, at, node, request, colour)
        colour = second if colour == first else first
    return path


def _far_end(model: Instance, at: dict, node: tuple[int, int], request: int, colour: int) -> Any:
    a, b, _ = model.requests[request]
    person = b if node[0] == a else a
    for copy in range(model.capacity[person]):
        if at.get((person, copy), {}).get(colour) == request:
            return (person, copy)
    raise AssertionError("edge without a far end")


def _recolour(
    model: Instance,
    at: dict[tuple[int, int], dict[int, int]],
    colour_of: dict[int, int],
    path: list[int],
    first: int,
    second: int,
    sizes: list[int],
) -> None:
    ends: list[tuple[tuple[int, int], int]] = []
    for request in path:
        colour = colour_of[request]
        for node, colours in _ends(model, at, request, colour):
            del colours[colour]
            ends.append((node, request))
        sizes[colour] -= 1
    for request in path:
        new = second if colour_of[request] == first else first
        colour_of[request] = new
        sizes[new] += 1
    for node, request in ends:
        at[node][colour_of[request]] = request


def _ends(model: Instance, at: dict, request: int, colour: int) -> list[tuple[Any, dict]]:
    a, b, _ = model.requests[request]
    found = []
    for person in (a, b):
        for copy in range(model.capacity[person]):
            colours = at.get((person, copy))
            if colours is not None and colours.get(colour) == request:
                found.append(((person, copy), colours))
                break
    return found


def _swap_path(
    model: Instance,
    at: dict[tuple[int, int], dict[int, int]],
    colour_of: dict[int, int],
    start: tuple[int, int],
    first: int,
    second: int,
    sizes: list[int],
) -> None:
    path = _walk(model, at, start, first, second)
    _recolour(model, at, colour_of, path, first, second, sizes)


def _balance(
    model: Instance,
    at: dict[tuple[int, int], dict[int, int]],
    colour_of: dict[int, int],
    sizes: list[int],
) -> dict[int, int]:
    """Even out colour classes above ``tables`` along alternating paths (de Werra)."""
    while max(sizes, default=0) > model.tables:
        big = max(range(model.slots), key=lambda c: sizes[c])
        small = min(range(model.slots), key=lambda c: sizes[c])
        for node, colours in at.items():
            if big in colours and small not in colours:
                path = _walk(model, at, node, big, small)
                if len(path) % 2 == 1:
                    _recolour(model, at, colour_of, path, big, small, sizes)
                    break
        else:
            raise AssertionError("no alternating path to balance colours")
    return colour_of


# --- plans -----------------------------------------------------------------------------


def _assign_tables(timetable: Timetable, wanted: dict[int, int]) -> list[tuple[int, int, int]]:
    """(slot, table, request) triples: wanted tables first when free, then the lowest free."""
    rows = []
    for slot, members in enumerate(timetable.in_slot):
        taken: dict[int, int] = {}
        for request in sorted(members, key=lambda r: (r not in timetable.fixed, r)):
            table = wanted.get(request)
            if table is not None and 0 <= table < timetable.model.tables and table not in taken:
                taken[table] = request
        free = (t for t in range(timetable.model.tables) if t not in taken)
        for request in sorted(members):
            if request not in taken.values():
                taken[next(free)] = request
        rows.extend((slot, table, request) for table, request in taken.items())
    return sorted(rows)


def _reason(model: Instance, request: int, extra: dict[int, str]) -> str:
    if request in extra:
        return extra[request]
    a, b, _ = model.requests[request]
    for person in (a, b):
        if not model.available[person]:
            return f"{model.ids[person]!r} is unavailable in every slot"
    if not _common_slots(model, request):
        return "the two participants share no available slot"
    return "no slot with both participants and a table free"


def _plan(
    timetable: Timetable,
    wanted: dict[int, int],
    bound: dict[str, int],
    started: float,
    extra: dict[int, str],
) -> dict[str, Any]:
    model = timetable.model
    meetings = [
        {"a": model.ids[model.requests[r][0]], "b": model.ids[model.requests[r][1]]}
        | {"slot": slot, "table": table}
        for slot, table, r in _assign_tables(timetable, wanted)
    ]
    unscheduled = [
        {"a": model.ids[a], "b": model.ids[b], "reason": _reason(model, r, extra)}
        for r, (a, b, _) in enumerate(model.requests)
        if r not in timetable.slot_of
    ]
    return {
        "meetings": meetings,
        "unscheduled": unscheduled,
        "count": len(meetings),
        "weight": timetable.weight,
        "bound": dict(bound),
        "seconds": round(time.monotonic() - started, 3),
    }


def _place_locked(timetable: Timetable, wanted: dict[int, int]) -> dict[int, str]:
    """Fix the valid locked meetings; the reasons for the others."""
    model = timetable.model
    reasons: dict[int, str] = {}
    tables_taken: set[tuple[int, int]] = set()
    for index, request, slot, table in model.locked:
        problem = None
        if request in timetable.slot_of:
            problem = f"locked[{index}]: the pair is locked twice"
        elif not 0 <= slot < model.slots:
            problem = f"locked[{index}]: slot {slot} outside 0..{model.slots - 1}"
        elif not 0 <= table < model.tables:
            problem = f"locked[{index}]: table {table} outside 0..{model.tables - 1}"
        elif (slot, table) in tables_taken:
            problem = f"locked[{index}]: table {table} already taken in slot {slot}"
        elif not timetable.fits(request, slot):
            problem = f"locked[{index}]: a participant is unavailable or full in slot {slot}"
        if problem:
            reasons.setdefault(request, problem)
            continue
        timetable.place(request, slot)
        timetable.fixed.add(request)
        tables_taken.add((slot, table))
        wanted[request] = table
        reasons.pop(request, None)
    return reasons


def _previous_meetings(model: Instance, plan: dict[str, Any] | None) -> list[tuple[int, int, int]]:
    """(request, slot, table) of the previous plan's meetings that still name a request."""
    if not isinstance(plan, dict) or not isinstance(plan.get("meetings"), list):
        return []
    positions = {ident: index for index, ident in enumerate(model.ids)}
    found = []
    for item in plan["meetings"]:
        if not isinstance(item, dict):
            continue
        a, b = positions.get(item.get("a")), positions.get(item.get("b"))
        slot, table = item.get("slot"), item.get("table")
        pair = frozenset((a, b))
        if a is None or b is None or pair not in model.pair_index:
            continue
        if is_int(slot) and 0 <= slot < model.slots and is_int(table):
            found.append((model.pair_index[pair], slot, table))
    return found


def _is_exact_case(model: Instance, side: list[int] | None, previous: Any) -> bool:
    everywhere = all(len(free) == model.slots for free in model.available)
    return side is not None and everywhere and not model.locked and previous is None


def _exact_timetable(model: Instance, chosen: list[int]) -> Timetable:
    timetable = Timetable(model)
    for request, colour in _colour_edges(model, chosen).items():
        timetable.place(request, colour)
    return timetable


KEMPE_PATH_LIMIT = 400


def _undo_moves(timetable: Timetable, moves: list[tuple[int, int]]) -> None:
    for meeting, origin in reversed(moves):
        timetable.remove(meeting)
        timetable.place(meeting, origin)


def _kempe_chain(
    timetable: Timetable, start: int, alpha: int, beta: int
) -> list[tuple[int, int]] | None:
    """Swap slots alpha/beta along an alternating chain so that ``start`` gains room in
    alpha; the (meeting, origin) moves made, or None (and nothing moved) when it fails."""
    model = timetable.model
    moves: list[tuple[int, int]] = []
    node, colour, other = start, alpha, beta
    while len(moves) < KEMPE_PATH_LIMIT:
        moved = {meeting for meeting, _ in moves}
        candidates = sorted(timetable.held.get((node, colour), set()) - moved)
        meeting = next((m for m in candidates if m not in timetable.fixed), None)
        if meeting is None or other not in _common_slots(model, meeting):
            break
        timetable.remove(meeting)
        timetable.place(meeting, other)
        moves.append((meeting, colour))
        a, b, _ = model.requests[meeting]
        node = b if node == a else a
        if timetable.load.get((node, other), 0) <= model.capacity[node]:
            return moves
        colour, other = other, colour
    _undo_moves(timetable, moves)
    return None


def _cheaper_meeting(timetable: Timetable, person: int, slot: int, priority: int) -> int | None:
    """A movable meeting of the person in the slot with a lower priority, if any."""
    model = timetable.model
    cheaper = [
        m
        for m in timetable.held.get((person, slot), set())
        if m not in timetable.fixed and model.requests[m][2] < priority
    ]
    return min(cheaper, key=lambda m: (model.requests[m][2], m), default=None)


def _try_kempe(timetable: Timetable, request: int) -> bool:
    """Place the request after a Kempe-chain swap of two slots: one where the first side has
    room (or a cheaper meeting to give up), one where the second side has room."""
    model = timetable.model
    common = model.common_sorted[request]
    a, b, priority = model.requests[request]
    for first, second in ((a, b), (b, a)):
        roomy = [
            s
            for s in common
            if timetable.load.get((first, s), 0) < model.capacity[first]
            or _cheaper_meeting(timetable, first, s, priority) is not None
        ]
        spare = [
            s
            for s in model.available[second]
            if timetable.load.get((second, s), 0) < model.capacity[second]
        ]
        for alpha in roomy:
            for beta in spare:
                if beta != alpha and _chain_places(
                    timetable, request, (first, second), alpha, beta
                ):
                    return True
    return False


def _chain_places(
    timetable: Timetable, request: int, sides: tuple[int, int], alpha: int, beta: int
) -> bool:
    first, second = sides
    moves = _kempe_chain(timetable, second, alpha, beta)
    if moves is None:
        return False
    within_tables = all(len(timetable.in_slot[s]) <= timetable.model.tables for s in (alpha, beta))
    ejected = None
    if within_tables and not timetable.fits(request, alpha):
        ejected = _cheaper_meeting(timetable, first, alpha, timetable.model.requests[request][2])
        if ejected is not None:
            timetable.remove(ejected)
    if within_tables and timetable.fits(request, alpha):
        timetable.place(request, alpha)
        if ejected is not None:
            _relocate_anywhere(timetable, ejected)
        return True
    if ejected is not None:
        timetable.place(ejected, alpha)
    _undo_moves(timetable, moves)
    return False


CHAIN_NODES = 600


def _chain_insert(timetable: Timetable, request: int, limit: int = CHAIN_NODES) -> bool:
    """Place the left-out request by an ejection chain found breadth-first: it takes a slot
    where one participant is full, the meeting it displaces moves to another slot, and so
    on until a meeting fits, or a displaced meeting cheaper than the request is dropped.
    True when the weight grew (every move is re-checked; nothing changes otherwise)."""
    model = timetable.model
    requests, capacity, load = model.requests, model.capacity, timetable.load
    gain = requests[request][2]
    # BFS nodes: (homeless meeting, parent node, slot the parent takes from it).
    nodes: list[tuple[int, int, int]] = [(request, -1, -1)]
    seen = {request}
    best_drop, best_gain = -1, 0
    head = 0
    while head < len(nodes) and head < limit:
        meeting, _, origin = nodes[head]
        a, b, priority = requests[meeting]
        if head and gain - priority > best_gain:
            best_drop, best_gain = head, gain - priority
        for slot in model.common_sorted[meeting]:
            if slot == origin:
                continue
            full_a = load.get((a, slot), 0) >= capacity[a]
            full_b = load.get((b, slot), 0) >= capacity[b]
            if not full_a and not full_b:
                if len(timetable.in_slot[slot]) < model.tables:
                    return _apply_chain(timetable, nodes, head, slot)
                continue
            if full_a and full_b:
                continue
            person = a if full_a else b
            for other in sorted(timetable.held.get((person, slot), ())):
                if other not in seen and other not in timetable.fixed:
                    seen.add(other)
                    nodes.append((other, head, slot))
        head += 1
    if best_drop > 0:
        return _apply_chain(timetable, nodes, best_drop, None)
    return False


def _apply_chain(
    timetable: Timetable, nodes: list[tuple[int, int, int]], end: int, slot: int | None
) -> bool:
    """Apply the chain ending at node ``end``: its meeting goes to ``slot`` (dropped when
    None), then each ancestor takes the slot freed by its child. Undone when a move fails."""
    done: list[tuple[int, int | None]] = []  # (meeting, slot before; None = was left out)
    node, target = end, slot
    ok = True
    while node >= 0:
        meeting, parent, origin = nodes[node]
        before = timetable.slot_of.get(meeting)
        if before is not None:
            timetable.remove(meeting)
        done.append((meeting, before))
        if target is not None:
            if not timetable.fits(meeting, target):
                ok = False
                break
            timetable.place(meeting, target)
        node, target = parent, origin
    if ok:
        return True
    for meeting, before in reversed(done):
        if meeting in timetable.slot_of:
            timetable.remove(meeting)
        if before is not None:
            timetable.place(meeting, before)
    return False


def _improve(
    timetable: Timetable, order: list[int], target: int, deadline: float, reporter: _Reporter
) -> None:
    """Insert left-out requests by moving or ejecting blockers until nothing helps."""
    improved = True
    while improved and timetable.weight < target and time.monotonic() < deadline:
        improved = False
        for request in order:
            if request in timetable.slot_of:
                continue
            if time.monotonic() >= deadline or timetable.weight >= target:
                return
            reporter.tick(timetable)
            slots = timetable.model.common_sorted[request]
            if (
                any(_try_insert(timetable, request, slot) for slot in slots)
                or _chain_insert(timetable, request)
                or _try_kempe(timetable, request)
            ):
                improved = True


def _evict_for(timetable: Timetable, request: int, slot: int, rng: random.Random) -> list[int]:
    """Take out a cheapest movable meeting from each saturated resource of the request at
    the slot; the meetings taken out (the request may still not fit when some are fixed)."""
    model = timetable.model
    evicted = []
    for person in model.requests[request][:2]:
        if timetable.load.get((person, slot), 0) >= model.capacity[person]:
            movable = sorted(timetable.held[(person, slot)] - timetable.fixed)
            if movable:
                victim = min(movable, key=lambda m: (model.requests[m][2], rng.random()))
                timetable.remove(victim)
                evicted.append(victim)
    if len(timetable.in_slot[slot]) >= model.tables:
        movable = sorted(timetable.in_slot[slot] - timetable.fixed)
        if movable:
            victim = min(movable, key=lambda m: (model.requests[m][2], rng.random()))
            timetable.remove(victim)
            evicted.append(victim)
    return evicted


def _refill(timetable: Timetable, person: int, slot: int, ranked: list[int]) -> list[int]:
    """Fill the person's free room in the slot with its best left-out requests that fit
    (``ranked``: the person's requests by decreasing priority); the requests placed."""
    model = timetable.model
    placed: list[int] = []
    if timetable.load.get((person, slot), 0) >= model.capacity[person]:
        return placed
    if len(timetable.in_slot[slot]) >= model.tables:
        return placed
    for request in ranked:
        if request not in timetable.slot_of and timetable.fits(request, slot):
            timetable.place(request, slot)
            placed.append(request)
            if timetable.load[(person, slot)] >= model.capacity[person]:
                break
    return placed


ANNEAL_START, ANNEAL_END = 0.2, 0.03
IMPROVE_SHARE = 0.1


def _anneal(
    timetable: Timetable, target: int, deadline: float, reporter: _Reporter, banned: set[int]
) -> None:
    """Simulated annealing on forced insertions: a left-out request takes a slot, pushing
    out blockers that are re-placed elsewhere if possible; a loss of weight is accepted
    with a probability that shrinks over time. Ends on the best timetable seen."""
    model = timetable.model
    # Randomness only diversifies the search; a fixed seed keeps runs reproducible.
    rng = random.Random(0)  # noqa: S311
    best, best_weight = dict(timetable.slot_of), timetable.weight
    start = time.monotonic()
    span = max(deadline - start, 1e-9)
    candidates = [r for r in range(len(model.requests)) if model.common[r] and r not in banned]
    if not candidates:
        return
    cumulative = list(itertools.accumulate(model.requests[r][2] ** 2 for r in candidates))
    ranked = [
        sorted(
            (r for r in touching if model.common[r] and r not in banned),
            key=lambda r: (-model.requests[r][2], r),
        )
        for touching in model.touching
    ]
    temperature = ANNEAL_START
    while best_weight < target:
        now = time.monotonic()
        if now >= deadline:
            break
        temperature = ANNEAL_START + (ANNEAL_END - ANNEAL_START) * (now - start) / span
        for request in rng.choices(candidates, cum_weights=cumulative, k=50):
            if request in timetable.slot_of:
                continue
            before = timetable.weight
            undo: list[tuple[int, int | None]] = []  # (meeting, slot before or None)
            slot = rng.choice(model.common_sorted[request])
            evicted = _evict_for(timetable, request, slot, rng)
            undo.extend((m, slot) for m in evicted)
            if not timetable.fits(request, slot):
                for meeting in evicted:
                    timetable.place(meeting, slot)
                continue
            timetable.place(request, slot)
            undo.append((request, None))
            for meeting in evicted:
                if _place_best_fit(timetable, meeting):
                    undo.append((meeting, None))
            for meeting in evicted:
                for person in model.requests[meeting][:2]:
                    refilled = _refill(timetable, person, slot, ranked[person])
                    undo.extend((m, None) for m in refilled)
            delta = timetable.weight - before
            if delta >= 0 or rng.random() < pow(2.718281828, delta / temperature):
                if timetable.weight > best_weight:
                    best, best_weight = dict(timetable.slot_of), timetable.weight
                continue
            for meeting, origin in reversed(undo):
                if meeting in timetable.slot_of:
                    timetable.remove(meeting)
                if origin is not None:
                    timetable.place(meeting, origin)
        reporter.tick(timetable)
    timetable.restore(best)


def solve(
    instance: Instance | dict[str, Any],
    previous_plan: dict[str, Any] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The best plan found within ``time_limit`` seconds (see the module docstring).

    ``previous_plan``: an earlier plan (only its ``meetings`` are read); its meetings that
    are still valid stay at their slot (and table when free), so that a re-run moves as
    few meetings as possible.

    ``progress``: when given, it is called with
    ``{"elapsed": seconds (2 decimals), "count": meetings placed, "weight": their total
    priority, "bound": {"count": …, "weight": …}}`` once after the first complete placement
    and then at most about once per second while the search improves the plan.
    """
    started = time.monotonic()
    model = _as_instance(instance)
    bound, chosen, side = _bound(model)
    reporter = _Reporter(progress, started, bound)
    if _is_exact_case(model, side, previous_plan):
        timetable = _exact_timetable(model, chosen)
        reporter.report(len(timetable.slot_of), timetable.weight, force=True)
        return _plan(timetable, {}, bound, started, {})
    timetable = Timetable(model)
    wanted: dict[int, int] = {}
    reasons = _place_locked(timetable, wanted)
    # A locked meeting that breaks a rule is reported, not scheduled elsewhere.
    banned = {request for request in reasons if request not in timetable.slot_of}
    for request, slot, table in _previous_meetings(model, previous_plan):
        if request in banned:
            continue
        if request not in timetable.slot_of and timetable.fits(request, slot):
            timetable.place(request, slot)
            # Soft lock: the search below never moves or ejects a kept meeting.
            timetable.fixed.add(request)
            wanted[request] = table
    selected = set(chosen)
    order = sorted(
        (r for r in range(len(model.requests)) if r not in banned),
        key=lambda r: (-model.requests[r][2], r not in selected, len(model.common[r]), r),
    )
    _construct(timetable, order, selected)
    reporter.report(len(timetable.slot_of), timetable.weight, force=True)
    # Keep a little of the budget for writing the plan out.
    deadline = started + max(0.0, time_limit - min(0.3, time_limit / 10))
    # The greedy repairs first, then annealing, which escapes their local optima.
    now = time.monotonic()
    _improve(timetable, order, bound["weight"], now + (deadline - now) * IMPROVE_SHARE, reporter)
    _anneal(timetable, bound["weight"], deadline, reporter, banned)
    return _plan(timetable, wanted, bound, started, reasons)


def baseline(instance: Instance | dict[str, Any]) -> dict[str, Any]:
    """First-fit in request order: each request takes the earliest slot where both are free."""
    started = time.monotonic()
    model = _as_instance(instance)
    timetable = Timetable(model)
    for request in range(len(model.requests)):
        timetable.place_first_fit(request, list(range(model.slots)))
    return _plan(timetable, {}, {"count": 0, "weight": 0}, started, {})
