"""Forms of the events core. Labels are lazy so they follow the request's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from events.i18n import SUPPORTED_LOCALES
from events.widgets import FastWidgets

#: What a browser's datetime-local input sends and expects back (first format).
LOCAL_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs; labels may be lazy strings."""
    return [SelectChoice(value, label) for value, label in pairs]


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
    class Meta(FastWidgets):  # on every page
        pass

    locale = HiddenField(validators=[DataRequired(), AnyOf(list(SUPPORTED_LOCALES))])
    next = HiddenField()


# --- event set-up --------------------------------------------------------------

#: Time zones offered for events: where Shandong's chambers hold and attend events.
EVENT_TIMEZONES = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Macau",
    "Asia/Taipei",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Singapore",
    "Asia/Bangkok",
    "Asia/Dubai",
    "Asia/Jerusalem",
    "Europe/Moscow",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
]
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"
CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
COLOUR_PATTERN = r"^#[0-9a-fA-F]{6}$"


def _text_or_empty(value):
    return value.strip() if isinstance(value, str) else ""


def _optional_text(value):
    return value.strip() if isinstance(value, str) and value.strip() else None


class EventForm(FlaskForm):
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(
        _l("Title (English)"), validators=[Optional(), Length(max=200)], filters=[_optional_text]
    )
    kind = SelectField(_l("Kind"), choices=[])
    slug = StringField(
        _l("Web address"),
        validators=[
            DataRequired(),
            Regexp(SLUG_PATTERN, message=_l("Use 3–64 lower-case letters, digits and dashes.")),
        ],
        description=_l("Used in the public link, e.g. rushang-2026."),
    )
    description_zh = TextAreaField(
        _l("Description (Chinese)"), validators=[Length(max=20000)], filters=[_text_or_empty]
    )
    description_en = TextAreaField(
        _l("Description (English)"), validators=[Length(max=20000)], filters=[_optional_text]
    )
    venue_zh = StringField(_l("Venue (Chinese)"), validators=[Length(max=200)])
    venue_en = StringField(
        _l("Venue (English)"), validators=[Length(max=200)], filters=[_optional_text]
    )
    city = StringField(_l("City"), validators=[Length(max=100)])
    timezone = SelectField(
        _l("Time zone"),
        choices=choices((zone, zone) for zone in EVENT_TIMEZONES),
        default="Asia/Shanghai",
    )
    starts_at = DateTimeLocalField(
        _l("Starts"), format=LOCAL_DATETIME_FORMATS, validators=[DataRequired()]
    )
    ends_at = DateTimeLocalField(
        _l("Ends"), format=LOCAL_DATETIME_FORMATS, validators=[DataRequired()]
    )
    registration_opens_at = DateTimeLocalField(
        _l("Registration opens"), format=LOCAL_DATETIME_FORMATS, validators=[Optional()]
    )
    registration_closes_at = DateTimeLocalField(
        _l("Registration closes"), format=LOCAL_DATETIME_FORMATS, validators=[Optional()]
    )
    capacity = IntegerField(
        _l("Overall capacity"),
        validators=[Optional(), NumberRange(min=1, max=1_000_000)],
        description=_l("Leave empty for no overall limit."),
    )
    requires_approval = BooleanField(_l("Registrations need approval"))
    privacy_zh = TextAreaField(
        _l("Privacy notice (Chinese)"),
        validators=[Length(max=20000)],
        filters=[_text_or_empty],
        description=_l(
            "Shown above the consent box of the registration form: what personal "
            "data you collect, why, who sees it, and when it is deleted."
        ),
    )
    privacy_en = TextAreaField(
        _l("Privacy notice (English)"), validators=[Length(max=20000)], filters=[_optional_text]
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from events.labels import EVENT_KINDS

        self.kind.choices = choices((kind.value, label) for kind, label in EVENT_KINDS.items())

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_registration_closes_at(self, field):
        opens = self.registration_opens_at.data
        if opens and field.data and field.data <= opens:
            raise ValidationError(_l("Registration must close after it opens."))
        if field.data and self.ends_at.data and field.data > self.ends_at.data:
            raise ValidationError(_l("Registration cannot close after the event ends."))


class NewEventForm(EventForm):
    default_categories = BooleanField(
        _l(
            "Start with the usual categories (delegate, guest of honour, investor, exhibitor, "
            "media, staff)"
        ),
        default=True,
    )


class EventStatusForm(FlaskForm):
    action = HiddenField(
        validators=[AnyOf(["publish", "unpublish", "close_registration", "archive", "restore"])]
    )


class CloneEventForm(FlaskForm):
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(
        _l("Title (English)"), validators=[Optional(), Length(max=200)], filters=[_optional_text]
    )
    slug = StringField(
        _l("Web address"),
        validators=[
            DataRequired(),
            Regexp(SLUG_PATTERN, message=_l("Use 3–64 lower-case letters, digits and dashes.")),
        ],
    )
    starts_on = DateField(
        _l("First day of the new edition"),
        validators=[DataRequired()],
        description=_l(
            "Every date of the programme and registration moves by the same number of days."
        ),
    )
    copy_team = BooleanField(_l("Copy the team (co-organisers and check-in staff)"), default=True)
    submit = SubmitField(_l("Create the new edition"))


class CategoryForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Regexp(CODE_PATTERN, message=_l("Use up to 32 lower-case letters, digits, - and _.")),
        ],
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(
        _l("Name (English)"), validators=[Optional(), Length(max=100)], filters=[_optional_text]
    )
    color = StringField(
        _l("Badge colour"),
        default="#1f6feb",
        validators=[
            DataRequired(),
            Regexp(COLOUR_PATTERN, message=_l("Use a colour like #1f6feb.")),
        ],
    )
    quota = IntegerField(
        _l("Quota"),
        validators=[Optional(), NumberRange(min=0, max=1_000_000)],
        description=_l("Leave empty for no limit."),
    )
    needs_approval = BooleanField(_l("Registrations need approval"))
    is_public = BooleanField(_l("Open to public sign-up"), default=True)
    position = IntegerField(_l("Order"), default=0, validators=[Optional(), NumberRange(0, 9999)])
    submit = SubmitField(_l("Save"))


class TeamMemberForm(FlaskForm):
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    display_name = StringField(
        _l("Name"),
        validators=[Optional(), Length(max=100)],
        description=_l("Needed only when this person has no account yet."),
    )
    role = SelectField(_l("Role"), choices=[])
    submit = SubmitField(_l("Add to the team"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from events.labels import ROLES

        self.role.choices = choices((role.value, label) for role, label in ROLES.items())


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=8, max=200)]
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Set password"))
