"""manage (being built)."""

from flask import Blueprint

bp = Blueprint("manage", __name__)
