"""Organisers' roadshow schedule: sessions, scheduler runs, the grid, hand moves, versions."""

from __future__ import annotations

from flask import Blueprint

from events.roadshow import models  # noqa: F401 (the tables)

bp = Blueprint("roadshow_schedule", __name__)
