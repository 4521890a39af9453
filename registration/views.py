"""Public pages of the people side: sign up, the manage link, resending the link."""

from __future__ import annotations

from functools import partial

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import bindparam
from sqlalchemy.orm import joinedload

from app import db, limiter
from events.errors import show_on_form
from events.forms import EmptyForm
from events.i18n import current_locale
from events.models import Category, Event, EventStatus
from events.services import can_organise
from registration import (
    badge_image,
    links,
    mail,
    questionnaire,
    services,
    signup,
    ticket_codes,
)
from registration.badge_views import badge_data
from registration.models import Registration, RegistrationStatus
from registration.signup_forms import PersonFields, signup_form_class
from registration.views_forms import ResendLinkForm

bp = Blueprint("registration", __name__)

SIGNUP_LIMIT = "10 per minute;60 per hour"
LINK_LIMIT = "30 per minute"


def _public_event(slug: str, *, with_categories: bool = False) -> Event:
    statement = _EVENT_WITH_CATEGORIES if with_categories else _EVENT
    event = db.session.execute(statement, {"slug": slug}).unique().scalar_one_or_none()
    if event is None:
        abort(404)
    if event.status is EventStatus.DRAFT and not can_organise(current_user, event):
        abort(404)
    return event


# Built once: the public pages take the brunt of a registration rush.
_EVENT = db.select(Event).where(Event.slug == bindparam("slug"))
_EVENT_WITH_CATEGORIES = _EVENT.options(joinedload(Event.categories))


def _chosen_category(event: Event, value) -> Category | None:
    return next((c for c in event.categories if c.is_public and str(c.id) == str(value)), None)


@bp.route("/e/<slug>/register", methods=["GET", "POST"])
@limiter.limit(SIGNUP_LIMIT, methods=["POST"])
def register(slug: str):
    # The form lists the categories: load them with the event, one query.
    event = _public_event(slug, with_categories=True)
    g.no_store = True
    questions = questionnaire.event_questions(event)
    form = signup_form_class(questions)(event=event, questions=questions)
    is_open = signup.registration_open(event)
    if is_open and form.validate_on_submit():
        outcome = _try_register(event, form)
        if outcome is not None:
            return outcome
    return render_template(
        "registration/register.html",
        event=event,
        form=form,
        is_open=is_open,
        offer_waitlist=getattr(form, "offer_waitlist", False),
    )


def _try_register(event: Event, form):
    """Run the sign-up; on success commit, write, and go to the manage page."""
    category = _chosen_category(event, form.category.data)
    person = signup.Person(
        name=form.name.data,
        mobile=form.mobile.data,
        organisation=form.organisation.data,
        position=form.position.data,
        email=form.email.data,
        name_en=form.name_en.data,
    )
    try:
        registration = signup.register(
            event,
            category,
            person,
            locale=current_locale(),
            waitlist=form.waitlist.data == "yes",
            answers=form.answers_for(category.id),
            # Written with the row, before the quota locks are taken.
            with_row=partial(services.welcome, flush=False),
        )
    except signup.QuotaFull:
        form.offer_waitlist = True
        return None
    except signup.SignupError as error:
        show_on_form(form, error)
        return None
    token = registration.new_manage_token
    db.session.commit()
    flash(
        _(
            "Thank you: your registration is saved. Keep this page's address: it is your "
            "link to see, change or cancel your registration."
        ),
        "success",
    )
    return redirect(url_for("registration.manage", token=token))


def _registration_or_404(token: str) -> Registration:
    registration = links.registration_for_token(token)
    if registration is None:
        abort(404)  # the same answer for a typo, a forgery and a replaced link
    g.no_store = True
    return registration


def _editable(registration: Registration) -> bool:
    return registration.status in signup.ACTIVE_STATUSES and signup.registration_open(
        registration.event
    )


@bp.route("/r/<token>", methods=["GET", "POST"])
@limiter.limit(LINK_LIMIT)
def manage(token: str):
    registration = _registration_or_404(token)
    form = PersonFields(obj=registration)
    if request.method == "POST":
        if not _editable(registration):
            abort(403)
        if form.validate_on_submit():
            form.populate_obj(registration)
            registration.email = (registration.email or "").lower() or None
            registration.name_en = registration.name_en or None
            services.record_self_service(registration, "registration.updated")
            db.session.commit()
            flash(_("Your details are saved."), "success")
            return redirect(url_for("registration.manage", token=token))
    answers = [(a, a.snapshot) for a in registration.answers]
    return render_template(
        "registration/manage.html",
        registration=registration,
        form=form,
        token=token,
        editable=_editable(registration),
        answers=answers,
        cancel_form=EmptyForm(),
        event=registration.event,
    )


@bp.get("/r/<token>/badge")
@limiter.limit(LINK_LIMIT)
def badge(token: str):
    """The e-badge for the phone: the QR large, with who and what it is for."""
    registration = _registration_or_404(token)
    valid = registration.status is RegistrationStatus.CONFIRMED
    return render_template(
        "registration/badge.html",
        registration=registration,
        event=registration.event,
        token=token,
        valid=valid,
        qr=Markup(ticket_codes.qr_svg(registration.ticket_secret)) if valid else None,  # noqa: S704 -- built from the secret's A-Z2-7 only
    )


@bp.get("/r/<token>/badge.png")
@limiter.limit(LINK_LIMIT)
def badge_png(token: str):
    """The whole e-badge as one picture, to keep in the phone's photos."""
    registration = _registration_or_404(token)
    if registration.status is not RegistrationStatus.CONFIRMED:
        abort(404)
    return Response(
        badge_image.render_png(badge_data(registration)),
        mimetype="image/png",
        headers={"Content-Disposition": 'attachment; filename="badge.png"'},
    )


@bp.post("/r/<token>/cancel")
@limiter.limit(LINK_LIMIT)
def cancel(token: str):
    registration = _registration_or_404(token)
    if registration.status not in signup.ACTIVE_STATUSES:
        flash(_("This registration is no longer active."), "info")
    elif EmptyForm().validate_on_submit():
        services.cancel(registration, None, actor_label="registrant")
        db.session.commit()
        flash(_("Your registration is cancelled. Thank you for letting us know."), "success")
    return redirect(url_for("registration.manage", token=token))


@bp.route("/e/<slug>/resend-link", methods=["GET", "POST"])
@limiter.limit("5 per minute;20 per hour", methods=["POST"])
def resend_link(slug: str):
    event = _public_event(slug)
    form = ResendLinkForm()
    if form.validate_on_submit():
        for registration in _active_by_contact(event, form.contact.data):
            if registration.email:
                token = links.issue_manage_token(registration)
                mail.queue(
                    "manage_link",
                    registration.email,
                    locale=registration.locale,
                    event=event,
                    registration=registration,
                    manage_url=links.manage_url(token),
                )
        db.session.commit()
        # The same words whether or not anyone is registered: no one learns who is.
        flash(
            _(
                "If this mobile number or email address is registered with an email "
                "address, a new link is on its way. Earlier links no longer work."
            ),
            "info",
        )
        return redirect(url_for("registration.resend_link", slug=slug))
    return render_template("registration/resend_link.html", event=event, form=form)


def _active_by_contact(event: Event, contact: str) -> list[Registration]:
    contact = (contact or "").strip()
    condition = None
    if "@" in contact:
        condition = Registration.email == contact.lower()
    else:
        try:
            condition = Registration.mobile == signup.normalise_mobile(contact)
        except signup.InvalidMobile:
            return []
    return list(
        db.session.execute(
            db.select(Registration).where(
                Registration.event_id == event.id,
                condition,
                Registration.status.in_(signup.ACTIVE_STATUSES),
            )
        ).scalars()
    )
