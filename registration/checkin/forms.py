"""Organisers' forms for check-in: a checkpoint, a scanner device, a note for the door."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from events.forms import LOCAL_DATETIME_FORMATS, choices
from events.i18n import current_locale
from events.models import Event
from events.setup import as_wall_clock, in_zone
from registration.checkin.models import CheckInState, Checkpoint, CheckpointKind

CHECKPOINT_KINDS = {
    CheckpointKind.ENTRY: _l("Entrance"),
    CheckpointKind.EXIT: _l("Exit"),
    CheckpointKind.SESSION: _l("Session (a room of the programme)"),
}


def kind_label(kind) -> str:
    return str(CHECKPOINT_KINDS[CheckpointKind(kind)])


CHECK_IN_STATES = {
    CheckInState.IN: _l("Admitted"),
    CheckInState.EXIT: _l("Left the venue"),
    CheckInState.REENTRY: _l("Re-entered"),
    CheckInState.ANNULLED: _l("Undone"),
    CheckInState.SUPERSEDED: _l("Superseded by an earlier scan"),
}


def check_in_state_label(state) -> str:
    return str(CHECK_IN_STATES[CheckInState(state)])


def strip(value):
    return value.strip() if isinstance(value, str) else value


def _optional_id(value) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


class CheckpointForm(FlaskForm):
    name_zh = StringField(
        _l("Name in Chinese"),
        filters=[strip],
        validators=[
            DataRequired(message=_l("Enter the checkpoint's Chinese name.")),
            Length(max=100),
        ],
    )
    name_en = StringField(
        _l("Name in English"), filters=[strip], validators=[Optional(), Length(max=100)]
    )
    kind = SelectField(
        _l("Kind"),
        choices=choices((kind.value, label) for kind, label in CHECKPOINT_KINDS.items()),
        default=CheckpointKind.ENTRY.value,
    )
    category_ids = SelectMultipleField(
        _l("Categories admitted"),
        coerce=int,
        description=_l("None chosen: every category."),
    )
    agenda_item_id = SelectField(
        _l("Programme item"),
        coerce=_optional_id,
        validate_choice=False,
        description=_l(
            "A session's doors open 30 minutes before its start unless a window is set."
        ),
    )
    opens_at = DateTimeLocalField(
        _l("Opens"), format=LOCAL_DATETIME_FORMATS, validators=[Optional()]
    )
    closes_at = DateTimeLocalField(
        _l("Closes"), format=LOCAL_DATETIME_FORMATS, validators=[Optional()]
    )
    allows_reentry = BooleanField(
        _l("Re-entry allowed"),
        description=_l("A second scan of the same badge admits again instead of warning."),
    )
    staff_ids = SelectMultipleField(
        _l("Staff at this checkpoint"),
        coerce=int,
        description=_l("Staff with no checkpoint assigned may scan at every checkpoint."),
    )
    submit = SubmitField(_l("Save checkpoint"))

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        locale = current_locale()
        self.category_ids.choices = [(c.id, c.name_for(locale)) for c in event.categories]
        self.agenda_item_id.choices = choices(
            [("", _l("None"))] + [(item.id, item.title_for(locale)) for item in event.agenda_items]
        )
        self.staff_ids.choices = [
            (member.user_id, f"{member.user.display_name} ({member.user.email})")
            for member in event.members
        ]

    @classmethod
    def editing(cls, event: Event, checkpoint: Checkpoint, method: str) -> CheckpointForm:
        if method != "GET":
            return cls(event=event)
        zone = event.timezone
        data = {
            "name_zh": checkpoint.name_zh,
            "name_en": checkpoint.name_en or "",
            "kind": checkpoint.kind.value,
            "category_ids": [c.id for c in checkpoint.categories],
            "agenda_item_id": checkpoint.agenda_item_id,
            "opens_at": as_wall_clock(checkpoint.opens_at, zone),
            "closes_at": as_wall_clock(checkpoint.closes_at, zone),
            "allows_reentry": checkpoint.allows_reentry,
            "staff_ids": [user.id for user in checkpoint.staff],
        }
        return cls(event=event, data=data)

    def validate_agenda_item_id(self, field) -> None:
        if field.data is not None and field.data not in {i.id for i in self.event.agenda_items}:
            raise ValidationError(_l("Choose an item of this event's programme."))

    def validate_closes_at(self, field) -> None:
        opens, closes = self._aware(self.opens_at.data), self._aware(field.data)
        if opens and closes and closes <= opens:
            raise ValidationError(_l("The window must close after it opens."))

    def _aware(self, wall_clock: datetime | None) -> datetime | None:
        return in_zone(wall_clock, self.event.timezone)

    def checkpoint_data(self) -> dict:
        return {
            "name_zh": self.name_zh.data,
            "name_en": self.name_en.data,
            "kind": self.kind.data,
            "category_ids": self.category_ids.data or [],
            "agenda_item_id": self.agenda_item_id.data,
            "opens_at": self._aware(self.opens_at.data),
            "closes_at": self._aware(self.closes_at.data),
            "allows_reentry": self.allows_reentry.data,
            "staff_ids": self.staff_ids.data or [],
        }


class DeviceForm(FlaskForm):
    name = StringField(
        _l("Device name"),
        filters=[strip],
        validators=[
            DataRequired(message=_l("Name the device, e.g. “Hall A kiosk 1”.")),
            Length(max=100),
        ],
    )
    checkpoint_id = SelectField(
        _l("Only at checkpoint"),
        coerce=_optional_id,
        validate_choice=False,
        description=_l("Empty: the device may scan at every checkpoint of the event."),
    )
    submit = SubmitField(_l("Issue a device token"))

    def __init__(self, *args, checkpoints: list[Checkpoint], **kwargs):
        super().__init__(*args, **kwargs)
        locale = current_locale()
        self.checkpoints = {checkpoint.id: checkpoint for checkpoint in checkpoints}
        self.checkpoint_id.choices = choices(
            [("", _l("Any checkpoint"))]
            + [(c.id, c.name_for(locale)) for c in checkpoints if c.active]
        )

    def validate_checkpoint_id(self, field) -> None:
        if field.data is not None and field.data not in self.checkpoints:
            raise ValidationError(_l("Choose a checkpoint of this event."))


class DoorNoteForm(FlaskForm):
    """The organisers' note for the people at the door."""

    staff_note = StringField(
        _l("Note for check-in staff"),
        filters=[strip],
        validators=[Length(max=300)],
        description=_l("E.g. “Wheelchair: guide to the step-free entrance”."),
    )
    needs_attention = BooleanField(
        _l("Needs attention at check-in"),
        description=_l("The scanner shows the note in full when this badge is scanned."),
    )
    submit = SubmitField(_l("Save note"))
