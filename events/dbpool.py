"""Check a pooled PostgreSQL connection before use without a round trip when it can be.

SQLAlchemy's ``pool_pre_ping`` asks the server on every checkout. In a
registration rush the same few connections go out and come back hundreds of
times a second, and that ping was one sample in ten of a worker's time: a
round trip to learn what the previous request, a few milliseconds earlier,
already showed. So a checkout asks the server only when

* the connection sat in the pool longer than ``DATABASE_PING_AFTER_IDLE``
  seconds (default 1): a firewall or an idle timeout may have cut it
  silently; or
* its socket has something to read although no query is running: a server
  that stops or restarts, or an administrator ending the session, sends its
  farewell and closes the socket. Looking costs a ``poll()`` call, not a
  round trip.

A dead connection is dropped and the pool hands out another, as with
``pool_pre_ping``. What this does not see within the idle second, unlike
``pool_pre_ping``, is a server host that vanished without closing anything
(a failover) or a goodbye already read into a TLS buffer: the one request
that next uses each such connection fails, its transaction rolled back, and
SQLAlchemy then replaces every connection opened before the failure.
"""

from __future__ import annotations

import select
import time

from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

_RETURNED_AT = "huiwu_returned_at"


def install(app: Flask, engine: Engine) -> None:
    """Ping ``engine``'s PostgreSQL connections on checkout when in doubt (SQLite needs none)."""
    if engine.dialect.name != "postgresql":
        return
    idle_seconds = float(app.config["DATABASE_PING_AFTER_IDLE"])
    dialect = engine.dialect

    def note_returned(dbapi_connection, record) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    def ping_if_in_doubt(dbapi_connection, record, proxy) -> None:
        returned = record.info.pop(_RETURNED_AT, None)
        if returned is None:  # just opened: nothing to prove
            return
        idle = time.monotonic() - returned >= idle_seconds
        if not idle and not _has_unread_input(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # The pool drops this connection and checks out another.
            raise exc.DisconnectionError("a pooled connection did not answer") from error

    event.listen(engine, "checkin", note_returned)
    event.listen(engine, "checkout", ping_if_in_doubt)


def _has_unread_input(dbapi_connection) -> bool:
    """Did the server send something while no query was running (its goodbye)?"""
    try:
        poller = select.poll()  # not select(): any descriptor number
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except Exception:  # noqa: BLE001 -- no socket any more (the driver says so its own way): ping
        return True
