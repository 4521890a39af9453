"""Shared fixtures: one app per database backend, cleaned between tests.

Every test that takes ``app`` runs twice: on SQLite and on a throwaway
PostgreSQL server (see ``tests/pgserver.py``). Without PostgreSQL binaries the
PostgreSQL half is skipped with its reason, or fails when
``REQUIRE_POSTGRES=1``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from app import create_app, db, limiter
from events.models import Category, Event, EventKind, EventRole, EventStatus, User
from events.services import add_member
from registration.checkin import express
from registration.models import Registration, RegistrationStatus
from tests.pgserver import ThrowawayPostgres, find_bindir

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"
# Hashed once with few iterations: the real scrypt cost belongs to production.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
BACKENDS = ("sqlite", "postgresql")
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def required(flag: str) -> bool:
    return os.environ.get(flag) == "1"


def skip_or_fail(flag: str, reason: str):
    if required(flag):
        pytest.fail(f"{reason} ({flag}=1 makes this a failure)")
    pytest.skip(reason)


def pytest_sessionstart(session):
    """Compile catalogues that are missing or older than their sources."""
    for po_path in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            with po_path.open("rb") as source:
                catalog = read_po(source)
            with mo_path.open("wb") as target:
                write_mo(target, catalog)


@pytest.fixture(scope="session")
def postgres_server():
    bindir = find_bindir()
    if bindir is None:
        skip_or_fail("REQUIRE_POSTGRES", "PostgreSQL server binaries not found")
    server = ThrowawayPostgres(bindir).start()
    yield server
    server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'huiwu.db'}"
    return request.getfixturevalue("postgres_server").create_database("huiwu_test")


def make_test_app(database_url: str, instance: Path, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "tests-only-secret-key-0123456789abcdef",
        "INSTANCE_PATH": str(instance),
        # Names for both ends of SMTP: no DNS lookup of this machine's name.
        "MAIL_LOCAL_HOSTNAME": "app.huiwu.test",
        # Tests read the mailbox right after a request: send before it returns.
        "MAIL_SEND_AFTER_RESPONSE": "inline",
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def app_per_backend(database_url, tmp_path_factory):
    app = make_test_app(database_url, tmp_path_factory.mktemp("instance"))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        express.dispose()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def app(app_per_backend):
    """The app, with empty tables and fresh rate limits for each test."""
    limiter.reset()
    yield app_per_backend
    with app_per_backend.app_context():
        db.session.remove()
        empty_all_tables()


def empty_all_tables() -> None:
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def persist(app, obj):
    """Save ``obj`` and hand it back detached with its columns loaded."""
    with app.app_context():
        db.session.add(obj)
        db.session.commit()
        db.session.refresh(obj)
        db.session.expunge(obj)
    return obj


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 10_000))

    def make(email=None, *, admin=False, active=True, locale=None, name=None):
        number = next(counter)
        user = User(
            email=email or f"user{number}@huiwu.example",
            display_name=name or f"测试用户{number}",
            password_hash=PASSWORD_HASH,
            is_admin=admin,
            active=active,
            locale=locale,
        )
        return persist(app, user)

    return make


@pytest.fixture
def make_event(app):
    from datetime import UTC, datetime

    counter = iter(range(1, 10_000))

    def make(*, status=EventStatus.PUBLISHED, organiser=None, staff=None, **fields):
        number = next(counter)
        values = {
            "slug": f"event-{number}",
            "kind": EventKind.CONFERENCE,
            "status": status,
            "title_zh": f"测试大会{number}",
            "title_en": f"Test Conference {number}",
            "city": "济南",
            "venue_zh": "山东国际会展中心",
            "starts_at": datetime(2030, 9, 25, 1, 0, tzinfo=UTC),
            "ends_at": datetime(2030, 9, 27, 10, 0, tzinfo=UTC),
        }
        values.update(fields)
        with app.app_context():
            event = Event(**values)
            db.session.add(event)
            db.session.add(
                Category(event=event, code="delegate", name_zh="代表", name_en="Delegate")
            )
            for user, role in ((organiser, EventRole.ORGANISER), (staff, EventRole.STAFF)):
                if user is not None:
                    add_member(
                        event, db.session.get(User, user.id), role, owner=role == "organiser"
                    )
            db.session.commit()
            db.session.refresh(event)
            db.session.expunge(event)
        return event

    return make


@pytest.fixture
def make_registration(app):
    def make(event, *, status=RegistrationStatus.CONFIRMED, **fields):
        with app.app_context():
            category_id = db.session.execute(
                db.select(Category.id).filter_by(event_id=event.id)
            ).scalar()
            values = {
                "name": "王立",
                "mobile": "+8613900000000",
                "organisation": "鲁信科技有限公司",
            }
            values.update(fields)
            registration = Registration(
                event_id=event.id, category_id=category_id, status=status, **values
            )
        return persist(app, registration)

    return make


def csrf_token(client, url="/login") -> str:
    """Fetch a page and read the CSRF token its layout publishes for scripts."""
    page = client.get(url).get_data(as_text=True)
    match = CSRF_META.search(page)
    assert match, f"no CSRF meta tag on {url}"
    return match.group(1)


@pytest.fixture
def login_as(client):
    def login(user, password=PASSWORD, next_url=""):
        return client.post(
            "/login",
            data={
                "email": user.email,
                "password": password,
                "csrf_token": csrf_token(client),
                "next": next_url,
            },
        )

    return login


class CollectingHandler:
    """An aiosmtpd handler that keeps every message it is given.

    It refuses recipients at ``REFUSED_DOMAIN``, as a server refuses an
    unknown mailbox, and notes each message's connection (``peer``).
    """

    REFUSED_DOMAIN = "@refused.example.com"

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.endswith(self.REFUSED_DOMAIN):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "message": message,
                "peer": session.peer,
            }
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on a free local port; the app sends to it during the test."""
    from aiosmtpd.controller import Controller

    from tests.pgserver import free_port

    handler = CollectingHandler()
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), server_hostname="smtp.huiwu.test"
    )
    controller.start()
    saved = {
        key: app.config[key]
        for key in ("MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT", "MAIL_LOCAL_HOSTNAME")
    }
    app.config.update(
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_LOCAL_HOSTNAME="app.huiwu.test",
    )
    yield handler
    app.config.update(saved)
    controller.stop()
