"""The organiser's delegation pages: the list with counts, setting one up, applications.

Only the event's organisers reach them (staff 403, anyone else 404), and a
delegation id is only looked up within the event of the URL.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import db
from events.auth import event_role_required
from events.errors import show_on_form
from events.forms import EmptyForm
from events.models import Event, EventRole
from events.setup import as_wall_clock
from registration import delegations
from registration.delegation_forms import RejectDelegationForm, delegation_form_class
from registration.models import Delegation, DelegationStatus

bp = Blueprint("delegation_admin", __name__, url_prefix="/manage")


@bp.before_request
def _personal_data():
    g.no_store = True  # leaders' names and phone numbers


def _delegation_of(event: Event, delegation_id: int) -> Delegation:
    delegation = db.get_or_404(Delegation, delegation_id)
    if delegation.event_id != event.id:
        abort(404)
    return delegation


@bp.get("/<int:event_id>/delegations")
@event_role_required(EventRole.ORGANISER)
def index(event: Event):
    rows = list(
        db.session.execute(
            db.select(Delegation)
            .where(Delegation.event_id == event.id)
            .order_by(Delegation.status.desc(), Delegation.name)
        ).scalars()
    )
    # Applications waiting for a decision come first.
    rows.sort(key=lambda d: d.status is not DelegationStatus.PENDING)
    return render_template(
        "delegations/admin_index.html",
        event=event,
        delegations=rows,
        figures=delegations.figures_by_delegation(event),
    )


@bp.route("/<int:event_id>/delegations/new", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def new(event: Event):
    form = delegation_form_class(event.categories)()
    if form.validate_on_submit():
        try:
            delegation = delegations.create(
                event, form.details(event.timezone), form.quotas(), current_user
            )
            url = delegations.invite(delegation, current_user)
        except delegations.DelegationError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            db.session.commit()
            _flash_invitation(delegation, url)
            return redirect(url_for("delegation_admin.edit", event_id=event.id, id=delegation.id))
    return render_template("delegations/admin_edit.html", event=event, form=form, delegation=None)


def _flash_invitation(delegation: Delegation, url: str) -> None:
    if delegation.leader_email:
        flash(_("The leader's link was emailed to %(email)s.", email=delegation.leader_email))
    else:
        flash(_("No email for the leader: pass the link on yourself."), "warning")
    flash(_("Leader's link (shown once; sending it again makes a new one): %(url)s", url=url))


@bp.route("/<int:event_id>/delegations/<int:id>", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def edit(event: Event, id: int):
    delegation = _delegation_of(event, id)
    form_class = delegation_form_class(event.categories)
    form = form_class(obj=delegation if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = delegation.kind.value
        form.deadline.data = as_wall_clock(delegation.deadline, event.timezone)
        for category, field in form.quota_fields():
            field.data = delegation.places_for(category.id)
    if form.validate_on_submit():
        try:
            delegations.update(
                delegation, form.details(event.timezone), form.quotas(), current_user
            )
        except delegations.DelegationError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Delegation saved."), "success")
            return redirect(url_for("delegation_admin.edit", event_id=event.id, id=id))
    figures = delegations.figures_by_delegation(event).get(id, delegations.Figures())
    return render_template(
        "delegations/admin_edit.html",
        event=event,
        form=form,
        delegation=delegation,
        figures=figures,
        held=delegations.member_counts(delegation, delegations.HOLDING_STATUSES),
        action_form=EmptyForm(),
        reject_form=RejectDelegationForm(),
    )


@bp.post("/<int:event_id>/delegations/<int:id>/approve")
@event_role_required(EventRole.ORGANISER)
def approve(event: Event, id: int):
    delegation = _delegation_of(event, id)
    if EmptyForm().validate_on_submit():
        try:
            delegations.approve(delegation, current_user)
            url = delegations.invite(delegation, current_user)
        except delegations.DelegationError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            flash(_("Application approved."), "success")
            _flash_invitation(delegation, url)
    return redirect(url_for("delegation_admin.edit", event_id=event.id, id=id))


@bp.post("/<int:event_id>/delegations/<int:id>/reject")
@event_role_required(EventRole.ORGANISER)
def reject(event: Event, id: int):
    delegation = _delegation_of(event, id)
    form = RejectDelegationForm()
    if form.validate_on_submit():
        try:
            delegations.reject(delegation, current_user, (form.message.data or "").strip())
        except delegations.DelegationError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            flash(_("Application rejected."), "success")
    return redirect(url_for("delegation_admin.edit", event_id=event.id, id=id))


@bp.post("/<int:event_id>/delegations/<int:id>/invite")
@event_role_required(EventRole.ORGANISER)
def invite(event: Event, id: int):
    delegation = _delegation_of(event, id)
    if EmptyForm().validate_on_submit():
        try:
            url = delegations.invite(delegation, current_user)
        except delegations.DelegationError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            _flash_invitation(delegation, url)
    return redirect(url_for("delegation_admin.edit", event_id=event.id, id=id))
