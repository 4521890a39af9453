"""Arrivals live: the organiser's view of who has come in, and who has not.

A person is *admitted* once they have at least one check-in in state ``in``
(anywhere, or at one checkpoint for that checkpoint's figure); *expected*
means a confirmed registration. Every figure is counted by the database in a
few grouped queries, so the page costs the same handful of queries for 50
people or 5,000. ``static/js/arrivals.js`` re-fetches the same figures as an
HTML fragment every 15 seconds; without it the page is complete, only still.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm import joinedload, selectinload

from app import db
from events.auth import event_role_required
from events.charts import BarChart, daily_bars
from events.dbtypes import utcnow
from events.forms import EmptyForm
from events.models import Category, Event, EventRole
from registration.checkin import services
from registration.checkin.forms import check_in_state_label
from registration.checkin.models import (
    CheckIn,
    CheckInConflict,
    CheckInState,
    Checkpoint,
    CheckpointKind,
    ScanAttempt,
)
from registration.checkin.services import Result, Scanner
from registration.models import Delegation, Registration, RegistrationStatus

bp = Blueprint("arrivals", __name__, url_prefix="/manage")

BUCKET = timedelta(minutes=10)
#: Three days of ten-minute bars at most: a stray test scan weeks before the
#: event must not turn the chart into thousands of hairlines.
MAX_BUCKETS = 3 * 24 * 6
RECENT_SCANS = 20
#: Names listed per delegation on the live page; the printable list has them all.
MISSING_NAMES_SHOWN = 30
MAX_CONFLICTS = 100
REFRESH_SECONDS = 15

#: Refusals as the organiser's table names them (the scanner's own words are
#: written for the person at the door).
REFUSAL_LABELS = {
    Result.ALREADY: _l("Already admitted"),
    Result.NOT_ALLOWED: _l("Category not admitted here"),
    Result.OUTSIDE_WINDOW: _l("Outside opening hours"),
    Result.CANCELLED: _l("Registration cancelled"),
    Result.PENDING: _l("Not yet approved"),
    Result.WAITLISTED: _l("On the waiting list"),
    Result.REVOKED: _l("Replaced badge"),
    Result.UNKNOWN: _l("Unknown code"),
    Result.WRONG_EVENT: _l("Another event's badge"),
}


@bp.before_request
def _personal_data():
    g.no_store = True  # names, mobiles and who came when


# --- figures -------------------------------------------------------------------------


def _percent(part: int, whole: int | None) -> int | None:
    return round(100 * part / whole) if whole else None


@dataclass
class Tally:
    admitted: int = 0
    expected: int = 0
    #: Expected but not admitted anywhere yet.
    missing: int = 0

    def __iadd__(self, other: Tally) -> Tally:
        self.admitted += other.admitted
        self.expected += other.expected
        self.missing += other.missing
        return self

    @property
    def percent(self) -> int | None:
        return _percent(self.admitted, self.expected)


@dataclass
class CheckpointFigures:
    checkpoint: Checkpoint
    admitted: int
    left: int
    #: None at an exit, where nobody is expected.
    expected: int | None
    last_scan: datetime | None

    @property
    def percent(self) -> int | None:
        return _percent(self.admitted, self.expected)


@dataclass
class DelegationFigures:
    delegation: Delegation
    tally: Tally
    missing_names: list[str]

    @property
    def more_missing(self) -> int:
        return self.tally.missing - len(self.missing_names)


@dataclass
class ArrivalChart:
    bars: BarChart
    #: The bars cross midnight: labels then carry the date.
    several_days: bool
    #: Arrivals older than MAX_BUCKETS bars are left out.
    cut: bool


@dataclass
class RecentScan:
    attempt: ScanAttempt
    person: str | None
    check_in: CheckIn | None

    @property
    def undoable(self) -> bool:
        return (
            self.attempt.result == Result.OK
            and self.check_in is not None
            and self.check_in.state in services.UNDOABLE
        )


@dataclass
class Arrivals:
    total: Tally
    checkpoints: list[CheckpointFigures]
    categories: list[tuple[Category, Tally]]
    delegations: list[DelegationFigures]
    individuals: Tally
    chart: ArrivalChart | None
    conflicts: list[CheckInConflict]
    recent: list[RecentScan]
    generated_at: datetime = field(default_factory=utcnow)


def arrivals_of(event: Event) -> Arrivals:
    tallies = _tallies(event.id)
    by_category = _sum_by(tallies, lambda key: key[0])
    by_delegation = _sum_by(tallies, lambda key: key[1])
    total = Tally()
    for tally in by_category.values():
        total += tally
    return Arrivals(
        total=total,
        checkpoints=_checkpoint_figures(event, by_category),
        categories=[(c, by_category.get(c.id, Tally())) for c in event.categories],
        delegations=_delegation_figures(event.id, by_delegation),
        individuals=by_delegation.get(None, Tally()),
        chart=arrival_chart(first_admission_times(event.id), event.zone),
        conflicts=open_conflicts(event.id),
        recent=recent_scans(event.id),
    )


def _admitted():
    """Has the registration a standing admission anywhere? One index probe a person.

    Correlated on purpose: an anti-join against a grouped subquery is planned
    as a nested loop over the whole group when the statistics are stale
    (right after a bulk import, or the morning rush), seconds for 5,000 people.
    """
    return (
        db.select(CheckIn.id)
        .where(CheckIn.registration_id == Registration.id, CheckIn.state == CheckInState.IN)
        .exists()
    )


def _tallies(event_id: int) -> dict[tuple[int, int | None], Tally]:
    """A tally per (category, delegation) pair: one grouped query for every table."""
    came = _admitted()
    confirmed = Registration.status == RegistrationStatus.CONFIRMED
    rows = db.session.execute(
        db.select(
            Registration.category_id,
            Registration.delegation_id,
            func.count(Registration.id).filter(came),
            func.count(Registration.id).filter(confirmed),
            func.count(Registration.id).filter(confirmed, ~came),
        )
        .where(Registration.event_id == event_id)
        .group_by(Registration.category_id, Registration.delegation_id)
    )
    return {
        (category_id, delegation_id): Tally(admitted, expected, missing)
        for category_id, delegation_id, admitted, expected, missing in rows
    }


def _sum_by(tallies: dict, key_of) -> dict:
    sums: dict = {}
    for key, tally in tallies.items():
        total = sums.setdefault(key_of(key), Tally())
        total += tally
    return sums


def _checkpoint_figures(event: Event, by_category: dict[int, Tally]) -> list[CheckpointFigures]:
    checkpoints = db.session.execute(
        db.select(Checkpoint)
        .where(Checkpoint.event_id == event.id)
        .options(selectinload(Checkpoint.categories))
        .order_by(Checkpoint.active.desc(), Checkpoint.position, Checkpoint.id)
    ).scalars()
    counts = _checkpoint_counts(event.id)
    figures = []
    for checkpoint in checkpoints:
        admitted, left, last_scan = counts.get(checkpoint.id, (0, 0, None))
        if not checkpoint.active and last_scan is None:
            continue  # a retired door nobody passed says nothing about today
        figures.append(
            CheckpointFigures(
                checkpoint, admitted, left, _expected_at(checkpoint, by_category), last_scan
            )
        )
    return figures


def _checkpoint_counts(event_id: int) -> dict[int, tuple[int, int, datetime | None]]:
    """Per checkpoint: distinct people admitted, distinct people out, the latest pass."""
    people = func.count(func.distinct(CheckIn.registration_id))
    passed = (CheckInState.IN, CheckInState.REENTRY, CheckInState.EXIT)
    rows = db.session.execute(
        db.select(
            CheckIn.checkpoint_id,
            people.filter(CheckIn.state == CheckInState.IN),
            people.filter(CheckIn.state == CheckInState.EXIT),
            func.max(CheckIn.scanned_at).filter(CheckIn.state.in_(passed)),
        )
        .where(CheckIn.event_id == event_id)
        .group_by(CheckIn.checkpoint_id)
    )
    return {checkpoint_id: (admitted, left, last) for checkpoint_id, admitted, left, last in rows}


def _expected_at(checkpoint: Checkpoint, by_category: dict[int, Tally]) -> int | None:
    if checkpoint.kind is CheckpointKind.EXIT:
        return None
    allowed = [c.id for c in checkpoint.categories] or list(by_category)
    return sum(by_category[c].expected for c in allowed if c in by_category)


def _delegation_figures(event_id: int, by_delegation: dict) -> list[DelegationFigures]:
    delegations = db.session.execute(
        db.select(Delegation)
        .where(Delegation.event_id == event_id)
        .order_by(Delegation.name, Delegation.id)
    ).scalars()
    names = _missing_names(event_id)
    figures = []
    for delegation in delegations:
        tally = by_delegation.get(delegation.id)
        if tally is not None and (tally.expected or tally.admitted):
            figures.append(DelegationFigures(delegation, tally, names.get(delegation.id, [])))
    return figures


def _missing_names(event_id: int) -> dict[int, list[str]]:
    """The first names (alphabetically) of each delegation's confirmed people not yet in."""
    rank = (
        func.row_number()
        .over(
            partition_by=Registration.delegation_id, order_by=(Registration.name, Registration.id)
        )
        .label("rank")
    )
    ranked = (
        db.select(Registration.delegation_id, Registration.name, rank)
        .where(
            Registration.event_id == event_id,
            Registration.delegation_id.is_not(None),
            Registration.status == RegistrationStatus.CONFIRMED,
            ~_admitted(),
        )
        .subquery()
    )
    rows = db.session.execute(
        db.select(ranked.c.delegation_id, ranked.c.name)
        .where(ranked.c.rank <= MISSING_NAMES_SHOWN)
        .order_by(ranked.c.delegation_id, ranked.c.rank)
    )
    return {
        delegation_id: [name for _id, name in group]
        for delegation_id, group in groupby(rows, key=lambda row: row[0])
    }


# --- arrivals per ten minutes ------------------------------------------------------------


def first_admission_times(event_id: int) -> list[datetime]:
    """Each admitted person once, at their earliest standing admission."""
    return list(
        db.session.execute(
            db.select(func.min(CheckIn.scanned_at))
            .where(CheckIn.event_id == event_id, CheckIn.state == CheckInState.IN)
            .group_by(CheckIn.registration_id)
        ).scalars()
    )


def bucket_start(moment: datetime, zone: ZoneInfo) -> datetime:
    """The start (in UTC) of the ten minutes of the zone's clock that hold ``moment``.

    Floored on the local clock, not in UTC: in a zone ahead by 5:45 the
    buckets start at :00, :10… of the venue's time, as its people read it.
    """
    local = moment.astimezone(zone)
    floored = local.replace(minute=local.minute - local.minute % 10, second=0, microsecond=0)
    return floored.astimezone(UTC)


def ten_minute_counts(moments: list[datetime], zone: ZoneInfo) -> tuple[list, bool]:
    """Arrivals per bucket, every bucket from the first to the last (quiet ones as zero).

    Returns the series of (bucket start in UTC, count) and whether older
    buckets were left out to keep within MAX_BUCKETS.
    """
    counts = Counter(bucket_start(moment, zone) for moment in moments)
    if not counts:
        return [], False
    last = max(counts)
    first = max(min(counts), last - BUCKET * (MAX_BUCKETS - 1))
    steps = (last - first) // BUCKET + 1
    series = [(first + BUCKET * n, counts.get(first + BUCKET * n, 0)) for n in range(steps)]
    return series, first > min(counts)


def arrival_chart(moments: list[datetime], zone: ZoneInfo) -> ArrivalChart | None:
    series, cut = ten_minute_counts(moments, zone)
    if not series:
        return None
    # A datetime is a date: the day chart's geometry serves ten-minute bars as well.
    bars = daily_bars(series, width=960, height=180, max_labels=8)
    first_day = series[0][0].astimezone(zone).date()
    several_days = series[-1][0].astimezone(zone).date() != first_day
    return ArrivalChart(bars, several_days, cut)


# --- trouble at the doors ----------------------------------------------------------------


def open_conflicts(event_id: int) -> list[CheckInConflict]:
    """Pairs of offline admissions of one person, newest first, with all the table shows."""
    sides = []
    for side in (CheckInConflict.kept, CheckInConflict.superseded):
        sides += [
            joinedload(side).joinedload(CheckIn.registration),
            joinedload(side).joinedload(CheckIn.checkpoint),
            joinedload(side).joinedload(CheckIn.staff),
            joinedload(side).joinedload(CheckIn.device),
        ]
    return list(
        db.session.execute(
            db.select(CheckInConflict)
            .where(CheckInConflict.event_id == event_id)
            .options(*sides)
            .order_by(CheckInConflict.detected_at.desc(), CheckInConflict.id.desc())
            .limit(MAX_CONFLICTS)
        ).scalars()
    )


def recent_scans(event_id: int) -> list[RecentScan]:
    rows = db.session.execute(
        db.select(ScanAttempt, Registration.name, CheckIn)
        .outerjoin(Registration, Registration.id == ScanAttempt.registration_id)
        .outerjoin(CheckIn, CheckIn.id == ScanAttempt.check_in_id)
        .where(ScanAttempt.event_id == event_id)
        .options(
            joinedload(ScanAttempt.checkpoint),
            joinedload(ScanAttempt.staff),
            joinedload(ScanAttempt.device),
        )
        .order_by(ScanAttempt.recorded_at.desc(), ScanAttempt.id.desc())
        .limit(RECENT_SCANS)
    )
    return [RecentScan(attempt, name, check_in) for attempt, name, check_in in rows]


def scan_label(scan: RecentScan) -> str:
    """What came of a scan: the check-in's state as it is now, or why it was refused."""
    result = scan.attempt.result
    if result == Result.OK:
        state = scan.check_in.state if scan.check_in is not None else CheckInState.IN
        return check_in_state_label(state)
    label = REFUSAL_LABELS.get(result)
    return str(label) if label is not None else result


def scan_tone(scan: RecentScan) -> str:
    """The Bootstrap colour of the result's badge."""
    result = scan.attempt.result
    if result == Result.OK:
        standing = scan.check_in is None or scan.check_in.state in services.UNDOABLE
        return "success" if standing else "secondary"
    return "warning" if result == Result.ALREADY else "danger"


def scanned_by(check_in_or_attempt) -> str:
    """Who scanned: the staff member's name, else the device's."""
    if check_in_or_attempt.staff is not None:
        return check_in_or_attempt.staff.display_name
    if check_in_or_attempt.device is not None:
        return check_in_or_attempt.device.name
    return ""


# --- no-shows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoShow:
    id: int
    name: str
    name_en: str | None
    organisation: str
    position: str
    mobile: str | None
    category_id: int


@dataclass
class NoShowGroup:
    #: None for the people who registered on their own.
    delegation: Delegation | None
    people: list[NoShow]


def no_show_groups(
    event: Event, *, category_id: int | None = None, delegation_id: int | None = None
) -> list[NoShowGroup]:
    """Confirmed people with no admission, by delegation (by name), then individuals."""
    statement = (
        db.select(
            Registration.delegation_id,
            Registration.id,
            Registration.name,
            Registration.name_en,
            Registration.organisation,
            Registration.position,
            Registration.mobile,
            Registration.category_id,
        )
        .outerjoin(Delegation, Delegation.id == Registration.delegation_id)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            ~_admitted(),
        )
        .order_by(
            Registration.delegation_id.is_(None),
            Delegation.name,
            Delegation.id,
            Registration.name,
            Registration.id,
        )
    )
    if category_id is not None:
        statement = statement.where(Registration.category_id == category_id)
    if delegation_id is not None:
        statement = statement.where(Registration.delegation_id == delegation_id)
    delegations = _delegations_by_id(event.id)
    return [
        NoShowGroup(delegations.get(key), [NoShow(*row[1:]) for row in rows])
        for key, rows in groupby(db.session.execute(statement), key=lambda row: row[0])
    ]


def _delegations_by_id(event_id: int) -> dict[int, Delegation]:
    found = db.session.execute(db.select(Delegation).where(Delegation.event_id == event_id))
    return {delegation.id: delegation for delegation in found.scalars()}


# --- views -----------------------------------------------------------------------------------


def _page_context(event: Event) -> dict:
    return {
        "event": event,
        "arrivals": arrivals_of(event),
        "scan_label": scan_label,
        "scan_tone": scan_tone,
        "scanned_by": scanned_by,
        "refresh_seconds": REFRESH_SECONDS,
        "bucket": BUCKET,
    }


@bp.get("/<int:event_id>/arrivals")
@event_role_required(EventRole.ORGANISER)
def index(event: Event):
    return render_template("checkin/arrivals.html", **_page_context(event))


@bp.get("/<int:event_id>/arrivals/live")
@event_role_required(EventRole.ORGANISER)
def live(event: Event):
    """The page's figures alone, for arrivals.js to swap in."""
    return render_template("checkin/_arrivals_live.html", **_page_context(event))


@bp.post("/<int:event_id>/arrivals/check-ins/<int:check_in_id>/annul")
@event_role_required(EventRole.ORGANISER)
def annul(event: Event, check_in_id: int):
    check_in = db.get_or_404(CheckIn, check_in_id)
    if check_in.event_id != event.id:
        abort(404)
    if EmptyForm().validate_on_submit():
        try:
            services.annul(Scanner(user=current_user._get_current_object()), check_in)
        except services.UndoRefused:
            db.session.rollback()
            flash(_("This check-in was already undone or superseded."), "warning")
        else:
            db.session.commit()
            flash(_("Check-in undone."), "success")
    return redirect(url_for("arrivals.index", event_id=event.id, _anchor="recent-scans"))


@bp.get("/<int:event_id>/arrivals/no-shows")
@event_role_required(EventRole.ORGANISER)
def no_shows(event: Event):
    category_id = _own_id(request.args.get("category"), {c.id for c in event.categories})
    delegation_id = request.args.get("delegation", type=int)
    groups = no_show_groups(event, category_id=category_id, delegation_id=delegation_id)
    return render_template(
        "checkin/no_shows.html",
        event=event,
        groups=groups,
        count=sum(len(group.people) for group in groups),
        categories={c.id: c for c in event.categories},
        category_id=category_id,
        delegation_id=delegation_id,
        generated_at=utcnow(),
    )


def _own_id(raw: str | None, ids: set[int]) -> int | None:
    """A filter's id if it belongs to this event; anything else means no filter."""
    value = int(raw) if raw and raw.isdigit() else None
    return value if value in ids else None
