"""What the registration feature adds to every page: figures and labels."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from registration import figures
from registration.models import RegistrationStatus

REGISTRATION_STATUSES = {
    RegistrationStatus.PENDING: _l("Pending"),
    RegistrationStatus.CONFIRMED: _l("Confirmed"),
    RegistrationStatus.WAITLISTED: _l("Waiting list"),
    RegistrationStatus.CANCELLED: _l("Cancelled"),
    RegistrationStatus.REJECTED: _l("Rejected"),
}


def status_label(status) -> str:
    return str(REGISTRATION_STATUSES[RegistrationStatus(status)])


def init_app(app: Flask) -> None:
    figures.register(app)
    app.jinja_env.globals["status_label"] = status_label
