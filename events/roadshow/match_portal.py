"""Participants' matchmaking through their manage link: profile, directory, requests, agenda."""

from __future__ import annotations

from flask import Blueprint

from events.roadshow import match_models  # noqa: F401 (the tables)

bp = Blueprint("matchmaking_portal", __name__)
