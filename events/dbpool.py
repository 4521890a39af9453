"""Check a pooled PostgreSQL connection before use only when it sat idle.

SQLAlchemy's ``pool_pre_ping`` asks the server on every checkout. In a
registration rush the same few connections go out and come back hundreds of
times a second, and that ping was one sample in ten of a worker's time: a
round trip to learn what the previous request, a few milliseconds earlier,
already showed. What breaks a connection is a server restart, a failover,
an idle timeout or a firewall dropping a quiet socket. So a connection is
pinged when it has been back in the pool for longer than
``DATABASE_PING_AFTER_IDLE`` seconds (default 1), as before otherwise.

The price: a server restart in the middle of a busy second fails the one
request that next uses each worker's connection (its transaction is rolled
back, nothing is half written), and SQLAlchemy then replaces every
connection the pool had opened before the failure.
"""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

DEFAULT_IDLE_SECONDS = 1.0
_RETURNED_AT = "huiwu_returned_at"


def install(app: Flask, engine: Engine) -> None:
    """Ping ``engine``'s idle PostgreSQL connections on checkout (SQLite needs none)."""
    if engine.dialect.name != "postgresql":
        return
    idle_seconds = float(app.config.get("DATABASE_PING_AFTER_IDLE", DEFAULT_IDLE_SECONDS))
    dialect = engine.dialect

    def note_returned(dbapi_connection, record) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    def ping_if_idle(dbapi_connection, record, proxy) -> None:
        returned = record.info.pop(_RETURNED_AT, None)
        # A connection just opened has nothing to prove.
        if returned is None or time.monotonic() - returned < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # The pool drops this connection and checks out another.
            raise exc.DisconnectionError("an idle connection did not answer") from error

    event.listen(engine, "checkin", note_returned)
    event.listen(engine, "checkout", ping_if_idle)
