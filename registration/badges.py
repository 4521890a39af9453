"""Printable badges as vector PDFs, drawn with ReportLab.

Chinese renders with no font installed anywhere: Noto Sans SC (OFL-1.1,
TrueType outlines, from the npm package ``@expo-google-fonts/noto-sans-sc``)
ships in ``static/vendor/`` and ReportLab embeds the subset of glyphs a
document uses. Characters the font lacks (some rare characters, emoji) are
reported by :func:`missing_characters` so the organiser can see them;
ReportLab would otherwise draw an empty box without a word.

Layouts: ``a6`` (one badge a page), ``a4`` (four A6 badges a sheet, with
cut marks) and ``cr80`` (a card, 85.6 × 54 mm). The QR code is drawn as
vector rectangles from the code's matrix, one per horizontal run of dark
modules: sharp at any printer resolution, and small.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from registration.ticket_codes import qr_matrix

FONT_NAME = "NotoSansSC"
FONT_PATH = (
    Path(__file__).resolve().parent.parent
    / "static/vendor/noto-sans-sc@0.4.3/NotoSansSC_400Regular.ttf"
)
CR80 = (85.6 * mm, 54 * mm)
LAYOUTS = ("a6", "a4", "cr80")
CUT_MARK = 4 * mm


@dataclass(frozen=True)
class BadgeData:
    """What one badge shows; plain values, so rendering needs no database."""

    name: str
    secret: str
    event_title: str
    event_dates: str
    category: str
    color: str = "#1f6feb"
    name_en: str = ""
    organisation: str = ""
    delegation: str = ""


@functools.cache
def _font() -> TTFont:
    font = TTFont(FONT_NAME, str(FONT_PATH))
    pdfmetrics.registerFont(font)
    return font


def missing_characters(text: str) -> list[str]:
    """Characters of ``text`` the badge font cannot draw (spaces aside), in order."""
    glyphs = _font().face.charToGlyph
    seen: list[str] = []
    for character in text:
        if not character.isspace() and ord(character) not in glyphs and character not in seen:
            seen.append(character)
    return seen


def render(badges: Iterable[BadgeData], layout: str = "a6") -> bytes:
    """One PDF with every badge, in ``layout``."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    _font()
    buffer = io.BytesIO()
    page = A4 if layout == "a4" else (A6 if layout == "a6" else CR80)
    canvas = Canvas(buffer, pagesize=page, pageCompression=1)
    canvas.setTitle("Badges")
    if layout == "a4":
        _sheets(canvas, badges)
    else:
        drawn = 0
        for badge in badges:
            if drawn:
                canvas.showPage()
            (_card if layout == "cr80" else _a6)(canvas, badge, 0, 0)
            drawn += 1
        if not drawn:
            canvas.drawString(20 * mm, 20 * mm, "")
    canvas.save()
    return buffer.getvalue()


# --- A4 sheets of four A6 badges ---------------------------------------------------------

_SLOTS = ((0, A6[1]), (A6[0], A6[1]), (0, 0), (A6[0], 0))  # reading order, origin bottom left


def _sheets(canvas: Canvas, badges: Iterable[BadgeData]) -> None:
    slot = 0
    for badge in badges:
        if slot == 4:
            canvas.showPage()
            slot = 0
        if slot == 0:
            _cut_marks(canvas)
        x, y = _SLOTS[slot]
        _a6(canvas, badge, x, y)
        slot += 1


def _cut_marks(canvas: Canvas) -> None:
    """Short lines at the page edges along the cuts between the four badges."""
    width, height = A4
    canvas.setLineWidth(0.3)
    canvas.setStrokeColorRGB(0.5, 0.5, 0.5)
    middle_x, middle_y = A6[0], A6[1]
    canvas.line(middle_x, 0, middle_x, CUT_MARK)
    canvas.line(middle_x, height - CUT_MARK, middle_x, height)
    canvas.line(0, middle_y, CUT_MARK, middle_y)
    canvas.line(width - CUT_MARK, middle_y, width, middle_y)
    canvas.line(middle_x - CUT_MARK / 2, middle_y, middle_x + CUT_MARK / 2, middle_y)
    canvas.line(middle_x, middle_y - CUT_MARK / 2, middle_x, middle_y + CUT_MARK / 2)


# --- one badge ------------------------------------------------------------------------------


def _a6(canvas: Canvas, badge: BadgeData, x: float, y: float) -> None:
    """An A6 badge (105 × 148 mm) with its lower left corner at (x, y)."""
    width, height = A6
    band = 16 * mm
    _band(canvas, badge, x, y, width, band)
    top = y + height - 10 * mm
    top = _lines(canvas, badge.event_title, x + 8 * mm, top, width - 16 * mm, 10, 2, 8, 0.35)
    _line(canvas, badge.event_dates, x + 8 * mm, top - 1 * mm, width - 16 * mm, 8, gray=0.45)
    name_top = y + height - 32 * mm
    after_name = _lines(canvas, badge.name, x + 8 * mm, name_top, width - 16 * mm, 40, 2, 16)
    cursor = after_name - 2 * mm
    for text, size in ((badge.name_en, 13), (badge.organisation, 11), (badge.delegation, 10)):
        if text:
            cursor = _lines(canvas, text, x + 8 * mm, cursor, width - 16 * mm, size, 2, size - 2)
            cursor -= 1.5 * mm
    qr_size = 36 * mm
    _qr(
        canvas,
        qr_matrix(badge.secret),
        x + (width - qr_size) / 2,
        y + band + 6 * mm,
        qr_size,
    )


def _card(canvas: Canvas, badge: BadgeData, x: float, y: float) -> None:
    """A CR80 card (85.6 × 54 mm): name and details left, the code right."""
    width, height = CR80
    band = 7 * mm
    _band(canvas, badge, x, y, width, band)
    qr_size = 28 * mm
    _qr(canvas, qr_matrix(badge.secret), x + width - qr_size - 4 * mm, y + band + 4 * mm, qr_size)
    text_width = width - qr_size - 12 * mm
    top = _line(canvas, badge.event_title, x + 4 * mm, y + height - 6 * mm, text_width, 6.5, 0.35)
    cursor = _lines(canvas, badge.name, x + 4 * mm, top - 6 * mm, text_width, 18, 2, 9)
    for text, size in ((badge.name_en, 8), (badge.organisation, 7), (badge.delegation, 6.5)):
        if text:
            cursor = _lines(canvas, text, x + 4 * mm, cursor - 1 * mm, text_width, size, 2, 5)


def _band(canvas: Canvas, badge: BadgeData, x, y, width, height) -> None:
    """The category's colour across the bottom, its name in white."""
    canvas.setFillColor(_color(badge.color))
    canvas.rect(x, y, width, height, stroke=0, fill=1)
    canvas.setFillColor(white)
    size = _fitting_size(badge.category, width - 8 * mm, height * 0.55, height * 0.3)
    canvas.setFont(FONT_NAME, size)
    canvas.drawCentredString(x + width / 2, y + (height - size * 0.7) / 2, badge.category)
    canvas.setFillColorRGB(0, 0, 0)


def _color(value: str):
    try:
        return HexColor(value)
    except ValueError:
        return HexColor("#1f6feb")


def _qr(canvas: Canvas, matrix, x: float, y: float, size: float) -> None:
    """The code as filled rectangles, one per run of dark modules in a row."""
    module = size / len(matrix)
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + 1) * module
        start = None
        for column, dark in enumerate([*row, False]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                path.rect(x + start * module, top, (column - start) * module, module)
                start = None
    canvas.drawPath(path, stroke=0, fill=1)


def _fitting_size(text: str, width: float, largest: float, smallest: float) -> float:
    """The largest font size up to ``largest`` at which ``text`` fits on one line."""
    natural = pdfmetrics.stringWidth(text, FONT_NAME, largest) if text else 0
    if natural <= width:
        return largest
    return max(smallest, largest * width / natural)


def _line(canvas, text, x, top, width, size, gray=0.0) -> float:
    """One line shrunk to fit ``width``; returns the top of what may follow."""
    if not text:
        return top
    size = _fitting_size(text, width, size, size * 0.6)
    canvas.setFillColorRGB(gray, gray, gray)
    canvas.setFont(FONT_NAME, size)
    canvas.drawString(x, top - size, text)
    canvas.setFillColorRGB(0, 0, 0)
    return top - size * 1.25


def _lines(canvas, text, x, top, width, size, max_lines, smallest, gray=0.0) -> float:
    """Shrink to fit one line down to ``smallest``, then wrap onto up to ``max_lines``."""
    if not text:
        return top
    fitted = _fitting_size(text, width, size, smallest)
    if pdfmetrics.stringWidth(text, FONT_NAME, fitted) <= width:
        return _line(canvas, text, x, top, width, fitted, gray)
    for line in _wrapped(text, width, smallest)[:max_lines]:
        top = _line(canvas, line, x, top, width, smallest, gray)
    return top


def _wrapped(text: str, width: float, size: float) -> list[str]:
    """Lines of ``text`` no wider than ``width``: at spaces, else between any characters."""
    lines, current = [], ""
    for piece in _pieces(text):
        candidate = current + piece
        if current and pdfmetrics.stringWidth(candidate, FONT_NAME, size) > width:
            lines.append(current.rstrip())
            current = piece.lstrip()
        else:
            current = candidate
    if current:
        lines.append(current.rstrip())
    return lines


def _pieces(text: str) -> list[str]:
    """Latin words with their space stay whole; every other character is its own piece."""
    pieces, word = [], ""
    for character in text:
        if character.isascii() and not character.isspace():
            word += character
            continue
        if word:
            pieces.append(word)
            word = ""
        pieces.append(character)
    if word:
        pieces.append(word)
    return pieces
