"""Organisers' matchmaking sessions: slots and tables, scheduler runs, the grid, table signs.

Organisers only (staff 403, anyone else 404). Like the roadshow, the
scheduler never runs in a request: a run is recorded and handed to
:mod:`events.roadshow.runs`, and the page polls its status.
"""

from __future__ import annotations

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

from app import db
from events import audit
from events.auth import event_role_required
from events.errors import RuleError
from events.forms import EmptyForm
from events.models import Event, EventRole
from events.roadshow import match_planning, runs
from events.roadshow.match_models import MatchSession, Meeting
from events.roadshow.match_session_forms import SessionForm
from events.roadshow.models import RunStatus, SchedulerRun

bp = Blueprint("matchmaking_sessions", __name__, url_prefix="/manage")


@bp.before_request
def _no_store():
    g.no_store = True


def _session_or_404(event: Event, session_id: int) -> MatchSession:
    session = match_planning.session_of(event, session_id)
    if session is None:
        abort(404)
    return session


@bp.route("/<int:event_id>/matchmaking/sessions", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def index(event: Event):
    form = SessionForm(event=event)
    if form.validate_on_submit():
        session = MatchSession(event_id=event.id, **form.session_values())
        db.session.add(session)
        db.session.flush()
        audit.record(
            "matchmaking.session_created",
            "match_session",
            session.id,
            event_id=event.id,
            actor=current_user,
        )
        db.session.commit()
        flash(_("Session “%(name)s” added.", name=session.name_zh), "success")
        return redirect(url_for(".detail", event_id=event.id, session_id=session.id))
    return render_template(
        "matchmaking/sessions/index.html",
        event=event,
        sessions=match_planning.sessions_of(event),
        form=form,
    ), (400 if form.errors else 200)


@bp.route("/<int:event_id>/matchmaking/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def edit(event: Event, session_id: int):
    session = _session_or_404(event, session_id)
    form = SessionForm(event=event, session=session)
    if form.validate_on_submit():
        for key, value in form.session_values().items():
            setattr(session, key, value)
        outside = [
            meeting
            for meeting in session.meetings
            if meeting.slot >= session.slot_count or meeting.table >= session.table_count
        ]
        for meeting in outside:
            session.meetings.remove(meeting)
        audit.record(
            "matchmaking.session_changed",
            "match_session",
            session.id,
            event_id=event.id,
            actor=current_user,
            meetings_removed=len(outside),
        )
        db.session.commit()
        if outside:
            flash(
                _(
                    "Saved. %(count)d meetings no longer fit the slots or tables: run the "
                    "scheduler to place them again.",
                    count=len(outside),
                ),
                "warning",
            )
        else:
            flash(_("Saved."), "success")
        return redirect(url_for(".detail", event_id=event.id, session_id=session.id))
    return render_template(
        "matchmaking/sessions/edit.html", event=event, session=session, form=form
    ), (400 if form.errors else 200)


@bp.post("/<int:event_id>/matchmaking/sessions/<int:session_id>/delete")
@event_role_required(EventRole.ORGANISER)
def delete(event: Event, session_id: int):
    session = _session_or_404(event, session_id)
    if EmptyForm().validate_on_submit():
        audit.record(
            "matchmaking.session_deleted",
            "match_session",
            session.id,
            event_id=event.id,
            actor=current_user,
            meetings=len(session.meetings),
        )
        db.session.delete(session)
        db.session.commit()
        flash(_("The session and its meetings are deleted."), "success")
    return redirect(url_for(".index", event_id=event.id))


@bp.get("/<int:event_id>/matchmaking/sessions/<int:session_id>")
@event_role_required(EventRole.ORGANISER)
def detail(event: Event, session_id: int):
    session = _session_or_404(event, session_id)
    run = runs.latest_run(event, session.id)
    db.session.commit()  # a run found without a heartbeat was just marked failed
    return render_template(
        "matchmaking/sessions/detail.html",
        event=event,
        session=session,
        run=run,
        run_error=runs.error_message(run) if run and run.status is RunStatus.FAILED else "",
        grid=match_planning.grid(session),
        unplaced=match_planning.unplaced(session),
        schedulable=len(match_planning.schedulable_requests(session)),
        empty_form=EmptyForm(),
    )


@bp.post("/<int:event_id>/matchmaking/sessions/<int:session_id>/runs")
@event_role_required(EventRole.ORGANISER)
def start_run(event: Event, session_id: int):
    session = _session_or_404(event, session_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        run, job = match_planning.start_run(session, current_user)
    except RuleError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for(".detail", event_id=event.id, session_id=session.id))
    db.session.commit()
    runs.launch(
        current_app._get_current_object(),
        runs.Job(run.id, "meetings", job.instance, run.time_limit, job.previous),
    )
    flash(_("The scheduler is running; this page shows its progress."), "info")
    return redirect(url_for(".detail", event_id=event.id, session_id=session.id) + "#run")


@bp.get("/<int:event_id>/matchmaking/sessions/<int:session_id>/runs/<int:run_id>")
@event_role_required(EventRole.ORGANISER)
def run_status(event: Event, session_id: int, run_id: int):
    session = _session_or_404(event, session_id)
    run = db.get_or_404(SchedulerRun, run_id)
    if run.match_session_id != session.id:
        abort(404)
    answer = runs.status_answer(event, run)
    db.session.commit()  # a run found without a heartbeat was just marked failed
    return jsonify(answer)


@bp.post("/<int:event_id>/matchmaking/sessions/<int:session_id>/meetings/<int:meeting_id>/lock")
@event_role_required(EventRole.ORGANISER)
def lock(event: Event, session_id: int, meeting_id: int):
    session = _session_or_404(event, session_id)
    meeting = db.get_or_404(Meeting, meeting_id)
    if meeting.session_id != session.id:
        abort(404)
    if EmptyForm().validate_on_submit():
        match_planning.set_locked(meeting, request.form.get("locked") == "1", current_user)
        db.session.commit()
    anchor = f"#meeting-{meeting.id}"
    return redirect(url_for(".detail", event_id=event.id, session_id=session.id) + anchor)


@bp.get("/<int:event_id>/matchmaking/sessions/<int:session_id>/signs")
@event_role_required(EventRole.ORGANISER)
def signs(event: Event, session_id: int):
    """One printed page per table: its name and who meets there, slot by slot."""
    session = _session_or_404(event, session_id)
    rows = match_planning.grid(session)
    tables = [
        (index, session.table_name(index), cells)
        for index, cells in enumerate(rows)
        if any(cell is not None for cell in cells)
    ]
    return render_template(
        "matchmaking/sessions/signs.html", event=event, session=session, tables=tables
    )


@bp.post("/<int:event_id>/matchmaking/sessions/<int:session_id>/agendas")
@event_role_required(EventRole.ORGANISER)
def send_agendas(event: Event, session_id: int):
    """Email each participant with a meeting in the session their whole agenda."""
    from events.roadshow import match_requests

    session = _session_or_404(event, session_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    people = [p for p in match_planning.agenda_people(session) if p.email]
    for person in people:
        match_requests.queue_agenda_email(person, event)
    audit.record(
        "matchmaking.agendas_sent",
        "match_session",
        session.id,
        event_id=event.id,
        actor=current_user,
        recipients=len(people),
    )
    db.session.commit()
    flash(_("Agendas are on their way to %(count)d participants.", count=len(people)), "success")
    return redirect(url_for(".detail", event_id=event.id, session_id=session.id))
