"""The tabs across every organiser page of an event.

Features add their own tabs when they register (``add_manage_tab``), so the
events core never needs to know which features exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, url_for
from flask_babel import lazy_gettext as _l

TABS_KEY = "huiwu.manage_tabs"


@dataclass(frozen=True)
class Tab:
    endpoint: str
    label: object  # a lazy string
    order: int
    #: Other endpoints under which this tab shows as the current one.
    also_active_for: tuple[str, ...] = ()


def add_manage_tab(app: Flask, tab: Tab) -> None:
    app.extensions.setdefault(TABS_KEY, []).append(tab)


def manage_tabs(event) -> list[dict]:
    tabs = sorted(current_app.extensions.get(TABS_KEY, []), key=lambda tab: tab.order)
    return [
        {
            "url": url_for(tab.endpoint, event_id=event.id),
            "label": str(tab.label),
            "active": request.endpoint in (tab.endpoint, *tab.also_active_for),
        }
        for tab in tabs
        if tab.endpoint in current_app.view_functions
    ]


def init_app(app: Flask) -> None:
    for tab in (
        Tab("events.overview", _l("Overview"), 0),
        Tab("manage.edit", _l("Settings"), 10),
        Tab("manage.categories", _l("Categories"), 20, ("manage.edit_category",)),
        Tab(
            "programme.agenda",
            _l("Programme"),
            40,
            ("programme.edit_item", "programme.rooms", "programme.edit_room"),
        ),
        Tab("manage.team", _l("Team"), 70),
    ):
        add_manage_tab(app, tab)
    app.jinja_env.globals["manage_tabs"] = manage_tabs
