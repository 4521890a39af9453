"""Where settings come from, in order of precedence (last wins):

1. the defaults below;
2. ``instance/config.py`` if it exists;
3. environment variables: ``DATABASE_URL``, ``SECRET_KEY``,
   ``RATELIMIT_STORAGE_URI``, and any ``HUIWU_<NAME>`` (parsed as JSON when
   it can be, e.g. ``HUIWU_PROXY_COUNT=1``);
4. the ``test_config`` mapping given to ``create_app``.

The secret key is never part of the code. Outside production a random one is
generated once into ``instance/secret_key``; in production (``HUIWU_ENV`` or
``FLASK_ENV`` set to ``production``) the app refuses to start without
``SECRET_KEY`` in the environment.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

ROOT_DIR = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = str(ROOT_DIR / "migrations")
TRANSLATIONS_DIR = str(ROOT_DIR / "translations")
MIN_SECRET_KEY_LENGTH = 32


class ConfigurationError(RuntimeError):
    """The app cannot start safely with the settings it was given."""


def instance_path(test_config: dict | None) -> str | None:
    """``INSTANCE_PATH`` in the test config or ``HUIWU_INSTANCE_PATH`` moves ``instance/``."""
    path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("HUIWU_INSTANCE_PATH")
    return str(Path(path).resolve()) if path else None


def load(app: Flask, test_config: dict | None) -> None:
    app.config.from_mapping(_defaults(app))
    app.config.from_pyfile("config.py", silent=True)
    _apply_environment(app)
    if test_config:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    _apply_engine_options(app)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    elif is_production(app) and len(app.config["SECRET_KEY"]) < MIN_SECRET_KEY_LENGTH:
        raise ConfigurationError(
            f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters in production."
        )


def is_production(app: Flask) -> bool:
    """Either switch says production: the stricter reading wins."""
    names = (app.config.get("HUIWU_ENV"), os.environ.get("FLASK_ENV"))
    return any(str(name or "").strip().lower() == "production" for name in names)


def is_production_env() -> bool:
    names = (os.environ.get("HUIWU_ENV"), os.environ.get("FLASK_ENV"))
    return any(str(name or "").strip().lower() == "production" for name in names)


def _defaults(app: Flask) -> dict:
    database = Path(app.instance_path) / "huiwu.db"
    lifetime = timedelta(hours=12)
    return {
        "HUIWU_ENV": os.environ.get("HUIWU_ENV", ""),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "BABEL_TRANSLATION_DIRECTORIES": TRANSLATIONS_DIR,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": timedelta(days=14),
        "PERMANENT_SESSION_LIFETIME": lifetime,
        # A CSRF token lives as long as the session: organisers keep forms open
        # for hours; an expired session still fails with a clear page.
        "WTF_CSRF_TIME_LIMIT": int(lifetime.total_seconds()),
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": "10 per minute;60 per hour",
        "LOGIN_ACCOUNT_RATE_LIMIT": "8 per 15 minutes",
        "PROXY_COUNT": 0,
        # Seconds a pooled PostgreSQL connection may sit unused before checkout pings it.
        "DATABASE_PING_AFTER_IDLE": 1.0,
        # Personal data of an archived event may be purged this long after it ends.
        "PRIVACY_RETENTION_DAYS": 180,
        # Outgoing mail: "console" prints messages (development), "smtp" sends them.
        "MAIL_BACKEND": "smtp" if is_production_env() else "console",
        "MAIL_SERVER": "localhost",
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,  # STARTTLS on a plain connection
        "MAIL_USE_SSL": False,  # TLS from the first byte (port 465)
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_TIMEOUT": 10,
        # After a response: "thread" hands queued mail to a per-process sender
        # thread; "inline" sends it while the response closes (tests);
        # "watcher" leaves it to `flask outbox watch`, a process of its own.
        "MAIL_SEND_AFTER_RESPONSE": "thread",
        # The name said in EHLO; empty asks the system (a DNS lookup, slow where DNS is).
        "MAIL_LOCAL_HOSTNAME": None,
        "MAIL_DEFAULT_SENDER": "会务 Huiwu <noreply@huiwu.localhost>",
    }


def _apply_environment(app: Flask) -> None:
    app.config.from_prefixed_env("HUIWU")
    for name, key in (
        ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"),
        ("SECRET_KEY", "SECRET_KEY"),
        ("RATELIMIT_STORAGE_URI", "RATELIMIT_STORAGE_URI"),
    ):
        if os.environ.get(name):
            app.config[key] = os.environ[name]


def normalise_database_url(url: str) -> str:
    """Route every PostgreSQL URL through psycopg 3, the driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _apply_engine_options(app: Flask) -> None:
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # Database errors reach the log; the values in them (names, mobiles,
    # message bodies) must not.
    options.setdefault("hide_parameters", True)
    # No ``pool_pre_ping``: :mod:`events.dbpool` pings only connections in doubt.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _secret_key(app: Flask) -> str:
    if is_production(app):
        raise ConfigurationError(
            "SECRET_KEY must be set in the environment in production "
            f"(at least {MIN_SECRET_KEY_LENGTH} characters)."
        )
    path = Path(app.instance_path) / "secret_key"
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigurationError(
                f"{path} holds no usable key: delete it and a new one is generated."
            )
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Created with owner-only permissions before anything is written.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key
