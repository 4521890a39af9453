"""Organisers' roadshow schedule: set-up, scheduler runs, the draft grid, hand moves, versions.

Organisers only (staff 403, anyone else 404). The scheduler never runs in a
request: starting a run records it and hands it to :mod:`events.roadshow.runs`;
the page polls ``runs/<id>`` for progress and reloads when it ends.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app import db
from events.auth import event_role_required
from events.errors import RuleError, show_on_form
from events.forms import EmptyForm
from events.i18n import current_locale, local_time
from events.models import AgendaItem, Event, EventRole, Room
from events.roadshow import planning, runs, sessions
from events.roadshow.models import (
    Pitch,
    Project,
    RoadshowSchedule,
    RoadshowSetup,
    RunStatus,
    SchedulerRun,
)
from events.roadshow.schedule_forms import MoveForm, PublishForm, SetupForm
from events.roadshow.sessions import Slot

bp = Blueprint("roadshow_schedule", __name__, url_prefix="/manage")


@bp.before_request
def _no_store():
    g.no_store = True


# --- the grid ---------------------------------------------------------------------------------


@dataclass
class SessionGrid:
    """One session as rows of slots × the roadshow's rooms."""

    session: AgendaItem
    rows: list[tuple[Slot, list[list[Pitch]]]] = field(default_factory=list)


def grids(setup: RoadshowSetup | None, slots: list[Slot], pitches: list[Pitch]):
    """Session grids, and the pitches that start in no slot of a roadshow room."""
    rooms = list(setup.rooms) if setup is not None else []
    column = {room.id: index for index, room in enumerate(rooms)}
    starting: dict[tuple[int, object], list[Pitch]] = defaultdict(list)
    for pitch in pitches:
        starting[(pitch.room_id, pitch.starts_at)].append(pitch)
    result: list[SessionGrid] = []
    placed: set[int] = set()
    for slot in slots:
        if not result or result[-1].session.id != slot.session.id:
            result.append(SessionGrid(slot.session))
        cells: list[list[Pitch]] = [[] for _room in rooms]
        for room_id, index in column.items():
            cells[index] = starting.get((room_id, slot.starts_at), [])
            placed.update(pitch.id for pitch in cells[index])
        result[-1].rows.append((slot, cells))
    elsewhere = [pitch for pitch in pitches if pitch.id not in placed]
    return result, elsewhere


def _page_context(event: Event) -> dict:
    setup = sessions.setup_of(event)
    slots = sessions.slots_of(setup)
    draft = planning.draft_of(event)
    check = planning.schedule_check(event, draft)
    session_grids, elsewhere = grids(setup, slots, list(draft.pitches) if draft else [])
    run = runs.latest_run(event)
    return {
        "event": event,
        "setup": setup,
        "slots": slots,
        "draft": draft,
        "check": check,
        "grids": session_grids,
        "elsewhere": elsewhere,
        "rooms": list(setup.rooms) if setup is not None else [],
        "run": run,
        "run_error": runs.error_message(run) if run and run.status is RunStatus.FAILED else "",
        "versions": planning.versions_of(event),
        "accepted": len(check.accepted),
        "interest_counts": check.audiences,
        "publish_form": PublishForm(),
        "empty_form": EmptyForm(),
    }


@bp.get("/<int:event_id>/roadshow")
@event_role_required(EventRole.ORGANISER)
def index(event: Event):
    context = _page_context(event)
    db.session.commit()  # a run found without a heartbeat was just marked failed
    return render_template("roadshow/schedule/index.html", **context)


@bp.route("/<int:event_id>/roadshow/setup", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def setup(event: Event):
    current = sessions.setup_of(event)
    form = SetupForm(event=event, setup=current)
    if form.validate_on_submit():
        try:
            sessions.save_setup(event, form.setup_data(), current_user)
        except RuleError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(_("The roadshow set-up is saved."), "success")
            return redirect(url_for(".index", event_id=event.id))
    return render_template(
        "roadshow/schedule/setup.html",
        event=event,
        form=form,
        has_items=bool(sessions.roadshow_items(event)),
        has_rooms=bool(event.rooms),
    ), (400 if form.errors else 200)


# --- runs -------------------------------------------------------------------------------------


@bp.post("/<int:event_id>/roadshow/runs")
@event_role_required(EventRole.ORGANISER)
def start_run(event: Event):
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        run, problem = runs.start(event, current_user)
    except RuleError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for(".index", event_id=event.id))
    db.session.commit()
    job = runs.Job(run.id, "roadshow", problem.instance, run.time_limit)
    runs.launch(current_app._get_current_object(), job)
    flash(_("The scheduler is running; this page shows its progress."), "info")
    return redirect(url_for(".index", event_id=event.id) + "#run")


@bp.get("/<int:event_id>/roadshow/runs/<int:run_id>")
@event_role_required(EventRole.ORGANISER)
def run_status(event: Event, run_id: int):
    run = db.get_or_404(SchedulerRun, run_id)
    if run.event_id != event.id or run.match_session_id is not None:
        abort(404)
    answer = runs.status_answer(event, run)
    db.session.commit()  # a run found without a heartbeat was just marked failed
    return jsonify(answer)


# --- moving pitches by hand -------------------------------------------------------------------


def _project_of(event: Event, project_id: int) -> Project:
    project = db.get_or_404(Project, project_id)
    if project.event_id != event.id:
        abort(404)
    return project


def _targets(event: Event, project: Project, draft: RoadshowSchedule | None):
    """Every (room, slot) with what moving there would break, for the choice list."""
    setup = sessions.setup_of(event)
    slots = sessions.slots_of(setup)
    rooms = list(setup.rooms) if setup is not None else []
    pitches = [p for p in (draft.pitches if draft else []) if p.project_id != project.id]
    investors = {investor for investor, _p in planning.interest_pairs([project.id])}
    interests = defaultdict(set)
    for investor, other in planning.interest_pairs([p.project_id for p in pitches]):
        if investor in investors:
            interests[other].add(investor)
    unavailable = planning.unavailable_sessions({project.presenter_id} - {None}).get(
        project.presenter_id, set()
    )
    locale = current_locale()
    choices = [("", _("Take it off the grid"))]
    for slot in slots:
        during = [p for p in pitches if p.starts_at < slot.ends_at and slot.starts_at < p.ends_at]
        clashes = len(set().union(*(interests[p.project_id] for p in during)) if during else set())
        for room in rooms:
            choices.append(
                (
                    f"{room.id}:{slot.key}",
                    _target_label(project, room, slot, during, clashes, unavailable, locale, event),
                )
            )
    return choices


def _target_label(project, room, slot, during, clashes, unavailable, locale, event) -> str:
    notes = []
    occupant = next((p for p in during if p.room_id == room.id), None)
    if occupant is not None:
        notes.append(_("swap with “%(title)s”", title=occupant.project.title_for(locale)))
    presenter = project.presenter_id
    if presenter is not None and any(p.project.presenter_id == presenter for p in during):
        notes.append(_("presenter busy"))
    if slot.session.id in unavailable:
        notes.append(_("presenter unavailable"))
    if clashes:
        notes.append(_("%(count)d interests clash", count=clashes))
    day = f"{slot.starts_at.astimezone(event.zone):%m-%d}"
    label = f"{day} {local_time(slot.starts_at, event.timezone)} · {room.name_for(locale)}"
    return f"{label} — {'; '.join(notes)}" if notes else label


@bp.route("/<int:event_id>/roadshow/draft/<int:project_id>", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def move(event: Event, project_id: int):
    project = _project_of(event, project_id)
    draft = planning.draft_of(event)
    form = MoveForm()
    form.target.choices = _targets(event, project, draft)
    current = next(
        (p for p in (draft.pitches if draft else []) if p.project_id == project.id), None
    )
    if request.method == "GET" and current is not None:
        slot = next(
            (
                s
                for s in sessions.slots_of(sessions.setup_of(event))
                if s.starts_at == current.starts_at
            ),
            None,
        )
        if slot is not None:
            form.target.data = f"{current.room_id}:{slot.key}"
    if form.validate_on_submit():
        room, slot = _chosen_target(event, form.target.data)
        planning.move_pitch(event, project, room, slot, current_user)
        db.session.commit()
        warnings = planning.schedule_check(event, planning.draft_of(event)).warnings.get(project.id)
        if warnings:
            flash(_("Moved, with warnings: %(warnings)s", warnings=" ".join(warnings)), "warning")
        else:
            flash(_("Moved."), "success")
        return redirect(url_for(".index", event_id=event.id) + f"#project-{project.id}")
    check = planning.schedule_check(event, draft)
    return render_template(
        "roadshow/schedule/move.html",
        event=event,
        project=project,
        current=current,
        form=form,
        warnings=check.warnings.get(project.id, []),
    ), (400 if form.errors else 200)


def _chosen_target(event: Event, value: str) -> tuple[Room | None, Slot | None]:
    if not value:
        return None, None
    room_id, _sep, slot_key = value.partition(":")
    setup = sessions.setup_of(event)
    room = next((r for r in setup.rooms if str(r.id) == room_id), None)
    slot = next((s for s in sessions.slots_of(setup) if s.key == slot_key), None)
    if room is None or slot is None:
        abort(400)  # the choice list only offers existing targets
    return room, slot


# --- versions ---------------------------------------------------------------------------------


@bp.post("/<int:event_id>/roadshow/publish")
@event_role_required(EventRole.ORGANISER)
def publish(event: Event):
    form = PublishForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "danger")
        return redirect(url_for(".index", event_id=event.id))
    try:
        version = planning.publish(
            event,
            current_user,
            form.note.data or "",
            url_for("roadshow_public.index", slug=event.slug, _external=True),
        )
        db.session.commit()
    except RuleError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for(".index", event_id=event.id))
    except IntegrityError:  # a second click published the same number a moment ago
        db.session.rollback()
        flash(_("This draft was just published; see the newest version."), "info")
        return redirect(url_for(".index", event_id=event.id))
    flash(
        _(
            "Version %(number)d is published with %(count)d changes.",
            number=version.number,
            count=len(version.changes),
        ),
        "success",
    )
    return redirect(url_for(".version", event_id=event.id, number=version.number))


def _version_of(event: Event, number: int) -> RoadshowSchedule:
    version = db.session.scalar(
        db.select(RoadshowSchedule).filter_by(event_id=event.id, number=number)
    )
    if version is None:
        abort(404)
    return version


@bp.get("/<int:event_id>/roadshow/versions/<int:number>")
@event_role_required(EventRole.ORGANISER)
def version(event: Event, number: int):
    shown = _version_of(event, number)
    setup = sessions.setup_of(event)
    session_grids, elsewhere = grids(setup, sessions.slots_of(setup), list(shown.pitches))
    return render_template(
        "roadshow/schedule/version.html",
        event=event,
        version=shown,
        grids=session_grids,
        elsewhere=elsewhere,
        rooms=list(setup.rooms) if setup is not None else [],
        empty_form=EmptyForm(),
    )


@bp.post("/<int:event_id>/roadshow/versions/<int:number>/restore")
@event_role_required(EventRole.ORGANISER)
def restore(event: Event, number: int):
    shown = _version_of(event, number)
    if EmptyForm().validate_on_submit():
        planning.restore_version(event, shown, current_user)
        db.session.commit()
        flash(_("The draft now starts from version %(number)d.", number=number), "success")
    return redirect(url_for(".index", event_id=event.id))


# --- presenters' availability ---------------------------------------------------------------


@bp.route("/<int:event_id>/roadshow/availability", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def availability(event: Event):
    """Which roadshow sessions each presenter of an accepted project cannot attend."""
    setup = sessions.setup_of(event)
    session_items = list(setup.sessions) if setup is not None else []
    presenters = planning.presenters_of(event)
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        chosen = {
            (int(presenter), int(item))
            for presenter, _sep, item in (
                value.partition(":") for value in request.form.getlist("away")
            )
            if presenter.isascii() and presenter.isdigit() and item.isascii() and item.isdigit()
        }
        planning.save_unavailability(event, presenters, session_items, chosen, current_user)
        db.session.commit()
        flash(_("The presenters' availability is saved."), "success")
        return redirect(url_for(".availability", event_id=event.id))
    away = planning.unavailable_sessions({presenter.id for presenter, _projects in presenters})
    return render_template(
        "roadshow/schedule/availability.html",
        event=event,
        sessions=session_items,
        presenters=presenters,
        away=away,
        form=EmptyForm(),
    )
