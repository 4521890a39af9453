"""Small forms of the public registration pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class ResendLinkForm(FlaskForm):
    contact = StringField(
        _l("Mobile or email you registered with"), validators=[DataRequired(), Length(max=254)]
    )
    submit = SubmitField(_l("Send me a new link"))
