"""Arrivals live: the organiser's view of who has come in, and who has not."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("arrivals", __name__, url_prefix="/manage")
