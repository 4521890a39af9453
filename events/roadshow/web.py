"""The roadshow's place in the app: organiser tabs and template helpers."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import lazy_gettext as _l

from events import i18n
from events.navigation import Tab, add_manage_tab
from events.programme_services import ROOM_IN_USE_KEY
from events.roadshow import labels, personal
from registration.demo import DEMO_STEPS_KEY
from registration.personal_data import RECORD_STEPS_KEY
from registration.privacy import ANONYMISE_STEPS_KEY


def iso_local(value: str | None, zone: str, fmt: str = "short") -> str:
    """A time kept as ISO text (a change list's) on the event's clock."""
    if not value:
        return ""
    return i18n.local_datetime(datetime.fromisoformat(value), zone, fmt)


def roadshow_state(event) -> dict[str, bool]:
    """What the roadshow offers an event's visitors, for the links on their pages."""
    from app import db
    from events.roadshow.models import Project, ProjectStatus, RoadshowSchedule, RoadshowSetup

    setup = db.session.get(RoadshowSetup, event.id)
    accepted = db.session.scalar(
        db.select(Project.id).filter_by(event_id=event.id, status=ProjectStatus.ACCEPTED).limit(1)
    )
    published = db.session.scalar(
        db.select(RoadshowSchedule.id)
        .where(RoadshowSchedule.event_id == event.id, RoadshowSchedule.number.is_not(None))
        .limit(1)
    )
    return {
        "submissions": setup is not None and setup.submissions_open,
        "catalogue": accepted is not None,
        "published": published is not None,
    }


def init_app(app: Flask) -> None:
    add_manage_tab(
        app,
        Tab(
            "roadshow_projects.index",
            _l("Projects"),
            66,
            ("roadshow_projects.detail", "roadshow_projects.chambers"),
        ),
    )
    add_manage_tab(
        app,
        Tab(
            "roadshow_schedule.index",
            _l("Roadshow"),
            67,
            (
                "roadshow_schedule.setup",
                "roadshow_schedule.move",
                "roadshow_schedule.version",
                "roadshow_schedule.availability",
            ),
        ),
    )
    add_manage_tab(
        app,
        Tab(
            "matchmaking_admin.index",
            _l("Matchmaking"),
            68,
            (
                "matchmaking_admin.participants",
                "matchmaking_admin.capacity",
                "matchmaking_admin.requests",
                "matchmaking_admin.add_request",
                "matchmaking_sessions.index",
                "matchmaking_sessions.detail",
                "matchmaking_sessions.edit",
            ),
        ),
    )
    app.jinja_env.globals.update(
        sector_label=labels.sector_label,
        cooperation_label=labels.cooperation_label,
        project_status_label=labels.project_status_label,
    )
    app.jinja_env.filters["iso_local"] = iso_local
    app.jinja_env.globals["roadshow_state"] = roadshow_state
    app.jinja_env.globals["takes_part_in_matchmaking"] = _takes_part
    app.extensions.setdefault(DEMO_STEPS_KEY, []).append(_demo_step)
    app.extensions.setdefault(RECORD_STEPS_KEY, []).append(personal.record)
    app.extensions.setdefault(ANONYMISE_STEPS_KEY, []).append(personal.anonymise)
    app.extensions.setdefault(ROOM_IN_USE_KEY, []).append(_room_in_use)


def _takes_part(registration) -> bool:
    from events.roadshow import participants

    return participants.is_participant(registration)


def _room_in_use(room) -> str | None:
    """Pitches keep their room: a schedule (published ones too) would lose them."""
    from app import db
    from events.roadshow.models import Pitch

    if db.session.scalar(db.select(Pitch.id).filter_by(room_id=room.id).limit(1)) is None:
        return None
    return str(
        _l(
            "Roadshow pitches (in the draft or a published version) use this room, so it "
            "cannot be deleted; you can rename it."
        )
    )


def _demo_step(events, rng) -> None:
    from events.roadshow import demo, match_demo

    demo.load(events, rng)
    match_demo.load(events, rng)
