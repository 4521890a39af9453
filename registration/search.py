"""Finding an event's registrations: search, filters, sorting, and export rows.

Search works on partial Chinese input and on mobile numbers however they are
typed (spaces, dashes, +86, full-width digits). Export rows are fetched in
batches so that 20,000 registrations never sit in memory as ORM objects.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import ARRAY, Integer, Text, and_, any_, asc, bindparam, case, cast, desc, func, or_
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.sql import ColumnElement, Select

from app import db
from events.models import Category, Event
from registration.models import Answer, Delegation, Question, Registration
from registration.models import RegistrationStatus as Status

# --- finding registrations --------------------------------------------------------

SORTS = ("created", "name", "organisation", "category", "status")
#: Organisers read the list from what needs them most to what is settled.
STATUS_ORDER = {
    Status.PENDING: 0,
    Status.WAITLISTED: 1,
    Status.CONFIRMED: 2,
    Status.CANCELLED: 3,
    Status.REJECTED: 4,
}
NO_DELEGATION = "none"
_PHONE_LIKE = re.compile(r"[\d\s\-+().]+")


@dataclass(frozen=True)
class AttendeeFilters:
    """What the organiser asked the attendee list (and its exports) for."""

    q: str = ""
    status: Status | None = None
    category_id: int | None = None
    #: A delegation id, :data:`NO_DELEGATION` for people who came on their own, or None.
    delegation: int | str | None = None
    sort: str = "created"
    descending: bool = True


def normalise_query(raw: str) -> str:
    """NFKC turns full-width digits, letters and spaces (１３９, ＋８６) into ASCII ones."""
    return " ".join(unicodedata.normalize("NFKC", raw or "").split())


def phone_digits(query: str) -> str | None:
    """The digits to look for inside stored E.164 mobiles, if the query looks like a phone.

    ``139 0000``, ``139-0000``, ``(139) 0000`` and ``+86 139…`` all become
    digit runs, which are found inside ``+86139…``; a ``0086`` international
    prefix is read as ``86``.
    """
    if not query or not _PHONE_LIKE.fullmatch(query):
        return None
    digits = re.sub(r"\D", "", query)
    if digits.startswith("0086"):
        digits = digits[2:]
    return digits or None


def search_condition(event_id: int, raw: str) -> ColumnElement[bool] | None:
    """Every word must match a field; a query that looks like a phone number is one number.

    Matching is a case-insensitive substring, so a fragment of a Chinese name
    (``立强``) is found. A number is looked for in mobiles, in emails (many
    people use ``13912345678@163.com``) and in organisation names.
    """
    query = normalise_query(raw)
    if not query:
        return None
    if phone_digits(query):
        return _number_matches(query)
    return and_(*(_word_matches(event_id, word) for word in query.split()))


def _number_matches(text: str) -> ColumnElement[bool]:
    digits = phone_digits(text) or ""
    return or_(
        _contains(Registration.mobile, digits),
        _contains(Registration.email, digits),
        _contains(Registration.organisation, text),
    )


def _word_matches(event_id: int, word: str) -> ColumnElement[bool]:
    if phone_digits(word):
        return _number_matches(word)
    delegations = db.select(Delegation.id).where(
        Delegation.event_id == event_id, _contains(Delegation.name, word)
    )
    columns = [Registration.name, Registration.organisation]
    if _ASCII_LETTER.search(word) or any(char.isdigit() for char in word):
        # Romanised names and email addresses are Latin script: a Chinese
        # fragment cannot match them, so it is not looked for there.
        columns += [Registration.name_en, Registration.email]
    return or_(
        *(_contains(column, word) for column in columns),
        Registration.delegation_id.in_(delegations),
    )


_ASCII_LETTER = re.compile(r"[A-Za-z]")


def _contains(column, text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match, as cheap as each database allows.

    PostgreSQL needs ``ILIKE``. On SQLite ``LIKE`` already ignores ASCII case
    (``icontains`` would wrap every value in ``lower()``, doubling the cost of
    a search over 20,000 people), and text without Latin letters (Chinese,
    digits) has no case at all, so ``instr()`` does, faster still.
    """
    if db.session.get_bind().dialect.name != "sqlite":
        return column.icontains(text, autoescape=True)
    if _ASCII_LETTER.search(text):
        return column.contains(text, autoescape=True)
    return func.instr(column, text) > 0


def _conditions(event: Event, filters: AttendeeFilters) -> list[ColumnElement[bool]]:
    conditions = [Registration.event_id == event.id]
    searched = search_condition(event.id, filters.q)
    if searched is not None:
        conditions.append(searched)
    if filters.status is not None:
        conditions.append(Registration.status == filters.status)
    if filters.category_id is not None:
        conditions.append(Registration.category_id == filters.category_id)
    if filters.delegation == NO_DELEGATION:
        conditions.append(Registration.delegation_id.is_(None))
    elif filters.delegation is not None:
        conditions.append(Registration.delegation_id == filters.delegation)
    return conditions


def _ordering(filters: AttendeeFilters) -> list:
    """Sort keys, always ending with the id so that pages never overlap or skip rows."""
    keys = {
        "created": [Registration.created_at],
        "name": [Registration.name],
        "organisation": [Registration.organisation, Registration.name],
        "category": [Category.position, Category.id],
        "status": [case(STATUS_ORDER, value=Registration.status)],
    }[filters.sort if filters.sort in SORTS else "created"]
    direction = desc if filters.descending else asc
    return [direction(key) for key in [*keys, Registration.id]]


def attendee_select(event: Event, filters: AttendeeFilters) -> Select:
    """Registrations of one event as the list shows them, category and delegation preloaded."""
    statement = (
        db.select(Registration)
        .where(*_conditions(event, filters))
        .options(selectinload(Registration.category), selectinload(Registration.delegation))
    )
    if filters.sort == "category":
        statement = statement.join(Registration.category)
    return statement.order_by(*_ordering(filters))


def count_attendees(event: Event, filters: AttendeeFilters) -> int:
    statement = db.select(func.count(Registration.id)).where(*_conditions(event, filters))
    return db.session.execute(statement).scalar_one()


def delegations_of(event: Event) -> list[Delegation]:
    return list(
        db.session.execute(
            db.select(Delegation).where(Delegation.event_id == event.id).order_by(Delegation.name)
        ).scalars()
    )


def registration_answers(registration: Registration) -> list[Answer]:
    """The answers in the order the form asks its questions (question loaded with each)."""
    return list(
        db.session.execute(
            db.select(Answer)
            .join(Answer.question)
            .where(Answer.registration_id == registration.id)
            .options(contains_eager(Answer.question))
            .order_by(Question.position, Question.id)
        ).scalars()
    )


# --- exporting --------------------------------------------------------------------

EXPORT_BATCH = 1000


def active_questions(event: Event) -> list[Question]:
    return list(
        db.session.execute(
            db.select(Question)
            .where(Question.event_id == event.id, Question.active.is_(True))
            .order_by(Question.position, Question.id)
        ).scalars()
    )


def export_select(event: Event, filters: AttendeeFilters) -> Select:
    """Plain columns, not ORM objects: the rows of a 20,000-person export stay light."""
    return (
        db.select(
            Registration.id,
            Registration.name,
            Registration.name_en,
            Registration.organisation,
            Registration.position,
            Registration.mobile,
            Registration.email,
            Registration.status,
            Registration.created_at,
            Category.name_zh.label("category_zh"),
            Category.name_en.label("category_en"),
            Delegation.name.label("delegation"),
        )
        .join(Category, Registration.category_id == Category.id)
        .outerjoin(Delegation, Registration.delegation_id == Delegation.id)
        .where(*_conditions(event, filters))
        .order_by(*_ordering(filters))
    )


def export_records(
    event: Event, filters: AttendeeFilters, question_ids: Sequence[int]
) -> Iterator[tuple[object, dict[int, tuple]]]:
    """Yield ``(row, {question_id: (value, snapshot)})`` in batches of :data:`EXPORT_BATCH`.

    The registration rows are streamed (``yield_per``: a server-side cursor on
    PostgreSQL), and each batch fetches only its own answers.
    """
    result = db.session.execute(
        export_select(event, filters).execution_options(yield_per=EXPORT_BATCH)
    )
    for batch in result.partitions():
        answers = _answers_for([row.id for row in batch], question_ids)
        for row in batch:
            yield row, answers.get(row.id, {})


def _answers_for(registration_ids: list[int], question_ids: Sequence[int]):
    """Answers of one batch as ``{registration: {question: (value, snapshot)}}``.

    The JSON comes back as text and is parsed through a cache: snapshots (and
    most choice answers) repeat across thousands of people, and decoding each
    copy was most of an export's database time.
    """
    answers: dict[int, dict[int, tuple]] = {}
    if not registration_ids or not question_ids:
        return answers
    rows = db.session.execute(
        db.select(
            Answer.registration_id,
            Answer.question_id,
            cast(Answer.value, Text),
            cast(Answer.snapshot, Text),
        ).where(
            _among(Answer.registration_id, registration_ids), Answer.question_id.in_(question_ids)
        )
    )
    for registration_id, question_id, value, snapshot in rows:
        answers.setdefault(registration_id, {})[question_id] = (_json(value), _json(snapshot))
    return answers


def _among(column, ids: list[int]) -> ColumnElement[bool]:
    """``IN`` for SQLite; one array parameter (``= ANY(%s)``) for PostgreSQL.

    A thousand separate parameters per batch cost PostgreSQL and psycopg more
    than the query itself.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    return column.in_(ids)


@functools.lru_cache(maxsize=4096)
def _json(text: str | None):
    """Parsed JSON, shared between equal texts: callers must not change what they get."""
    return None if text is None else json.loads(text)
