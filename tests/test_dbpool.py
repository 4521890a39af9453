"""Pooled PostgreSQL connections are checked before use only after sitting idle.

Each test cuts the server side of the pool's connection (as a server restart
or an idle timeout would) and then asks the app for a query.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from app import db
from tests.conftest import make_test_app


@pytest.fixture
def make_app(postgres_server, tmp_path):
    url = postgres_server.create_database("huiwu_pool")
    made = []

    def make(idle_seconds: float):
        app = make_test_app(
            url, tmp_path / f"instance{len(made)}", DATABASE_PING_AFTER_IDLE=idle_seconds
        )
        made.append(app)
        return app

    yield make, postgres_server
    for app in made:
        with app.app_context():
            db.engine.dispose()


def backend_pid() -> int:
    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    db.session.remove()  # the connection goes back to the pool
    return pid


def cut(server, pid: int) -> None:
    with psycopg.connect(
        host="127.0.0.1", port=server.port, user="postgres", dbname="postgres", autocommit=True
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


@pytest.mark.parametrize(
    "idle_seconds",
    [0, 3600],
    # Idle: the ping finds the cut. Busy (a restart mid-rush): the server's
    # goodbye waiting on the socket is seen at checkout, without a ping.
    ids=["idle", "busy"],
)
def test_a_connection_that_was_cut_is_replaced_before_use(make_app, idle_seconds):
    make, server = make_app
    with make(idle_seconds=idle_seconds).app_context():
        first = backend_pid()
        cut(server, first)
        assert backend_pid() != first  # no error: reconnected before the query


def count_pings(monkeypatch, pings: list) -> None:
    dialect = db.engine.dialect
    real_ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))


def test_a_connection_in_steady_use_is_not_pinged(make_app, monkeypatch):
    make, _server = make_app
    busy_pings, idle_pings = [], []
    with make(idle_seconds=3600).app_context():
        count_pings(monkeypatch, busy_pings)
        pids = {backend_pid() for _ in range(20)}
    assert len(pids) == 1 and busy_pings == []
    with make(idle_seconds=0).app_context():
        count_pings(monkeypatch, idle_pings)
        for _ in range(3):
            backend_pid()
    assert len(idle_pings) == 2  # every checkout but the first, of a connection just opened


def test_sqlite_has_no_ping(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "instance")
    with app.app_context():
        assert not db.engine.pool.dispatch.checkout
