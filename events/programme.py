"""programme (being built)."""

from flask import Blueprint

bp = Blueprint("programme", __name__)
