"""Forms of the organiser's roadshow schedule pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from events.i18n import current_locale
from events.models import Event
from events.roadshow import sessions
from events.roadshow.models import RoadshowSetup
from events.roadshow.sessions import SetupData


class SetupForm(FlaskForm):
    room_ids = SelectMultipleField(_l("Rooms hosting pitches"), coerce=int)
    session_ids = SelectMultipleField(
        _l("Roadshow sessions"),
        coerce=int,
        description=_l(
            "Programme items of kind “Roadshow session”; add them on the Programme tab."
        ),
    )
    pitch_minutes = IntegerField(
        _l("Pitch length (minutes)"),
        default=15,
        validators=[
            InputRequired(message=_l("Enter the pitch length in minutes.")),
            NumberRange(*sessions.PITCH_MINUTES),
        ],
    )
    changeover_minutes = IntegerField(
        _l("Changeover (minutes)"),
        default=5,
        validators=[
            InputRequired(message=_l("Enter the changeover in minutes.")),
            NumberRange(*sessions.CHANGEOVER_MINUTES),
        ],
    )
    one_sector_per_room_session = BooleanField(
        _l("One sector per room and session (tracks)"),
    )
    time_limit = IntegerField(
        _l("Search time (seconds)"),
        default=20,
        validators=[
            InputRequired(message=_l("Enter how long the scheduler may search.")),
            NumberRange(*sessions.TIME_LIMIT_SECONDS),
        ],
    )

    def __init__(self, *args, event: Event, setup: RoadshowSetup | None, **kwargs):
        if setup is not None and "formdata" not in kwargs:
            kwargs.setdefault("room_ids", [room.id for room in setup.rooms])
            kwargs.setdefault("session_ids", [item.id for item in setup.sessions])
            kwargs.setdefault("obj", setup)
        super().__init__(*args, **kwargs)
        locale = current_locale()
        self.room_ids.choices = [(room.id, _room_choice(room, locale)) for room in event.rooms]
        self.session_ids.choices = [
            (item.id, item.title_for(locale)) for item in sessions.roadshow_items(event)
        ]

    def setup_data(self) -> SetupData:
        return SetupData(
            room_ids=list(self.room_ids.data or []),
            session_ids=list(self.session_ids.data or []),
            pitch_minutes=self.pitch_minutes.data,
            changeover_minutes=self.changeover_minutes.data,
            one_sector_per_room_session=bool(self.one_sector_per_room_session.data),
            time_limit=self.time_limit.data,
        )


def _room_choice(room, locale: str) -> str:
    if room.capacity:
        return str(
            _l("%(room)s (%(seats)d seats)", room=room.name_for(locale), seats=room.capacity)
        )
    return room.name_for(locale)


class MoveForm(FlaskForm):
    target = SelectField(_l("Move to"), validate_choice=True)


class PublishForm(FlaskForm):
    note = TextAreaField(
        _l("Note for this version"),
        validators=[Length(max=2000)],
        description=_l("Shown with the version; presenters whose pitch changed are emailed."),
    )
