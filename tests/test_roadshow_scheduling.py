"""The pure roadshow scheduler, its baseline, instance validation and the plan validator."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from events.roadshow.plan_check import check_plan
from events.roadshow.scheduling import InstanceError, baseline, solve, validate_instance

ROOT = Path(__file__).resolve().parent.parent
QUICK = 0.5


def make_instance(
    capacities: list[int],
    sessions: list[int],
    projects: list[tuple[str, str, str]],
    interests: list[tuple[str, str]] = (),
    **extra: Any,
) -> dict[str, Any]:
    """Rooms r1… with the given capacities; sessions of the given lengths, slots s1…;
    projects as (id, presenter, sector)."""
    slot_numbers = iter(range(1, sum(sessions) + 1))
    return {
        "rooms": [{"id": f"r{n}", "capacity": size} for n, size in enumerate(capacities, 1)],
        "slots": [
            {"id": f"s{next(slot_numbers)}", "session": f"g{session}"}
            for session, length in enumerate(sessions, 1)
            for _ in range(length)
        ],
        "projects": [
            {"id": ident, "presenter": presenter, "sector": sector}
            for ident, presenter, sector in projects
        ],
        "interests": [list(pair) for pair in interests],
        **extra,
    }


def assignment(project: str, room: str, slot: str) -> dict[str, str]:
    return {"project": project, "room": room, "slot": slot}


def hand_plan(
    assignments: list[dict[str, str]], unscheduled: list[str] = (), missed: int = 0, total: int = 0
) -> dict[str, Any]:
    return {
        "assignments": assignments,
        "unscheduled": list(unscheduled),
        "missed_interests": missed,
        "interests": total,
        "violations": [],
    }


def solved(instance: dict[str, Any], **options: Any) -> dict[str, Any]:
    plan = solve(instance, time_limit=options.pop("time_limit", QUICK), **options)
    assert check_plan(instance, plan) == []
    assert plan["violations"] == []
    return plan


def slot_of(plan: dict[str, Any], project: str) -> list[str]:
    return [entry["slot"] for entry in plan["assignments"] if entry["project"] == project]


def violations_mentioning(instance: dict[str, Any], plan: dict[str, Any], words: str) -> list[str]:
    return [violation for violation in check_plan(instance, plan) if words in violation]


# --- hard constraints ---------------------------------------------------------------------


def test_a_room_holds_one_pitch_per_slot():
    instance = make_instance([10], [1], [("a", "P1", "x"), ("b", "P2", "x")], [("i1", "a")])
    plan = solved(instance)
    assert [entry["project"] for entry in plan["assignments"]] == ["a"]
    assert plan["unscheduled"] == ["b"]
    assert plan["unscheduled_reasons"]["b"].startswith("no free room-slot left")
    bad = hand_plan([assignment("a", "r1", "s1"), assignment("b", "r1", "s1")], total=1)
    assert violations_mentioning(instance, bad, "double-booked")


def test_a_presenter_is_never_in_two_places():
    projects = [("a", "P1", "x"), ("b", "P1", "x")]
    plan = solved(make_instance([10, 10], [2], projects))
    assert plan["unscheduled"] == []
    assert slot_of(plan, "a") != slot_of(plan, "b")
    one_slot = make_instance([10, 10], [1], projects)
    assert len(solved(one_slot)["unscheduled"]) == 1
    bad = hand_plan([assignment("a", "r1", "s1"), assignment("b", "r2", "s1")])
    assert violations_mentioning(one_slot, bad, "two places")


def test_a_presenter_only_pitches_when_available():
    instance = make_instance([10], [2], [("a", "P1", "x")], unavailable={"P1": ["s1"]})
    assert slot_of(solved(instance), "a") == ["s2"]
    bad = hand_plan([assignment("a", "r1", "s1")])
    assert violations_mentioning(instance, bad, "unavailable")


def test_the_room_must_hold_every_interested_investor():
    interests = [(f"i{n}", "a") for n in range(3)] + [(f"i{n}", "b") for n in range(5)]
    instance = make_instance([2, 3], [2], [("a", "P1", "x"), ("b", "P2", "x")], interests)
    plan = solved(instance)
    assert plan["assignments"] == [assignment("a", "r2", "s1")]
    assert plan["unscheduled_reasons"] == {"b": "no room large enough for 5 interested investors"}
    assert plan["missed_interests"] == 5
    bad = hand_plan([assignment("a", "r1", "s1")], ["b"], missed=5, total=8)
    assert violations_mentioning(instance, bad, "holds 2")


def test_one_sector_per_room_and_session_when_asked():
    projects = [("a", "P1", "x"), ("b", "P2", "y"), ("c", "P3", "x"), ("d", "P4", "y")]
    instance = make_instance([10], [2, 2], projects, one_sector_per_room_session=True)
    plan = solved(instance)
    assert plan["unscheduled"] == []
    sector_of = {ident: sector for ident, _, sector in projects}
    first_session = {sector_of[entry["project"]] for entry in plan["assignments"][:2]}
    second_session = {sector_of[entry["project"]] for entry in plan["assignments"][2:]}
    assert len(first_session) == len(second_session) == 1
    mixed = hand_plan(
        [
            assignment("a", "r1", "s1"),
            assignment("b", "r1", "s2"),
            assignment("c", "r1", "s3"),
            assignment("d", "r1", "s4"),
        ]
    )
    assert violations_mentioning(instance, mixed, "mixes sectors")
    relaxed = dict(instance, one_sector_per_room_session=False)
    assert check_plan(relaxed, mixed) == []


def test_two_slot_pitches_take_consecutive_slots_of_one_session():
    instance = make_instance([10], [3, 1], [("a", "P1", "x"), ("b", "P2", "x")])
    instance["projects"][0]["duration_slots"] = 2
    plan = solved(instance)
    assert plan["unscheduled"] == []
    assert slot_of(plan, "a") in (["s1", "s2"], ["s2", "s3"])
    split = hand_plan(
        [assignment("a", "r1", "s3"), assignment("a", "r1", "s4"), assignment("b", "r1", "s1")]
    )
    assert violations_mentioning(instance, split, "consecutive")
    short = hand_plan([assignment("a", "r1", "s1"), assignment("b", "r1", "s3")])
    assert violations_mentioning(instance, short, "assigned 1 times but needs 2")


def test_a_pitch_longer_than_any_session_is_left_out_with_its_reason():
    instance = make_instance([10], [1, 1], [("a", "P1", "x")])
    instance["projects"][0]["duration_slots"] = 2
    assert solved(instance)["unscheduled_reasons"] == {"a": "no session has 2 consecutive slots"}


def test_the_validator_refuses_plans_of_the_wrong_shape():
    instance = make_instance([10], [1], [("a", "P1", "x")])
    assert check_plan(instance, []) == ["plan: must be an object"]
    odd = hand_plan([{"project": ["a"], "room": "r1", "slot": "s1"}], ["a"])
    assert violations_mentioning(instance, odd, "assignments[0].project: must be a string")


def test_the_validator_checks_bookkeeping_and_figures():
    instance = make_instance([10], [2], [("a", "P1", "x"), ("b", "P2", "x")], [("i1", "a")])
    twice = hand_plan([assignment("a", "r1", "s1"), assignment("a", "r1", "s2")], ["b"], 0, 1)
    assert violations_mentioning(instance, twice, "assigned 2 times")
    both = hand_plan([assignment("a", "r1", "s1")], ["a", "b"], 0, 1)
    assert violations_mentioning(instance, both, "both assigned and unscheduled")
    missing = hand_plan([assignment("a", "r1", "s1")], [], 0, 1)
    assert violations_mentioning(instance, missing, "neither assigned nor unscheduled")
    unknown = hand_plan([assignment("a", "r9", "s1")], ["b"], 0, 1)
    assert violations_mentioning(instance, unknown, "unknown room 'r9'")
    wrong_figure = hand_plan([], ["a", "b"], 0, 1)
    assert violations_mentioning(instance, wrong_figure, "missed_interests: plan says 0")


# --- objective ----------------------------------------------------------------------------


def test_the_solver_finds_the_known_optimum_the_baseline_misses():
    projects = [("a", "P1", "x"), ("b", "P2", "x"), ("c", "P3", "y"), ("d", "P4", "y")]
    interests = [("i1", "a"), ("i1", "b"), ("i2", "c"), ("i2", "d"), ("i3", "a"), ("i3", "d")]
    instance = make_instance([10, 10], [2], projects, interests)
    plan = solved(instance)
    assert plan["missed_interests"] == 0
    assert plan["interests"] == 6
    naive = baseline(instance)
    assert check_plan(instance, naive) == []
    assert naive["missed_interests"] == 2
    assert slot_of(naive, "a") == slot_of(naive, "b") == ["s1"]


def test_clashes_are_counted_per_investor_and_slot():
    projects = [("a", "P1", "x"), ("b", "P2", "x"), ("c", "P3", "x")]
    interests = [("i1", "a"), ("i1", "b"), ("i1", "c"), ("i1", "a")]
    instance = make_instance([10, 10, 10], [1], projects, interests)
    plan = solved(instance)
    assert plan["interests"] == 3
    assert plan["missed_interests"] == 2


def test_more_projects_than_room_slots_leaves_out_the_least_popular():
    projects = [(name, f"P{name}", "x") for name in "abcd"]
    interests = [
        (f"i{n}", name)
        for name, audience in zip("abcd", (3, 1, 4, 2), strict=True)
        for n in range(audience)
    ]
    instance = make_instance([10], [2], projects, interests)
    plan = solved(instance)
    assert sorted(plan["unscheduled"]) == ["b", "d"]
    assert set(plan["unscheduled_reasons"]) == {"b", "d"}
    assert all(
        reason.startswith("no free room-slot left")
        for reason in plan["unscheduled_reasons"].values()
    )
    assert plan["missed_interests"] == 3


def test_a_presenter_with_no_available_slot_is_left_out_with_the_reason():
    instance = make_instance(
        [10], [2], [("a", "P1", "x"), ("b", "P2", "x")], unavailable={"P1": ["s1", "s2"]}
    )
    plan = solved(instance)
    assert plan["unscheduled_reasons"] == {"a": "no available slot for presenter P1"}


def test_an_empty_catalogue_gives_an_empty_plan():
    plan = solved(make_instance([10], [2], []))
    assert plan["assignments"] == plan["unscheduled"] == []
    assert plan["interests"] == plan["missed_interests"] == 0
    assert baseline(make_instance([], [], []))["assignments"] == []


def test_integer_ids_come_back_as_given():
    instance = make_instance([10], [1], [])
    instance["rooms"][0]["id"] = 7
    instance["slots"][0]["id"] = 3
    instance["projects"] = [{"id": 42, "presenter": 1, "sector": 5}]
    instance["interests"] = [[1001, 42]]
    assert solved(instance)["assignments"] == [{"project": 42, "room": 7, "slot": 3}]


# --- determinism and time ---------------------------------------------------------------------


def random_instance(projects: int, rooms: int, slots: int, investors: int) -> dict[str, Any]:
    rng = random.Random(projects)
    catalogue = [(f"p{n}", f"P{n % (projects - 3)}", f"x{n % 4}") for n in range(projects)]
    interests = {
        (f"i{investor}", f"p{rng.randrange(projects)}")
        for investor in range(investors)
        for _ in range(5)
    }
    return make_instance(
        [40] * rooms, [slots // 2, slots - slots // 2], catalogue, sorted(interests)
    )


def test_the_same_seed_gives_the_same_plan():
    instance = random_instance(12, 2, 8, 30)
    first = solved(instance, time_limit=20, seed=5)
    assert solved(instance, time_limit=20, seed=5) == first


def test_the_time_limit_is_respected():
    instance = random_instance(150, 6, 24, 300)
    started = time.monotonic()
    solved(instance, time_limit=QUICK)
    assert time.monotonic() - started < QUICK + 2.5


# --- instance validation -----------------------------------------------------------------------


def valid() -> dict[str, Any]:
    return make_instance(
        [10, 20],
        [2],
        [("a", "P1", "x"), ("b", "P2", "y"), ("c", "P3", "x"), ("d", "P7", "y")],
        [("i1", "a")] * 13,
        unavailable={"P7": ["s1"]},
    )


def broken(change) -> dict[str, Any]:
    instance = valid()
    change(instance)
    return instance


def grid(rooms: int, slots: int) -> dict[str, Any]:
    return {
        "rooms": [{"id": n, "capacity": 1} for n in range(rooms)],
        "slots": [{"id": n, "session": 1} for n in range(slots)],
    }


MALFORMED = [
    (broken(lambda i: i.update(grid(200, 51))), "rooms: at most 10,000 room-slots"),
    ([], "instance: must be a JSON object"),
    (broken(lambda i: i.pop("rooms")), "rooms: missing"),
    (broken(lambda i: i.update(slots={})), "slots: must be a list"),
    (broken(lambda i: i["projects"][3].pop("presenter")), "projects[3].presenter: missing"),
    (broken(lambda i: i["projects"][0].update(sector=1.5)), "projects[0].sector: must be"),
    (broken(lambda i: i["projects"][1].update(id="a")), "projects[1].id: duplicate id 'a'"),
    (broken(lambda i: i["projects"][0].update(id=True)), "projects[0].id: must be a string"),
    (
        broken(lambda i: i["rooms"][1].update(capacity=-1)),
        "rooms[1].capacity: must be a non-negative integer",
    ),
    (
        broken(lambda i: i["rooms"][1].update(capacity="9")),
        "rooms[1].capacity: must be a non-negative integer",
    ),
    (broken(lambda i: i["rooms"].append(3)), "rooms[2]: must be an object"),
    (broken(lambda i: i["slots"][0].pop("session")), "slots[0].session: missing"),
    (
        broken(
            lambda i: i["slots"].extend(
                [{"id": "s3", "session": "g2"}, {"id": "s4", "session": "g1"}]
            )
        ),
        "slots[3].session: session 'g1' must be on consecutive slots",
    ),
    (
        broken(lambda i: i["projects"][2].update(duration_slots=0)),
        "projects[2].duration_slots: must be an integer >= 1",
    ),
    (
        broken(lambda i: i["interests"][12].__setitem__(1, "p99")),
        "interests[12][1]: unknown project 'p99'",
    ),
    (broken(lambda i: i["interests"].append(["i9"])), "interests[13]: must be a pair"),
    (
        broken(lambda i: i["unavailable"]["P7"].append("s99")),
        "unavailable['P7'][1]: unknown slot 's99'",
    ),
    (broken(lambda i: i["unavailable"].update(P8=[])), "unavailable['P8']: unknown presenter"),
    (broken(lambda i: i.update(unavailable=[])), "unavailable: must be an object"),
    (
        broken(lambda i: i.update(one_sector_per_room_session="yes")),
        "one_sector_per_room_session: must be true or false",
    ),
    (broken(lambda i: i.update(interests=[["i", "a"]] * 100_001)), "interests: at most 100,000"),
    (
        broken(
            lambda i: i.update(
                projects=[{"id": n, "presenter": 1, "sector": 1} for n in range(5001)]
            )
        ),
        "projects: at most 5,000",
    ),
]


@pytest.mark.parametrize(("instance", "message"), MALFORMED)
def test_malformed_instances_are_refused_with_a_one_line_message(instance, message):
    with pytest.raises(InstanceError) as raised:
        validate_instance(instance)
    text = str(raised.value)
    assert text.startswith(message)
    assert "\n" not in text


def test_a_valid_instance_passes_validation():
    parsed = validate_instance(valid())
    assert parsed.interest_count == 1
    assert not parsed.one_sector


# --- command line ------------------------------------------------------------------------------


def run_command(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "events.roadshow.scheduling", "roadshow", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_prints_the_plan(tmp_path):
    instance = make_instance(
        [10], [2], [("项目甲", "P1", "医疗"), ("b", "P2", "x")], [("投资人", "项目甲")]
    )
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(instance, ensure_ascii=False), encoding="utf-8")
    result = run_command(str(path), "--time-limit", "0.2", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "项目甲" in result.stdout
    plan = json.loads(result.stdout)
    assert check_plan(instance, plan) == []
    assert plan["interests"] == 1


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (
            '{"rooms": [], "slots": [], "projects": [{"id": "a", "sector": "x"}]}',
            "projects[0].presenter",
        ),
        ('{"rooms": [', "invalid JSON at line 1"),
        (None, "cannot read"),
    ],
)
def test_the_command_refuses_a_bad_file_with_exit_code_2(tmp_path, content, named):
    path = tmp_path / "instance.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run_command(str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert named in lines[0]
