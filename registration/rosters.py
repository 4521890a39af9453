"""Delegation rosters: a leader's upload read into clean rows, and the checks of each row.

Pure file-level work, no database: the caller checks the people against the
event (already registered, quotas) and saves them.

Upload
    :func:`read_upload` reads at most :data:`MAX_BYTES` plus one byte, so a
    huge file is refused without being held in memory.

Formats, told apart by content, never by the file name
    XLSX (a zip): the first worksheet with a header row, read with openpyxl
    in read-only mode and with the values Excel cached for formulas. A
    formula without a cached value (a file written by a program and never
    opened in Excel) or showing an error such as ``#N/A`` cannot be trusted,
    so each such cell is a problem; the sheet is scanned for them only when
    its XML holds a formula at all. Old ``.xls`` files and password-protected
    workbooks (both OLE containers) are refused with advice to save as XLSX.

    CSV: UTF-8 with or without a byte order mark, else GB18030 (a superset of
    GBK, what Excel saves on Chinese Windows), or UTF-16 with a byte order
    mark (Excel's "Unicode text"). The delimiter (comma, tab or semicolon) is
    the one under which a header row is recognised with the most columns.

Header row
    The first of the top :data:`HEADER_SEARCH_ROWS` rows holding the name
    column and another known one; titles and notes above it are skipped. Each
    column accepts several labels (:data:`HEADER_LABELS`), compared after
    NFKC, case folding and dropping punctuation and notes such as
    ``（必填）``; a bilingual heading such as ``姓名 Name`` matches by its
    Chinese or its English part, ``职务/职称`` by one of its words. Two-row
    headers with merged cells are read as one: ``姓名`` merged down beside
    ``联系方式`` with ``手机`` and ``邮箱`` underneath (the row below counts
    when it is empty under the name column), or ``姓名`` under ``基本信息``
    beside ``单位`` merged down (headings above count where the header row
    is blank). Unknown columns are ignored.

Values
    NFKC (full-width digits, letters and spaces become ASCII), control and
    zero-width characters dropped, whitespace runs collapsed; names lose the
    spaces between Chinese characters (``张 三`` → ``张三``). Whole numbers
    from XLSX (a mobile typed as a number, even as ``1.3912345678E10``) read
    as their digits.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import IO, Any
from xml.etree import ElementTree

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet.datavalidation import DataValidation

from events.errors import RuleError
from events.i18n import current_locale
from registration.signup import InvalidMobile, normalise_mobile

MEGABYTE = 1024 * 1024
MAX_BYTES = 5 * MEGABYTE
MAX_ROWS = 5000
COLUMNS = ("name", "name_en", "category", "organisation", "position", "mobile", "email")
#: The category column may be left out when the caller gives a default category.
REQUIRED = ("name", "mobile", "category")
HEADER_SEARCH_ROWS = 10
#: Rows read below the header, empty ones included: bounds the work on sheets
#: whose formatting reaches far below the data.
MAX_SHEET_ROWS = 20 * MAX_ROWS
#: Unpacked size of an XLSX, so that a small zip cannot unfold into gigabytes.
MAX_UNPACKED_BYTES = 50 * MEGABYTE
READ_CHUNK = 64 * 1024
#: The lengths of the registration's columns.
MAX_LENGTHS = {"name": 100, "name_en": 100, "organisation": 200, "position": 100}
MAX_EMAIL_LENGTH = 254

#: Each column's heading in Chinese and in English: the template shows both,
#: problems name the column in the language of the page.
HEADINGS = {
    "name": ("姓名", "Name"),
    "name_en": ("英文名", "English name"),
    "category": ("参会类别", "Category"),
    "organisation": ("单位", "Organisation"),
    "position": ("职务", "Position"),
    "mobile": ("手机", "Mobile"),
    "email": ("邮箱", "Email"),
}
TEMPLATE_HEADINGS = {key: f"{chinese} {english}" for key, (chinese, english) in HEADINGS.items()}
#: Accepted headings of each column, the preferred first: when two columns of
#: a file claim the same key (``手机`` and ``电话``) the better label wins.
HEADER_LABELS = {
    "name": ("姓名", "中文姓名", "名字", "参会人姓名", "name", "chinese name", "full name"),
    "name_en": (
        "英文名",
        "英文姓名",
        "姓名拼音",
        "拼音",
        "english name",
        "name (english)",
        "name in english",
        "romanised name",
        "romanized name",
    ),
    "category": ("参会类别", "类别", "参会身份", "身份", "category"),
    "organisation": (
        "单位",
        "工作单位",
        "单位名称",
        "企业名称",
        "公司",
        "公司名称",
        "organisation",
        "organization",
        "company",
    ),
    "position": ("职务", "职位", "position", "title", "job title"),
    "mobile": (
        "手机",
        "手机号",
        "手机号码",
        "mobile",
        "mobile phone",
        "mobile number",
        "cell phone",
        "联系电话",
        "电话",
        "phone",
        "phone number",
    ),
    "email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail", "email address"),
}
ROSTER_SHEET = "名单 Roster"
INSTRUCTIONS_SHEET = "说明 Instructions"
COLUMN_WIDTHS = {
    "name": 14,
    "name_en": 22,
    "category": 16,
    "organisation": 32,
    "position": 16,
    "mobile": 18,
    "email": 28,
}

NOT_A_ROSTER = _l(
    "This file is not a roster: please upload the filled-in template as .xlsx or CSV."
)
SAVE_AS_XLSX = _l(
    "This file is an old Excel file (.xls) or a workbook with a password. Please save it "
    "as .xlsx without a password, or as CSV, and upload it again."
)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_ZIP_MAGIC = b"PK\x03\x04"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_CHARACTER = re.compile(f"[{_CJK}]")
#: A space inside a Chinese name, also beside the middle dot of transcribed names.
_NAME_GAP = re.compile(f"(?<=[{_CJK}·・]) (?=[{_CJK}·・])")
_HEADING_NOTE = re.compile(r"[(\[【](?:必填|必填项|选填|可选|非必填|required|optional)[)\]】]")
_NOT_WORD = re.compile(r"[\W_]+")
#: Control characters become spaces (then collapse); zero-width ones vanish.
_INVISIBLE = {
    **{code: " " for code in (*range(0x20), *range(0x7F, 0xA0))},
    **dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None),
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WHOLE_FLOAT = re.compile(r"\d+\.0+")
_SCIENTIFIC = re.compile(r"(\d)\.(\d+)e\+?(\d+)", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s]+@[^@\s.][^@\s]*\.[^@\s]+")
_FORMULA_TAG = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")


@dataclass(frozen=True)
class RosterProblem:
    """Something wrong with the file (``row`` None) or with one cell or row of it."""

    row: int | None
    column: str | None
    message: object

    @property
    def column_label(self) -> str | None:
        """The column's heading in the language of the page, as the template words it."""
        if self.column not in HEADINGS:
            return None
        chinese, english = HEADINGS[self.column]
        return chinese if current_locale().startswith("zh") else english


class RosterRejected(RuleError):
    """Nothing can be imported; ``problems`` lists why (at least one)."""

    def __init__(self, message, problems: Sequence[RosterProblem] | None = None):
        super().__init__(message)
        self.problems = list(problems or [RosterProblem(None, None, message)])

    @classmethod
    def listing(cls, problems: Sequence[RosterProblem]) -> RosterRejected:
        return cls(
            _l("Nothing was imported. Please correct the problems listed and upload again."),
            problems,
        )


@dataclass
class RosterRow:
    """One member's row: its number as Excel shows it, and the cleaned text by column key."""

    row: int
    values: dict[str, str]


@dataclass(frozen=True)
class _Header:
    last_row: int  # 1-based number of the last heading row; members follow
    columns: dict[str, int]  # column key → 0-based cell index


# --- the upload --------------------------------------------------------------------


def read_upload(stream: IO[bytes], limit: int = MAX_BYTES) -> bytes:
    """The uploaded bytes, read in chunks and refused as soon as they pass ``limit``."""
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(min(READ_CHUNK, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise RosterRejected(too_large(limit))
    if not size:
        raise RosterRejected(_l("The file is empty."))
    return b"".join(chunks)


def too_large(limit: int = MAX_BYTES):
    """The refusal of a file over ``limit`` bytes, also for a web server that stops it earlier."""
    return _l("The file is too large: the limit is %(size)s MB.", size=f"{limit / MEGABYTE:.3g}")


TOO_LARGE = too_large()


def parse_roster(data: bytes) -> list[RosterRow]:
    """The members' rows of an XLSX or CSV roster (see the module docstring).

    Raises :class:`RosterRejected` when nothing can be imported: not a
    roster, no header, no mobile column, too many rows, no members, or cells
    holding formulas without a value.
    """
    if not data:
        raise RosterRejected(_l("The file is empty."))
    if data.startswith(_OLE_MAGIC):
        raise RosterRejected(SAVE_AS_XLSX)
    if data.startswith(_ZIP_MAGIC):
        rows = _parse_workbook(data)
    else:
        rows = _parse_text(_decode(data))
    if not rows:
        raise RosterRejected(_l("The roster has no members."))
    return rows


# --- header recognition ------------------------------------------------------------


def heading_key(text: str) -> str:
    """A heading reduced to what identifies it: ``'手机号码（必填）*'`` → ``'手机号码'``."""
    return "".join(_heading_words(text))


def _heading_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [word for word in _NOT_WORD.split(_HEADING_NOTE.sub("", folded)) if word]


_LABEL_INDEX = {
    heading_key(label): (key, rank)
    for key, labels in HEADER_LABELS.items()
    for rank, label in enumerate(labels)
}


def _match_heading(text: str) -> tuple[str, int] | None:
    """(column key, rank) of a heading, trying it whole, its Chinese, the rest, each word.

    ``姓名 Name`` matches by ``姓名``, ``职务/职称`` by ``职务``.
    """
    words = _heading_words(text)
    key = "".join(words)
    chinese = "".join(_CJK_CHARACTER.findall(key))
    latin = _CJK_CHARACTER.sub("", key)
    for candidate in (key, chinese, latin, *words):
        if candidate in _LABEL_INDEX:
            return _LABEL_INDEX[candidate]
    return None


def _recognise(cells: Sequence[str]) -> dict[str, int]:
    """Column key → cell index for the known headings of one row."""
    best: dict[str, tuple[int, int]] = {}
    for index, text in enumerate(cells):
        match = _match_heading(text)
        if match is None:
            continue
        key, rank = match
        if key not in best or rank < best[key][1]:
            best[key] = (index, rank)
    return {key: index for key, (index, _) in best.items()}


def _new_headings(cells: Sequence[str], columns: Mapping[str, int]) -> dict[str, int]:
    """Headings of ``cells`` for keys and cell indexes that ``columns`` does not have yet."""
    taken = set(columns.values())
    return {
        key: index
        for key, index in _recognise(cells).items()
        if key not in columns and index not in taken
    }


def _headings_above(
    above: Sequence[str], cells: Sequence[str], columns: Mapping[str, int]
) -> dict[str, int]:
    """Headings merged down over the header row, which is blank beneath them.

    Grouped headings put ``姓名`` on the second row under ``基本信息`` while
    ``单位`` spans both rows and so is only on the first.
    """
    return {
        key: index
        for key, index in _new_headings(above, columns).items()
        if index >= len(cells) or not cells[index]
    }


def _headings_below(below: Sequence[str], columns: Mapping[str, int]) -> dict[str, int]:
    """Headings of the second row of a two-row header (nothing when it is a member's row).

    Under a heading merged over both rows the second row is empty, while
    every member has a name: that tells the two apart.
    """
    name_index = columns["name"]
    if name_index < len(below) and below[name_index]:
        return {}
    return _new_headings(below, columns)


def _find_header(top: Sequence[Sequence[str]]) -> _Header | None:
    """The header among the top rows: the name column and another; else the name alone."""
    lone_name = None
    for index, cells in enumerate(top[:HEADER_SEARCH_ROWS]):
        columns = _recognise(cells)
        if "name" not in columns:
            continue
        if index:
            columns = {**_headings_above(top[index - 1], cells, columns), **columns}
        below = _headings_below(top[index + 1] if index + 1 < len(top) else (), columns)
        header = _Header(index + 1 + bool(below), {**below, **columns})
        if len(header.columns) > 1:
            return header
        lone_name = lone_name or header
    return lone_name


def _no_header() -> RosterRejected:
    return RosterRejected(
        _l(
            "This is not a roster: no column named %(label)s was found. "
            "Please download the template and fill it in.",
            label="姓名 / Name",
        )
    )


def _require_columns(header: _Header | None) -> _Header:
    if header is None:
        raise _no_header()
    if "mobile" not in header.columns:
        message = _l(
            "The roster has no column for mobile numbers (%(label)s).",
            label=TEMPLATE_HEADINGS["mobile"],
        )
        raise RosterRejected(message, [RosterProblem(None, "mobile", message)])
    return header


# --- values and rows ---------------------------------------------------------------


def clean_text(text: str) -> str:
    """NFKC, without control or zero-width characters, whitespace runs as one space."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_INVISIBLE).split())


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a mobile typed as a number: 1.3912345678E10
    return clean_text(str(value))


def _collect(
    raw_rows: Iterable[Sequence[Any]],
    header: _Header,
    cell_problems: Mapping[tuple[int, int], object] | None = None,
) -> list[RosterRow]:
    """The members' rows below the header; blank rows skipped, limits enforced early."""
    cell_problems = cell_problems or {}
    members: list[RosterRow] = []
    problems: list[RosterProblem] = []
    columns = header.columns.items()
    for number, cells in enumerate(raw_rows, start=1):
        if number <= header.last_row:
            continue
        if number > header.last_row + MAX_SHEET_ROWS:
            raise RosterRejected(_too_many_sheet_rows())
        flagged = [
            RosterProblem(number, key, cell_problems[(number, index)])
            for key, index in columns
            if (number, index) in cell_problems
        ]
        values = _row_values(cells, columns)
        if not flagged and not any(values.values()):
            continue
        if len(members) == MAX_ROWS:
            raise RosterRejected(_l("A roster can hold at most %(limit)s members.", limit=MAX_ROWS))
        problems.extend(flagged)
        members.append(RosterRow(number, values))
    if problems:
        raise RosterRejected.listing(problems)
    return members


def _row_values(cells: Sequence[Any], columns: Iterable[tuple[str, int]]) -> dict[str, str]:
    values = dict.fromkeys(COLUMNS, "")
    width = len(cells)
    for key, index in columns:
        text = _cell_text(cells[index]) if index < width else ""
        values[key] = _NAME_GAP.sub("", text) if key == "name" else text
    return values


def _too_many_sheet_rows():
    return _l(
        "The sheet has more than %(limit)s rows, counting empty ones. Delete the empty rows "
        "at the end, or copy the members into the template.",
        limit=MAX_SHEET_ROWS,
    )


# --- CSV ---------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    """The text of a CSV upload, or a refusal when it is not text at all."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decoded(data, "utf-16")
    elif b"\x00" in data:
        raise RosterRejected(NOT_A_ROSTER)
    elif data.startswith(codecs.BOM_UTF8):
        text = _decoded(data, "utf-8-sig")
    else:
        text = _decoded(data, "utf-8") or _decoded(data, "gb18030")
    # GB18030 maps most byte pairs, so binary that slips through shows as control characters.
    sample = text[:READ_CHUNK] if text else ""
    if not sample or len(_CONTROL.findall(sample)) > len(sample) // 100:
        raise RosterRejected(NOT_A_ROSTER)
    return text


def _decoded(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _csv_rows(text: str, delimiter: str):
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _parse_text(text: str) -> list[RosterRow]:
    try:
        delimiter, header = _choose_delimiter(text)
        return _collect(_csv_rows(text, delimiter), _require_columns(header))
    except csv.Error as error:
        raise RosterRejected(NOT_A_ROSTER) from error


def _choose_delimiter(text: str) -> tuple[str, _Header | None]:
    """The delimiter under which the header shows the most known columns; comma on a tie."""
    best: tuple[str, _Header | None] = (",", None)
    for delimiter in (",", "\t", ";"):
        top = [
            [clean_text(cell) for cell in cells]
            for cells in islice(_csv_rows(text, delimiter), HEADER_SEARCH_ROWS + 1)
        ]
        header = _find_header(top)
        if header and (best[1] is None or len(header.columns) > len(best[1].columns)):
            best = (delimiter, header)
    return best


# --- XLSX --------------------------------------------------------------------------


def _parse_workbook(data: bytes) -> list[RosterRow]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, warnings.catch_warnings():
            # openpyxl warns about features it drops (styles, extensions): none matter here.
            warnings.simplefilter("ignore")
            return _read_workbook(archive, data)
    except RosterRejected:
        raise
    except Exception as error:  # a damaged file fails inside openpyxl in any number of ways
        raise RosterRejected(NOT_A_ROSTER) from error


def _read_workbook(archive: zipfile.ZipFile, data: bytes) -> list[RosterRow]:
    if sum(member.file_size for member in archive.infolist()) > MAX_UNPACKED_BYTES:
        raise RosterRejected(NOT_A_ROSTER)
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()  # some programs write a wrong size; read what is there
            raw_rows = sheet.iter_rows(values_only=True)
            top = list(islice(raw_rows, HEADER_SEARCH_ROWS + 1))
            header = _find_header([[_cell_text(value) for value in cells] for cells in top])
            if header is not None:
                # openpyxl keeps the sheet's part name private; it is needed to scan formulas.
                cell_problems = _formula_problems(archive, sheet._worksheet_path)
                return _collect(chain(top, raw_rows), _require_columns(header), cell_problems)
    finally:
        workbook.close()
    raise _no_header()


def _formula_problems(archive: zipfile.ZipFile, part: str) -> dict[tuple[int, int], object]:
    """(row, 0-based column) → problem, for formulas without a usable cached value.

    The values openpyxl reads cannot tell an empty cell from a formula never
    calculated, hence this scan; it runs only if the sheet holds formulas.
    """
    xml = archive.read(part)
    if not _FORMULA_TAG.search(xml):
        return {}
    problems = {}
    # expat refuses entity expansion bombs, and openpyxl parses the same part the same way.
    for _, element in ElementTree.iterparse(io.BytesIO(xml)):  # noqa: S314
        tag = element.tag.rpartition("}")[2]
        if tag == "c":
            problem = _formula_problem(element)
            if problem is not None and element.get("r"):
                row, column = coordinate_to_tuple(element.get("r"))
                problems[(row, column - 1)] = problem
        elif tag == "row":
            element.clear()
    return problems


def _formula_problem(cell: ElementTree.Element) -> object | None:
    children = {child.tag.rpartition("}")[2]: child for child in cell}
    if "f" not in children:
        return None
    cached = children["v"].text if "v" in children else None
    if cell.get("t") == "e":
        return _l(
            "This cell shows the error %(error)s. Correct the formula or type the value.",
            error=cached or "#VALUE!",
        )
    # Excel caches an empty text result as t="str" with an empty value; that is a value.
    if not cached and cell.get("t") not in ("str", "s", "inlineStr"):
        return _l("This cell holds a formula without a value. Paste it as values instead.")
    return None


# --- checks of each row ------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def check_rows(
    rows: Sequence[RosterRow],
    categories: Mapping[str, int],
    default_category: int | None = None,
) -> tuple[list[dict], list[RosterProblem]]:
    """(people, problems): every problem of every row, and the people of the faultless rows.

    ``categories`` maps the labels a leader may write (names and codes) to
    category ids; an empty category cell takes ``default_category``. Each
    person is a dict of ``row``, ``name``, ``name_en`` (None when empty),
    ``organisation``, ``position``, ``mobile`` (E.164), ``email`` (lower
    case, or None) and ``category_id``.
    """
    if rows and default_category is None and not any(row.values.get("category") for row in rows):
        # One problem for the file, rather than one per member.
        missing = RosterProblem(
            None,
            "category",
            _l(
                "No member has a category: fill in the column %(label)s for everyone.",
                label=TEMPLATE_HEADINGS["category"],
            ),
        )
        _, problems = _check_each(rows, _category_check(categories, None, required=False))
        return [], [missing, *problems]
    return _check_each(rows, _category_check(categories, default_category, required=True))


def _check_each(
    rows: Sequence[RosterRow], category: Callable[[str], int | None]
) -> tuple[list[dict], list[RosterProblem]]:
    checks = {
        "name": _checked_name,
        "name_en": _optional_text("name_en"),
        "organisation": _limited_text("organisation"),
        "position": _limited_text("position"),
        "mobile": _checked_mobile,
        "email": _checked_email,
        "category_id": category,
    }
    people: list[dict] = []
    problems: list[RosterProblem] = []
    first_row_of = {}
    for row in rows:
        person, faults = _check_row(row, checks)
        mobile = person.get("mobile")
        if mobile in first_row_of:
            faults.append(_duplicate(row.row, first_row_of[mobile]))
        elif mobile:
            first_row_of[mobile] = row.row
        problems.extend(faults)
        if not faults:
            people.append(person)
    return people, problems


def _check_row(row: RosterRow, checks: Mapping[str, Callable]) -> tuple[dict, list]:
    person: dict[str, Any] = {"row": row.row}
    faults: list[RosterProblem] = []
    for field, check in checks.items():
        column = "category" if field == "category_id" else field
        try:
            person[field] = check(row.values.get(column, ""))
        except _Refused as refusal:
            faults.append(RosterProblem(row.row, column, refusal.message))
    return person, faults


def _duplicate(row: int, first_row: int) -> RosterProblem:
    return RosterProblem(
        row, "mobile", _l("This mobile number is also on row %(row)s.", row=first_row)
    )


def _too_long(limit: int) -> _Refused:
    return _Refused(_l("This is too long: at most %(limit)s characters.", limit=limit))


def _checked_name(text: str) -> str:
    if not text:
        raise _Refused(_l("The name is missing."))
    if len(text) > MAX_LENGTHS["name"]:
        raise _too_long(MAX_LENGTHS["name"])
    return text


def _limited_text(column: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        if len(text) > MAX_LENGTHS[column]:
            raise _too_long(MAX_LENGTHS[column])
        return text

    return check


def _optional_text(column: str) -> Callable[[str], str | None]:
    limited = _limited_text(column)
    return lambda text: limited(text) or None


def _checked_mobile(text: str) -> str:
    digits = _unquoted(text)
    if not digits:
        raise _Refused(_l("The mobile number is missing."))
    try:
        return normalise_mobile(_expanded(digits))
    except InvalidMobile as refusal:
        raise _Refused(refusal.message) from None


def _unquoted(text: str) -> str:
    """Without the tricks that keep Excel off a number: ``'139…`` and ``="139…"``."""
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    return text.lstrip("'").strip()


def _expanded(text: str) -> str:
    """A number written as a float in its digits: ``1.3912345678E+10``, ``13912345678.0``.

    Refused when Excel has rounded digits away (``1.39123E+10``).
    """
    if _WHOLE_FLOAT.fullmatch(text):
        return text.partition(".")[0]
    match = _SCIENTIFIC.fullmatch(text)
    if match is None:
        return text
    lead, fraction, exponent = match.groups()
    if len(fraction) < int(exponent):
        raise _Refused(
            _l(
                "Excel has shortened this number to %(value)s and lost digits. Format the "
                "column as text and type the numbers again.",
                value=text,
            )
        )
    return lead + fraction


def _shortened(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _checked_email(text: str) -> str | None:
    if not text:
        return None
    email = text.lower()
    domain = email.rpartition("@")[2]
    if (
        len(email) > MAX_EMAIL_LENGTH
        or not _EMAIL.fullmatch(email)
        or domain.endswith(".")
        or ".." in domain
    ):
        raise _Refused(_l("This is not a valid email address."))
    return email


def category_key(label: str) -> str:
    """Labels compare without case, width or spaces: ``'ＶＩＰ 嘉宾'`` = ``'vip嘉宾'``."""
    return "".join(unicodedata.normalize("NFKC", label).split()).casefold()


def _category_check(
    categories: Mapping[str, int], default: int | None, *, required: bool
) -> Callable[[str], int | None]:
    ids: dict[str, int] = {}
    labels: dict[str, str] = {}
    for label, category_id in categories.items():
        ids.setdefault(category_key(label), category_id)
        labels.setdefault(category_key(label), label)
    allowed = " / ".join(labels.values())

    def check(text: str) -> int | None:
        if not text:
            if default is None and required:
                raise _Refused(_l("The category is missing."))
            return default
        if category_key(text) not in ids:
            raise _Refused(
                _l(
                    "Unknown category “%(value)s”: choose one of %(allowed)s.",
                    value=_shortened(text),
                    allowed=allowed,
                )
            )
        return ids[category_key(text)]

    return check


# --- the template ------------------------------------------------------------------


def _instructions() -> list:
    return [
        _l("One member per row, from row 2 on. Please keep the headings of row 1 as they are."),
        _l(
            "%(name)s and %(mobile)s are required for every member.",
            name=TEMPLATE_HEADINGS["name"],
            mobile=TEMPLATE_HEADINGS["mobile"],
        ),
        _l(
            "%(category)s: choose from the drop-down list; the allowed categories are "
            "listed below.",
            category=TEMPLATE_HEADINGS["category"],
        ),
        _l(
            "Mobile: mainland China numbers have 11 digits; give other numbers with their "
            "country code, such as +852 9123 4567. Each number may appear only once."
        ),
        _l("English name, organisation, position and email may be left empty."),
        _l(
            "At most %(rows)s members per file, and at most %(size)s MB.",
            rows=MAX_ROWS,
            size=MAX_BYTES // MEGABYTE,
        ),
        _l("Save as .xlsx, or as CSV (UTF-8 or GBK). Old .xls files cannot be read."),
    ]


def template_xlsx(category_labels: Sequence[str], locale: str) -> bytes:
    """The roster template: headings, a category drop-down and instructions in ``locale``."""
    with force_locale(locale):
        texts = {
            "title": str(_l("How to fill in the roster")),
            "lines": [str(line) for line in _instructions()],
            "categories": str(_l("Allowed categories")),
            "choose": str(_l("Choose a category from the list.")),
        }
    workbook = Workbook()
    roster = workbook.active
    roster.title = ROSTER_SHEET
    _write_headings(roster)
    notes = workbook.create_sheet(INSTRUCTIONS_SHEET)
    choices = _write_instructions(notes, texts, category_labels)
    if category_labels:
        _add_category_choice(roster, choices, texts["choose"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _put_text(sheet, row: int, column: int, text: str):
    """A cell that stays text even when it starts with ``=`` (openpyxl would write a formula)."""
    cell = sheet.cell(row=row, column=column, value=text)
    cell.data_type = "s"
    return cell


def _write_headings(roster) -> None:
    bold = Font(bold=True)
    for number, key in enumerate(COLUMNS, start=1):
        _put_text(roster, 1, number, TEMPLATE_HEADINGS[key]).font = bold
        dimension = roster.column_dimensions[get_column_letter(number)]
        dimension.width = COLUMN_WIDTHS[key]
        if key == "mobile":
            dimension.number_format = "@"  # text, or Excel shows 1.39E+10 and drops digits
    roster.freeze_panes = "A2"


def _write_instructions(notes, texts: Mapping, category_labels: Sequence[str]) -> str:
    """Fill the instructions sheet; returns the reference of the category list."""
    notes.column_dimensions["A"].width = 100
    _put_text(notes, 1, 1, texts["title"]).font = Font(bold=True)
    for number, line in enumerate(texts["lines"], start=2):
        _put_text(notes, number, 1, line).alignment = Alignment(wrap_text=True)
    heading_row = len(texts["lines"]) + 3
    _put_text(notes, heading_row, 1, texts["categories"]).font = Font(bold=True)
    for number, label in enumerate(category_labels, start=heading_row + 1):
        _put_text(notes, number, 1, label)
    first, last = heading_row + 1, heading_row + max(len(category_labels), 1)
    return f"'{INSTRUCTIONS_SHEET}'!$A${first}:$A${last}"


def _add_category_choice(roster, choices: str, message: str) -> None:
    column = get_column_letter(COLUMNS.index("category") + 1)
    validation = DataValidation(
        type="list", formula1=choices, allow_blank=True, showErrorMessage=True, error=message
    )
    validation.add(f"{column}2:{column}{MAX_ROWS + 1}")
    roster.add_data_validation(validation)
