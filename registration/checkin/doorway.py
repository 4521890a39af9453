"""Dedicated scanners' everyday scans, answered before Flask's request handling.

A gate's scanner (``Authorization: Bearer hwd_…``) sends no cookie: it has no
session, no language of its own and no CSRF token, and the scan API has no
rate limit. For such a scan, Flask's request context, session, rate limiter,
locale selection and response hooks cost more than the scan's own work, at a
door where a morning's thousands of people each wait for it. This WSGI layer
takes exactly that request (``POST`` to the scan endpoint with a device token,
a length-declared JSON body and neither cookie nor query string), records it
in the express lane (:mod:`.express`) when it is the everyday case, and
answers what the API would, with the same headers. Everything else, including
every request it cannot fully judge, goes on to Flask with the body it read,
untouched: the API decides as always.
"""

from __future__ import annotations

import io
import json
import logging

from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BuildError

from events.i18n import DEFAULT_LOCALE
from events.web import HSTS, SECURITY_HEADERS

SCAN_PATH = "/api/checkin/scan"
#: Set on a request the doorway took and left to the scan API.
DECLINED = "huiwu.express_declined"
logger = logging.getLogger(__name__)


class Doorway:
    """WSGI middleware in front of the app's own WSGI callable (see the module docstring)."""

    def __init__(self, app, wsgi_app):
        self.flask_app = app
        self.wsgi_app = wsgi_app
        self.url_map = app.url_map
        self.adapters = {}
        self.pool = None
        self.pool_known = False

    def __call__(self, environ, start_response):
        body = self._candidate_body(environ) if self._express_pool() is not None else None
        if body is not None:
            try:
                answer = self._answer(environ, body)
            except Exception:  # noqa: BLE001 (the full path answers, replaying what landed)
                logger.exception("the doorway failed; the scan API answers instead")
                answer = None
            if answer is not None:
                return self._respond(environ, start_response, answer)
            environ["wsgi.input"] = io.BytesIO(body)  # what Flask reads instead
            environ[DECLINED] = True  # the scan API need not ask the express lane again
        return self.wsgi_app(environ, start_response)

    def _candidate_body(self, environ) -> bytes | None:
        """The request body when this is a device's plain scan; None to leave it to Flask."""
        from registration.checkin.api import MAX_BODY

        if (
            environ.get("PATH_INFO") != SCAN_PATH
            or environ.get("REQUEST_METHOD") != "POST"
            or not environ.get("HTTP_AUTHORIZATION", "").startswith("Bearer ")
            or environ.get("HTTP_COOKIE")
            or environ.get("QUERY_STRING")
        ):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None
        if not 0 < length <= MAX_BODY:
            return None
        return environ["wsgi.input"].read(length)

    def _answer(self, environ, body: bytes) -> dict | None:
        from registration.checkin import api, devices, express

        token_hash = devices.token_hash(environ["HTTP_AUTHORIZATION"][7:].strip())
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return None
        if token_hash is None or not isinstance(data, dict):
            return None
        admitted = api.express_scan(data, express.ScannerKey(token_hash=token_hash), self.pool)
        if admitted is None:
            return None
        admission, nonce = admitted
        row = admission.row
        badge_url = self._badge_path(environ, row.event_id, row.id)
        return api.express_answer(admission, nonce, DEFAULT_LOCALE, badge_url)

    def _express_pool(self):
        """The express lane's pool; None on databases without one (SQLite)."""
        if not self.pool_known:
            from registration.checkin import express

            with self.flask_app.app_context():
                self.pool = express.engine_of_app()
            self.pool_known = True
        return self.pool

    def _badge_path(self, environ, event_id: int, registration_id: int) -> str | None:
        # A path needs no host: one adapter per mount point serves every request.
        script_name = environ.get("SCRIPT_NAME") or "/"
        adapter = self.adapters.get(script_name)
        if adapter is None:
            adapter = self.url_map.bind("localhost", script_name=script_name)
            self.adapters[script_name] = adapter
        try:
            return adapter.build(
                "badges.single", {"event_id": event_id, "registration_id": registration_id}
            )
        except BuildError:
            return None

    def _json(self, answer: dict) -> str:
        """Byte for byte what ``jsonify`` writes: compact, or indented when debugging."""
        provider = self.flask_app.json
        compact = provider.compact
        if compact or (compact is None and not self.flask_app.debug):
            return provider.dumps(answer, separators=(",", ":"))
        return provider.dumps(answer, indent=2)

    def _respond(self, environ, start_response, answer: dict):
        payload = (self._json(answer) + "\n").encode("utf-8")
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(payload))),
            *SECURITY_HEADERS,
            ("Cache-Control", "no-store"),
            ("Vary", "Cookie"),  # a cookie could have chosen another language
        ]
        if environ.get("wsgi.url_scheme") == "https":
            headers.append(HSTS)
        start_response("200 OK", headers)
        return [payload]


def install(app) -> None:
    """Put the doorway right in front of the app: behind a proxy fix, so it sees the real scheme."""
    outer = app.wsgi_app
    if isinstance(outer, ProxyFix):
        outer.app = Doorway(app, outer.app)
    else:
        app.wsgi_app = Doorway(app, outer)
