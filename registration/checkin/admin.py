"""The organiser's check-in set-up: checkpoints, scanner devices, notes for the door.

Organisers only (staff 403, anyone else 404); ids are looked up within the
event of the URL.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import db
from events import audit
from events.auth import event_role_required
from events.errors import RuleError, show_on_form
from events.forms import EmptyForm
from events.models import Event, EventRole
from registration.checkin import checkpoints, devices
from registration.checkin.forms import CheckpointForm, DeviceForm, DoorNoteForm
from registration.checkin.models import CheckIn, CheckInState, Checkpoint, ScannerDevice
from registration.models import Registration

bp = Blueprint("checkin_admin", __name__, url_prefix="/manage")


@bp.before_request
def _no_store():
    g.no_store = True


def _checkpoint_of(event: Event, checkpoint_id: int) -> Checkpoint:
    checkpoint = db.get_or_404(Checkpoint, checkpoint_id)
    if checkpoint.event_id != event.id:
        abort(404)
    return checkpoint


def _admitted_counts(event: Event) -> dict[int, int]:
    rows = db.session.execute(
        db.select(CheckIn.checkpoint_id, db.func.count(CheckIn.id))
        .where(CheckIn.event_id == event.id, CheckIn.state == CheckInState.IN)
        .group_by(CheckIn.checkpoint_id)
    ).all()
    return dict(rows)


@bp.route("/<int:event_id>/checkpoints", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def index(event: Event):
    checkpoints.ensure_default(event)
    form = CheckpointForm(event=event)
    if form.validate_on_submit():
        try:
            checkpoint = checkpoints.save(event, None, form.checkpoint_data(), current_user)
        except RuleError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Checkpoint “%(name)s” added.", name=checkpoint.name_zh), "success")
            return redirect(url_for("checkin_admin.index", event_id=event.id))
    else:
        db.session.commit()  # the default main entrance, if it was just created
    return render_template(
        "checkin/checkpoints.html",
        event=event,
        checkpoints=checkpoints.checkpoints_of(event),
        admitted=_admitted_counts(event),
        form=form,
    ), (400 if form.errors else 200)


@bp.route("/<int:event_id>/checkpoints/<int:checkpoint_id>", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def edit(event: Event, checkpoint_id: int):
    checkpoint = _checkpoint_of(event, checkpoint_id)
    form = CheckpointForm.editing(event, checkpoint, request.method)
    if form.validate_on_submit():
        try:
            checkpoints.save(event, checkpoint, form.checkpoint_data(), current_user)
        except RuleError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Checkpoint saved."), "success")
            return redirect(url_for("checkin_admin.index", event_id=event.id))
    return render_template(
        "checkin/checkpoint_edit.html", event=event, checkpoint=checkpoint, form=form
    ), (400 if form.errors else 200)


@bp.post("/<int:event_id>/checkpoints/<int:checkpoint_id>/<any(retire, reopen, delete):action>")
@event_role_required(EventRole.ORGANISER)
def change(event: Event, checkpoint_id: int, action: str):
    checkpoint = _checkpoint_of(event, checkpoint_id)
    if not _csrf_ok():
        abort(400)
    try:
        {"retire": checkpoints.retire, "reopen": checkpoints.reopen, "delete": checkpoints.delete}[
            action
        ](checkpoint, current_user)
    except RuleError as error:
        flash(str(error.message), "danger")
        return redirect(url_for("checkin_admin.index", event_id=event.id))
    db.session.commit()
    messages = {
        "retire": _("Checkpoint retired: it keeps its history and takes no more scans."),
        "reopen": _("Checkpoint open again."),
        "delete": _("Checkpoint deleted."),
    }
    flash(messages[action], "success")
    return redirect(url_for("checkin_admin.index", event_id=event.id))


def _csrf_ok() -> bool:
    return EmptyForm().validate_on_submit()


# --- scanner devices -------------------------------------------------------------------


@bp.route("/<int:event_id>/scanner-devices", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def scanner_devices(event: Event):
    form = DeviceForm(checkpoints=checkpoints.checkpoints_of(event))
    token = None
    if form.validate_on_submit():
        checkpoint = form.checkpoints.get(form.checkpoint_id.data)
        device, token = devices.issue(event, form.name.data, checkpoint, current_user)
        db.session.commit()
        # Shown in this response only: it is never stored and cannot be shown again.
        form = DeviceForm(checkpoints=checkpoints.checkpoints_of(event), formdata=None)
    return render_template(
        "checkin/devices.html",
        event=event,
        devices=devices.devices_of(event),
        form=form,
        token=token,
    ), (400 if form.errors else 200)


@bp.post("/<int:event_id>/scanner-devices/<int:device_id>/revoke")
@event_role_required(EventRole.ORGANISER)
def revoke_device(event: Event, device_id: int):
    device = db.get_or_404(ScannerDevice, device_id)
    if device.event_id != event.id:
        abort(404)
    if not _csrf_ok():
        abort(400)
    devices.revoke(device, current_user)
    db.session.commit()
    flash(_("Device “%(name)s” can no longer scan.", name=device.name), "success")
    return redirect(url_for("checkin_admin.scanner_devices", event_id=event.id))


# --- the note for the door --------------------------------------------------------------


@bp.post("/<int:event_id>/attendees/<int:registration_id>/door-note")
@event_role_required(EventRole.ORGANISER)
def door_note(event: Event, registration_id: int):
    registration = db.get_or_404(Registration, registration_id)
    if registration.event_id != event.id:
        abort(404)
    form = DoorNoteForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "danger")
        return _back_to(registration)
    before = (registration.staff_note, registration.needs_attention)
    registration.staff_note = form.staff_note.data or ""
    registration.needs_attention = bool(form.needs_attention.data)
    audit.record(
        "registration.door_note_changed",
        "registration",
        registration.id,
        event_id=event.id,
        actor=current_user,
        # The note may say something about health: it stays out of the history.
        note_changed=before[0] != registration.staff_note,
        attention=[before[1], registration.needs_attention],
    )
    db.session.commit()
    flash(_("Note for check-in staff saved."), "success")
    return _back_to(registration)


def _back_to(registration: Registration):
    return redirect(
        url_for("attendees.detail", event_id=registration.event_id, registration_id=registration.id)
    )
