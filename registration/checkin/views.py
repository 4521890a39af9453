"""The scanner page for phones, and what makes it installable and work offline.

``/checkin/`` lists the checkpoints the signed-in staff member may use;
``/checkin/<id>`` is the scanner. The service worker is served from
``/checkin/sw.js`` so that its scope covers every scanner page.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    render_template,
    send_from_directory,
    url_for,
)
from flask_login import current_user, login_required

from app import db
from events.web import CONTENT_SECURITY_POLICY
from registration.checkin import api, checkpoints, services
from registration.checkin.models import Checkpoint
from registration.checkin.services import Scanner

bp = Blueprint("checkin", __name__, url_prefix="/checkin")


@bp.before_request
def _personal_data():
    g.no_store = True


@bp.get("/")
@login_required
def scanner_home():
    scanner = Scanner(user=current_user._get_current_object())
    for event in checkpoints.events_to_staff(current_user):
        checkpoints.ensure_default(event)
    db.session.commit()
    usable = api.usable_checkpoints(scanner)
    return render_template("checkin/home.html", checkpoints=usable)


@bp.get("/<int:checkpoint_id>")
@login_required
def scanner(checkpoint_id: int):
    checkpoint = db.get_or_404(Checkpoint, checkpoint_id)
    scanner = Scanner(user=current_user._get_current_object())
    role = scanner.role_in(checkpoint.event)
    if role is None:
        abort(404)
    if not checkpoint.active or not services.may_use(scanner, checkpoint):
        abort(403)
    response = current_app.make_response(
        render_template(
            "checkin/scanner.html",
            checkpoint=checkpoint,
            event=checkpoint.event,
            checkpoint_json=api.checkpoint_json(checkpoint),
            messages=api.result_messages(),
            organiser=api.organiser_of(scanner, checkpoint.event),
        )
    )
    # The ZXing decoder is WebAssembly, which the site-wide policy does not allow to compile.
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", 1
    )
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, from a path whose scope covers every scanner page."""
    response = send_from_directory(current_app.static_folder, "js/scanner-sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = url_for("checkin.scanner_home")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    data = {
        "name": "Huiwu check-in",
        "short_name": "Check-in",
        "start_url": url_for("checkin.scanner_home"),
        "scope": url_for("checkin.scanner_home"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#8b1a1a",
        "icons": [
            {
                "src": url_for("static", filename="img/checkin-icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            }
        ],
    }
    import json

    return Response(json.dumps(data), mimetype="application/manifest+json")
