"""Forms of delegations: the organiser's, the leader's application, and the portal's."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from events.forms import LOCAL_DATETIME_FORMATS, choices
from events.setup import in_zone
from registration import delegations
from registration.models import DelegationKind
from registration.signup_forms import PersonFields, bilingual, mobile_field, stripped

DELEGATION_KINDS = {
    DelegationKind.CHAMBER: _l("Chamber of commerce"),
    DelegationKind.CITY: _l("City"),
    DelegationKind.COMPANY: _l("Company"),
    DelegationKind.GOVERNMENT: _l("Government"),
}


def kind_label(kind) -> str:
    return str(DELEGATION_KINDS[DelegationKind(kind)])


class DelegationFields(FlaskForm):
    """What both the organiser and an applying leader say about a delegation."""

    name = StringField(
        _l("Delegation name"),
        validators=[DataRequired(), Length(max=200)],
        filters=[stripped],
        description=_l("For example: 济南市工商联代表团"),
    )
    kind = SelectField(
        _l("Kind"), choices=choices((k.value, label) for k, label in DELEGATION_KINDS.items())
    )
    region = StringField(_l("Region"), validators=[Length(max=100)], filters=[stripped])
    leader_name = StringField(
        _l("Leader's name"), validators=[DataRequired(), Length(max=100)], filters=[stripped]
    )
    leader_mobile = StringField(
        _l("Leader's mobile"), validators=[Length(max=32)], filters=[stripped]
    )
    leader_email = EmailField(
        _l("Leader's email"),
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
        filters=[stripped],
    )
    expected_size = IntegerField(
        _l("Expected number of members"), validators=[Optional(), NumberRange(min=1, max=5000)]
    )

    def details(self, zone: str | None = None) -> delegations.Details:
        deadline = getattr(self, "deadline", None)
        note = getattr(self, "application_note", None)
        return delegations.Details(
            name=self.name.data,
            kind=DelegationKind(self.kind.data),
            region=self.region.data or "",
            leader_name=self.leader_name.data,
            leader_mobile=self.leader_mobile.data or "",
            leader_email=self.leader_email.data or None,
            expected_size=self.expected_size.data,
            deadline=in_zone(deadline.data, zone) if deadline is not None and zone else None,
            application_note=(note.data or "").strip() if note is not None else None,
        )


class DelegationForm(DelegationFields):
    """The organiser's form; one "places" field per category is added per event."""

    deadline = DateTimeLocalField(
        _l("Deadline for the leader"),
        format=LOCAL_DATETIME_FORMATS,
        validators=[Optional()],
        description=_l("Empty: until the event's registration closes."),
    )
    submit = SubmitField(_l("Save"))

    def quota_fields(self):
        return [(category, self[quota_field_name(category)]) for category in self.categories]

    def quotas(self) -> dict[int, int]:
        return {
            category.id: field.data
            for category, field in self.quota_fields()
            if field.data is not None
        }


def quota_field_name(category) -> str:
    return f"places_{category.id}"


def delegation_form_class(categories) -> type[DelegationForm]:
    """A DelegationForm with a places field per category (WTForms binds fields per class)."""
    fields = {
        quota_field_name(category): IntegerField(
            category.name_zh
            if not category.name_en
            else f"{category.name_zh} / {category.name_en}",
            validators=[Optional(), NumberRange(min=0, max=5000)],
        )
        for category in categories
    }
    form_class = type("EventDelegationForm", (DelegationForm,), fields)
    form_class.categories = list(categories)
    return form_class


class ApplicationForm(DelegationFields):
    """A leader applies for their delegation on the public page."""

    application_note = TextAreaField(
        _l("Message to the organisers"),
        validators=[Length(max=2000)],
        description=_l("Who is coming, in which roles, anything the organisers should know."),
    )
    consent = BooleanField(
        _l(
            "I agree that the personal information in this form is processed as described in "
            "the privacy notice, for this event only."
        ),
        validators=[DataRequired(message=_l("The application needs your consent."))],
    )
    submit = SubmitField(_l("Apply"))


# An applying leader must be reachable by phone; the organiser may know only an email.
ApplicationForm.leader_mobile = StringField(
    _l("Leader's mobile"), validators=[DataRequired(), Length(max=32)], filters=[stripped]
)


class RejectDelegationForm(FlaskForm):
    message = TextAreaField(_l("Message to the leader (optional)"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Reject application"))


MEMBERS_CONSENT = _l(
    "I confirm that the members agreed to give their details to the organisers, for this "
    "event only, as described in the privacy notice."
)


class MemberForm(PersonFields):
    """The leader adds or corrects one member; mobile is required, email optional."""

    category = SelectField(_l("Category"), validators=[DataRequired()], choices=[])
    mobile = mobile_field()
    consent = BooleanField(
        MEMBERS_CONSENT, validators=[DataRequired(message=_l("Please confirm the consent."))]
    )
    submit = SubmitField(_l("Save member"))

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        labels = ((str(c.id), bilingual(c.name_zh, c.name_en)) for c in categories)
        self.category.choices = choices(labels)


class RosterForm(FlaskForm):
    roster = FileField(
        _l("Roster file"),
        validators=[FileRequired(message=_l("Choose a file to upload."))],
        description=_l("Excel (.xlsx) or CSV, at most 5 MB and 5,000 members."),
    )
    consent = BooleanField(
        MEMBERS_CONSENT, validators=[DataRequired(message=_l("Please confirm the consent."))]
    )
    submit = SubmitField(_l("Upload and register everyone"))
