"""Organisers' project pages: the list, review, chambers against their yearly targets."""

from __future__ import annotations

from flask import Blueprint

from events.roadshow import models  # noqa: F401 (the tables)

bp = Blueprint("roadshow_projects", __name__)
