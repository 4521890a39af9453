"""Participants' matchmaking through their manage link: profile, directory, requests, agenda.

Every page hangs off ``/r/<token>/matchmaking…``: an unknown link, or a
cancelled or rejected registration, answers 404 like the catalogue; pages
are never cached. A registration that does not take part (not confirmed, a
category left out, no matchmaking at the event) sees a page that says so
and can change nothing.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.http import dump_options_header

from app import db, limiter
from events.forms import EmptyForm
from events.i18n import current_locale
from events.roadshow import match_requests, participants
from events.roadshow.catalogue import GONE
from events.roadshow.match_forms import MeetingRequestForm, ProfileForm
from events.roadshow.match_models import Priority, RequestStatus
from events.roadshow.models import Sector
from events.roadshow.participants import MatchError
from registration.models import Registration
from registration.views import LINK_LIMIT, _registration_or_404

bp = Blueprint("matchmaking_portal", __name__)

#: A checkbox of the availability page: ``<session id>-<slot>``.
SLOT_VALUE = re.compile(r"(\d{1,9})-(\d{1,4})")


@bp.app_template_global()
def meeting_priority_label(priority) -> str:
    return match_requests.priority_label(priority)


@bp.app_template_global()
def meeting_status_label(status) -> str:
    return match_requests.request_status_label(status)


def _person_or_404(token: str) -> Registration:
    """The registration behind the link; cancelled or rejected ones answer 404."""
    registration = _registration_or_404(token)
    if registration.status in GONE:
        abort(404)
    return registration


def _outside(registration: Registration):
    """The page for a registration that does not take part in matchmaking."""
    event = registration.event
    setup = participants.setup_of(event)
    return render_template(
        "matchmaking/portal/not_participant.html",
        registration=registration,
        event=event,
        token=request.view_args["token"],
        has_setup=setup is not None and bool(setup.categories),
        locale=current_locale(),
    )


def _page(template: str, registration: Registration, token: str, **context):
    event = registration.event
    return render_template(
        f"matchmaking/portal/{template}",
        registration=registration,
        event=event,
        token=token,
        setup=participants.setup_of(event),
        locale=current_locale(),
        **context,
    )


@bp.get("/r/<token>/matchmaking")
@limiter.limit(LINK_LIMIT)
def index(token: str):
    """The participant's profile in short, their requests both ways, and where to go next."""
    registration = _person_or_404(token)
    if not participants.is_participant(registration):
        return _outside(registration)
    return _page(
        "index.html",
        registration,
        token,
        profile=participants.profile_of(registration),
        lists=match_requests.sorted_requests(registration),
        meeting_count=len(match_requests.agenda_of(registration)),
    )


@bp.route("/r/<token>/matchmaking/profile", methods=["GET", "POST"])
@limiter.limit(LINK_LIMIT)
def profile(token: str):
    """Sector, region, capital, a few words, and whether to appear in the directory."""
    registration = _person_or_404(token)
    if not participants.is_participant(registration):
        if request.method == "POST":
            abort(403)
        return _outside(registration)
    current = participants.profile_of(registration)
    form = ProfileForm(obj=current)
    if request.method == "GET":
        form.sector.data = current.sector.value if current and current.sector else ""
        form.listed.data = current.listed if current is not None else True
    if form.validate_on_submit():
        saved = participants.profile_of(registration, create=True)
        saved.sector = Sector(form.sector.data) if form.sector.data else None
        saved.region = form.region.data
        saved.capital_wan = form.capital_wan.data
        saved.about = form.about.data
        saved.listed = form.listed.data
        db.session.commit()
        flash(_("Your matchmaking profile is saved."), "success")
        return redirect(url_for(".index", token=token))
    return _page(
        "profile.html",
        registration,
        token,
        form=form,
        capacity=current.capacity if current is not None else 1,
    )


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1


@bp.get("/r/<token>/matchmaking/directory")
@limiter.limit(LINK_LIMIT)
def directory(token: str):
    """The other listed participants, filtered, with the state of my request to each."""
    registration = _person_or_404(token)
    if not participants.is_participant(registration):
        return _outside(registration)
    event = registration.event
    filters, messages = match_requests.parse_filters(event, request.args)
    page = match_requests.directory_page(event, registration, filters, _page_number())
    people = list(page.items)
    return _page(
        "directory.html",
        registration,
        token,
        filters=filters,
        messages=messages,
        page=page,
        people=people,
        profiles=match_requests.profiles_of(person.id for person in people),
        requests=match_requests.requests_by_other(registration),
        regions=match_requests.directory_regions(event),
        categories=match_requests.taking_part_categories(event),
        sectors=list(Sector),
        priorities=sorted(Priority, reverse=True),
    )


@bp.post("/r/<token>/matchmaking/requests")
@limiter.limit(LINK_LIMIT)
def request_meeting(token: str):
    """Ask another participant for a meeting; back to the directory with its filters."""
    registration = _person_or_404(token)
    if not participants.is_participant(registration):
        abort(403)
    event = registration.event
    filters, _messages = match_requests.parse_filters(event, request.args)
    form = MeetingRequestForm()
    anchor = None
    if not form.validate_on_submit():
        if form.recipient_id.errors:
            flash(_("Choose the participant you want to meet."), "danger")
        elif form.priority.errors:
            flash(_("Choose a priority."), "danger")
        else:
            for error in form.note.errors:
                flash(str(error), "danger")
    else:
        anchor = f"person-{form.recipient_id.data}"
        try:
            item = match_requests.send_request(
                registration, form.recipient_id.data, form.priority.data, form.note.data
            )
        except MatchError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            name = item.recipient.name
            if item.status is RequestStatus.ACCEPTED:
                message = _("Meeting with %(name)s accepted: it will be scheduled.", name=name)
                flash(message, "success")
            else:
                flash(_("Your request was sent to %(name)s.", name=name), "success")
    return redirect(url_for(".directory", token=token, **filters.as_args(), _anchor=anchor))


@bp.post("/r/<token>/matchmaking/requests/<int:request_id>/<action>")
@limiter.limit(LINK_LIMIT)
def answer(token: str, request_id: int, action: str):
    """Accept or decline a request made to me, or cancel one of mine either way."""
    registration = _person_or_404(token)
    if action not in match_requests.ACTIONS:
        abort(404)
    item = match_requests.request_of(registration, request_id)
    if item is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        match_requests.answer_request(registration, item, action)
    except PermissionError:
        db.session.rollback()
        abort(403)
    except MatchError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        other = item.other(registration.id).name
        done = {
            "accept": _("You accepted the meeting with %(name)s.", name=other),
            "decline": _("You declined the meeting with %(name)s.", name=other),
            "cancel": _("The meeting request with %(name)s is cancelled.", name=other),
        }
        flash(done[action], "success" if action == "accept" else "info")
    return redirect(url_for(".index", token=token, _anchor=f"request-{item.id}"))


@bp.route("/r/<token>/matchmaking/availability", methods=["GET", "POST"])
@limiter.limit(LINK_LIMIT)
def availability(token: str):
    """The slots of each matchmaking session in which I cannot meet."""
    registration = _person_or_404(token)
    if not participants.is_participant(registration):
        if request.method == "POST":
            abort(403)
        return _outside(registration)
    sessions = match_requests.sessions_of(registration.event)
    form = EmptyForm()
    if form.validate_on_submit():
        away = set()
        for value in request.form.getlist("away"):
            match = SLOT_VALUE.fullmatch(value)
            if match:
                away.add((int(match[1]), int(match[2])))
        count = match_requests.save_unavailability(registration, sessions, away)
        db.session.commit()
        flash(
            _("Saved: you are available in every slot.")
            if not count
            else _("Saved: %(count)d slots marked as unavailable.", count=count),
            "success",
        )
        return redirect(url_for(".availability", token=token))
    return _page(
        "availability.html",
        registration,
        token,
        form=form,
        sessions=sessions,
        away=match_requests.unavailable_slots(registration),
    )


@bp.get("/r/<token>/matchmaking/agenda")
@limiter.limit(LINK_LIMIT)
def agenda(token: str):
    """My scheduled meetings in time order; ``?print=1`` for paper, without navigation."""
    registration = _person_or_404(token)
    if not participants.is_participant(registration):
        return _outside(registration)
    printing = request.args.get("print") == "1"
    return _page(
        "agenda_print.html" if printing else "agenda.html",
        registration,
        token,
        entries=match_requests.agenda_of(registration),
    )


@bp.get("/r/<token>/matchmaking/agenda.ics")
@limiter.limit(LINK_LIMIT)
def agenda_ics(token: str):
    """My meetings for my calendar: one VEVENT per meeting with a stable UID."""
    registration = _person_or_404(token)
    if not participants.is_participant(registration):
        abort(404)
    event = registration.event
    locale = current_locale()
    calendar = match_requests.agenda_calendar(
        event,
        match_requests.agenda_of(registration),
        locale=locale,
        host=request.host,
        name=_("My meetings · %(event)s", event=event.title_for(locale)),
    )
    response = Response(calendar.to_ical(), mimetype="text/calendar")
    response.headers["Content-Disposition"] = dump_options_header(
        "attachment", {"filename": "my-meetings.ics"}
    )
    return response
