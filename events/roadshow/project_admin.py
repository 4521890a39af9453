"""Organisers' project pages: the list, review, chambers against their yearly targets.

Organisers only (staff 403, anyone else as :func:`event_role_required`
answers); every id is looked up within the event of the URL, else 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import db
from events.auth import event_role_required
from events.errors import RuleError, show_on_form
from events.models import Event, EventRole
from events.roadshow import chambers as chamber_targets
from events.roadshow import decks, projects
from events.roadshow.models import ProjectStatus, Sector
from events.roadshow.project_forms import (
    DurationForm,
    ReviewForm,
    SubmissionSettingsForm,
    TargetForm,
)
from events.setup import as_wall_clock, in_zone

bp = Blueprint("roadshow_projects", __name__, url_prefix="/manage")


@bp.before_request
def _no_store():
    g.no_store = True


def _project_or_404(event: Event, project_id: int):
    project = projects.project_of_event(event, project_id)
    if project is None:
        abort(404)
    return project


def _choice(enum, name: str):
    try:
        return enum(request.args.get(name, ""))
    except ValueError:
        return None


def _settings_form(event: Event, formdata=None) -> SubmissionSettingsForm:
    if formdata is not None:
        return SubmissionSettingsForm()
    setup = projects.setup_of(event)
    form = SubmissionSettingsForm(formdata=None)
    if setup is not None:
        form.submissions_open.data = setup.submissions_open
        form.submissions_close_at.data = as_wall_clock(setup.submissions_close_at, event.timezone)
    return form


def _render_index(event: Event, settings_form: SubmissionSettingsForm, status: int = 200):
    chosen_status = _choice(ProjectStatus, "status")
    chosen_sector = _choice(Sector, "sector")
    return render_template(
        "roadshow/projects/index.html",
        event=event,
        projects=projects.projects_of_event(event, chosen_status, chosen_sector),
        counts=projects.status_counts(event),
        interests=projects.interest_counts(event),
        chosen_status=chosen_status,
        chosen_sector=chosen_sector,
        statuses=list(ProjectStatus),
        sectors=list(Sector),
        settings_form=settings_form,
        is_open=projects.submissions_open(event),
    ), status


@bp.get("/<int:event_id>/projects")
@event_role_required(EventRole.ORGANISER)
def index(event: Event):
    return _render_index(event, _settings_form(event))


@bp.post("/<int:event_id>/projects/settings")
@event_role_required(EventRole.ORGANISER)
def settings(event: Event):
    form = _settings_form(event, request.form)
    if form.validate_on_submit():
        close_at = in_zone(form.submissions_close_at.data, event.timezone)
        projects.save_settings(event, form.submissions_open.data, close_at, current_user)
        db.session.commit()
        flash(_("Submission settings saved."), "success")
        return redirect(url_for("roadshow_projects.index", event_id=event.id))
    return _render_index(event, form, 400)


def _render_detail(event: Event, project, review_form=None, duration_form=None, status=200):
    return render_template(
        "roadshow/projects/detail.html",
        event=event,
        project=project,
        interested=projects.interest_counts(event).get(project.id, 0),
        review_form=review_form or ReviewForm(formdata=None),
        duration_form=duration_form
        or DurationForm(formdata=None, duration_slots=project.duration_slots),
    ), status


@bp.get("/<int:event_id>/projects/<int:project_id>")
@event_role_required(EventRole.ORGANISER)
def detail(event: Event, project_id: int):
    return _render_detail(event, _project_or_404(event, project_id))


@bp.post("/<int:event_id>/projects/<int:project_id>/review")
@event_role_required(EventRole.ORGANISER)
def review(event: Event, project_id: int):
    project = _project_or_404(event, project_id)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            projects.review(
                project, ProjectStatus(form.decision.data), form.comment.data, current_user
            )
        except RuleError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Decision recorded; the submitter is told by email."), "success")
            return redirect(
                url_for("roadshow_projects.detail", event_id=event.id, project_id=project.id)
            )
    return _render_detail(event, project, review_form=form, status=400)


@bp.post("/<int:event_id>/projects/<int:project_id>/duration")
@event_role_required(EventRole.ORGANISER)
def duration(event: Event, project_id: int):
    project = _project_or_404(event, project_id)
    form = DurationForm()
    if form.validate_on_submit():
        try:
            projects.set_duration(project, form.duration_slots.data, current_user)
        except RuleError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Pitch length saved."), "success")
            return redirect(
                url_for("roadshow_projects.detail", event_id=event.id, project_id=project.id)
            )
    return _render_detail(event, project, duration_form=form, status=400)


@bp.get("/<int:event_id>/projects/<int:project_id>/deck.pdf")
@event_role_required(EventRole.ORGANISER)
def deck(event: Event, project_id: int):
    project = _project_or_404(event, project_id)
    if not project.deck_key:
        abort(404)
    return decks.download(project)


# --- chambers -------------------------------------------------------------------------------


def _render_chambers(event: Event, forms=None, status: int = 200):
    tallies = chamber_targets.chamber_tallies(event)
    forms = forms or {}
    return render_template(
        "roadshow/projects/chambers.html",
        event=event,
        tallies=tallies,
        year=chamber_targets.year_of(event),
        forms={
            tally.chamber.id: forms.get(tally.chamber.id)
            or TargetForm(formdata=None, project_target=tally.target, prefix=f"c{tally.chamber.id}")
            for tally in tallies
        },
    ), status


@bp.get("/<int:event_id>/projects/chambers")
@event_role_required(EventRole.ORGANISER)
def chambers(event: Event):
    return _render_chambers(event)


@bp.post("/<int:event_id>/projects/chambers/<int:organisation_id>")
@event_role_required(EventRole.ORGANISER)
def target(event: Event, organisation_id: int):
    chamber = chamber_targets.chamber_in_event(event, organisation_id)
    if chamber is None:
        abort(404)
    form = TargetForm(prefix=f"c{chamber.id}")
    if form.validate_on_submit():
        try:
            chamber_targets.set_target(event, chamber, form.project_target.data, current_user)
        except RuleError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Target saved for %(name)s.", name=chamber.name), "success")
            return redirect(url_for("roadshow_projects.chambers", event_id=event.id))
    return _render_chambers(event, {chamber.id: form}, 400)
