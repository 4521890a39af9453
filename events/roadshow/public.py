"""The published roadshow programme: per session as a grid, per room, per presenter,
printable, and as iCal.

Only the latest published version is ever shown (never the draft). Pages
follow the public programme's rule: a draft event exists only for its
organisers. Presenters appear by name and organisation, nothing more.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from werkzeug.http import dump_options_header

from events.i18n import current_locale
from events.programme import visible_event
from events.roadshow import programme

bp = Blueprint("roadshow_public", __name__)

VIEWS = ("grid", "rooms", "presenters")


@bp.app_template_global()
def roadshow_presenter(project):
    """The presenter a public page may name (None once their registration is withdrawn)."""
    return programme.shown_presenter(project)


@bp.get("/e/<slug>/roadshow")
def index(slug: str):
    """The roadshow as sessions of rooms × times; ``?view=rooms`` or ``?view=presenters``."""
    event = visible_event(slug)
    view = request.args.get("view", "grid")
    if view not in VIEWS:
        view = "grid"
    schedule = programme.latest_published(event)
    pitches = programme.published_pitches(schedule) if schedule is not None else []
    context = {"days": [], "rooms": [], "presenters": []}
    if view == "grid":
        context["days"] = programme.programme_grid(
            event, pitches, programme.roadshow_sessions(event)
        )
    elif view == "rooms":
        context["rooms"] = programme.by_room(pitches)
    else:
        context["presenters"] = programme.by_presenter(pitches)
    return render_template(
        "roadshow/public/index.html",
        event=event,
        schedule=schedule,
        pitches=pitches,
        view=view,
        locale=current_locale(),
        **context,
    )


@bp.get("/e/<slug>/roadshow/print")
def print_view(slug: str):
    """One room per printed page, in time order, without the site's navigation."""
    event = visible_event(slug)
    schedule = programme.latest_published(event)
    pitches = programme.published_pitches(schedule) if schedule is not None else []
    return render_template(
        "roadshow/public/print.html",
        event=event,
        schedule=schedule,
        rooms=programme.by_room(pitches),
        locale=current_locale(),
    )


@bp.get("/e/<slug>/roadshow.ics")
def ical(slug: str):
    """Every published pitch for calendar apps; ``?lang=en`` gives English titles."""
    event = visible_event(slug)
    schedule = programme.latest_published(event)
    pitches = programme.published_pitches(schedule) if schedule is not None else []
    locale = current_locale()
    calendar = programme.roadshow_calendar(
        event,
        schedule,
        pitches,
        locale=locale,
        host=request.host,
        url=url_for(".index", slug=event.slug, _external=True),
    )
    response = Response(calendar.to_ical(), mimetype="text/calendar")
    filename = f"{event.slug}-roadshow.ics" if event.slug.isascii() else "roadshow.ics"
    response.headers["Content-Disposition"] = dump_options_header(
        "attachment", {"filename": filename}
    )
    return response
