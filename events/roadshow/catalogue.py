"""The project catalogue for registered investors, and their interest."""

from __future__ import annotations

from flask import Blueprint

from events.roadshow import models  # noqa: F401 (the tables)

bp = Blueprint("roadshow_catalogue", __name__)
