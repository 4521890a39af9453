"""Signing up, with quotas that hold under any concurrency, and the waiting list.

Capacity rule: confirmed plus pending registrations (the *holders*) never
exceed the category's quota nor the event's capacity. A sign-up writes its
row (with the status it will most likely get) first, then locks the quota
rows and counts the holders, leaving its own row out, and corrects the status
if it must: ``SELECT … FOR NO KEY UPDATE`` on the event and then the category
row on PostgreSQL (always in that order, the same as the organiser's bulk
approval, so no two requests wait on each other crosswise; not ``FOR
UPDATE``, which would wait for the key-share locks that other sign-ups'
inserts hold on the same rows); on SQLite a no-op ``UPDATE`` of the same
rows, under the database's single write lock. Nobody else sees a row before
its commit, and the commit ends the lock: the next count sees it.

A full category offers the waiting list; a freed place goes to the oldest
waitlisted registration of that category (:func:`promote_waitlisted`).
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, update

from app import db
from events import audit
from events.dbtypes import utcnow
from events.errors import RuleError
from events.models import Category, Event, EventStatus
from registration import links
from registration.figures import HOLDING_STATUSES
from registration.models import Delegation, Registration
from registration.models import RegistrationStatus as Status
from registration.questionnaire import save_answers

ACTIVE_STATUSES = (Status.PENDING, Status.CONFIRMED, Status.WAITLISTED)


class SignupError(RuleError):
    """A rule refused the sign-up; the message is for the person signing up."""


class InvalidMobile(SignupError):
    field = "mobile"


class RegistrationClosed(SignupError):
    pass


class DuplicateMobile(SignupError):
    field = "mobile"


class QuotaFull(SignupError):
    """No place left; the person may join the waiting list instead."""


def normalise_mobile(raw: str, region: str = "CN") -> str:
    """E.164 from what people type: ``+86``, spaces, dashes, full-width digits.

    Numbers without a country code are read as Chinese. A number that is not
    a valid mobile or landline of its country is refused.
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidMobile(_l("This is not a valid mobile number.")) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidMobile(_l("This is not a valid mobile number."))
    if number.country_code == 86 and phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidMobile(_l("Please give a mobile number (11 digits, starting with 1)."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f·"
_SPACE_IN_HAN_NAME = re.compile(f"(?<=[{_HAN}]) (?=[{_HAN}])")


def normalise_name(raw: str) -> str:
    """A name as printed on badges: one space between Latin words, none between Chinese
    characters (``张 伟`` → ``张伟``), full-width letters and spaces made plain."""
    text = " ".join(unicodedata.normalize("NFKC", raw or "").split())
    return _SPACE_IN_HAN_NAME.sub("", text)


def registration_open(event: Event, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if event.status is not EventStatus.PUBLISHED:
        return False
    if event.registration_opens_at and now < event.registration_opens_at:
        return False
    closes = event.registration_closes_at or event.ends_at
    return now < closes


# The statements a sign-up runs under the quota locks are written against the
# tables, not the mapped classes: no ORM result handling while every other
# sign-up of the event waits.
_EVENTS, _CATEGORIES, _REGISTRATIONS = Event.__table__, Category.__table__, Registration.__table__

#: One statement, one round trip: its row marks lock the event's row, then the category's.
_LOCK_BOTH = (
    db.select(_EVENTS.c.id, _CATEGORIES.c.id)
    .join(_CATEGORIES, _CATEGORIES.c.event_id == _EVENTS.c.id)
    .where(_EVENTS.c.id == bindparam("event_id"), _CATEGORIES.c.id == bindparam("category_id"))
    .with_for_update(key_share=True)
)


def lock_quota_rows(event: Event, category: Category) -> None:
    """Hold the event's and the category's quota until the transaction ends."""
    if db.session.get_bind().dialect.name == "sqlite":
        for model, row_id in ((Event, event.id), (Category, category.id)):
            db.session.execute(
                update(model).where(model.id == row_id).values(id=model.id),
                execution_options={"synchronize_session": False},
            )
        return
    db.session.execute(_LOCK_BOTH, {"event_id": event.id, "category_id": category.id})


def holders(event: Event, category: Category) -> tuple[int, int]:
    """(holders in the category, holders in the event), counted in one query."""
    in_category, in_event = db.session.execute(
        db.select(
            func.count(Registration.id).filter(Registration.category_id == category.id),
            func.count(Registration.id),
        ).where(Registration.event_id == event.id, Registration.status.in_(HOLDING_STATUSES))
    ).one()
    return in_category, in_event


def free_places(event: Event, category: Category) -> int | None:
    """Places left under both limits (None: unlimited). Call with the rows locked."""
    return _places_left(event, category, *holders(event, category))


def _places_left(event: Event, category: Category, in_category: int, in_event: int):
    limits = [
        limit - held
        for limit, held in ((category.quota, in_category), (event.capacity, in_event))
        if limit is not None
    ]
    return max(min(limits), 0) if limits else None


def _race_window() -> None:
    """Tests widen the gap between counting and inserting to prove the lock matters."""
    pause = current_app.config.get("REGISTRATION_RACE_WINDOW", 0)
    if pause:
        time.sleep(pause)


@dataclass
class Person:
    name: str
    mobile: str
    organisation: str = ""
    position: str = ""
    email: str | None = None
    name_en: str | None = None


def register(
    event: Event,
    category: Category,
    person: Person,
    *,
    locale: str = "zh_Hans_CN",
    waitlist: bool = False,
    delegation: Delegation | None = None,
    actor_label: str = "public",
    check_window: bool = True,
    answers: dict | None = None,
    with_row=None,
) -> Registration:
    """Create a registration, or a waitlisted one when ``waitlist`` and no place is left.

    Raises :class:`QuotaFull` when no place is left and ``waitlist`` is false,
    so the person can be offered the waiting list; after any refusal the
    caller's transaction is as it was. ``answers`` are stored with the row;
    ``with_row(registration)`` adds what needs its id (the confirmation).
    """
    if category.event_id != event.id:
        raise SignupError(_l("Choose a category of this event."), "category")
    if check_window and not registration_open(event):
        raise RegistrationClosed(_l("Registration for this event is not open."))
    mobile = normalise_mobile(person.mobile)
    if not waitlist and _may_be_full(category):
        # Refusals first, without the lock: in a rush most people find the
        # category full, and they need not queue for the lock to learn it. A
        # place freed meanwhile is not lost: the locked count below decides.
        _check(event, category, mobile, waitlist=False)
    likely = Status.WAITLISTED if waitlist and _may_be_full(category) else None
    registration = _new_registration(event, category, person, mobile, locale)
    registration.status = likely or initial_status(event, category)
    if answers:
        save_answers(registration, answers)
    # Everything is written before the quota locks, with the likely status,
    # in a savepoint: every other sign-up of the event waits while they are
    # held, and under them only the count is left (other transactions cannot
    # see these rows until the commit). A refusal rolls the savepoint back.
    attempt = db.session.begin_nested()
    try:
        created = _insert(registration, delegation, actor_label, with_row)
        status = _decide(event, category, registration, waitlist)
    except BaseException:
        attempt.rollback()
        raise
    if status is not registration.status:  # the likely status was wrong: rare
        registration.status = status
        created.details = {**created.details, "to_status": status.value}
    return registration


def _insert(registration: Registration, delegation, actor_label: str, with_row):
    """The row, its answers, what ``with_row`` adds, and its audit entry; the entry."""
    db.session.add(registration)
    # Only once the row is in the session: the delegation's member list would
    # otherwise hold an object the savepoint's opening flush cannot write.
    registration.delegation = delegation
    db.session.flush()
    if with_row is not None:
        with_row(registration)
    created = audit.record(
        "registration.created",
        "registration",
        registration.id,
        event_id=registration.event_id,
        actor_label=actor_label,
        to_status=registration.status.value,
    )
    db.session.flush()
    return created


def _decide(event: Event, category: Category, registration: Registration, waitlist: bool):
    """The status, counted with the quota rows locked; raises when refused."""
    if current_app.config.get("REGISTRATION_LOCKING", True):
        lock_quota_rows(event, category)
    places = _check(
        event, category, registration.mobile, waitlist=waitlist, locked=True, own=registration.id
    )
    _race_window()
    return Status.WAITLISTED if places == 0 else initial_status(event, category)


def _new_registration(
    event: Event,
    category: Category,
    person: Person,
    mobile: str,
    locale: str,
) -> Registration:
    """The row to insert, its status still to be decided; not in the session yet."""
    registration = Registration(
        event=event,
        category=category,
        name=normalise_name(person.name),
        name_en=normalise_name(person.name_en or "") or None,
        organisation=(person.organisation or "").strip(),
        position=(person.position or "").strip(),
        mobile=mobile,
        email=(person.email or "").strip().lower() or None,
        locale=locale,
    )
    # Issued before the insert (no second write); the secret itself is kept on
    # the object only, for the caller to send (see ``services.welcome``).
    registration.new_manage_token = links.issue_manage_token(registration)
    return registration


#: Places left in a category when this process last counted them under the
#: lock. Only a hint, to skip the unlocked count while plenty are left: the
#: locked count decides, whatever other processes did since.
_PLACES_SEEN: dict[int, int | None] = {}
PLENTY = 20


def _may_be_full(category: Category) -> bool:
    places = _PLACES_SEEN.get(category.id, 0)  # never counted here: it may be
    return places is not None and places < PLENTY


def initial_status(event: Event, category: Category) -> Status:
    return (
        Status.PENDING if event.requires_approval or category.needs_approval else (Status.CONFIRMED)
    )


def _check(
    event: Event,
    category: Category,
    mobile: str,
    *,
    waitlist: bool,
    locked: bool = False,
    own: int = 0,
) -> int | None:
    """Places left for ``mobile``; raises when it is taken or, unless ``waitlist``, full.

    ``own``: the id of the sign-up's own row, already written, not counted.
    """
    in_category, in_event, taken = _counts(event, category, mobile, own)
    places = _places_left(event, category, in_category, in_event)
    if locked:
        _PLACES_SEEN[category.id] = places
    if taken:
        raise DuplicateMobile(_l("This mobile number is already registered for this event."))
    if places == 0 and not waitlist:
        raise QuotaFull(_l("This category is full."))
    return places


def _counts_statement():
    # Holders only (at most the quota's worth of rows, however long the
    # waiting list), and the mobile through its own index.
    rows = _REGISTRATIONS.c
    same_mobile = (
        db.select(func.count(rows.id))
        .where(
            rows.event_id == bindparam("event_id"),
            rows.mobile == bindparam("mobile"),
            rows.status.in_(ACTIVE_STATUSES),
            rows.id != bindparam("own"),
        )
        .scalar_subquery()
    )
    return db.select(
        func.count(rows.id).filter(rows.category_id == bindparam("category_id")),
        func.count(rows.id),
        same_mobile,
    ).where(
        rows.event_id == bindparam("event_id"),
        rows.status.in_(HOLDING_STATUSES),
        rows.id != bindparam("own"),
    )


#: Built once: composing the expression costs more than running it, in a rush.
_COUNTS = _counts_statement()


def _counts(event: Event, category: Category, mobile: str, own: int) -> tuple[int, int, int]:
    """Holders in the category and the event, and active registrations of ``mobile``,
    leaving out the row ``own``.

    One query for what a sign-up must know, with the quota rows locked.
    """
    values = {"event_id": event.id, "category_id": category.id, "mobile": mobile, "own": own}
    return tuple(db.session.execute(_COUNTS, values).one())


def promote_waitlisted(event: Event, category: Category, *, actor_label: str = "system"):
    """Give free places to the oldest waitlisted registrations of ``category``.

    Returns the promoted registrations; the caller sends their messages.
    """
    lock_quota_rows(event, category)
    places = free_places(event, category)
    limit = places if places is not None else None
    if limit == 0:
        return []
    statement = (
        db.select(Registration)
        .where(Registration.category_id == category.id, Registration.status == Status.WAITLISTED)
        .order_by(Registration.created_at, Registration.id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    promoted = list(db.session.execute(statement).scalars())
    for registration in promoted:
        registration.status = initial_status(event, category)
        audit.record(
            "registration.promoted",
            "registration",
            registration.id,
            event_id=event.id,
            actor_label=actor_label,
            from_status=Status.WAITLISTED.value,
            to_status=registration.status.value,
        )
    db.session.flush()
    return promoted
