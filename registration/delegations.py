"""Delegations (代表团): applications, approval, the leader's portal and roster imports.

A delegation's quota per category caps how many of its members hold places
(pending or confirmed) in that category; the category's quota and the
event's capacity still apply on top. Every change that counts places locks
the rows in one order — the event, the categories by id, then the
delegation — the same order as public sign-ups (event, category), so no two
requests ever wait on each other crosswise.

A roster import is all-or-nothing: the file is parsed and every row checked
(:mod:`registration.rosters`), then, with the rows locked, against the
people already registered and the places left. Any problem raises
:class:`~registration.rosters.RosterRejected` listing all of them, and
nothing is written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy import update as sql_update

from app import db
from events import audit
from events.dbtypes import utcnow
from events.errors import RuleError
from events.models import Category, Event, EventStatus, User
from registration import links, mail, rosters, services, signup
from registration.figures import HOLDING_STATUSES
from registration.models import (
    Delegation,
    DelegationKind,
    DelegationQuota,
    DelegationStatus,
    Registration,
)
from registration.models import RegistrationStatus as Status

LEADER = "delegation leader"
#: Rows per multi-row INSERT of a roster import. psycopg rescans a statement's
#: text for each execution and caches only short ones: 1,000-row statements
#: (SQLAlchemy's default) made 5,000 members cost a second and a half more on
#: PostgreSQL than pages of 50 (bench/roster_import.py).
INSERT_PAGE_ROWS = 50


class DelegationError(RuleError):
    """A rule refused a change to a delegation or its members."""


@dataclass
class Details:
    """What describes a delegation, as the organiser or the applying leader gives it."""

    name: str
    kind: DelegationKind
    leader_name: str
    leader_mobile: str = ""
    leader_email: str | None = None
    region: str = ""
    deadline: datetime | None = None
    expected_size: int | None = None
    #: None: keep what is stored (the organiser's form does not show the leader's note).
    application_note: str | None = None

    def apply_to(self, delegation: Delegation) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "application_note" and value is None:
                continue
            setattr(delegation, field.name, value)
        delegation.name = self.name.strip()
        delegation.leader_name = self.leader_name.strip()
        delegation.region = (self.region or "").strip()
        delegation.leader_email = (self.leader_email or "").strip().lower() or None
        delegation.leader_mobile = _leader_mobile(self.leader_mobile)


def _leader_mobile(raw: str) -> str | None:
    if not (raw or "").strip():
        return None
    try:
        return signup.normalise_mobile(raw)
    except signup.InvalidMobile as error:
        raise DelegationError(error.message, "leader_mobile") from None


def _require_contact(delegation: Delegation) -> None:
    if not delegation.leader_mobile and not delegation.leader_email:
        raise DelegationError(_l("Give the leader's mobile or email."), "leader_mobile")


# --- the organiser's side -------------------------------------------------------------


def create(event: Event, details: Details, quotas: dict[int, int], actor: User) -> Delegation:
    """A delegation the organiser sets up: approved at once, the leader invited."""
    delegation = Delegation(event=event, status=DelegationStatus.APPROVED)
    details.apply_to(delegation)
    _require_contact(delegation)
    db.session.add(delegation)
    set_quotas(delegation, quotas)
    db.session.flush()
    audit.record("delegation.created", "delegation", delegation.id, event_id=event.id, actor=actor)
    return delegation


def update(delegation: Delegation, details: Details, quotas: dict[int, int], actor: User) -> None:
    # Quotas change under the same locks as members are added: neither sees half the other.
    lock_places(delegation, delegation.event.categories)
    details.apply_to(delegation)
    _require_contact(delegation)
    set_quotas(delegation, quotas)
    db.session.flush()
    audit.record(
        "delegation.updated",
        "delegation",
        delegation.id,
        event_id=delegation.event_id,
        actor=actor,
    )


def set_quotas(delegation: Delegation, quotas: dict[int, int]) -> None:
    """Places per category id; a category left out may not be used by the delegation.

    A quota may not drop below the members already holding places in it.
    """
    categories = {c.id: c for c in delegation.event.categories}
    held = member_counts(delegation, HOLDING_STATUSES) if delegation.id else Counter()
    for category_id, places in quotas.items():
        if category_id not in categories or places is None or places < 0:
            raise DelegationError(_l("Choose categories of this event."))
        if places < held[category_id]:
            raise DelegationError(
                _l(
                    "%(category)s: %(held)d members already hold places; the quota cannot "
                    "be lower.",
                    category=categories[category_id].name_zh,
                    held=held[category_id],
                )
            )
    for category_id in held:
        if held[category_id] and category_id not in quotas:
            raise DelegationError(
                _l(
                    "%(category)s: members already hold places; keep a quota for it.",
                    category=categories[category_id].name_zh,
                )
            )
    existing = {q.category_id: q for q in delegation.quotas}
    for category_id, quota in existing.items():
        if category_id not in quotas:
            delegation.quotas.remove(quota)
    for category_id, places in quotas.items():
        if category_id in existing:
            existing[category_id].places = places
        else:
            delegation.quotas.append(DelegationQuota(category_id=category_id, places=places))


def approve(delegation: Delegation, actor: User) -> None:
    """An application → approved; the caller then invites the leader."""
    if delegation.status is not DelegationStatus.PENDING:
        raise DelegationError(_l("Only a pending application can be approved."))
    if not any(q.places for q in delegation.quotas):
        raise DelegationError(
            _l("Give the delegation places in at least one category before approving it.")
        )
    _set_status(delegation, DelegationStatus.APPROVED, "delegation.approved", actor)


def reject(delegation: Delegation, actor: User, message: str = "") -> None:
    """An application → rejected, the leader told why (when they gave an email)."""
    if delegation.status is not DelegationStatus.PENDING:
        raise DelegationError(_l("Only a pending application can be rejected."))
    details = {"message": message} if message else {}
    _set_status(delegation, DelegationStatus.REJECTED, "delegation.rejected", actor, **details)
    if delegation.leader_email:
        mail.queue(
            "delegation_rejected",
            delegation.leader_email,
            locale=delegation.locale,
            event=delegation.event,
            delegation=delegation,
            note=message,
        )


def _set_status(delegation, status, action, actor, **details) -> None:
    before = delegation.status
    delegation.status = status
    db.session.flush()
    audit.record(
        action,
        "delegation",
        delegation.id,
        event_id=delegation.event_id,
        actor=actor,
        from_status=before.value,
        to_status=status.value,
        **details,
    )


def invite(delegation: Delegation, actor: User | None = None) -> str:
    """A new portal link for the leader, emailed when there is an address; returns the link.

    Earlier links stop working. Organisers also see the link, for leaders who
    gave a mobile only (they pass it on by phone or message).
    """
    if delegation.status is not DelegationStatus.APPROVED:
        raise DelegationError(_l("Approve the delegation before inviting its leader."))
    url = links.portal_url(links.issue_portal_token(delegation))
    delegation.invited_at = utcnow()
    if delegation.leader_email:
        mail.queue(
            "delegation_invitation",
            delegation.leader_email,
            locale=delegation.locale,
            event=delegation.event,
            delegation=delegation,
            portal_url=url,
        )
    audit.record(
        "delegation.invited", "delegation", delegation.id, event_id=delegation.event_id, actor=actor
    )
    return url


def apply(event: Event, details: Details, locale: str) -> Delegation:
    """A leader's public application, pending until an organiser approves it."""
    if not signup.registration_open(event):
        raise DelegationError(_l("Registration for this event is not open."))
    delegation = Delegation(event=event, status=DelegationStatus.PENDING, locale=locale)
    details.apply_to(delegation)
    _require_contact(delegation)
    db.session.add(delegation)
    db.session.flush()
    audit.record(
        "delegation.applied", "delegation", delegation.id, event_id=event.id, actor_label=LEADER
    )
    return delegation


# --- counting ---------------------------------------------------------------------------


def member_counts(delegation: Delegation, statuses) -> Counter:
    """Members per category id in ``statuses``."""
    rows = db.session.execute(
        db.select(Registration.category_id, func.count(Registration.id))
        .where(Registration.delegation_id == delegation.id, Registration.status.in_(statuses))
        .group_by(Registration.category_id)
    )
    return Counter(dict(rows.all()))


@dataclass
class Figures:
    expected: int | None = None
    registered: int = 0  # active: pending, confirmed or waitlisted
    approved: int = 0  # confirmed
    pending: int = 0


def figures_by_delegation(event: Event) -> dict[int, Figures]:
    """Expected, registered and approved members of each delegation of ``event``."""
    delegations = list(
        db.session.execute(db.select(Delegation).where(Delegation.event_id == event.id)).scalars()
    )
    result = {d.id: Figures(expected=d.expected) for d in delegations}
    rows = db.session.execute(
        db.select(Registration.delegation_id, Registration.status, func.count(Registration.id))
        .where(Registration.event_id == event.id, Registration.delegation_id.is_not(None))
        .group_by(Registration.delegation_id, Registration.status)
    )
    for delegation_id, status, count in rows:
        entry = result.setdefault(delegation_id, Figures())
        if status in signup.ACTIVE_STATUSES:
            entry.registered += count
        if status is Status.CONFIRMED:
            entry.approved += count
        if status is Status.PENDING:
            entry.pending += count
    return result


# --- the leader's portal ------------------------------------------------------------------


def closes_at(delegation: Delegation) -> datetime:
    event = delegation.event
    return delegation.deadline or event.registration_closes_at or event.ends_at


def portal_open(delegation: Delegation, now: datetime | None = None) -> bool:
    """May the leader still change members? Until the deadline, on a live event."""
    if delegation.status is not DelegationStatus.APPROVED:
        return False
    if delegation.event.status is EventStatus.ARCHIVED:
        return False
    return (now or utcnow()) < closes_at(delegation)


def _require_open(delegation: Delegation) -> None:
    if not portal_open(delegation):
        raise DelegationError(_l("The deadline for changing this delegation has passed."))


def usable_categories(delegation: Delegation) -> list[Category]:
    """The categories the delegation has places in, in the event's order."""
    ids = {q.category_id for q in delegation.quotas}
    return [c for c in delegation.event.categories if c.id in ids]


def lock_places(delegation: Delegation, categories) -> None:
    """Hold the event's, the categories' and the delegation's counts until commit."""
    event = delegation.event
    ordered = sorted({c.id for c in categories})
    if db.session.get_bind().dialect.name == "sqlite":
        # The first write takes SQLite's single write lock: enough for every row.
        db.session.execute(
            sql_update(Event).where(Event.id == event.id).values(id=Event.id),
            execution_options={"synchronize_session": False},
        )
    else:
        _lock_rows_in_order(event, ordered, delegation)
    # Places read before the lock may be stale: read them again under it.
    db.session.expire(delegation, ["quotas"])


def _lock_rows_in_order(event: Event, category_ids: list[int], delegation: Delegation) -> None:
    # FOR NO KEY UPDATE, as a public sign-up locks them: it excludes the other
    # counters but not the key-share locks of rows being inserted that refer
    # to these (a sign-up writes its row before it takes the locks).
    db.session.execute(
        db.select(Event.id).where(Event.id == event.id).with_for_update(key_share=True)
    )
    if category_ids:
        db.session.execute(
            db.select(Category.id)
            .where(Category.id.in_(category_ids))
            .order_by(Category.id)
            .with_for_update(key_share=True)
        )
    db.session.execute(
        db.select(Delegation.id)
        .where(Delegation.id == delegation.id)
        .with_for_update(key_share=True)
    )


def _require_delegation_place(delegation: Delegation, category: Category) -> None:
    places = delegation.places_for(category.id)
    if places is None:
        raise DelegationError(_l("Your delegation has no places in this category."), "category")
    if member_counts(delegation, HOLDING_STATUSES)[category.id] >= places:
        raise DelegationError(
            _l(
                "Your delegation's %(places)d places in this category are all taken.",
                places=places,
            ),
            "category",
        )


def add_member(delegation: Delegation, category: Category, person: signup.Person) -> Registration:
    """One member added by the leader, emailed a confirmation when they have an address."""
    _require_open(delegation)
    if category.event_id != delegation.event_id:
        raise DelegationError(_l("Choose a category of this event."), "category")
    lock_places(delegation, [category])
    _require_delegation_place(delegation, category)
    try:
        registration = signup.register(
            delegation.event,
            category,
            person,
            locale=delegation.locale,
            delegation=delegation,
            actor_label=LEADER,
            check_window=False,
        )
    except signup.QuotaFull:
        raise DelegationError(
            _l("No places are left in this category for the event."), "category"
        ) from None
    services.welcome(registration)
    return registration


def member_of(delegation: Delegation, registration_id: int) -> Registration | None:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.delegation_id != delegation.id:
        return None
    return registration


def update_member(
    delegation: Delegation,
    registration: Registration,
    person: signup.Person,
    category: Category,
) -> None:
    """The leader corrects a member's details or moves them to another category."""
    _require_open(delegation)
    if registration.status not in signup.ACTIVE_STATUSES:
        raise DelegationError(_l("This member's registration is no longer active."))
    mobile = signup.normalise_mobile(person.mobile)
    if mobile != registration.mobile:
        _refuse_taken_mobile(delegation.event, mobile, registration.id)
    if category.id != registration.category_id:
        _move_member(delegation, registration, category)
    registration.name = signup.normalise_name(person.name)
    registration.name_en = signup.normalise_name(person.name_en or "") or None
    registration.organisation = person.organisation.strip()
    registration.position = (person.position or "").strip()
    registration.email = (person.email or "").strip().lower() or None
    registration.mobile = mobile
    services.record_self_service(registration, "registration.updated", actor_label=LEADER)


def _refuse_taken_mobile(event: Event, mobile: str, own_id: int) -> None:
    taken = db.session.execute(
        db.select(Registration.id).where(
            Registration.event_id == event.id,
            Registration.mobile == mobile,
            Registration.status.in_(signup.ACTIVE_STATUSES),
            Registration.id != own_id,
        )
    ).first()
    if taken is not None:
        raise signup.DuplicateMobile(_l("This mobile number is already registered for this event."))


def _move_member(delegation: Delegation, registration: Registration, category: Category) -> None:
    if category.event_id != delegation.event_id:
        raise DelegationError(_l("Choose a category of this event."), "category")
    lock_places(delegation, [category])
    if registration.status in HOLDING_STATUSES:
        _require_delegation_place(delegation, category)
    try:
        services.move_category(registration, category, None, actor_label=LEADER)
    except services.CannotChange:
        raise DelegationError(
            _l("No places are left in this category for the event."), "category"
        ) from None
    needs = signup.initial_status(delegation.event, category)
    if registration.status is Status.CONFIRMED and needs is Status.PENDING:
        # The new category asks for approval: the leader cannot confirm anyone into it.
        registration.status = Status.PENDING
        db.session.flush()
        audit.record(
            "registration.awaiting_approval",
            "registration",
            registration.id,
            event_id=registration.event_id,
            actor_label=LEADER,
            from_status=Status.CONFIRMED.value,
            to_status=Status.PENDING.value,
        )


def remove_member(delegation: Delegation, registration: Registration) -> None:
    """The leader takes a member off: their registration is cancelled, the place freed."""
    _require_open(delegation)
    try:
        services.cancel(registration, None, actor_label=LEADER)
    except services.CannotChange:
        raise DelegationError(_l("This member's registration is no longer active.")) from None


# --- roster import --------------------------------------------------------------------------


def category_labels(delegation: Delegation) -> dict[str, int]:
    """What a roster may write in its category column: either name or the code."""
    labels: dict[str, int] = {}
    for category in usable_categories(delegation):
        for label in (category.name_zh, category.name_en, category.code):
            if label:
                labels[label] = category.id
    return labels


def import_roster(delegation: Delegation, data: bytes) -> list[Registration]:
    """Register every member of a roster file, or none; see the module's docstring."""
    _require_open(delegation)
    categories = usable_categories(delegation)
    default = categories[0].id if len(categories) == 1 else None
    rows = rosters.parse_roster(data)
    people, problems = rosters.check_rows(rows, category_labels(delegation), default)
    lock_places(delegation, categories)
    problems += _already_registered(delegation, people)
    problems += _over_quota(delegation, categories, people)
    if problems:
        raise rosters.RosterRejected(
            _l("Nothing was imported: please correct the roster."),
            problems=sorted(problems, key=lambda p: (p.row or 0, p.column or "")),
        )
    return _insert_members(delegation, {c.id: c for c in categories}, people)


def _already_registered(delegation: Delegation, people: list[dict]) -> list:
    mobiles = [person["mobile"] for person in people]
    taken: dict[str, int | None] = {}
    for start in range(0, len(mobiles), 900):  # well under every driver's parameter limit
        rows = db.session.execute(
            db.select(Registration.mobile, Registration.delegation_id).where(
                Registration.event_id == delegation.event_id,
                Registration.mobile.in_(mobiles[start : start + 900]),
                Registration.status.in_(signup.ACTIVE_STATUSES),
            )
        )
        taken.update(rows.all())
    problems = []
    for person in people:
        if person["mobile"] not in taken:
            continue
        message = (
            _l("Already a member of your delegation.")
            if taken[person["mobile"]] == delegation.id
            else _l("This mobile number is already registered for this event.")
        )
        problems.append(rosters.RosterProblem(person["row"], "mobile", message))
    return problems


def _over_quota(delegation: Delegation, categories: list[Category], people: list[dict]) -> list:
    """Rows beyond the delegation's places, the category's quota or the event's capacity."""
    event = delegation.event
    by_id = {c.id: c for c in categories}
    own = member_counts(delegation, HOLDING_STATUSES)
    in_category = Counter(
        dict(
            db.session.execute(
                db.select(Registration.category_id, func.count(Registration.id))
                .where(
                    Registration.category_id.in_(list(by_id)),
                    Registration.status.in_(HOLDING_STATUSES),
                )
                .group_by(Registration.category_id)
            ).all()
        )
    )
    in_event = signup.holders(event, categories[0])[1] if categories else 0
    problems = []
    for person in people:
        category = by_id.get(person["category_id"])
        if category is None:
            continue
        message = _place_refusal(
            delegation, category, own[category.id], in_category[category.id], in_event
        )
        if message is not None:
            problems.append(rosters.RosterProblem(person["row"], "category", message))
            continue
        own[category.id] += 1
        in_category[category.id] += 1
        in_event += 1
    return problems


def _place_refusal(delegation, category, own: int, in_category: int, in_event: int):
    places = delegation.places_for(category.id) or 0
    if own >= places:
        return _l(
            "Quota exceeded: your delegation has %(places)d places in %(category)s.",
            places=places,
            category=category.name_for(delegation.locale),
        )
    if category.quota is not None and in_category >= category.quota:
        return _l(
            "No places are left in %(category)s for the event.",
            category=category.name_for(delegation.locale),
        )
    capacity = delegation.event.capacity
    if capacity is not None and in_event >= capacity:
        return _l("The event is full.")
    return None


def _insert_members(delegation: Delegation, categories: dict, people: list[dict]) -> list:
    """One batch of inserts: the rows (manage links issued first), then audit and mail."""
    event = delegation.event
    members, tokens = [], []
    for person in people:
        category = categories[person["category_id"]]
        registration = Registration(
            event=event,
            category=category,
            delegation=delegation,
            status=signup.initial_status(event, category),
            name=signup.normalise_name(person["name"]),
            name_en=signup.normalise_name(person["name_en"] or "") or None,
            organisation=person["organisation"],
            position=person["position"],
            mobile=person["mobile"],
            email=person["email"],
            locale=delegation.locale,
        )
        tokens.append(links.issue_manage_token(registration))
        members.append(registration)
    db.session.connection().execution_options(insertmanyvalues_page_size=INSERT_PAGE_ROWS)
    db.session.add_all(members)
    db.session.flush()
    for registration, token in zip(members, tokens, strict=True):
        audit.record(
            "registration.created",
            "registration",
            registration.id,
            event_id=event.id,
            actor_label=LEADER,
            to_status=registration.status.value,
            source="roster",
        )
        services.welcome(registration, token, flush=False)
    audit.record(
        "delegation.roster_imported",
        "delegation",
        delegation.id,
        event_id=event.id,
        actor_label=LEADER,
        rows=len(members),
    )
    db.session.flush()
    return members
