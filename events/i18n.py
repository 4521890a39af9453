"""Language and time zone choices for each request.

Simplified Chinese is the default; English on request. The choice is kept on
the session and, when signed in, on the user's account, which brings it
back on the next device they sign in from. ``?lang=en`` in any
URL switches too, so that organisers can share English links.
"""

from __future__ import annotations

import functools
from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale, support
from babel.dates import format_date, format_datetime, format_time
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup
from wtforms.i18n import messages_path

from events.config import TRANSLATIONS_DIR

DEFAULT_LOCALE = "zh_Hans_CN"
DEFAULT_TIMEZONE = "Asia/Shanghai"
#: Locale code → the language's own name, shown by the switcher.
SUPPORTED_LOCALES = {"zh_Hans_CN": "中文", "en": "English"}
_ALIASES = {
    "zh": "zh_Hans_CN",
    "zh_cn": "zh_Hans_CN",
    "zh-cn": "zh_Hans_CN",
    "zh-hans": "zh_Hans_CN",
}


def canonical_locale(code: str | None) -> str | None:
    if not code:
        return None
    if code in SUPPORTED_LOCALES:
        return code
    return _ALIASES.get(code.lower()) or ("en" if code.lower().startswith("en") else None)


def select_locale() -> Locale:
    """Flask-Babel's locale selector: the request's language, parsed once per process."""
    return _parsed(_requested_locale())


@functools.cache
def _parsed(code: str) -> Locale:
    return Locale.parse(code)


def _requested_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE  # commands and background work: messages pick their own
    requested = canonical_locale(request.args.get("lang"))
    if requested:
        session["locale"] = requested
        return requested
    # An empty session (no cookie) is not read: reading it would add "Vary: Cookie".
    chosen = canonical_locale(session.get("locale")) if session else None
    if chosen:
        return chosen
    if _may_be_signed_in() and current_user.is_authenticated:
        return canonical_locale(current_user.locale) or DEFAULT_LOCALE
    return DEFAULT_LOCALE


def _may_be_signed_in() -> bool:
    """Whether Flask-Login could find a user: only a session or a remember-me cookie holds one.

    Asking it anyway costs a hash of the client's address and agent on every
    request, scanners' included.
    """
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return (bool(session) and "_user_id" in session) or cookie in request.cookies


def current_locale() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


def html_lang() -> str:
    """The value for ``<html lang>``: BCP 47, not a gettext code."""
    return "zh-Hans" if current_locale().startswith("zh") else "en"


def _zone(zone: str | ZoneInfo | None) -> ZoneInfo:
    if isinstance(zone, ZoneInfo):
        return zone
    return ZoneInfo(zone or DEFAULT_TIMEZONE)


def local_datetime(value: datetime | None, zone=None, fmt: str = "medium") -> str:
    """Format a UTC datetime in an event's time zone and the UI language.

    ``medium`` spells the month and drops the seconds (2019年9月25日 09:00,
    Sep 25, 2019 09:00); other values are Babel's named formats.
    """
    if value is None:
        return ""
    return _formatted("datetime", value, _zone(zone), fmt, current_locale())


def local_date(value: datetime | None, zone=None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return _formatted("date", value, _zone(zone), fmt, current_locale())


def local_time(value: datetime | None, zone=None, fmt: str = "short") -> str:
    if value is None:
        return ""
    return _formatted("time", value, _zone(zone), fmt, current_locale())


def date_in(value: datetime, zone, locale: str, fmt: str = "medium") -> str:
    """A date in a given language whatever the page's (badges print in the venue's)."""
    return _formatted("date", value, _zone(zone), fmt, locale)


# Babel takes tens of microseconds a call, and pages and mail show the same
# few times (an event's start and end) over and over: thousands of them in
# the confirmations of one roster import.
@functools.lru_cache(maxsize=4096)
def _formatted(kind: str, value: datetime, zone: ZoneInfo, fmt: str, locale: str) -> str:
    if kind == "date":
        return format_date(value.astimezone(zone), fmt, locale=locale)
    if kind == "time":
        return format_time(value, fmt, tzinfo=zone, locale=locale)
    if fmt == "medium":
        date = format_date(value.astimezone(zone), "medium", locale=locale)
        return f"{date} {format_time(value, 'HH:mm', tzinfo=zone, locale=locale)}"
    return format_datetime(value, fmt, tzinfo=zone, locale=locale)


@functools.cache
def catalogue(locale: str) -> support.Translations:
    """Huiwu's messages in one language, loaded once per process; usable outside requests."""
    return support.Translations.load(TRANSLATIONS_DIR, [locale])


@functools.cache
def _wtforms_catalog(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def share_wtforms_catalog() -> None:
    """Before each request: WTForms' own messages from a catalogue loaded once per process.

    Flask-WTF would otherwise read and parse the catalogue file on every
    request that builds a form; it looks on the request first.
    """
    # JSON APIs build no forms, and the scan API is the hottest path there is.
    if request.endpoint != "static" and not request.path.startswith("/api/"):
        request.wtforms_translations = _wtforms_catalog(str(get_locale()))


def bound_gettext(catalogue) -> dict:
    """``gettext``/``ngettext`` for Jinja's new-style ``_()``, bound to one catalogue.

    Templates resolve ``gettext`` from their context before the globals that
    Flask-Babel installs, which look the catalogue up again for every string:
    rendering thousands of messages (a roster import) notices.
    """

    # As Jinja's own: the catalogue's text is trusted markup, the variables
    # formatted into it are escaped by Markup's "%".
    @pass_context
    def gettext(context, string, **variables):
        text = catalogue.ugettext(string)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables  # noqa: S704

    @pass_context
    def ngettext(context, singular, plural, number, **variables):
        variables.setdefault("num", number)
        text = catalogue.ungettext(singular, plural, number)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables  # noqa: S704

    return {"gettext": gettext, "ngettext": ngettext}
