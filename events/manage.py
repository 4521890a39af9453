"""Organiser pages that set an event up: details, status, clone, categories, team."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import db
from events import setup
from events.auth import event_role_required, password_link
from events.errors import show_on_form
from events.forms import (
    CategoryForm,
    CloneEventForm,
    EmptyForm,
    EventForm,
    EventStatusForm,
    NewEventForm,
    TeamMemberForm,
)
from events.models import Category, Event, EventMember, EventRole
from events.services import can_create_events

bp = Blueprint("manage", __name__, url_prefix="/manage")

DATE_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    if not can_create_events(current_user):
        abort(403)
    form = NewEventForm()
    if form.validate_on_submit():
        try:
            event = setup.create_event(
                form.data, current_user, default_categories=form.default_categories.data
            )
        except setup.SetupError as error:
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(
                _("Event created as a draft: only its team can see it until you publish it."),
                "success",
            )
            return redirect(url_for("manage.edit", event_id=event.id))
    return render_template("manage/new.html", form=form)


def _form_for(event: Event) -> EventForm:
    """The edit form, with times shown on the event's own wall clock."""
    form = EventForm(obj=event if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = event.kind.value
        for name in DATE_FIELDS:
            getattr(form, name).data = setup.as_wall_clock(getattr(event, name), event.timezone)
    return form


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def edit(event: Event):
    form = _form_for(event)
    if form.validate_on_submit():
        try:
            changed = setup.update_event(event, form.data, current_user)
        except setup.SetupError as error:
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("manage.edit", event_id=event.id))
    return render_template(
        "manage/edit.html", event=event, form=form, status_form=EventStatusForm()
    )


@bp.post("/<int:event_id>/status")
@event_role_required(EventRole.ORGANISER)
def status(event: Event):
    form = EventStatusForm()
    if not form.validate_on_submit():
        abort(400)
    setup.change_status(event, form.action.data, current_user)
    db.session.commit()
    messages = {
        "publish": _("The event is published: the public can see it now."),
        "unpublish": _("The event is a draft again: the public no longer sees it."),
        "close_registration": _("Registration is closed."),
        "archive": _("The event is archived."),
        "restore": _("The event is restored as a draft."),
    }
    flash(messages[form.action.data], "success")
    return redirect(url_for("manage.edit", event_id=event.id))


@bp.route("/<int:event_id>/clone", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def clone(event: Event):
    form = CloneEventForm()
    if request.method == "GET":
        form.title_zh.data = event.title_zh
        form.title_en.data = event.title_en
        form.slug.data = f"{event.slug}-copy"[:64]
    if form.validate_on_submit():
        try:
            copy = setup.clone_event(
                event,
                title_zh=form.title_zh.data,
                title_en=form.title_en.data,
                slug=form.slug.data,
                starts_on=form.starts_on.data,
                actor=current_user,
                copy_team=form.copy_team.data,
            )
        except setup.SetupError as error:
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(_("The new edition is ready as a draft, without registrations."), "success")
            return redirect(url_for("manage.edit", event_id=copy.id))
    return render_template("manage/clone.html", event=event, form=form)


# --- categories ---------------------------------------------------------------------


def _category_of(event: Event, category_id: int) -> Category:
    category = db.get_or_404(Category, category_id)
    if category.event_id != event.id:
        abort(404)
    return category


@bp.route("/<int:event_id>/categories", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def categories(event: Event):
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            setup.save_category(event, None, form.data, current_user)
        except setup.SetupError as error:
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Category added."), "success")
            return redirect(url_for("manage.categories", event_id=event.id))
    return render_template(
        "manage/categories.html", event=event, form=form, delete_form=EmptyForm()
    )


@bp.route("/<int:event_id>/categories/<int:category_id>", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def edit_category(event: Event, category_id: int):
    category = _category_of(event, category_id)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        try:
            setup.save_category(event, category, form.data, current_user)
        except setup.SetupError as error:
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Category saved."), "success")
            return redirect(url_for("manage.categories", event_id=event.id))
    return render_template("manage/category.html", event=event, category=category, form=form)


@bp.post("/<int:event_id>/categories/<int:category_id>/delete")
@event_role_required(EventRole.ORGANISER)
def delete_category(event: Event, category_id: int):
    category = _category_of(event, category_id)
    if EmptyForm().validate_on_submit():
        try:
            setup.delete_category(event, category, current_user)
        except setup.SetupError as error:
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            flash(_("Category deleted."), "success")
    return redirect(url_for("manage.categories", event_id=event.id))


# --- team ---------------------------------------------------------------------------


def _require_owner(event: Event) -> None:
    if not setup.is_owner(current_user, event):
        abort(403)


@bp.route("/<int:event_id>/team", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def team(event: Event):
    form = TeamMemberForm()
    if request.method == "POST":
        _require_owner(event)
    if form.validate_on_submit():
        try:
            membership, created = setup.add_team_member(
                event,
                form.email.data,
                form.display_name.data,
                EventRole(form.role.data),
                current_user,
            )
        except setup.SetupError as error:
            show_on_form(form, error)
        else:
            db.session.commit()
            if created:
                flash(
                    _(
                        "Account created for %(email)s. Send them this one-time link to choose a "
                        "password (valid 7 days): %(link)s",
                        email=membership.user.email,
                        link=password_link(membership.user),
                    ),
                    "success",
                )
            else:
                flash(_("%(name)s joined the team.", name=membership.user.display_name), "success")
            return redirect(url_for("manage.team", event_id=event.id))
    members = sorted(event.members, key=lambda m: (not m.is_owner, m.role.value, m.created_at))
    return render_template(
        "manage/team.html",
        event=event,
        form=form,
        members=members,
        remove_form=EmptyForm(),
        owner=setup.is_owner(current_user, event),
    )


@bp.post("/<int:event_id>/team/<int:member_id>/remove")
@event_role_required(EventRole.ORGANISER)
def remove_member(event: Event, member_id: int):
    _require_owner(event)
    membership = db.get_or_404(EventMember, member_id)
    if membership.event_id != event.id:
        abort(404)
    if EmptyForm().validate_on_submit():
        try:
            setup.remove_team_member(event, membership, current_user)
        except setup.SetupError as error:
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            flash(_("Removed from the team."), "success")
    return redirect(url_for("manage.team", event_id=event.id))
