"""The doors' express lane: the everyday scan in two round trips on PostgreSQL.

At the morning rush nearly every scan is the same case: a scanner allowed at
its checkpoint, a confirmed person's current badge, seen there for the first
time. :func:`services.record_scan` decides every case through the ORM in a
transaction of eight round trips, and most of a scan's time went into them.
Here the everyday case takes two statements on a connection in autocommit
mode, each its own transaction:

1. one read: the scanner (a device by its token, or a user's role and
   checkpoint assignments), the checkpoint with its window, and the person
   by the secret with category, delegation and whether the checkpoint admits
   the category;
2. the same rules as the full path, in Python (:func:`admissible`);
3. one write: the check-in (``ON CONFLICT DO NOTHING`` on the partial unique
   index that decides every race) and its scan attempt, in one statement, so
   that both land or neither.

Anything else returns None before anything is written, and the full path
decides: a wrong token, another event's checkpoint, a closed window, a person
already admitted, a delegation leader, a retried nonce (the write then fails
on the nonce's unique index), an offline scan, SQLite. A lost connection
does the same: should the write have landed, the full path finds its nonce
and replays it. The connections come from a small pool of their own without
the pre-ping the ORM's pool makes on every checkout: a dead connection fails
the read, which writes nothing, and is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg
from flask import current_app
from psycopg.rows import namedtuple_row
from sqlalchemy import create_engine

from app import db
from events.dbtypes import utcnow
from events.models import EventRole
from registration.checkin.models import SESSION_DOORS_OPEN, CheckpointKind
from registration.models import RegistrationStatus

ENGINE_KEY = "huiwu.checkin_express"
POOL_SIZE = 4

_CHECKPOINT_AND_PERSON = """
  c.id AS checkpoint_id, c.event_id AS checkpoint_event_id, c.name_zh AS checkpoint_name_zh,
  c.name_en AS checkpoint_name_en, c.kind, c.active, c.opens_at, c.closes_at,
  a.starts_at AS item_starts_at, a.ends_at AS item_ends_at,
  r.id, r.event_id, r.status, r.name, r.name_en, r.organisation, r.position, r.mobile,
  r.staff_note, r.needs_attention, r.delegation_id,
  k.code AS category_code, k.name_zh AS category_name_zh, k.name_en AS category_name_en,
  k.color AS category_color,
  d.name AS delegation_name, d.leader_name, d.leader_mobile,
  (NOT EXISTS (SELECT 1 FROM checkpoint_category cc WHERE cc.checkpoint_id = c.id)
   OR EXISTS (SELECT 1 FROM checkpoint_category cc
              WHERE cc.checkpoint_id = c.id AND cc.category_id = r.category_id)) AS admitted
"""

_PERSON_JOINS = """
  LEFT JOIN agenda_item a ON a.id = c.agenda_item_id
  LEFT JOIN registration r ON r.ticket_secret = %(secret)s
  LEFT JOIN category k ON k.id = r.category_id
  LEFT JOIN delegation d ON d.id = r.delegation_id
"""

#: A dedicated scanner: found by its token's hash, unless revoked.
READ_FOR_DEVICE = f"""
SELECT s.id AS device_id, s.event_id AS device_event_id,
  s.checkpoint_id AS device_checkpoint_id, s.last_seen_at,
  {_CHECKPOINT_AND_PERSON}
FROM scanner_device s
JOIN checkpoint c ON c.id = %(checkpoint_id)s
{_PERSON_JOINS}
WHERE s.token_hash = %(token_hash)s AND s.revoked_at IS NULL
"""  # noqa: S608 (constant fragments; every value is a bound parameter)

#: A signed-in person: their role in the checkpoint's event and where they are assigned.
READ_FOR_USER = f"""
SELECT m.role,
  EXISTS (SELECT 1 FROM checkpoint_staff cs JOIN checkpoint other ON other.id = cs.checkpoint_id
          WHERE cs.user_id = %(user_id)s AND other.event_id = c.event_id AND other.active)
    AS has_assignments,
  EXISTS (SELECT 1 FROM checkpoint_staff cs
          WHERE cs.user_id = %(user_id)s AND cs.checkpoint_id = c.id) AS assigned_here,
  {_CHECKPOINT_AND_PERSON}
FROM checkpoint c
LEFT JOIN event_member m ON m.event_id = c.event_id AND m.user_id = %(user_id)s
{_PERSON_JOINS}
WHERE c.id = %(checkpoint_id)s
"""  # noqa: S608 (constant fragments; every value is a bound parameter)

#: The check-in and its scan attempt in one statement: both land or neither. A
#: person already admitted here makes the INSERT do nothing, and so nothing is logged.
ADMIT = """
WITH admitted AS (
  INSERT INTO check_in (event_id, registration_id, checkpoint_id, state, scanned_at,
                        recorded_at, staff_id, device_id, offline)
  VALUES (%(event_id)s, %(registration_id)s, %(checkpoint_id)s, 'in', %(scanned_at)s,
          %(recorded_at)s, %(staff_id)s, %(device_id)s, false)
  ON CONFLICT (registration_id, checkpoint_id) WHERE state = 'in' DO NOTHING
  RETURNING id, recorded_at
), logged AS (
  INSERT INTO scan_attempt (nonce, event_id, checkpoint_id, registration_id, check_in_id,
                            staff_id, device_id, input_digest, result, offline, scanned_at,
                            recorded_at)
  SELECT %(nonce)s, %(event_id)s, %(checkpoint_id)s, %(registration_id)s, admitted.id,
         %(staff_id)s, %(device_id)s, %(input_digest)s, 'ok', false, %(scanned_at)s,
         admitted.recorded_at
  FROM admitted
)
SELECT id, recorded_at FROM admitted
"""

SEEN = "UPDATE scanner_device SET last_seen_at = %(now)s WHERE id = %(device_id)s"


@dataclass(frozen=True)
class ScannerKey:
    """Who scans, as the express lane knows them: a device's token hash or a user."""

    token_hash: str | None = None
    user_id: int | None = None
    is_admin: bool = False


@dataclass(frozen=True)
class CheckInMade:
    """What an answer shows of the check-in made."""

    id: int
    recorded_at: datetime


@dataclass(frozen=True)
class Admission:
    """An everyday scan recorded: the row read (person and checkpoint) and the check-in."""

    row: object
    scanned_at: datetime
    check_in_id: int
    recorded_at: datetime


def admit(scanner: ScannerKey, checkpoint_id: int, scan) -> Admission | None:
    """Record ``scan`` if it is the everyday case; None (nothing written) otherwise."""
    if scan.secret is None or scan.offline:
        return None
    engine = _engine()
    if engine is None:
        return None
    connection = engine.raw_connection()
    try:
        return _admit_on(connection.driver_connection, scanner, checkpoint_id, scan)
    except psycopg.IntegrityError:
        return None  # the nonce was used before: the full path replays or refuses it
    except psycopg.OperationalError:
        connection.invalidate()
        return None
    finally:
        connection.close()


def _admit_on(connection, scanner: ScannerKey, checkpoint_id: int, scan) -> Admission | None:
    when = scan.scanned_at or utcnow()
    with connection.cursor(row_factory=namedtuple_row) as cursor:
        row = _read(cursor, scanner, checkpoint_id, scan.secret)
        if row is None or not admissible(row, scanner, when):
            return None
        cursor.execute(ADMIT, _admission_values(row, scanner, scan, when))
        admitted = cursor.fetchone()
        if admitted is None:
            return None  # admitted here before: the full path says when and by whom
        if scanner.token_hash is not None:
            _note_seen(cursor, row)
    return Admission(row, when, admitted.id, admitted.recorded_at)


def _read(cursor, scanner: ScannerKey, checkpoint_id: int, secret: str):
    if scanner.token_hash is not None:
        params = {"token_hash": scanner.token_hash, "checkpoint_id": checkpoint_id}
        cursor.execute(READ_FOR_DEVICE, {**params, "secret": secret})
    else:
        params = {"user_id": scanner.user_id, "checkpoint_id": checkpoint_id}
        cursor.execute(READ_FOR_USER, {**params, "secret": secret})
    return cursor.fetchone()


def _admission_values(row, scanner: ScannerKey, scan, when: datetime) -> dict:
    return {
        "event_id": row.checkpoint_event_id,
        "registration_id": row.id,
        "checkpoint_id": row.checkpoint_id,
        "scanned_at": when,
        "recorded_at": utcnow(),
        "staff_id": scanner.user_id,
        "device_id": row.device_id if scanner.token_hash is not None else None,
        "nonce": scan.nonce,
        "input_digest": scan.digest,
    }


def _note_seen(cursor, row) -> None:
    """A device's last use, written at most once a minute (as :func:`devices.note_seen`)."""
    from registration.checkin.devices import SEEN_RESOLUTION

    now = utcnow()
    if row.last_seen_at is None or now - row.last_seen_at > SEEN_RESOLUTION:
        cursor.execute(SEEN, {"now": now, "device_id": row.device_id})


# --- the rules, as the full path has them ---------------------------------------------------


def admissible(row, scanner: ScannerKey, when: datetime) -> bool:
    """The everyday case: may scan here, the window is open, the person plainly passes."""
    return (
        _may_scan_here(row, scanner)
        and row.active
        and row.kind != CheckpointKind.EXIT
        and _window_open(row, when)
        and _plainly_admissible(row)
    )


def _may_scan_here(row, scanner: ScannerKey) -> bool:
    if scanner.token_hash is not None:
        bound = row.device_checkpoint_id
        return row.device_event_id == row.checkpoint_event_id and bound in (
            None,
            row.checkpoint_id,
        )
    if scanner.is_admin or row.role == EventRole.ORGANISER:
        return True
    if row.role != EventRole.STAFF:
        return False
    return not row.has_assignments or row.assigned_here


def _window_open(row, when: datetime) -> bool:
    opens, closes = row.opens_at, row.closes_at
    if row.item_starts_at is not None:
        opens = opens or row.item_starts_at - SESSION_DOORS_OPEN
        closes = closes or row.item_ends_at
    return (opens is None or when >= opens) and (closes is None or when <= closes)


def _plainly_admissible(row) -> bool:
    """A confirmed person of this event whose category passes, not leading a delegation.

    (A leader's answer carries the delegation's counts: the full path adds them.)
    """
    from registration.checkin.services import row_is_leader

    return (
        row.id is not None
        and row.event_id == row.checkpoint_event_id
        and row.status == RegistrationStatus.CONFIRMED
        and bool(row.admitted)
        and not row_is_leader(row)
    )


# --- the pool --------------------------------------------------------------------------------


def _engine():
    """The express lane's own small pool on the app's PostgreSQL; None on other databases."""
    extensions = current_app.extensions
    if ENGINE_KEY not in extensions:
        extensions[ENGINE_KEY] = _make_engine()
    return extensions[ENGINE_KEY]


def _make_engine():
    url = db.engine.url
    if url.get_backend_name() != "postgresql" or url.get_driver_name() != "psycopg":
        return None
    return create_engine(
        url,
        pool_size=POOL_SIZE,
        max_overflow=POOL_SIZE,
        pool_pre_ping=False,
        pool_reset_on_return=None,
        isolation_level="AUTOCOMMIT",
    )


def dispose() -> None:
    """Close the express lane's connections (an app that is done, as in tests)."""
    engine = current_app.extensions.pop(ENGINE_KEY, None)
    if engine is not None:
        engine.dispose()
