"""Forms of the organiser's attendee pages: list filters, bulk actions, export choices.

The list and export forms read the query string (no CSRF: they change
nothing); a value that fails validation is ignored rather than shown as an
error, so a stale bookmark still opens the list.
"""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from events.i18n import current_locale
from events.models import Category, Event
from registration import exports
from registration.models import RegistrationStatus
from registration.search import NO_DELEGATION, SORTS, AttendeeFilters
from registration.web import REGISTRATION_STATUSES

PER_PAGE = ("25", "50", "100", "200")
DEFAULT_PER_PAGE = 50
MAX_BULK_IDS = 1000

#: Column headers of exports and labels of the column picker.
COLUMN_LABELS = {
    "id": _l("ID"),
    "name": _l("Name"),
    "name_en": _l("English name"),
    "organisation": _l("Organisation"),
    "position": _l("Position"),
    "mobile": _l("Mobile"),
    "email": _l("Email"),
    "category": _l("Category"),
    "delegation": _l("Delegation"),
    "status": _l("Status"),
    "created": _l("Registered at"),
}


def options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class AttendeeFilterForm(FlaskForm):
    """Search, filters, sort and page size of the attendee list (``GET`` parameters)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), default="")
    category = SelectField(_l("Category"), default="")
    delegation = SelectField(_l("Delegation"), default="")
    sort = SelectField(choices=options((key, key) for key in SORTS), default="created")
    dir = SelectField(choices=options((key, key) for key in ("", "asc", "desc")), default="")
    per_page = SelectField(
        _l("Per page"), choices=options((n, n) for n in PER_PAGE), default=str(DEFAULT_PER_PAGE)
    )

    def __init__(self, event: Event, delegations, **kwargs):
        super().__init__(formdata=request.args, **kwargs)
        locale = current_locale()
        self.status.choices = options(
            [("", _l("All statuses"))]
            + [(status.value, REGISTRATION_STATUSES[status]) for status in RegistrationStatus]
        )
        categories = [(str(c.id), c.name_for(locale)) for c in event.categories]
        self.category.choices = options([("", _l("All categories")), *categories])
        self.delegation.choices = options(
            [("", _l("All delegations")), (NO_DELEGATION, _l("No delegation"))]
            + [(str(d.id), d.name) for d in delegations]
        )
        self.validate()

    def _valid(self, name: str) -> str:
        field = self[name]
        return field.default if field.errors else (field.data or field.default)

    def search(self) -> str:
        return "" if self.q.errors else (self.q.data or "").strip()

    def filters(self) -> AttendeeFilters:
        status, category, delegation = (
            self._valid(n) for n in ("status", "category", "delegation")
        )
        if delegation and delegation != NO_DELEGATION:
            delegation = int(delegation)
        sort = self._valid("sort")
        direction = self._valid("dir") or ("desc" if sort == "created" else "asc")
        return AttendeeFilters(
            q=self.search(),
            status=RegistrationStatus(status) if status else None,
            category_id=int(category) if category else None,
            delegation=delegation or None,
            sort=sort,
            descending=direction == "desc",
        )

    def per_page_value(self) -> int:
        return int(self._valid("per_page"))

    def query_args(self, *, with_page_size: bool = True) -> dict[str, str]:
        """The non-default, valid parameters: what links must carry to keep this view."""
        args = {"q": self.search()} if self.search() else {}
        names = ["status", "category", "delegation", "sort", "dir"]
        for name in [*names, "per_page"] if with_page_size else names:
            value = self._valid(name)
            if value and value != self[name].default:
                args[name] = value
        return args


class IdListField(Field):
    """Registration ids: the list's ``ids`` checkboxes, or one hidden ``ids`` input."""

    def _value(self) -> str:
        return ",".join(str(number) for number in self.data or [])

    def process_formdata(self, valuelist):
        numbers = []
        for raw in valuelist:
            for part in raw.replace(",", " ").split():
                if not part.isdigit():
                    self.data = []
                    raise ValueError(_l("The selection could not be read. Please try again."))
                numbers.append(int(part))
        self.data = list(dict.fromkeys(numbers))


class BulkActionForm(FlaskForm):
    """One action for the ticked registrations; ``category_id`` only for moving."""

    ids = IdListField()
    action = SelectField(
        _l("Action"),
        choices=options(
            [
                ("approve", _l("Approve")),
                ("reject", _l("Reject")),
                ("cancel", _l("Cancel registration")),
                ("move", _l("Move to category")),
                ("resend", _l("Resend confirmation email")),
            ]
        ),
        validators=[DataRequired()],
    )
    category_id = SelectField(_l("Category"), validate_choice=False, default="")
    message = TextAreaField(
        _l("Message (kept in the history)"), validators=[Optional(), Length(max=500)]
    )
    return_to = HiddenField()

    def __init__(self, event: Event, **kwargs):
        super().__init__(**kwargs)
        self.event = event
        locale = current_locale()
        self.category_id.choices = options(
            [("", "—")] + [(str(c.id), c.name_for(locale)) for c in event.categories]
        )

    def validate_ids(self, field):
        if not field.data:
            raise ValidationError(_l("Select at least one registration."))
        if len(field.data) > MAX_BULK_IDS:
            raise ValidationError(
                _l("Select at most %(num)d registrations at a time.", num=MAX_BULK_IDS)
            )

    def validate_category_id(self, field):
        if self.action.data == "move" and self.category is None:
            raise ValidationError(_l("Choose a category of this event."))

    @property
    def category(self) -> Category | None:
        """The chosen category, only if it belongs to this form's event."""
        chosen = self.category_id.data or ""
        return next((c for c in self.event.categories if str(c.id) == chosen), None)


class ColumnsField(Field):
    """Export columns in the order given (``columns=a&columns=b`` or ``columns=a,b``)."""

    def process_formdata(self, valuelist):
        self.data = exports.split_columns(valuelist)

    def pre_validate(self, form):
        unknown = [key for key in self.data or [] if key not in self.choices]
        if unknown:
            raise ValidationError(_l("Unknown columns: %(keys)s", keys=", ".join(unknown)))


class ExportForm(FlaskForm):
    """Format and columns of a download (``GET``, filters travel alongside)."""

    class Meta:
        csrf = False

    format = RadioField(
        _l("Format"),
        choices=options([("xlsx", _l("Excel workbook (XLSX)")), ("csv", _l("CSV (UTF-8)"))]),
        default="xlsx",
    )
    columns = ColumnsField(_l("Columns"))

    def __init__(self, choices: dict[str, str], **kwargs):
        super().__init__(formdata=request.args, **kwargs)
        self.columns.choices = choices

    def chosen_columns(self, default: list[str]) -> list[str]:
        return self.columns.data or default


class ReissueForm(FlaskForm):
    reason = StringField(
        _l("Why (kept in the history)"),
        validators=[Length(max=200)],
        description=_l("For example: badge lost, name corrected"),
    )
    submit = SubmitField(_l("Issue a new badge code"))


LAYOUT_CHOICES = (
    ("a4", _l("A4 sheets, four A6 badges each, with cut marks")),
    ("a6", _l("A6, one badge a page")),
    ("cr80", _l("Card (CR80, 85.6 × 54 mm)")),
)


class BadgePrintForm(FlaskForm):
    """What to print. Printing records the time on each badge, so it is a POST."""

    layout = SelectField(_l("Layout"), default="a4")
    category = SelectField(_l("Category"), default="")
    delegation = SelectField(_l("Delegation"), default="")
    unprinted = BooleanField(_l("Only badges not printed yet"))
    submit = SubmitField(_l("Print badges (PDF)"))

    def __init__(self, event: Event, delegations, **kwargs):
        super().__init__(**kwargs)
        self.layout.choices = options(LAYOUT_CHOICES)
        self.category.choices = options(
            [("", _l("All categories"))]
            + [(str(c.id), c.name_for(current_locale())) for c in event.categories]
        )
        self.delegation.choices = options(
            [("", _l("All delegations"))] + [(str(d.id), d.name) for d in delegations]
        )
