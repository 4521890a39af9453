"""Organisers' matchmaking sessions: slots and tables, scheduler runs, the grid, table signs."""

from __future__ import annotations

from flask import Blueprint

from events.roadshow import match_models  # noqa: F401 (the tables)

bp = Blueprint("matchmaking_sessions", __name__, url_prefix="/manage")
