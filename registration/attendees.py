"""attendees (being built)."""

from flask import Blueprint

bp = Blueprint("attendees", __name__)
