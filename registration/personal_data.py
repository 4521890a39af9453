"""One person's data on request (PIPL): a copy to hand over, or erasure."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import db
from events import audit
from events.auth import event_role_required
from events.forms import EmptyForm
from events.models import Event, EventRole
from registration import privacy
from registration.checkin.roster import check_ins_of
from registration.models import Registration

bp = Blueprint("personal_data", __name__, url_prefix="/manage/<int:event_id>/attendees")


def _registration_of(event: Event, registration_id: int) -> Registration:
    registration = db.get_or_404(Registration, registration_id)
    if registration.event_id != event.id:
        abort(404)
    return registration


def personal_record(registration: Registration) -> dict:
    """Everything stored about the person, as plain JSON values."""
    return {
        "event": registration.event.slug,
        "registration_id": registration.id,
        "name": registration.name,
        "name_en": registration.name_en,
        "organisation": registration.organisation,
        "position": registration.position,
        "mobile": registration.mobile,
        "email": registration.email,
        "language": registration.locale,
        "category": registration.category.code,
        "delegation": registration.delegation.name if registration.delegation else None,
        "status": registration.status.value,
        "registered_at": registration.created_at.isoformat(),
        "answers": [
            {"question": answer.snapshot.get("label"), "value": answer.value}
            for answer in registration.answers
        ],
        "note_for_check_in_staff": registration.staff_note,
        "check_ins": [
            {
                "at": check_in.scanned_at.isoformat(),
                "checkpoint": check_in.checkpoint.name_zh,
                "state": check_in.state.value,
            }
            for check_in in check_ins_of(registration)
        ],
        "history": [
            {"at": entry.created_at.isoformat(), "action": entry.action}
            for entry in audit.history("registration", registration.id)
        ],
        **_feature_records(registration),
    }


#: Where features built on registration add what they store about a person to
#: the export: callables taking the registration and returning ``{section: value}``.
RECORD_STEPS_KEY = "huiwu.personal_record_steps"


def _feature_records(registration: Registration) -> dict:
    sections: dict = {}
    for step in current_app.extensions.get(RECORD_STEPS_KEY, []):
        sections.update(step(registration))
    return sections


@bp.get("/<int:registration_id>/personal-data.json")
@event_role_required(EventRole.ORGANISER)
def export(event: Event, registration_id: int):
    registration = _registration_of(event, registration_id)
    g.no_store = True
    audit.record(
        "registration.data_exported",
        "registration",
        registration.id,
        event_id=event.id,
        actor=current_user,
    )
    db.session.commit()
    response = jsonify(personal_record(registration))
    response.headers["Content-Disposition"] = (
        f"attachment; filename=registration-{registration.id}-personal-data.json"
    )
    return response


@bp.post("/<int:registration_id>/erase")
@event_role_required(EventRole.ORGANISER)
def erase(event: Event, registration_id: int):
    registration = _registration_of(event, registration_id)
    if EmptyForm().validate_on_submit():
        privacy.anonymise(registration)
        audit.record(
            "registration.data_erased",
            "registration",
            registration.id,
            event_id=event.id,
            actor=current_user,
        )
        db.session.commit()
        flash(_("The person's data is erased; the registration stays in the counts."), "success")
    return redirect(url_for("attendees.detail", event_id=event.id, registration_id=registration.id))
