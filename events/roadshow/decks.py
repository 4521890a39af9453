"""Pitch decks: the PDF a project brings to its roadshow pitch.

A deck is kept outside the database, under ``<instance>/decks/<key>.pdf``
(``DECK_FOLDER`` overrides the folder), where ``key`` is 32 random hex
characters (``secrets.token_hex(16)``): the file name says nothing about the
project, and no name a visitor typed ever reaches the file system. The name
they uploaded is kept only for display and for the download's
``Content-Disposition``, after :func:`display_name` cleaned it.

A file is accepted by what it holds, not by what it is called: it must
start with ``%PDF-``, be at most :data:`MAX_BYTES`, and really open as a
PDF of at least one page (pypdf reads it). It is written to a temporary file
in the same folder and renamed into place only once it passed, so a refused
or interrupted upload leaves nothing behind.

Replacing a deck is two steps around the database commit: the new file is
stored first (:func:`store`), and the old one is deleted (:func:`discard`)
only after the commit succeeded; if the save fails, the view discards the
new file instead. Either way no file is left without a project pointing at
it, and no project points at a missing file.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import abort, current_app, g, send_file
from flask_babel import lazy_gettext as _l

from events.errors import RuleError

MEGABYTE = 1024 * 1024
MAX_BYTES = 20 * MEGABYTE
#: Room for the form's other fields around a deck of the largest size.
UPLOAD_BODY_LIMIT = MAX_BYTES + 256 * 1024
PDF_MAGIC = b"%PDF-"
CHUNK = 256 * 1024
KEY_PATTERN = re.compile(r"^[0-9a-f]{32}$")


class DeckRejected(RuleError):
    """The uploaded file is not a deck we keep; the message goes under the file field."""

    field = "deck"


def too_large_message():
    return _l(
        "The file is too large: a pitch deck may be at most %(size)s MB.",
        size=MAX_BYTES // MEGABYTE,
    )


@dataclass(frozen=True)
class StoredDeck:
    """A deck written to its final place, not yet recorded on a project."""

    key: str
    filename: str
    size: int
    pages: int
    sha256: str


def folder() -> Path:
    configured = current_app.config.get("DECK_FOLDER")
    path = Path(configured) if configured else Path(current_app.instance_path) / "decks"
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_for(key: str) -> Path:
    if not KEY_PATTERN.match(key or ""):
        raise ValueError("not a deck key")
    return folder() / f"{key}.pdf"


def display_name(name: str | None) -> str:
    """The uploaded name without folders, control or quoting characters, ending in ``.pdf``."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        char
        for char in name
        if unicodedata.category(char)[0] not in ("C", "Z") or char == " "
        if char not in '"<>:|?*;'
    )
    name = " ".join(name.split()).strip(" .")
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    stem = stem[:150].strip(" .") or "deck"
    return f"{stem}.pdf"


def store(stream: BinaryIO, filename: str | None) -> StoredDeck:
    """Check an uploaded file and keep it as a new deck; :class:`DeckRejected` if it is none."""
    target_folder = folder()
    digest = hashlib.sha256()
    size = 0
    handle, temporary = tempfile.mkstemp(dir=target_folder, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            head = b""
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise DeckRejected(too_large_message())
                if len(head) < len(PDF_MAGIC):
                    head += chunk[: len(PDF_MAGIC)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise DeckRejected(_l("The file is empty."))
        if not head.startswith(PDF_MAGIC):
            raise DeckRejected(_l("This file is not a PDF. Please upload the deck as a PDF."))
        pages = _page_count(Path(temporary))
        key = secrets.token_hex(16)
        os.replace(temporary, path_for(key))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return StoredDeck(key, display_name(filename), size, pages, digest.hexdigest())


def _page_count(path: Path) -> int:
    from pypdf import PdfReader

    try:
        # The file comes from outside: any failure to read it means it is not a usable PDF.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pages = len(PdfReader(path, strict=False).pages)
    except Exception as error:
        raise DeckRejected(
            _l("This PDF cannot be read: it may be damaged. Please save it again and upload it.")
        ) from error
    if pages < 1:
        raise DeckRejected(_l("This PDF has no pages."))
    return pages


def discard(key: str | None) -> None:
    """Delete a deck's file (after the commit that stopped pointing at it)."""
    if key:
        path_for(key).unlink(missing_ok=True)


def download(project):
    """The project's deck as an attachment that no browser or proxy keeps or sniffs."""
    g.no_store = True
    path = path_for(project.deck_key)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=project.deck_filename or "deck.pdf",
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
