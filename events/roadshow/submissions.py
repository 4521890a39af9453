"""Submitting projects: a chamber through its delegation's portal, an enterprise
through its presenter's manage link.

The same pages answer under two kinds of secret link: ``/d/<secret>/projects``
for a delegation's leader (who picks the presenter among the members) and
``/r/<secret>/projects`` for a registration that presents its own project.
As on the portal, a wrong or replaced link, and a project of another event or
submitter, is a 404 that says nothing more. Deck uploads are capped at 20 MB
before Werkzeug reads the body; a larger file gets the form back with a
message, not a bare 413.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from app import db, limiter
from events.errors import RuleError, show_on_form
from events.forms import EmptyForm
from events.roadshow import chambers, decks, projects
from events.roadshow.project_forms import ProjectForm
from registration import links

bp = Blueprint("roadshow_submit", __name__)

DELEGATION_LIMIT = "60 per minute"
REGISTRATION_LIMIT = "30 per minute"
UPLOAD_LIMIT = "30 per hour"
ROUTES = ("delegation", "registration")
UPLOAD_ENDPOINTS = frozenset(
    f"roadshow_submit.{route}_{name}" for route in ROUTES for name in ("new", "project")
)


@dataclass(frozen=True)
class Place:
    """Who came in, through which kind of link: builds the links of the pages."""

    submitter: projects.Submitter
    token: str
    route: str

    def url(self, name: str, **values) -> str:
        return url_for(f"roadshow_submit.{self.route}_{name}", token=self.token, **values)

    @property
    def home_url(self) -> str:
        if self.route == "delegation":
            return url_for("delegations.portal", token=self.token)
        return url_for("registration.manage", token=self.token)

    @property
    def name(self) -> str:
        submitter = self.submitter
        return submitter.delegation.name if submitter.delegation else submitter.registration.name


def _place(route: str, token: str) -> Place | None:
    if route == "delegation":
        delegation = links.delegation_for_token(token)
        submitter = projects.Submitter(delegation=delegation) if delegation else None
    else:
        registration = links.registration_for_token(token)
        submitter = projects.Submitter(registration=registration) if registration else None
    return Place(submitter, token, route) if submitter is not None else None


def _place_or_404(route: str, token: str) -> Place:
    place = _place(route, token)
    if place is None:
        abort(404)  # the same answer for a typo, a forgery and a replaced link
    g.no_store = True
    return place


def _project_or_404(place: Place, project_id: int):
    project = projects.project_of_submitter(place.submitter, project_id)
    if project is None:
        abort(404)
    return project


def _closed_reason(place: Place) -> str | None:
    """Why this submitter cannot submit or edit now; None when they can."""
    submitter = place.submitter
    if not submitter.active:
        if submitter.delegation is not None:
            return _("Your delegation is not approved: projects cannot be submitted or changed.")
        return _("Your registration is no longer active: projects cannot be submitted or changed.")
    if projects.submissions_open(submitter.event):
        return None
    closes = projects.closes_at(submitter.event)
    setup = projects.setup_of(submitter.event)
    if setup is not None and setup.submissions_open and closes is not None:
        return _("Project submissions closed on %(date)s.", date=_local(closes, submitter))
    return _("Project submissions are closed for this event.")


def _local(value, submitter) -> str:
    from events.i18n import local_datetime

    return local_datetime(value, submitter.event.timezone)


def _presenters(place: Place):
    return place.submitter.presenters() if place.submitter.delegation is not None else None


def _save(form: ProjectForm, save):
    """Store the uploaded deck, run ``save(deck)`` and commit; (saved, result, deck).

    A refusal, or any failure, rolls back and deletes the deck just stored:
    no file is left that no project points at.
    """
    stored = None
    try:
        upload = form.deck.data
        if upload:
            stored = decks.store(upload.stream, upload.filename)
        result = save(stored)
        db.session.commit()
    except RuleError as error:
        db.session.rollback()
        decks.discard(stored.key if stored else None)
        show_on_form(form, error)
        return False, None, None
    except BaseException:
        db.session.rollback()
        decks.discard(stored.key if stored else None)
        raise
    return True, result, stored


# --- the pages, shared by both kinds of link ------------------------------------------------


def _index(place: Place):
    submitter = place.submitter
    tally = None
    if submitter.delegation is not None:
        chamber = chambers.chamber_of(submitter.delegation, create=False)
        if chamber is not None:
            tally = chambers.chamber_tally(submitter.event, chamber)
    return render_template(
        "roadshow/submit/index.html",
        place=place,
        event=submitter.event,
        projects=projects.projects_of_submitter(submitter),
        closed_reason=_closed_reason(place),
        tally=tally,
        year=chambers.year_of(submitter.event),
    )


def _render_form(place: Place, form: ProjectForm, project=None, status: int = 200):
    submitter = place.submitter
    editable = project is None or projects.editable(submitter, project)
    return render_template(
        "roadshow/submit/project.html",
        place=place,
        event=submitter.event,
        project=project,
        form=form,
        editable=editable and _closed_reason(place) is None,
        closed_reason=_closed_reason(place),
        withdrawable=project is not None and projects.withdrawable(project),
        action_form=EmptyForm(formdata=None),
    ), status


def _new(place: Place):
    closed = _closed_reason(place)
    if closed is not None:
        flash(closed, "warning")
        return redirect(place.url("projects"))
    form = ProjectForm(presenters=_presenters(place))
    registration = place.submitter.registration
    if request.method == "GET" and registration is not None:
        form.owner_name.data = registration.organisation  # an enterprise presents its own
    if form.validate_on_submit():
        saved, project, _deck = _save(
            form, lambda deck: projects.submit(place.submitter, form.details(), deck)
        )
        if saved:
            flash(_("Your project is submitted: the organisers will review it."), "success")
            return redirect(place.url("project", project_id=project.id))
    return _render_form(place, form, status=400 if form.errors else 200)


def _project(place: Place, project_id: int):
    project = _project_or_404(place, project_id)
    form = ProjectForm.for_project(project, _presenters(place), request.method)
    if request.method == "POST":
        if not projects.editable(place.submitter, project):
            flash(_closed_reason(place) or _("This project can no longer be changed."), "warning")
            return redirect(place.url("project", project_id=project.id))
        if form.validate_on_submit():
            saved, old_key, stored = _save(
                form,
                lambda deck: projects.update(place.submitter, project, form.details(), deck),
            )
            if saved:
                if stored is not None:
                    decks.discard(old_key)  # only now that the project points at the new one
                flash(_("Your project is saved."), "success")
                return redirect(place.url("project", project_id=project.id))
    return _render_form(place, form, project, status=400 if form.errors else 200)


def _withdraw(place: Place, project_id: int):
    project = _project_or_404(place, project_id)
    if EmptyForm().validate_on_submit():
        try:
            projects.withdraw(place.submitter, project)
        except RuleError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            flash(_("The project is withdrawn."), "success")
    return redirect(place.url("project", project_id=project.id))


def _deck(place: Place, project_id: int):
    project = _project_or_404(place, project_id)
    if not project.deck_key:
        abort(404)
    return decks.download(project)


# --- the routes: thin, one per kind of link ---------------------------------------------------


@bp.get("/d/<token>/projects")
@limiter.limit(DELEGATION_LIMIT)
def delegation_projects(token: str):
    return _index(_place_or_404("delegation", token))


@bp.route("/d/<token>/projects/new", methods=["GET", "POST"])
@limiter.limit(DELEGATION_LIMIT)
@limiter.limit(UPLOAD_LIMIT, methods=["POST"])
def delegation_new(token: str):
    return _new(_place_or_404("delegation", token))


@bp.route("/d/<token>/projects/<int:project_id>", methods=["GET", "POST"])
@limiter.limit(DELEGATION_LIMIT)
@limiter.limit(UPLOAD_LIMIT, methods=["POST"])
def delegation_project(token: str, project_id: int):
    return _project(_place_or_404("delegation", token), project_id)


@bp.post("/d/<token>/projects/<int:project_id>/withdraw")
@limiter.limit(DELEGATION_LIMIT)
def delegation_withdraw(token: str, project_id: int):
    return _withdraw(_place_or_404("delegation", token), project_id)


@bp.get("/d/<token>/projects/<int:project_id>/deck.pdf")
@limiter.limit(DELEGATION_LIMIT)
def delegation_deck(token: str, project_id: int):
    return _deck(_place_or_404("delegation", token), project_id)


@bp.get("/r/<token>/projects")
@limiter.limit(REGISTRATION_LIMIT)
def registration_projects(token: str):
    return _index(_place_or_404("registration", token))


@bp.route("/r/<token>/projects/new", methods=["GET", "POST"])
@limiter.limit(REGISTRATION_LIMIT)
@limiter.limit(UPLOAD_LIMIT, methods=["POST"])
def registration_new(token: str):
    return _new(_place_or_404("registration", token))


@bp.route("/r/<token>/projects/<int:project_id>", methods=["GET", "POST"])
@limiter.limit(REGISTRATION_LIMIT)
@limiter.limit(UPLOAD_LIMIT, methods=["POST"])
def registration_project(token: str, project_id: int):
    return _project(_place_or_404("registration", token), project_id)


@bp.post("/r/<token>/projects/<int:project_id>/withdraw")
@limiter.limit(REGISTRATION_LIMIT)
def registration_withdraw(token: str, project_id: int):
    return _withdraw(_place_or_404("registration", token), project_id)


@bp.get("/r/<token>/projects/<int:project_id>/deck.pdf")
@limiter.limit(REGISTRATION_LIMIT)
def registration_deck(token: str, project_id: int):
    return _deck(_place_or_404("registration", token), project_id)


# --- the upload cap ---------------------------------------------------------------------------


@bp.url_value_preprocessor
def _cap_upload(endpoint, values):
    # Runs before any body is read (the CSRF check reads the form), so Werkzeug
    # refuses a larger body by its Content-Length, or stops reading at the cap.
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = decks.UPLOAD_BODY_LIMIT


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    values = request.view_args or {}
    route = (request.endpoint or "").removeprefix("roadshow_submit.").partition("_")[0]
    place = _place(route, values.get("token", "")) if route in ROUTES else None
    if request.endpoint not in UPLOAD_ENDPOINTS or place is None:
        return error if place is not None else NotFound()
    g.no_store = True
    project = None
    if "project_id" in values:
        project = projects.project_of_submitter(place.submitter, values["project_id"])
        if project is None:
            return NotFound()
    # The body was not read: the form comes back as it was, with the message under the file.
    if project is not None:
        form = ProjectForm.for_project(project, _presenters(place), "GET")
    else:
        form = ProjectForm(presenters=_presenters(place), formdata=None)
    form.deck.errors = [str(decks.too_large_message())]
    return _render_form(place, form, project, status=413)
