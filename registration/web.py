"""What the registration feature adds to every page: figures and labels."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from events.navigation import Tab, add_manage_tab
from events.setup import register_clone_hook
from registration import figures, mail, questionnaire, signup
from registration.checkin import checkpoints
from registration.checkin import forms as checkin_forms
from registration.delegation_forms import kind_label
from registration.models import QuestionKind, RegistrationStatus
from registration.question_forms import QUESTION_KINDS

REGISTRATION_STATUSES = {
    RegistrationStatus.PENDING: _l("Pending"),
    RegistrationStatus.CONFIRMED: _l("Confirmed"),
    RegistrationStatus.WAITLISTED: _l("Waiting list"),
    RegistrationStatus.CANCELLED: _l("Cancelled"),
    RegistrationStatus.REJECTED: _l("Rejected"),
}


def status_label(status) -> str:
    return str(REGISTRATION_STATUSES[RegistrationStatus(status)])


def question_kind_label(kind) -> str:
    return str(QUESTION_KINDS[QuestionKind(kind)])


REGISTRATION_STATUS_MESSAGES = {
    RegistrationStatus.CONFIRMED: _l("Your place is confirmed."),
    RegistrationStatus.PENDING: _l("The organisers are reviewing your registration."),
    RegistrationStatus.WAITLISTED: _l(
        "You are on the waiting list; we will write when a place frees up."
    ),
    RegistrationStatus.CANCELLED: _l("This registration is cancelled."),
    RegistrationStatus.REJECTED: _l("This registration was not accepted."),
}


def registration_status_message(status) -> str:
    return str(REGISTRATION_STATUS_MESSAGES[RegistrationStatus(status)])


def init_app(app: Flask) -> None:
    figures.register(app)
    mail.init_app(app)
    register_clone_hook(app, questionnaire.copy_questions)
    register_clone_hook(app, checkpoints.copy_checkpoints)
    app.jinja_env.globals["question_kind_label"] = question_kind_label
    app.jinja_env.globals["registration_open"] = signup.registration_open
    app.jinja_env.globals["registration_status_message"] = registration_status_message
    add_manage_tab(app, Tab("questions.index", _l("Questions"), 30, ("questions.edit",)))
    add_manage_tab(app, Tab("attendees.index", _l("Attendees"), 50, ("attendees.detail",)))
    add_manage_tab(app, Tab("attendees.export", _l("Export"), 60))
    add_manage_tab(app, Tab("badges.index", _l("Badges"), 58))
    add_manage_tab(
        app,
        Tab(
            "delegation_admin.index",
            _l("Delegations"),
            55,
            ("delegation_admin.new", "delegation_admin.edit"),
        ),
    )
    app.jinja_env.globals["delegation_kind_label"] = kind_label
    app.jinja_env.globals["checkpoint_kind_label"] = checkin_forms.kind_label
    app.jinja_env.globals["check_in_state_label"] = checkin_forms.check_in_state_label
    add_manage_tab(
        app,
        Tab(
            "checkin_admin.index",
            _l("Check-in"),
            62,
            ("checkin_admin.edit", "checkin_admin.scanner_devices"),
        ),
    )
    add_manage_tab(app, Tab("arrivals.index", _l("Arrivals"), 64, ("arrivals.no_shows",)))
    app.jinja_env.globals["status_label"] = status_label
