"""Scheduler runs: started by a request, solved by a child process, watched by a thread.

The organiser's request builds the instance, records a :class:`SchedulerRun`
and returns at once. A thread of the same process then runs the command
``python -m events.roadshow.scheduling roadshow … --progress`` (a separate
process: the search neither holds this process's interpreter lock nor can
it crash it), copies each progress line into the run's row, where any
worker serving the page can read it, and kills the child when it overruns
its time limit by more than ``ROADSHOW_RUN_GRACE`` seconds.

Only a finished, valid plan for the roadshow as it still is touches the
draft schedule, in one transaction; a crash, a timeout, an invalid plan or a
change of rooms, sessions or projects during the run leaves every schedule
as it was. A run whose heartbeat stops (the server was restarted) is
reported as failed by the next look at it.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from app import db
from events import audit
from events.dbtypes import utcnow
from events.errors import RuleError
from events.models import Event, User
from events.roadshow import plan_check, planning, scheduling
from events.roadshow.models import RunStatus, SchedulerRun

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
#: Seconds a child may run past its time limit (the first constructive pass,
#: start-up, writing the plan) before it is killed.
DEFAULT_GRACE = 60
#: A running run without a heartbeat for this long has lost its process.
STALE_AFTER = timedelta(minutes=3)

ERRORS = {
    "timeout": _l("The scheduler did not finish in time."),
    "crashed": _l("The scheduler stopped with an error."),
    "invalid": _l("The scheduler's plan broke a rule and was discarded."),
    "changed": _l("Rooms, sessions or accepted projects changed during the run: run it again."),
    "draft_changed": _l(
        "The draft was changed by hand during the run, so it was kept: run it again to replace it."
    ),
    "requests_changed": _l(
        "Requests, participants or locked meetings changed during the run: run it again."
    ),
    "lost": _l("The server stopped during the run."),
    "internal": _l("An internal error stopped the run."),
}


class RunFailed(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def error_message(run: SchedulerRun) -> str:
    return str(ERRORS.get(run.error, ERRORS["internal"]))


def latest_run(event: Event, match_session_id: int | None = None) -> SchedulerRun | None:
    """The last run of the event's roadshow (or of one matchmaking session); a
    running one whose process is gone is marked failed."""
    run = db.session.scalar(
        db.select(SchedulerRun)
        .filter_by(event_id=event.id, match_session_id=match_session_id)
        .order_by(SchedulerRun.id.desc())
        .limit(1)
    )
    if run is not None and run.status is RunStatus.RUNNING:
        if utcnow() - run.heartbeat_at > STALE_AFTER:
            run.status, run.error, run.finished_at = RunStatus.FAILED, "lost", utcnow()
            db.session.flush()
    return run


def status_answer(event: Event, run: SchedulerRun) -> dict[str, Any]:
    """What the organiser's page polls: the run as it is now (a lost one marked failed)."""
    latest = latest_run(event, run.match_session_id)
    if latest is not None and latest.id == run.id:
        run = latest
    return {
        "id": run.id,
        "status": run.status.value,
        "progress": run.progress or {},
        "time_limit": run.time_limit,
        "error": error_message(run) if run.status is RunStatus.FAILED else "",
    }


def start(event: Event, actor: User) -> tuple[SchedulerRun, planning.Problem]:
    """Record a new run; the caller commits, then calls :func:`launch`."""
    current = latest_run(event)
    if current is not None and current.status is RunStatus.RUNNING:
        raise RuleError(_l("The scheduler is already running for this event."))
    problem = planning.build_problem(event)
    run = SchedulerRun(
        event_id=event.id,
        status=RunStatus.RUNNING,
        time_limit=problem.setup.time_limit,
        started_by_id=actor.id,
        progress={"elapsed": 0},
    )
    db.session.add(run)
    db.session.flush()
    audit.record(
        "roadshow.run_started",
        "event",
        event.id,
        event_id=event.id,
        actor=actor,
        run=run.id,
        projects=len(problem.projects),
        slots=len(problem.slots),
    )
    return run, problem


@dataclass(frozen=True)
class Job:
    """What a run's thread hands the child: ``kind`` is the scheduling command's."""

    run_id: int
    kind: str  # "roadshow" or "meetings"
    instance: dict[str, Any]
    time_limit: int
    previous: dict[str, Any] | None = None


def launch(app: Flask, job: Job) -> threading.Thread:
    thread = threading.Thread(
        target=_execute, args=(app, job), name=f"{job.kind}-run-{job.run_id}", daemon=True
    )
    thread.start()
    return thread


def _execute(app: Flask, job: Job) -> None:
    with app.app_context():
        try:
            plan = _solve_in_child(app, job)
            if job.kind == "meetings":
                from events.roadshow import match_planning

                match_planning.finish_run(job.run_id, job.instance, plan)
            else:
                _finish(job.run_id, job.instance, plan)
        except RunFailed as failure:
            db.session.rollback()
            _fail(job.run_id, failure.code)
        except Exception:
            log.exception("%s run %s failed", job.kind, job.run_id)
            db.session.rollback()
            _fail(job.run_id, "internal")
        finally:
            db.session.remove()


def _command(app: Flask, job: Job, path: Path, previous_path: Path | None) -> list[str]:
    configured = app.config.get("ROADSHOW_SOLVER_COMMAND")
    if configured:
        return [*configured, str(path)]
    command = [
        sys.executable,
        "-m",
        "events.roadshow.scheduling",
        job.kind,
        str(path),
        "--time-limit",
        str(job.time_limit),
        "--progress",
    ]
    if previous_path is not None:
        command += ["--previous", str(previous_path)]
    return command


def _solve_in_child(app: Flask, job: Job) -> dict[str, Any]:
    grace = app.config.get("ROADSHOW_RUN_GRACE", DEFAULT_GRACE)
    with tempfile.TemporaryDirectory(prefix="huiwu-schedule-") as folder:
        instance_path = Path(folder) / "instance.json"
        plan_path = Path(folder) / "plan.json"
        instance_path.write_text(json.dumps(job.instance), encoding="utf-8")
        previous_path = None
        if job.previous is not None:
            previous_path = Path(folder) / "previous.json"
            previous_path.write_text(json.dumps(job.previous), encoding="utf-8")
        with (
            plan_path.open("wb") as plan_file,
            subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                _command(app, job, instance_path, previous_path),
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=plan_file,
                stderr=subprocess.PIPE,
                text=True,
            ) as child,
        ):
            timed_out = threading.Event()

            def overrun() -> None:
                timed_out.set()
                child.kill()

            killer = threading.Timer(job.time_limit + grace, overrun)
            killer.start()
            try:
                _follow_progress(job.run_id, child)
                returncode = child.wait()
            finally:
                killer.cancel()
        if timed_out.is_set():
            raise RunFailed("timeout")
        if returncode != 0:
            raise RunFailed("crashed")
        try:
            return json.loads(plan_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise RunFailed("crashed") from error


def _follow_progress(run_id: int, child: subprocess.Popen) -> None:
    for line in child.stderr:
        try:
            figures = json.loads(line)
        except ValueError:
            continue  # an error message: the exit status tells the rest
        if isinstance(figures, dict):
            db.session.execute(
                db.update(SchedulerRun)
                .where(SchedulerRun.id == run_id)
                .values(progress=figures, heartbeat_at=utcnow())
            )
            db.session.commit()


def _finish(run_id: int, instance: dict[str, Any], plan: dict[str, Any]) -> None:
    if not isinstance(plan, dict) or plan_check.check_plan(instance, plan):
        raise RunFailed("invalid")
    run = db.session.get(SchedulerRun, run_id)
    event = db.session.get(Event, run.event_id)
    try:
        problem = planning.build_problem(event)
    except RuleError as error:
        raise RunFailed("changed") from error
    if _shape(problem.instance) != _shape(instance):
        raise RunFailed("changed")
    current = planning.draft_of(event)
    if current is not None and current.updated_at > run.started_at:
        raise RunFailed("draft_changed")  # hand moves made during the run are kept
    baseline = scheduling.baseline(instance)
    draft = planning.apply_plan(event, problem, plan, baseline["missed_interests"])
    run.status, run.finished_at, run.schedule_id = RunStatus.SUCCEEDED, utcnow(), draft.id
    run.progress = {
        **(run.progress or {}),
        "unscheduled": len(plan["unscheduled"]),
        "missed_interests": plan["missed_interests"],
        "interests": plan["interests"],
    }
    audit.record(
        "roadshow.run_finished",
        "event",
        event.id,
        event_id=event.id,
        actor_label="system",
        run=run_id,
        missed_interests=plan["missed_interests"],
        unscheduled=len(plan["unscheduled"]),
    )
    db.session.commit()


def _shape(instance: dict[str, Any]) -> tuple:
    """What a plan depends on besides interests: rooms, slots, projects, rules."""
    return (
        instance["rooms"],
        instance["slots"],
        instance["projects"],
        instance["unavailable"],
        instance["one_sector_per_room_session"],
    )


def _fail(run_id: int, code: str) -> None:
    db.session.execute(
        db.update(SchedulerRun)
        .where(SchedulerRun.id == run_id)
        .values(status=RunStatus.FAILED, error=code, finished_at=utcnow(), heartbeat_at=utcnow())
    )
    db.session.commit()
