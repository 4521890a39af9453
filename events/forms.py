"""Forms of the events core. Labels are lazy so they follow the request's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Email, Length

from events.i18n import SUPPORTED_LOCALES


class EmptyForm(FlaskForm):
    """A button that POSTs: carries only the CSRF token."""

    submit = SubmitField(_l("Submit"))


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class LanguageForm(FlaskForm):
    locale = HiddenField(validators=[DataRequired(), AnyOf(list(SUPPORTED_LOCALES))])
    next = HiddenField()
