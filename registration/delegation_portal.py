"""Public delegation pages: a leader's application, and the leader's portal ``/d/<secret>``.

The portal needs no account: the secret link is the key (see
:mod:`registration.links`). A wrong, forged or replaced link is a 404 that
says nothing about whether it ever existed. Uploads are capped at 5 MB
before Werkzeug reads the body, so a 50 MB file is refused unread.
"""

from __future__ import annotations

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
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from app import db, limiter
from events.errors import show_on_form
from events.forms import EmptyForm
from events.i18n import current_locale
from events.models import Category, Event, EventStatus
from registration import badges, delegations, links, rosters, signup
from registration.badge_views import badge_data, pdf_response
from registration.delegation_forms import ApplicationForm, MemberForm, RosterForm
from registration.models import Delegation, Registration, RegistrationStatus

bp = Blueprint("delegations", __name__)

PORTAL_LIMIT = "60 per minute"
UPLOAD_LIMIT = "20 per hour"
#: Room for the form's other fields around a roster of the largest size.
UPLOAD_BODY_LIMIT = rosters.MAX_BYTES + 64 * 1024
#: Problems listed on the page after a refused import; the rest are counted.
PROBLEMS_SHOWN = 200


# --- applying ---------------------------------------------------------------------------


@bp.route("/e/<slug>/delegations/apply", methods=["GET", "POST"])
@limiter.limit("5 per minute;30 per hour", methods=["POST"])
def apply(slug: str):
    event = db.one_or_404(db.select(Event).filter_by(slug=slug))
    if event.status is not EventStatus.PUBLISHED:
        abort(404)
    g.no_store = True
    form = ApplicationForm()
    is_open = signup.registration_open(event)
    if is_open and form.validate_on_submit():
        try:
            delegations.apply(event, form.details(), current_locale())
        except delegations.DelegationError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "Thank you: your application is with the organisers. Once they approve "
                    "it, you receive the link to register your members."
                ),
                "success",
            )
            return redirect(url_for("events.show", slug=slug))
    return render_template("delegations/apply.html", event=event, form=form, is_open=is_open)


# --- the portal ------------------------------------------------------------------------------


def _delegation_or_404(token: str) -> Delegation:
    delegation = links.delegation_for_token(token)
    if delegation is None:
        abort(404)
    g.no_store = True
    return delegation


def _categories(delegation: Delegation) -> list[Category]:
    return delegations.usable_categories(delegation)


def _members(delegation: Delegation) -> list[Registration]:
    return list(
        db.session.execute(
            db.select(Registration)
            .where(Registration.delegation_id == delegation.id)
            .order_by(Registration.created_at, Registration.id)
        ).scalars()
    )


def _render_portal(delegation, token, *, member_form=None, roster_form=None, problems=None):
    categories = _categories(delegation)
    held = delegations.member_counts(delegation, delegations.HOLDING_STATUSES)
    return render_template(
        "delegations/portal.html",
        event=delegation.event,
        delegation=delegation,
        token=token,
        members=_members(delegation),
        places=[(c, delegation.places_for(c.id), held[c.id]) for c in categories],
        is_open=delegations.portal_open(delegation),
        closes_at=delegations.closes_at(delegation),
        member_form=member_form or MemberForm(categories=categories, formdata=None),
        roster_form=roster_form or RosterForm(formdata=None),
        problems=problems,
        problems_shown=PROBLEMS_SHOWN,
        action_form=EmptyForm(formdata=None),
    )


@bp.get("/d/<token>")
@limiter.limit(PORTAL_LIMIT)
def portal(token: str):
    return _render_portal(_delegation_or_404(token), token)


def _person(form: MemberForm) -> signup.Person:
    return signup.Person(
        name=form.name.data,
        name_en=form.name_en.data,
        organisation=form.organisation.data,
        position=form.position.data or "",
        mobile=form.mobile.data,
        email=form.email.data,
    )


def _chosen(delegation: Delegation, form: MemberForm) -> Category | None:
    return next((c for c in _categories(delegation) if str(c.id) == form.category.data), None)


@bp.post("/d/<token>/members")
@limiter.limit(PORTAL_LIMIT)
def add_member(token: str):
    delegation = _delegation_or_404(token)
    form = MemberForm(categories=_categories(delegation))
    if form.validate_on_submit():
        try:
            registration = delegations.add_member(
                delegation, _chosen(delegation, form), _person(form)
            )
        except (delegations.DelegationError, signup.SignupError) as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is registered.", name=registration.name), "success")
            return redirect(url_for("delegations.portal", token=token) + "#members")
    return _render_portal(delegation, token, member_form=form)


@bp.route("/d/<token>/members/<int:member_id>", methods=["GET", "POST"])
@limiter.limit(PORTAL_LIMIT)
def edit_member(token: str, member_id: int):
    delegation = _delegation_or_404(token)
    registration = delegations.member_of(delegation, member_id)
    if registration is None:
        abort(404)
    categories = _categories(delegation)
    form = MemberForm(categories=categories, obj=registration if request.method == "GET" else None)
    if request.method == "GET":
        form.category.data = str(registration.category_id)
    if form.validate_on_submit():
        try:
            delegations.update_member(
                delegation, registration, _person(form), _chosen(delegation, form)
            )
        except (delegations.DelegationError, signup.SignupError) as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Member saved."), "success")
            return redirect(url_for("delegations.portal", token=token) + "#members")
    return render_template(
        "delegations/member.html",
        event=delegation.event,
        delegation=delegation,
        token=token,
        registration=registration,
        form=form,
        is_open=delegations.portal_open(delegation),
    )


@bp.post("/d/<token>/members/<int:member_id>/remove")
@limiter.limit(PORTAL_LIMIT)
def remove_member(token: str, member_id: int):
    delegation = _delegation_or_404(token)
    registration = delegations.member_of(delegation, member_id)
    if registration is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        try:
            delegations.remove_member(delegation, registration)
        except delegations.DelegationError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            flash(_("%(name)s is taken off the delegation.", name=registration.name), "success")
    return redirect(url_for("delegations.portal", token=token) + "#members")


@bp.url_value_preprocessor
def _cap_upload(endpoint, values):
    # Runs before any body is read (the CSRF check reads the form), so Werkzeug
    # refuses a larger body by its Content-Length, or stops reading at the cap.
    if endpoint == "delegations.upload_roster":
        request.max_content_length = UPLOAD_BODY_LIMIT


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    token = (request.view_args or {}).get("token", "")
    delegation = links.delegation_for_token(token)
    if request.endpoint != "delegations.upload_roster" or delegation is None:
        return error if delegation is not None else NotFound()
    g.no_store = True
    limit = f"{rosters.MAX_BYTES / rosters.MEGABYTE:.3g}"
    message = _l("The file is too large: the limit is %(size)s MB.", size=limit)
    problem = rosters.RosterProblem(None, None, message)
    return _render_portal(delegation, token, problems=[problem]), 413


@bp.post("/d/<token>/roster")
@limiter.limit(UPLOAD_LIMIT)
def upload_roster(token: str):
    delegation = _delegation_or_404(token)
    form = RosterForm()
    if not form.validate_on_submit():
        return _render_portal(delegation, token, roster_form=form)
    try:
        data = rosters.read_upload(form.roster.data.stream)
        members = delegations.import_roster(delegation, data)
    except rosters.RosterRejected as rejection:
        db.session.rollback()
        return _render_portal(delegation, token, roster_form=form, problems=rejection.problems)
    except delegations.DelegationError as error:
        db.session.rollback()
        show_on_form(form, error)
        return _render_portal(delegation, token, roster_form=form)
    db.session.commit()
    flash(
        ngettext(
            "%(num)d member registered from the roster.",
            "%(num)d members registered from the roster.",
            len(members),
        ),
        "success",
    )
    return redirect(url_for("delegations.portal", token=token) + "#members")


@bp.get("/d/<token>/roster-template.xlsx")
@limiter.limit(PORTAL_LIMIT)
def roster_template(token: str):
    delegation = _delegation_or_404(token)
    labels = [c.name_for(current_locale()) for c in _categories(delegation)]
    data = rosters.template_xlsx(labels, current_locale())
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="roster-template.xlsx"'},
    )


@bp.get("/d/<token>/badges.pdf")
@limiter.limit(PORTAL_LIMIT)
def badges_pdf(token: str):
    """The delegation's confirmed members' badges, four to an A4 sheet (or A6 pages)."""
    delegation = _delegation_or_404(token)
    layout = request.args.get("layout", "a4")
    if layout not in badges.LAYOUTS:
        abort(400)
    confirmed = [m for m in _members(delegation) if m.status is RegistrationStatus.CONFIRMED]
    if not confirmed:
        abort(404)
    data = badges.render([badge_data(member) for member in confirmed], layout)
    return pdf_response(data, "delegation-badges.pdf")
