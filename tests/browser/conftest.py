"""A live Huiwu server with the demo data, and Debian's Chromium driven by Playwright.

Only ``/usr/bin/chromium`` (or ``CHROMIUM_PATH``) is used: no browser is ever
downloaded. Without it these tests skip, or fail when ``REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from app import db, limiter
from registration import demo
from tests.conftest import make_test_app, skip_or_fail

#: The app behind ``live_server``, for tests that need to explain a failure from its data.
LIVE_APPS = []

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.path.exists(path) else None


@pytest.fixture(scope="session")
def mailbox():
    """A real SMTP server that the live app sends to; its handler keeps the messages."""
    from aiosmtpd.controller import Controller

    from tests.conftest import CollectingHandler
    from tests.pgserver import free_port

    handler = CollectingHandler()
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), server_hostname="smtp.huiwu.test"
    )
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, mailbox):
    """Serve the demo data set on a free localhost port for the whole session."""
    folder = tmp_path_factory.mktemp("live")
    app = make_test_app(
        f"sqlite:///{folder / 'live.db'}",
        folder,
        TESTING=False,
        MAIL_SEND_AFTER_RESPONSE="thread",  # as in production: a sender thread per process
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=mailbox.port,
    )
    with app.app_context():
        db.create_all()
        demo.load()
        db.session.commit()
    LIVE_APPS.append(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        skip_or_fail("REQUIRE_BROWSER", "Chromium not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("REQUIRE_BROWSER", "Playwright not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    limiter.reset()
    context = browser.new_context(base_url=live_server, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()
