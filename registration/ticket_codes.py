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

import zxingcpp
from PIL import Image

SECRET_BITS = 160
SECRET_LENGTH = 32
SECRET_PATTERN = re.compile(r"[A-Z2-7]{32}")
#: The QR version and error correction every ticket code must fit: version 2
#: is 25 × 25 modules and at level M holds 47 alphanumeric characters but
#: only 26 bytes, so a 32-character secret fits only in alphanumeric mode.
QR_VERSION = 2
QR_SIZE = 25
QR_ERROR_CORRECTION = "M"
#: Light modules around the code, as the QR standard asks for scanning.
QUIET_ZONE = 4


def new_secret() -> str:
    """A fresh ticket secret (see the module docstring for its format)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BITS // 8)).decode("ascii")


def looks_like_secret(text: str) -> bool:
    """Is ``text`` shaped like a ticket secret? (Says nothing of whether it exists.)"""
    return bool(SECRET_PATTERN.fullmatch(text or ""))


def qr_matrix(secret: str) -> list[list[bool]]:
    """Dark (True) and light modules, 25 × 25, without the quiet zone.

    Encoded by ZXing's C++ encoder (zxing-cpp): it chooses the mask by the
    standard's penalty rules like any encoder, forty times faster than the
    pure-Python ``qrcode``, which matters when a batch draws 5,000 codes.
    """
    if not looks_like_secret(secret):
        raise ValueError("not a ticket secret")
    barcode = zxingcpp.create_barcode(secret, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    rows = memoryview(barcode.to_image(scale=1, add_quiet_zones=False)).tolist()
    if len(rows) != QR_SIZE:
        raise RuntimeError(f"a ticket code must be version {QR_VERSION}, got {len(rows)} modules")
    return [[value == 0 for value in row] for row in rows]


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
    matrix = qr_matrix(secret)
    side = len(matrix) + 2 * QUIET_ZONE
    image = Image.new("1", (side, side), 1)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                image.putpixel((x + QUIET_ZONE, y + QUIET_ZONE), 0)
    scaled = image.resize((side * module_pixels,) * 2, Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    scaled.save(buffer, "PNG")
    return buffer.getvalue()
