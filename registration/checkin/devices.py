"""Tokens for dedicated scanners: issued and revoked by organisers.

A token is ``hwd_`` and 256 random bits in URL-safe base64; only its SHA-256
is stored. A device sends it as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam

from app import db
from events import audit
from events.dbtypes import utcnow
from events.models import Event, User
from registration.checkin.models import Checkpoint, ScannerDevice

TOKEN_PREFIX = "hwd_"  # noqa: S105 (a prefix, not a secret)
#: ``last_seen_at`` is written at most this often, not on every scan.
SEEN_RESOLUTION = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "ignore")).hexdigest()


def issue(event: Event, name: str, checkpoint: Checkpoint | None, actor: User) -> tuple:
    """A new device and its token (shown once; it cannot be recovered later)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    device = ScannerDevice(
        event_id=event.id,
        name=name.strip()[:100],
        token_hash=_digest(token),
        checkpoint_id=checkpoint.id if checkpoint is not None else None,
        created_by_id=actor.id,
    )
    db.session.add(device)
    db.session.flush()
    audit.record(
        "checkin.device_issued", "scanner_device", device.id, event_id=event.id, actor=actor
    )
    return device, token


def revoke(device: ScannerDevice, actor: User) -> None:
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        audit.record(
            "checkin.device_revoked",
            "scanner_device",
            device.id,
            event_id=device.event_id,
            actor=actor,
        )


def device_for_token(token: str) -> ScannerDevice | None:
    """The active device holding ``token``; None for a wrong or revoked one."""
    digest = token_hash(token)
    if digest is None:
        return None
    device = db.session.execute(
        db.select(ScannerDevice).where(ScannerDevice.token_hash == digest)
    ).scalar_one_or_none()
    if device is None or device.revoked_at is not None:
        return None
    return device


def seen(device: ScannerDevice) -> bool:
    """Note that the device is in use; True when that changed something to save."""
    now = utcnow()
    if device.last_seen_at is None or now - device.last_seen_at > SEEN_RESOLUTION:
        device.last_seen_at = now
        return True
    return False


#: What a scan needs to know of its device, read without loading an ORM object.
_IDENTITY = db.select(
    ScannerDevice.id,
    ScannerDevice.event_id,
    ScannerDevice.checkpoint_id,
    ScannerDevice.name,
    ScannerDevice.last_seen_at,
).where(ScannerDevice.token_hash == bindparam("token_hash"), ScannerDevice.revoked_at.is_(None))

_SEEN = (
    db.update(ScannerDevice)
    .where(ScannerDevice.id == bindparam("device_id"))
    .values(last_seen_at=bindparam("now"))
)


def token_hash(token: str) -> str | None:
    """What is stored of ``token``; None when it cannot be a token at all."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100 or not token.isascii():
        return None
    return _digest(token)


def identity_for_token(token: str):
    """The active device holding ``token`` as a row (id, event_id, checkpoint_id, name)."""
    digest = token_hash(token)
    if digest is None:
        return None
    return db.session.connection().execute(_IDENTITY, {"token_hash": digest}).first()


def note_seen(identity) -> None:
    """Record that the device is in use, at most once a minute, in a commit of its own."""
    now = utcnow()
    if identity.last_seen_at is None or now - identity.last_seen_at > SEEN_RESOLUTION:
        db.session.connection().execute(_SEEN, {"device_id": identity.id, "now": now})
        db.session.commit()


def devices_of(event: Event) -> list[ScannerDevice]:
    return list(
        db.session.execute(
            db.select(ScannerDevice)
            .where(ScannerDevice.event_id == event.id)
            .order_by(ScannerDevice.revoked_at.is_not(None), ScannerDevice.created_at.desc())
        ).scalars()
    )
