"""Badge PDFs: the organiser's batch printing, one badge (also for staff at the door).

Only confirmed registrations have valid badges, so only they are printed.
Printing records the time on each registration, so "only those not printed
yet" works for the late arrivals.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, render_template, request
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app import db
from events.auth import event_role_required
from events.dbtypes import utcnow
from events.i18n import date_in
from events.models import Event, EventRole
from registration import badges
from registration.forms import BadgePrintForm
from registration.models import Delegation, Registration, RegistrationStatus

bp = Blueprint("badges", __name__)

#: Badges print in Chinese whatever the organiser's language: the venue's language.
BADGE_LOCALE = "zh_Hans_CN"


@bp.before_request
def _personal_data():
    g.no_store = True


def badge_data(registration: Registration) -> badges.BadgeData:
    event = registration.event
    ends = (event.starts_at, event.ends_at)
    dates = " – ".join(date_in(value, event.zone, BADGE_LOCALE, "long") for value in ends)
    return badges.BadgeData(
        name=registration.name,
        name_en=registration.name_en or "",
        organisation=registration.organisation or "",
        delegation=registration.delegation.name if registration.delegation else "",
        secret=registration.ticket_secret,
        event_title=event.title_zh,
        event_dates=dates,
        category=registration.category.name_zh,
        color=registration.category.color,
    )


def pdf_response(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


def _layout() -> str:
    layout = request.args.get("layout", "a6")
    if layout not in badges.LAYOUTS:
        abort(400)
    return layout


@bp.get("/manage/<int:event_id>/attendees/<int:registration_id>/badge.pdf")
@event_role_required(EventRole.STAFF)
def single(event: Event, registration_id: int):
    """One badge, for the organiser or for staff printing at the door."""
    registration = db.get_or_404(Registration, registration_id)
    if registration.event_id != event.id:
        abort(404)
    if registration.status is not RegistrationStatus.CONFIRMED:
        abort(409)
    # A GET changes nothing (a link from elsewhere must not mark badges printed).
    return pdf_response(
        badges.render([badge_data(registration)], _layout()), f"badge-{registration.id}.pdf"
    )


def _selection(event: Event, form: BadgePrintForm):
    return confirmed_of(
        event,
        category_id=int(form.category.data) if form.category.data else None,
        delegation_id=int(form.delegation.data) if form.delegation.data else None,
        unprinted=bool(form.unprinted.data),
    )


def confirmed_of(event: Event, *, category_id=None, delegation_id=None, unprinted=False):
    """Confirmed registrations (valid badges) of ``event``, delegations together."""
    statement = (
        db.select(Registration)
        .where(Registration.event_id == event.id)
        .where(Registration.status == RegistrationStatus.CONFIRMED)
        .options(selectinload(Registration.category), selectinload(Registration.delegation))
        .outerjoin(Delegation, Registration.delegation_id == Delegation.id)
        .order_by(Delegation.name.nulls_last(), Registration.created_at, Registration.id)
    )
    if category_id is not None:
        statement = statement.where(Registration.category_id == category_id)
    if delegation_id is not None:
        statement = statement.where(Registration.delegation_id == delegation_id)
    if unprinted:
        statement = statement.where(Registration.badge_printed_at.is_(None))
    return list(db.session.execute(statement).scalars())


def mark_printed(registrations) -> None:
    now = utcnow()
    for registration in registrations:
        registration.badge_printed_at = now


@bp.get("/manage/<int:event_id>/badges")
@event_role_required(EventRole.ORGANISER)
def index(event: Event):
    """Choose what to print; lists names the badge font cannot draw completely."""
    form = BadgePrintForm(event, delegations_of(event), formdata=None)
    confirmed = _selection(event, BadgePrintForm(event, [], formdata=None))
    problems = [
        (registration, missing)
        for registration in confirmed
        if (missing := badges.missing_characters(_printed_text(registration)))
    ]
    printed = sum(1 for registration in confirmed if registration.badge_printed_at)
    return render_template(
        "badges/index.html",
        event=event,
        form=form,
        total=len(confirmed),
        printed=printed,
        problems=problems,
    )


def _printed_text(registration: Registration) -> str:
    parts = (registration.name, registration.name_en or "", registration.organisation or "")
    return "".join(parts)


def delegations_of(event: Event) -> list[Delegation]:
    return list(
        db.session.execute(
            db.select(Delegation).where(Delegation.event_id == event.id).order_by(Delegation.name)
        ).scalars()
    )


@bp.post("/manage/<int:event_id>/badges.pdf")
@event_role_required(EventRole.ORGANISER)
def batch(event: Event):
    """The chosen badges as one PDF; they are recorded as printed (hence a POST)."""
    form = BadgePrintForm(event, delegations_of(event))
    if not form.validate_on_submit():
        abort(400)
    chosen = _selection(event, form)
    if not chosen:
        return render_template(
            "badges/index.html",
            event=event,
            form=form,
            total=0,
            printed=0,
            problems=[],
            nothing=_("No confirmed registration matches: nothing to print."),
        ), 404
    data = badges.render((badge_data(r) for r in chosen), form.layout.data)
    mark_printed(chosen)
    db.session.commit()
    return pdf_response(data, f"badges-{event.slug}.pdf")
