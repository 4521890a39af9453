"""The project catalogue for registered investors, their interest, and their roadshow.

Investors are registrations: every page here hangs off the manage link
(``/r/<token>/…``), answers 404 for an unknown link and for a cancelled or
rejected registration, and is never cached. Everyone else with a link sees
the catalogue; only confirmed registrations may mark projects.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.http import dump_options_header

from app import db, limiter
from events.forms import EmptyForm
from events.i18n import current_locale
from events.roadshow import filters as query_filters
from events.roadshow import programme
from events.roadshow.models import Project, Sector
from registration.models import Registration, RegistrationStatus
from registration.views import LINK_LIMIT, _registration_or_404

bp = Blueprint("roadshow_catalogue", __name__)

#: Registrations that no longer exist as far as their link is concerned.
GONE = (RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED)
#: What a deck key may look like: it names a file, so nothing that walks folders.
DECK_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


@bp.app_template_global()
def roadshow_capital(wan: int) -> str:
    """Capital sought, for the page's language: 万元 in Chinese, millions of yuan in English."""
    if current_locale().startswith("en"):
        return _("RMB %(amount)s million", amount=format_decimal(wan / 100))
    return _("%(amount)s ten thousand yuan", amount=format_decimal(wan))


def _investor_or_404(token: str) -> Registration:
    """The registration behind the link; cancelled or rejected ones answer 404."""
    registration = _registration_or_404(token)
    if registration.status in GONE:
        abort(404)
    return registration


def _may_mark(registration: Registration) -> bool:
    return registration.status is RegistrationStatus.CONFIRMED


def parse_filters(args: MultiDict) -> tuple[programme.CatalogueFilters, list[str]]:
    """The catalogue's filters from the query string, and messages for what was refused.

    A refused value is dropped (the list shows as if it were not given) and
    explained; it never causes an error page.
    """
    messages = []
    sector = query_filters.sector_filter(args, messages)
    capital_min, capital_max = query_filters.capital_bounds(args, messages)
    filters = programme.CatalogueFilters(
        sector=sector,
        capital_min=capital_min,
        capital_max=capital_max,
        region=(args.get("region") or "").strip()[:100] or None,
        only_marked=args.get("mine") == "1",
    )
    return filters, messages


@bp.get("/r/<token>/catalogue")
@limiter.limit(LINK_LIMIT)
def index(token: str):
    """Accepted projects of the registration's event, with filters and interest buttons."""
    registration = _investor_or_404(token)
    event = registration.event
    filters, messages = parse_filters(request.args)
    marked = programme.marked_project_ids(registration)
    projects = programme.catalogue(event, filters, marked)
    any_projects = bool(projects) or bool(
        filters.active and programme.catalogue(event, programme.CatalogueFilters())
    )
    return render_template(
        "roadshow/catalogue/index.html",
        registration=registration,
        event=event,
        token=token,
        filters=filters,
        messages=messages,
        projects=projects,
        any_projects=any_projects,
        marked=marked,
        may_mark=_may_mark(registration),
        regions=programme.catalogue_regions(event),
        sectors=list(Sector),
        locale=current_locale(),
    )


@bp.post("/r/<token>/catalogue/<int:project_id>/interest")
@limiter.limit(LINK_LIMIT)
def interest(token: str, project_id: int):
    """Mark (``action=mark``) or unmark (``action=unmark``) a project; both idempotent."""
    registration = _investor_or_404(token)
    project = programme.accepted_project(registration.event, project_id)
    if project is None:
        abort(404)
    if not _may_mark(registration):
        abort(403)
    action = request.form.get("action")
    if action not in ("mark", "unmark") or not EmptyForm().validate_on_submit():
        abort(400)
    programme.set_interest(registration, project, action == "mark")
    db.session.commit()
    title = project.title_for(current_locale())
    if action == "mark":
        flash(_("Marked: “%(title)s”.", title=title), "success")
    else:
        flash(_("No longer marked: “%(title)s”.", title=title), "info")
    filters, _messages = parse_filters(request.args)
    return redirect(
        url_for(".index", token=token, **filters.as_args(), _anchor=f"project-{project.id}")
    )


@bp.get("/r/<token>/catalogue/<int:project_id>/deck")
@limiter.limit(LINK_LIMIT)
def deck(token: str, project_id: int):
    """The project's pitch deck (PDF), kept as ``<instance>/decks/<deck_key>.pdf``.

    ``DECK_FOLDER`` overrides the folder, as on the upload side.
    """
    registration = _investor_or_404(token)
    project = programme.accepted_project(registration.event, project_id)
    if project is None or not project.deck_key or not DECK_KEY.fullmatch(project.deck_key):
        abort(404)
    configured = current_app.config.get("DECK_FOLDER")
    folder = Path(configured) if configured else Path(current_app.instance_path) / "decks"
    path = folder / f"{project.deck_key}.pdf"
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=_deck_filename(project),
        max_age=0,
        conditional=False,
        etag=False,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def _deck_filename(project: Project) -> str:
    name = (project.deck_filename or "").strip()
    if not name.lower().endswith(".pdf"):
        name = f"project-{project.id}.pdf"
    return name


# The person's own roadshow ------------------------------------------------------


@bp.get("/r/<token>/roadshow")
@limiter.limit(LINK_LIMIT)
def my_pitches(token: str):
    """The published slots I present, and those of the projects I marked (with clashes)."""
    registration = _investor_or_404(token)
    event = registration.event
    schedule = programme.latest_published(event)
    presenting, marked = [], []
    if schedule is not None:
        presenting = programme.presenter_pitches(schedule, registration)
        marked = programme.marked_pitches(schedule, registration)
    return render_template(
        "roadshow/catalogue/my_pitches.html",
        registration=registration,
        event=event,
        token=token,
        schedule=schedule,
        presenting=presenting,
        marked=marked,
        clashes=programme.clashing(marked),
        locale=current_locale(),
    )


@bp.get("/r/<token>/roadshow.ics")
@limiter.limit(LINK_LIMIT)
def my_pitches_ics(token: str):
    """The pitches I present, for my calendar (same UIDs as the public calendar)."""
    registration = _investor_or_404(token)
    event = registration.event
    schedule = programme.latest_published(event)
    pitches = programme.presenter_pitches(schedule, registration) if schedule else []
    locale = current_locale()
    calendar = programme.roadshow_calendar(
        event,
        schedule,
        pitches,
        locale=locale,
        host=request.host,
        name=_("My pitches · %(event)s", event=event.title_for(locale)),
    )
    response = Response(calendar.to_ical(), mimetype="text/calendar")
    response.headers["Content-Disposition"] = dump_options_header(
        "attachment", {"filename": "my-pitches.ics"}
    )
    return response
