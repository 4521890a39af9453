"""The doors' express lane: the everyday scan in one statement on PostgreSQL.

At the morning rush nearly every scan is the same case: a scanner allowed at
its checkpoint, a confirmed person's current badge, seen there for the first
time. :func:`services.record_scan` decides every case through the ORM in a
transaction of eight round trips, and most of a scan's time went into them.
Here the everyday case is one statement on a connection in autocommit mode,
so one round trip and one transaction: it finds the scanner (a device by its
token, or a user's role and checkpoint assignments), the checkpoint and its
window, and the person by the secret; decides with the full path's rules
(:data:`_EVERYDAY`); and inserts the check-in (``ON CONFLICT DO NOTHING`` on
the partial unique index that decides every race) and its scan attempt, both
or neither.

Any other case inserts nothing, and the full path decides it: a wrong token,
another event's checkpoint, a closed window, a person admitted before, a
delegation leader, an offline scan, SQLite. A retried nonce fails the
statement on the nonce's unique index, and the full path replays it; so
does a lost connection whose statement may have landed. The connections come
from a small pool of their own, without the pre-ping the ORM's pool makes on
every checkout: a dead connection fails the statement, is dropped, and the
scan goes the full way.

``tests/test_checkin_express.py`` holds the two lanes to the same answers.
"""

from __future__ import annotations

import contextlib
from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime

import psycopg
from flask import current_app
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError

from app import db
from events.dbtypes import utcnow
from registration.checkin.models import SESSION_DOORS_OPEN, Checkpoint, CheckpointKind
from registration.ticket_codes import looks_like_secret

ENGINE_KEY = "huiwu.checkin_express"
POOL_SIZE = 4
#: Seconds a scan waits for a free connection before the full path takes it.
POOL_WAIT = 1.0

_COLUMNS = """
  c.id AS checkpoint_id, c.event_id AS checkpoint_event_id, c.name_zh AS checkpoint_name_zh,
  c.name_en AS checkpoint_name_en, c.kind,
  r.id, r.event_id, r.status, r.name, r.name_en, r.organisation, r.position,
  r.staff_note, r.needs_attention, r.delegation_id,
  k.code AS category_code, k.name_zh AS category_name_zh, k.name_en AS category_name_en,
  k.color AS category_color, d.name AS delegation_name
"""

_JOINS = """
  LEFT JOIN agenda_item a ON a.id = c.agenda_item_id
  LEFT JOIN registration r ON r.ticket_secret = %(secret)s
  LEFT JOIN category k ON k.id = r.category_id
  LEFT JOIN delegation d ON d.id = r.delegation_id
"""

#: The rules of the full path (services._refusal, Checkpoint.window, is_leader) for the
#: one case decided here: an open entry checkpoint, the window open at the scan's time
#: (an agenda item's doors open before it starts), a confirmed person of this event
#: whose category the checkpoint admits (none listed: all), not leading a delegation
#: (matched by mobile, else by name), whose answer carries the delegation's counts.
_EVERYDAY = """
  c.active AND c.kind <> 'exit'
  AND %(scanned_at)s >= COALESCE(c.opens_at, a.starts_at - %(doors_open)s, '-infinity')
  AND %(scanned_at)s <= COALESCE(c.closes_at, a.ends_at, 'infinity')
  AND r.event_id = c.event_id AND r.status = 'confirmed'
  AND (NOT EXISTS (SELECT 1 FROM checkpoint_category cc WHERE cc.checkpoint_id = c.id)
       OR EXISTS (SELECT 1 FROM checkpoint_category cc
                  WHERE cc.checkpoint_id = c.id AND cc.category_id = r.category_id))
  AND NOT (r.delegation_id IS NOT NULL AND CASE
    WHEN COALESCE(d.leader_mobile, '') <> '' AND COALESCE(r.mobile, '') <> ''
      THEN d.leader_mobile = r.mobile
    ELSE COALESCE(d.leader_name, '') <> '' AND d.leader_name = r.name END)
"""

#: A dedicated scanner, found by its token's hash unless revoked: its event's
#: checkpoints, or only the one it is bound to.
_DEVICE_SCAN = f"""
SELECT s.id AS device_id, NULL::integer AS staff_id, s.last_seen_at, {_COLUMNS},
  (s.event_id = c.event_id AND (s.checkpoint_id IS NULL OR s.checkpoint_id = c.id)
   AND {_EVERYDAY}) AS everyday
FROM scanner_device s
JOIN checkpoint c ON c.id = %(checkpoint_id)s
{_JOINS}
WHERE s.token_hash = %(token_hash)s AND s.revoked_at IS NULL
"""  # noqa: S608 (constant fragments; every value is a bound parameter)

#: A signed-in person: site admins and the event's organisers scan anywhere, its
#: staff at their checkpoints (at all of them when assigned to none).
_USER_SCAN = f"""
SELECT NULL::integer AS device_id, %(user_id)s::integer AS staff_id,
  NULL::timestamptz AS last_seen_at, {_COLUMNS},
  ((%(is_admin)s OR m.role = 'organiser' OR (m.role = 'staff' AND (
      EXISTS (SELECT 1 FROM checkpoint_staff cs
              WHERE cs.user_id = %(user_id)s AND cs.checkpoint_id = c.id)
      OR NOT EXISTS (SELECT 1 FROM checkpoint_staff cs
                     JOIN checkpoint other ON other.id = cs.checkpoint_id
                     WHERE cs.user_id = %(user_id)s AND other.event_id = c.event_id
                       AND other.active))))
   AND {_EVERYDAY}) AS everyday
FROM checkpoint c
LEFT JOIN event_member m ON m.event_id = c.event_id AND m.user_id = %(user_id)s
{_JOINS}
WHERE c.id = %(checkpoint_id)s
"""  # noqa: S608 (constant fragments; every value is a bound parameter)

#: Read, decide, admit and log in one statement, so one round trip and one
#: transaction: the check-in and its scan attempt land together or not at all. A
#: person admitted here before makes the INSERT do nothing, and nothing is logged.
_ADMIT = """
WITH scan AS ({scan}),
admitted AS (
  INSERT INTO check_in (event_id, registration_id, checkpoint_id, state, scanned_at,
                        recorded_at, staff_id, device_id, offline)
  SELECT checkpoint_event_id, id, checkpoint_id, 'in', %(scanned_at)s, %(recorded_at)s,
         staff_id, device_id, false
  FROM scan WHERE everyday
  ON CONFLICT (registration_id, checkpoint_id) WHERE state = 'in' DO NOTHING
  RETURNING id, recorded_at
), logged AS (
  INSERT INTO scan_attempt (nonce, event_id, checkpoint_id, registration_id, check_in_id,
                            staff_id, device_id, input_digest, result, offline, scanned_at,
                            recorded_at)
  SELECT %(nonce)s, scan.checkpoint_event_id, scan.checkpoint_id, scan.id, admitted.id,
         scan.staff_id, scan.device_id, %(input_digest)s, 'ok', false, %(scanned_at)s,
         admitted.recorded_at
  FROM scan, admitted
)
SELECT scan.*, admitted.id AS check_in_id, admitted.recorded_at AS check_in_recorded_at
FROM scan JOIN admitted ON true
"""

ADMIT_BY_DEVICE = _ADMIT.format(scan=_DEVICE_SCAN)
ADMIT_BY_USER = _ADMIT.format(scan=_USER_SCAN)

SEEN = "UPDATE scanner_device SET last_seen_at = %(now)s WHERE id = %(device_id)s"


@dataclass(frozen=True)
class ScannerKey:
    """Who scans, as the express lane knows them: a device's token hash or a user."""

    token_hash: str | None = None
    user_id: int | None = None
    is_admin: bool = False


@dataclass(frozen=True)
class CheckpointSeen:
    """What an answer shows of the checkpoint (an ORM object costs more than the rest)."""

    id: int
    name_zh: str
    name_en: str | None
    kind: CheckpointKind

    name_for = Checkpoint.name_for

    @classmethod
    def of(cls, row) -> CheckpointSeen:
        return cls(
            row.checkpoint_id,
            row.checkpoint_name_zh,
            row.checkpoint_name_en,
            CheckpointKind(row.kind),
        )


@dataclass(frozen=True)
class Admission:
    """An everyday scan recorded: the row read (person and checkpoint) and the check-in."""

    row: object
    scanned_at: datetime
    check_in_id: int
    recorded_at: datetime


def admit(scanner: ScannerKey, checkpoint_id: int, scan, pool=None) -> Admission | None:
    """Record ``scan`` if it is the everyday case; None (nothing written) otherwise."""
    if scan.secret is None or scan.offline or not looks_like_secret(scan.secret):
        return None  # garbage (a NUL, a lone surrogate…) must not even reach the driver
    engine = pool or engine_of_app()
    if engine is None:
        return None
    try:
        connection = engine.raw_connection()
    except SQLAlchemyError:
        return None  # no connection soon enough (all busy, the server down): the full path
    try:
        return _admit_on(_LaneState.of(connection), scanner, checkpoint_id, scan)
    except psycopg.IntegrityError:
        return None  # the nonce was used before: the full path replays or refuses it
    except psycopg.Error:
        # A timeout or a cancelled statement leaves the connection usable; a lost
        # server leaves none of its connections usable.
        if connection.driver_connection.broken:
            connection.invalidate()
            engine.dispose()
        return None
    finally:
        connection.close()


class _LaneState:
    """Kept with each pooled connection: its cursor, and a row type per statement.

    Both are per scan otherwise, and making a row type means reading the
    names of 30 columns.
    """

    def __init__(self, connection):
        self.cursor = connection.driver_connection.cursor()
        self.row_types: dict[str, type] = {}

    @classmethod
    def of(cls, connection) -> _LaneState:
        state = connection.info.get(ENGINE_KEY)
        if state is None:
            state = connection.info[ENGINE_KEY] = cls(connection)
        return state

    def row(self, statement: str, values):
        row_type = self.row_types.get(statement)
        if row_type is None:
            names = [column.name for column in self.cursor.description]
            row_type = self.row_types[statement] = namedtuple("ExpressRow", names)
        return row_type._make(values)


def _admit_on(lane: _LaneState, scanner: ScannerKey, checkpoint_id: int, scan):
    when = scan.scanned_at or utcnow()
    params = {
        "checkpoint_id": checkpoint_id,
        "secret": scan.secret,
        "scanned_at": when,
        "recorded_at": utcnow(),
        "doors_open": SESSION_DOORS_OPEN,
        "nonce": scan.nonce,
        "input_digest": scan.digest,
    }
    if scanner.token_hash is not None:
        statement = ADMIT_BY_DEVICE
        params["token_hash"] = scanner.token_hash
    else:
        statement = ADMIT_BY_USER
        params.update(user_id=scanner.user_id, is_admin=scanner.is_admin)
    lane.cursor.execute(statement, params)
    values = lane.cursor.fetchone()
    if values is None:
        return None  # not the everyday case, or admitted here before
    row = lane.row(statement, values)
    if scanner.token_hash is not None:
        _note_seen(lane.cursor, row)
    return Admission(row, when, row.check_in_id, row.check_in_recorded_at)


def _note_seen(cursor, row) -> None:
    """A device's last use, written at most once a minute (as :func:`devices.note_seen`).

    Best effort: the scan is recorded already, and a failure here must not
    turn it into a retry.
    """
    from registration.checkin.devices import SEEN_RESOLUTION

    now = utcnow()
    if row.last_seen_at is None or now - row.last_seen_at > SEEN_RESOLUTION:
        with contextlib.suppress(psycopg.Error):
            cursor.execute(SEEN, {"now": now, "device_id": row.device_id})


# --- the pool --------------------------------------------------------------------------------


def engine_of_app():
    """The express lane's own small pool on the app's PostgreSQL; None on other databases."""
    extensions = current_app.extensions
    if ENGINE_KEY not in extensions:
        extensions[ENGINE_KEY] = _make_engine()
    return extensions[ENGINE_KEY]


def _make_engine():
    url = db.engine.url
    if url.get_backend_name() != "postgresql" or url.get_driver_name() != "psycopg":
        return None
    # The app's own options (connect_args: TLS, a schema's search_path…), not its pool's.
    options = {
        key: value
        for key, value in (current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}).items()
        if not key.startswith(("pool", "max_overflow", "isolation_level"))
    }
    return create_engine(
        url,
        **options,
        pool_size=POOL_SIZE,
        max_overflow=2 * POOL_SIZE,
        pool_timeout=POOL_WAIT,
        pool_pre_ping=False,
        pool_reset_on_return=None,
        isolation_level="AUTOCOMMIT",
    )


def dispose() -> None:
    """Close the express lane's connections (an app that is done, as in tests)."""
    engine = current_app.extensions.pop(ENGINE_KEY, None)
    if engine is not None:
        engine.dispose()
