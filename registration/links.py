"""Manage links: ``/r/<secret>`` lets a person see, change and cancel their registration,
and ``/d/<secret>`` lets a delegation's leader manage its members.

The secret is 256 random bits in URL-safe base64 (43 characters), distinct
from the ticket secret in the QR code. Only its SHA-256 is stored; issuing a
new link (a "resend my link" request) replaces the old one, which then stops
working.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app, has_request_context, url_for

from app import db
from registration.models import Delegation, Registration

TOKEN_BYTES = 32


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "ignore")).hexdigest()


def issue_manage_token(registration: Registration) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    registration.manage_token_hash = _digest(token)
    return token


def registration_for_token(token: str) -> Registration | None:
    if not token or len(token) > 100:
        return None
    return db.session.execute(
        db.select(Registration).where(Registration.manage_token_hash == _digest(token))
    ).scalar_one_or_none()


def manage_url(token: str) -> str:
    return url_for("registration.manage", token=token, _external=True)


# --- delegation portal links (``/d/<secret>``), the same kind of secret -------------


def issue_portal_token(delegation: Delegation) -> str:
    """A new portal link for the delegation's leader; an earlier one stops working."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    delegation.manage_token_hash = _digest(token)
    return token


def delegation_for_token(token: str) -> Delegation | None:
    if not token or len(token) > 100:
        return None
    return db.session.execute(
        db.select(Delegation).where(Delegation.manage_token_hash == _digest(token))
    ).scalar_one_or_none()


def portal_url(token: str) -> str:
    return url_for("delegations.portal", token=token, _external=True)


def resend_url(event) -> str | None:
    """The event's "send me my link again" page; None where no address can be built.

    Outside a request (a command) an absolute address needs ``SERVER_NAME``.
    """
    if not has_request_context() and not current_app.config.get("SERVER_NAME"):
        return None
    return url_for("registration.resend_link", slug=event.slug, _external=True)
