"""Submitting projects: a chamber through its delegation's portal, an enterprise
through its presenter's manage link."""

from __future__ import annotations

from flask import Blueprint

from events.roadshow import models  # noqa: F401 (the tables)

bp = Blueprint("roadshow_submit", __name__)
