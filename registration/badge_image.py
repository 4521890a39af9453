"""The e-badge as one picture, for people who keep it in their phone's photos.

Drawn with Pillow and the same shipped font as the printed badges, so the
Chinese name shows on any phone. The QR code is scaled by whole pixels
(nearest neighbour), so it stays sharp.
"""

from __future__ import annotations

import functools
import io

from PIL import Image, ImageDraw, ImageFont

from registration.badges import FONT_PATH, BadgeData
from registration.ticket_codes import qr_matrix

WIDTH, HEIGHT = 720, 1120
MARGIN = 48
QR_MODULE = 16  # pixels a module: 25 modules + quiet zone ≈ 530 px
BAND = 96


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


def render_png(badge: BadgeData) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    top = MARGIN
    top = _text(draw, badge.event_title, top, 30, "#555555")
    top = _text(draw, badge.event_dates, top, 24, "#777777") + 24
    image.paste(_qr_image(badge.secret), ((WIDTH - _qr_side()) // 2, top))
    top += _qr_side() + 24
    top = _text(draw, badge.name, top, 72, "#000000", centred=True)
    for text, size in ((badge.name_en, 36), (badge.organisation, 30), (badge.delegation, 28)):
        if text:
            top = _text(draw, text, top, size, "#333333", centred=True)
    draw.rectangle((0, HEIGHT - BAND, WIDTH, HEIGHT), fill=_color(badge.color))
    _text(draw, badge.category, HEIGHT - BAND + 18, 48, "#ffffff", centred=True)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _qr_side() -> int:
    return (25 + 8) * QR_MODULE


def _qr_image(secret: str) -> Image.Image:
    matrix = qr_matrix(secret)
    small = Image.new("1", (len(matrix) + 8, len(matrix) + 8), 1)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                small.putpixel((x + 4, y + 4), 0)
    return small.resize((_qr_side(), _qr_side()), Image.Resampling.NEAREST).convert("RGB")


def _text(draw, text: str, top: int, size: int, fill: str, centred: bool = False) -> int:
    """Draw one line, shrunk to fit the width; returns where the next line starts."""
    if not text:
        return top
    font = _font(size)
    while size > 14 and draw.textlength(text, font=font) > WIDTH - 2 * MARGIN:
        size -= 2
        font = _font(size)
    width = draw.textlength(text, font=font)
    left = (WIDTH - width) / 2 if centred else MARGIN
    draw.text((left, top), text, font=font, fill=fill)
    return top + int(size * 1.35)


def _color(value: str) -> str:
    return value if len(value) == 7 and value.startswith("#") else "#1f6feb"
