"""Ticket secrets and their QR codes.

Format of a ticket secret
    160 random bits from :mod:`secrets`, written in RFC 4648 base32 without
    padding: exactly 32 characters from ``A–Z`` and ``2–7``. Uppercase only,
    so the QR encoder can use alphanumeric mode (5.5 bits a character),
    which keeps the code at version 2 (25 × 25 modules) at error-correction
    level M: small codes scan fastest from phone screens and cheap printers.
    The secret is the whole QR payload; no personal data is in the code.
    Secrets are unique (a unique index) and never reused: reissuing a badge
    draws a new one and records the old one as revoked. Manage links use a
    different secret (:mod:`registration.links`).

Nothing here touches the database, so models can use :func:`new_secret` as a
column default and check-in can validate what a scanner read.
"""

from __future__ import annotations

import base64
import io
import re
import secrets

import qrcode
import qrcode.constants

SECRET_BITS = 160
SECRET_LENGTH = 32
SECRET_PATTERN = re.compile(r"[A-Z2-7]{32}")
#: The QR version and error correction every ticket code must fit.
QR_VERSION = 2
QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
#: Light modules around the code, as the QR standard asks for scanning.
QUIET_ZONE = 4


def new_secret() -> str:
    """A fresh ticket secret (see the module docstring for its format)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BITS // 8)).decode("ascii")


def looks_like_secret(text: str) -> bool:
    """Is ``text`` shaped like a ticket secret? (Says nothing of whether it exists.)"""
    return bool(SECRET_PATTERN.fullmatch(text or ""))


def qr_code(secret: str, border: int = QUIET_ZONE) -> qrcode.QRCode:
    """The secret as a QR code of :data:`QR_VERSION` at level M, alphanumeric mode."""
    if not looks_like_secret(secret):
        raise ValueError("not a ticket secret")
    code = qrcode.QRCode(version=QR_VERSION, error_correction=QR_ERROR_CORRECTION, border=border)
    code.add_data(secret, optimize=0)
    code.make(fit=False)
    return code


def qr_matrix(secret: str) -> list[list[bool]]:
    """Dark (True) and light modules, 25 × 25, without the quiet zone."""
    return qr_code(secret, border=0).get_matrix()


def qr_svg(secret: str, css_class: str = "ticket-qr") -> str:
    """The code as one SVG path on white, sharp at any size; the page sets its size."""
    matrix = qr_matrix(secret)
    size = len(matrix) + 2 * QUIET_ZONE
    modules = "".join(
        f"M{x + QUIET_ZONE},{y + QUIET_ZONE}h1v1h-1z"
        for y, row in enumerate(matrix)
        for x, dark in enumerate(row)
        if dark
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'class="{css_class}" shape-rendering="crispEdges" role="img">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path d="{modules}" fill="#000"/></svg>'
    )


def qr_png(secret: str, module_pixels: int = 12) -> bytes:
    """The code as a black-and-white PNG, ``module_pixels`` a module (for mail, saving)."""
    code = qr_code(secret)
    code.box_size = module_pixels
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()
