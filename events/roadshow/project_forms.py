"""Forms for projects: the submitter's form, the organiser's review, settings and targets."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import TextInput

from events.forms import LOCAL_DATETIME_FORMATS, _optional_text, _text_or_empty, choices
from events.roadshow import labels, projects
from events.roadshow.models import CooperationMode, ProjectStatus, Sector


class WanField(IntegerField):
    """A whole number of 万元, with a message a submitter understands; 1,000 and １０００ pass.

    A text input (with a numeric keyboard on phones): a number input would
    refuse the thousands separators people type.
    """

    widget = TextInput()

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = (valuelist[0] or "").strip()
        cleaned = raw.translate(_FULL_WIDTH_DIGITS).replace(",", "").replace("，", "")
        if not cleaned:
            self.data = None
            return
        try:
            self.data = int(cleaned)
        except ValueError:
            self.data = None
            raise ValueError(
                _l("Enter the capital as a whole number of 万元, for example 5000.")
            ) from None


_FULL_WIDTH_DIGITS = {0xFF10 + digit: str(digit) for digit in range(10)} | {0xFF0D: "-"}


class ProjectForm(FlaskForm):
    title_zh = StringField(
        _l("Project title (Chinese)"), validators=[DataRequired(), Length(max=200)]
    )
    title_en = StringField(
        _l("Project title (English)"),
        validators=[Optional(), Length(max=200)],
        filters=[_optional_text],
    )
    summary_zh = TextAreaField(
        _l("Summary (Chinese)"),
        validators=[DataRequired(), Length(max=5000)],
        filters=[_text_or_empty],
    )
    summary_en = TextAreaField(
        _l("Summary (English)"), validators=[Length(max=5000)], filters=[_optional_text]
    )
    sector = SelectField(_l("Sector"), choices=[], validators=[DataRequired()])
    owner_name = StringField(
        _l("Project owner"),
        validators=[Length(max=200)],
        filters=[_text_or_empty],
        description=_l(
            "The enterprise, park or government that owns the project. "
            "Left empty, the presenter's organisation."
        ),
    )
    region = StringField(
        _l("Region"),
        validators=[Length(max=100)],
        filters=[_text_or_empty],
        description=_l("City or region, for example 烟台市."),
    )
    location = StringField(_l("Location"), validators=[Length(max=200)], filters=[_text_or_empty])
    capital_wan = WanField(
        _l("Capital sought (万元)"),
        render_kw={"inputmode": "numeric"},
        validators=[
            InputRequired(message=_l("Enter the capital sought, in 万元.")),
        ],
    )
    cooperation_mode = SelectField(_l("Cooperation mode"), choices=[])
    presenter = SelectField(_l("Presenter"), choices=[])
    deck = FileField(
        _l("Pitch deck (PDF)"),
        description=_l("Optional. A PDF of at most 20 MB; a new file replaces the current one."),
    )
    submit = SubmitField(_l("Save the project"))

    def __init__(self, *args, presenters=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sector.choices = choices(
            [("", _l("Choose a sector"))] + [(s.value, labels.sector_label(s)) for s in Sector]
        )
        self.cooperation_mode.choices = choices(
            (mode.value, labels.cooperation_label(mode)) for mode in CooperationMode
        )
        if presenters is None:
            del self.presenter
        else:
            self.presenter.choices = choices(
                [("", _l("Not decided yet"))]
                + [(str(person.id), _presenter_label(person)) for person in presenters]
            )

    @classmethod
    def for_project(cls, project, presenters, method: str) -> ProjectForm:
        """The form for a project: filled from it (GET), or from the request (POST)."""
        if method != "GET":
            return cls(presenters=presenters)
        form = cls(presenters=presenters, formdata=None, obj=project)
        form.sector.data = project.sector.value
        form.cooperation_mode.data = project.cooperation_mode.value
        if "presenter" in form:
            form.presenter.data = str(project.presenter_id or "")
        return form

    def validate_capital_wan(self, field):
        if field.data is not None and not 0 <= field.data <= projects.MAX_CAPITAL_WAN:
            raise ValidationError(_l("The capital must be between 0 and 100,000,000 万元."))

    def details(self) -> projects.ProjectDetails:
        presenter = self.presenter.data if "presenter" in self else ""
        return projects.ProjectDetails(
            title_zh=self.title_zh.data.strip(),
            title_en=self.title_en.data,
            summary_zh=self.summary_zh.data,
            summary_en=self.summary_en.data,
            sector=Sector(self.sector.data),
            owner_name=self.owner_name.data,
            region=self.region.data,
            location=self.location.data,
            capital_wan=self.capital_wan.data,
            cooperation_mode=CooperationMode(self.cooperation_mode.data),
            presenter_id=int(presenter) if presenter else None,
        )


def _presenter_label(person) -> str:
    return f"{person.name} · {person.organisation}" if person.organisation else person.name


class ReviewForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[], validators=[DataRequired()])
    comment = TextAreaField(
        _l("Comment for the submitter"),
        validators=[Length(max=5000)],
        filters=[_text_or_empty],
        description=_l("Required when rejecting or asking for changes."),
    )
    submit = SubmitField(_l("Record the decision"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decision.choices = choices(
            [
                (ProjectStatus.ACCEPTED.value, _l("Accept")),
                (ProjectStatus.CHANGES_REQUESTED.value, _l("Request changes")),
                (ProjectStatus.REJECTED.value, _l("Reject")),
            ]
        )

    def validate_comment(self, field):
        if self.decision.data in {s.value for s in projects.COMMENT_REQUIRED} and not field.data:
            raise ValidationError(_l("Please say why: the submitter reads this comment."))


class DurationForm(FlaskForm):
    duration_slots = IntegerField(
        _l("Slots for the pitch"),
        validators=[
            InputRequired(),
            NumberRange(min=1, max=projects.MAX_DURATION_SLOTS, message=_l("From 1 to 4 slots.")),
        ],
    )
    submit = SubmitField(_l("Save"))


class SubmissionSettingsForm(FlaskForm):
    submissions_open = BooleanField(_l("Accept project submissions"))
    submissions_close_at = DateTimeLocalField(
        _l("Submissions close"),
        format=LOCAL_DATETIME_FORMATS,
        validators=[Optional()],
        description=_l("On the event's clock. Leave empty to keep them open until you close them."),
    )
    submit = SubmitField(_l("Save the settings"))


class TargetForm(FlaskForm):
    project_target = IntegerField(
        _l("Yearly target"),
        validators=[
            Optional(),
            NumberRange(min=0, max=100_000, message=_l("Enter a whole number, 0 or more.")),
        ],
    )
    submit = SubmitField(_l("Save"))
