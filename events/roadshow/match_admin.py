"""Organisers' matchmaking: who takes part, their capacities, requests for VIPs."""

from __future__ import annotations

from flask import Blueprint

from events.roadshow import match_models  # noqa: F401 (the tables)

bp = Blueprint("matchmaking_admin", __name__, url_prefix="/manage")
