"""Request-wide behaviour: security headers, error pages, template helpers."""

from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.middleware.proxy_fix import ProxyFix

from app import db
from events import charts, i18n, labels, logs
from events.auth import wants_json

#: No inline scripts or styles anywhere: every script is a file under /static.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

ERROR_CODES = (400, 401, 403, 404, 405, 413, 429, 500)


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie ``Secure`` whenever the request came over HTTPS."""

    _serializer_for: tuple | None = None
    _serializer = None

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (request and request.is_secure))

    def get_signing_serializer(self, app: Flask):
        """Flask builds the serializer anew for every request; it depends on the keys only."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if self._serializer_for != keys:
            self._serializer = super().get_signing_serializer(app)
            self._serializer_for = keys
        return self._serializer


def init_app(app: Flask) -> None:
    if app.config["PROXY_COUNT"]:
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    app.session_interface = HttpsAwareSessionInterface()
    logs.install()
    app.after_request(_security_headers)
    app.before_request(i18n.share_wtforms_catalog)
    app.register_error_handler(CSRFError, _csrf_error)
    for code in ERROR_CODES:
        app.register_error_handler(code, _http_error)
    app.jinja_env.globals.update(
        html_lang=i18n.html_lang,
        current_locale=i18n.current_locale,
        supported_locales=i18n.SUPPORTED_LOCALES,
        daily_bars=charts.daily_bars,
        **labels.TEMPLATE_GLOBALS,
    )
    app.jinja_env.filters.update(
        local_datetime=i18n.local_datetime,
        local_date=i18n.local_date,
        local_time=i18n.local_time,
    )


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # Manage links carry secrets in their path: never leak them to other sites.
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(self), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000")


def _security_headers(response):
    """Every answer's safety headers, unless a view set its own (one pass over the headers)."""
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    wanted = SECURITY_HEADERS + (HSTS,) if request.is_secure else SECURITY_HEADERS
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    if getattr(g, "no_store", False) or response.status_code >= 400:
        headers["Cache-Control"] = "no-store"
    return response


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: (
            _("Bad request"),
            _("The request could not be understood. Please check what you entered."),
        ),
        401: (_("Please sign in"), _("You need to sign in to see this page.")),
        403: (_("Not allowed"), _("Your account does not have permission for this page.")),
        404: (_("Page not found"), _("This page does not exist or is no longer available.")),
        405: (_("Not allowed"), _("This address does not accept that kind of request.")),
        413: (_("Too large"), _("The file or form you sent is too large.")),
        429: (
            _("Too many requests"),
            _("You are going too fast. Please wait a moment and try again."),
        ),
        500: (
            _("Something went wrong"),
            _("An unexpected error happened. Nothing was saved; please try again."),
        ),
    }


def _http_error(error: HTTPException):
    code = error.code or 500
    if code >= 500:
        db.session.rollback()
    title, message = _titles().get(code, _titles()[500])
    description = _custom_description(error)
    return _render_error(code, title, description or message, error)


def _custom_description(error: HTTPException) -> str | None:
    """A message a view or the rate limiter set on purpose (not Werkzeug's English default)."""
    default = type(error).description
    description = error.description
    if description and description != default and not isinstance(error, InternalServerError):
        return str(description)
    return None


def _csrf_error(error: CSRFError):
    title = _("The form has expired")
    message = _(
        "For your security this form can only be sent from a fresh page. "
        "Please go back, reload the page and try again."
    )
    return _render_error(400, title, message, error)


def _render_error(code: int, title: str, message: str, error: HTTPException):
    if wants_json():
        response = jsonify(error=code, title=title, message=message)
    else:
        response = render_template("errors/error.html", code=code, title=title, message=message)
    return response, code
