"""The roadshow's place in the app: organiser tabs and template helpers."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from events.navigation import Tab, add_manage_tab
from events.roadshow import labels


def init_app(app: Flask) -> None:
    add_manage_tab(
        app, Tab("roadshow_projects.index", _l("Projects"), 66, ("roadshow_projects.detail",))
    )
    add_manage_tab(app, Tab("roadshow_schedule.index", _l("Roadshow"), 67))
    app.jinja_env.globals.update(
        sector_label=labels.sector_label,
        cooperation_label=labels.cooperation_label,
        project_status_label=labels.project_status_label,
    )
