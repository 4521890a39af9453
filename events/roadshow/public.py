"""The published roadshow programme: per room, per presenter, printable, as iCal."""

from __future__ import annotations

from flask import Blueprint

from events.roadshow import models  # noqa: F401 (the tables)

bp = Blueprint("roadshow_public", __name__)
