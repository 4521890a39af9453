"""The check-in API: what scanners (the phone page, kiosks, handhelds) talk to.

Authentication
    Either a staff or organiser session (the cookie) with the CSRF token in
    an ``X-CSRFToken`` header on every POST (``GET /api/checkin/session``
    hands out a fresh one), or a device token issued by an organiser,
    ``Authorization: Bearer hwd_…``, which needs no CSRF token. A revoked
    or wrong token is ``401 {"error": "bad_device_token"}``.

Errors
    A request that cannot be a scan answers 4xx with
    ``{"error": code, "message": text}`` and records nothing:
    ``bad_json`` (400), ``missing_secret`` (400), ``missing_nonce``/``bad_nonce``
    (400), ``bad_checkpoint`` (400), ``unknown_checkpoint`` (404, also for
    another event's), ``not_assigned`` (403), ``checkpoint_closed`` (409),
    ``bad_scanned_at`` (400), ``scanned_at_in_future``/``scanned_at_too_old``
    (422), ``nonce_reused`` (409: the nonce named a different scan),
    ``too_large`` (413, bodies over 4 KB).

``POST /api/checkin/scan``
    (A dedicated scanner's everyday scan is answered by the doorway,
    :mod:`registration.checkin.doorway`, before Flask's request handling: the
    same answer, the same headers, in one database statement.)
    Request: ``{"secret": "…", "checkpoint": 12, "nonce": "uuid",
    "scanned_at": "2026-09-25T01:02:03Z"?, "offline": false?}``. Instead of
    ``secret`` a search result may send ``"registration": 345``. The secret
    is trimmed and uppercased. ``scanned_at`` (a queued scan's own time,
    with an offset) may be at most 2 minutes ahead and 48 hours behind the
    server. ``offline: true`` says the scanner already admitted the person on
    its own while offline; if another scan of the same person came earlier,
    the earliest wins and the pair is listed for organisers as a conflict.

    Answer, 200 whatever the result::

        {"result": "ok", "message": "…", "replayed": false, "nonce": "…",
         "scanned_at": "…Z", "checkpoint": {"id", "name", "kind"},
         "person": {"id", "name", "name_en", "organisation", "position",
                    "status", "category": {"code", "name", "color"},
                    "delegation": {"id", "name", "is_leader", "members",
                                   "not_arrived"} | null,
                    "attention": "note" | null, "badge_url": "…" | null},
         "check_in": {"id", "undo_until"} | null,
         "first": {"at", "checkpoint", "staff"} | null,
         "reentry": false, "conflict": false,
         "window": {"opens_at", "closes_at"} | null,
         "event": {"title"} | null}

    ``result`` is one of ``ok``, ``already_checked_in`` (``first`` says
    when, where and by whom), ``not_allowed`` (category), ``outside_window``
    (``window``), ``cancelled`` (also rejected), ``pending``, ``waitlisted``,
    ``revoked`` (a replaced badge), ``unknown``, ``wrong_event`` (``event``
    names the badge's event; nothing about the person). ``person`` is null
    for ``unknown`` and ``wrong_event``. A retried request (same nonce, same
    scan) returns the original answer with ``replayed: true`` and records
    nothing. At a checkpoint allowing re-entry a repeat scan is ``ok`` with
    ``reentry: true``.

``POST /api/checkin/delegation``
    ``{"secret" | "registration", "checkpoint", "nonce"}`` with a delegation
    leader's badge: checks in every member. Answer ``{"counts": {result: n},
    "admitted": [names], "refused": [{"name", "result"}]}``; retry-safe.

``POST /api/checkin/undo``
    ``{"check_in": id}``: the scanning staff within 10 minutes, organisers at
    any time. ``{"undone": true}`` or an error (``not_yours``,
    ``undo_expired``, ``not_undoable``, ``unknown_check_in``).

``GET /api/checkin/checkpoints``
    The checkpoints this scanner may use, across its events.

``GET /api/checkin/checkpoints/<id>/roster``
    The offline snapshot: ``{"checkpoint": {…rules}, "generated_at",
    "categories": {code: {"name", "color", "allowed"}}, "people": [{"h":
    sha256-hex of the secret, "id", "name", "name_en", "organisation",
    "category", "delegation", "leader", "status", "in": time | null,
    "attention", "mobile": masked}], "revoked": [sha256-hex…]}``.

``GET /api/checkin/checkpoints/<id>/search?q=``
    Up to 20 people by name, English name, organisation or mobile digits;
    mobiles come masked (``139****0000``).

``GET /api/checkin/checkpoints/<id>/stats``
    ``{"admitted", "expected"}`` for the scanner's header.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, g, jsonify, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import HTTPException

from app import csrf, db, limiter
from events import i18n
from events.i18n import current_locale
from events.models import Event, EventMember, EventRole
from registration.checkin import devices, doorway, express, roster, services
from registration.checkin.models import CheckIn, Checkpoint
from registration.checkin.services import Result, ScanInput, Scanner, ScanOutcome, ScanRefused

bp = Blueprint("checkin_api", __name__, url_prefix="/api/checkin")
csrf.exempt(bp)  # checked below for sessions; device tokens carry no cookie to forge


@limiter.request_filter
def _unlimited() -> bool:
    """No rate limit here: gates scan as fast as people walk, and every call is signed in.

    (A device token is 256 random bits: there is nothing to guess.)
    """
    return request.blueprint == bp.name


MAX_BODY = 4096


def _refuse(code: str, message: str, status: int):
    response = jsonify(error=code, message=message)
    response.status_code = status
    abort(response)


@bp.before_request
def _authenticate():
    g.no_store = True
    if request.content_length is not None and request.content_length > MAX_BODY:
        _refuse("too_large", "request bodies are limited to 4 KB", 413)
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        g.device_token = header[7:].strip()
        if request.endpoint != "checkin_api.scan":
            _authenticate_device()
        # A scan checks its token in the express lane's statement (see scan).
        return
    if not current_user.is_authenticated:
        _refuse("unauthorized", "sign in as staff or use a device token", 401)
    if request.method == "POST":
        try:
            csrf.protect()
        except CSRFError:
            _refuse("csrf_failed", "send the X-CSRFToken header (GET /api/checkin/session)", 400)
    g.scanner = Scanner(user=current_user._get_current_object())


def _authenticate_device() -> None:
    device = devices.identity_for_token(g.device_token)
    if device is None:
        _refuse("bad_device_token", "unknown or revoked device token", 401)
    devices.note_seen(device)
    g.scanner = Scanner(device=device)


def _body() -> dict:
    if "raw_body" not in g:
        # Read at most one byte past the limit: a chunked body has no length to refuse early.
        g.raw_body = request.stream.read(MAX_BODY + 1)
    raw = g.raw_body
    if len(raw) > MAX_BODY:
        _refuse("too_large", "request bodies are limited to 4 KB", 413)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # deep nesting overflows the parser
        data = None
    if not isinstance(data, dict):
        _refuse("bad_json", "the body must be a JSON object", 400)
    return data


@bp.errorhandler(ScanRefused)
@bp.errorhandler(services.UndoRefused)
def _refused(error):
    return jsonify(error=error.code, message=str(error.message)), error.status


# --- scanning ------------------------------------------------------------------------------


def scan_input_of(data: dict, now: datetime) -> ScanInput:
    nonce = services.checked_nonce(data.get("nonce"))
    scanned_at = services.checked_time(data.get("scanned_at"), now)
    offline = data.get("offline") is True
    if "registration" in data and data.get("secret") in (None, ""):
        registration_id = services.checked_id(data["registration"], "registration")
        return ScanInput(nonce, None, registration_id, scanned_at, offline)
    secret = data.get("secret")
    if not isinstance(secret, str) or not secret.strip():
        raise ScanRefused("missing_secret", "secret is required (what the QR code holds)")
    secret = services.normalise_secret(secret)
    if len(secret) > services.MAX_SECRET_INPUT:
        secret = secret[: services.MAX_SECRET_INPUT]  # still garbage: scans as unknown
    return ScanInput(nonce, secret, None, scanned_at, offline)


@bp.post("/scan")
def scan():
    from events.dbtypes import utcnow

    admitted = _express_answer()
    if admitted is not None:
        return jsonify(admitted)
    if "scanner" not in g:
        _authenticate_device()
    data = _body()
    checkpoint = services.checkpoint_for(g.scanner, data.get("checkpoint"))
    scan_input = scan_input_of(data, utcnow())
    outcome = services.record_scan(
        g.scanner, checkpoint, scan_input, describe=lambda o: answer(o, scan_input.nonce)
    )
    return jsonify(outcome.description)


def _express_answer() -> dict | None:
    """The everyday scan's answer from the express lane; None leaves it to the full path.

    Nothing is refused here: a bad request or an unusual scan goes the full
    way, which checks the token first and answers precisely.
    """

    if request.environ.get(doorway.DECLINED):
        return None
    scanner = _express_key()
    if scanner is None:
        return None
    try:
        data = _body()
    except HTTPException:
        return None
    admitted = express_scan(data, scanner)
    if admitted is None:
        return None
    admission, nonce = admitted
    row = admission.row
    badge_url = _badge_path(row.event_id, row.id)
    return express_answer(admission, nonce, current_locale(), badge_url)


def express_scan(data: dict, scanner: express.ScannerKey, pool=None):
    """(admission, nonce) when the express lane recorded this scan request; else None.

    A request the API would refuse is not refused here: it goes the full way.
    """
    from events.dbtypes import utcnow

    checkpoint_id = data.get("checkpoint")
    if not services.in_id_range(checkpoint_id):
        return None
    try:
        scan_input = scan_input_of(data, utcnow())
    except ScanRefused:
        return None
    admission = express.admit(scanner, checkpoint_id, scan_input, pool)
    return (admission, scan_input.nonce) if admission is not None else None


def _express_key() -> express.ScannerKey | None:
    if "device_token" in g:
        token_hash = devices.token_hash(g.device_token)
        return express.ScannerKey(token_hash=token_hash) if token_hash else None
    user = g.scanner.user
    return express.ScannerKey(user_id=user.id, is_admin=user.is_admin)


@bp.post("/delegation")
def delegation():
    from events.dbtypes import utcnow

    data = _body()
    checkpoint = services.checkpoint_for(g.scanner, data.get("checkpoint"))
    scan_input = scan_input_of(data, utcnow())
    leader = services.scanned_leader(scan_input, checkpoint)
    by_result = services.admit_delegation(g.scanner, checkpoint, leader, scan_input)
    admitted = [o.registration.name for o in by_result.get(Result.OK, [])]
    refused = [
        {"name": o.registration.name, "result": result, "message": result_message(result)}
        for result, outcomes in by_result.items()
        if result not in (Result.OK, Result.ALREADY)
        for o in outcomes
    ]
    counts = {result: len(outcomes) for result, outcomes in by_result.items()}
    return jsonify(counts=counts, admitted=admitted, refused=refused)


@bp.post("/undo")
def undo():
    data = _body()
    check_in_id = services.checked_id(data.get("check_in"), "check_in")
    check_in = db.session.get(CheckIn, check_in_id) if check_in_id else None
    if check_in is None:
        raise services.UndoRefused("unknown_check_in", "no such check-in", 404)
    services.annul(g.scanner, check_in)
    db.session.commit()
    return jsonify(undone=True, check_in=check_in.id)


# --- what the scanner page loads ----------------------------------------------------------


@bp.get("/session")
def session_info():
    """A fresh CSRF token (after hours offline the page's may have expired)."""
    scanner = g.scanner
    name = scanner.device.name if scanner.device else scanner.user.display_name
    return jsonify(csrf_token=generate_csrf(), name=name)


@bp.get("/checkpoints")
def checkpoints():
    return jsonify(
        checkpoints=[checkpoint_json(c) for c in usable_checkpoints(g.scanner)],
    )


def usable_checkpoints(scanner: Scanner) -> list[Checkpoint]:
    if scanner.device is not None:
        event_ids = [scanner.device.event_id]
    elif scanner.user.is_admin:
        event_ids = list(db.session.execute(db.select(Event.id)).scalars())
    else:
        event_ids = list(
            db.session.execute(
                db.select(EventMember.event_id).where(EventMember.user_id == scanner.user.id)
            ).scalars()
        )
    found = db.session.execute(
        db.select(Checkpoint)
        .where(Checkpoint.event_id.in_(event_ids), Checkpoint.active.is_(True))
        .order_by(Checkpoint.event_id, Checkpoint.position, Checkpoint.id)
    ).scalars()
    return [checkpoint for checkpoint in found if services.may_use(scanner, checkpoint)]


def _usable(checkpoint_id: int) -> Checkpoint:
    if not services.in_id_range(checkpoint_id):
        raise ScanRefused("unknown_checkpoint", "no such checkpoint", 404)
    return services.checkpoint_for(g.scanner, checkpoint_id)


@bp.get("/checkpoints/<int:checkpoint_id>/roster")
def roster_snapshot(checkpoint_id: int):
    checkpoint = _usable(checkpoint_id)
    return jsonify(roster.snapshot(checkpoint))


@bp.get("/checkpoints/<int:checkpoint_id>/search")
def search(checkpoint_id: int):
    checkpoint = _usable(checkpoint_id)
    query = (request.args.get("q") or "").strip()[:50]
    return jsonify(people=roster.search(checkpoint, query))


@bp.get("/checkpoints/<int:checkpoint_id>/stats")
def stats(checkpoint_id: int):
    checkpoint = _usable(checkpoint_id)
    return jsonify(roster.stats(checkpoint))


# --- answers -------------------------------------------------------------------------------


def N_(text: str) -> str:  # noqa: N802 (the name gettext's extractor knows)
    """Marks a message for translation; it is translated when shown."""
    return text


#: What the screen says for each result.
RESULT_MESSAGES = {
    Result.OK: N_("Welcome: checked in"),
    Result.ALREADY: N_("Already checked in"),
    Result.NOT_ALLOWED: N_("Not admitted here: category not allowed"),
    Result.OUTSIDE_WINDOW: N_("Not open at this time"),
    Result.CANCELLED: N_("Registration cancelled"),
    Result.PENDING: N_("Registration not yet approved"),
    Result.WAITLISTED: N_("On the waiting list: no place yet"),
    Result.REVOKED: N_("Replaced badge: this code is no longer valid"),
    Result.UNKNOWN: N_("Unknown code"),
    Result.WRONG_EVENT: N_("Badge for another event"),
}


def result_messages() -> dict[str, str]:
    """Every result's message in the staff member's language (for the scanner page)."""
    locale = current_locale()
    return {result: message_in(result, locale) for result in RESULT_MESSAGES}


def result_message(result: str) -> str:
    return message_in(result, current_locale())


@functools.lru_cache(maxsize=64)
def message_in(result: str, locale: str) -> str:
    """A result's message in ``locale``; from the catalogue once per language, no request needed."""
    return i18n.catalogue(locale).gettext(RESULT_MESSAGES[result])


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def checkpoint_json(checkpoint: Checkpoint) -> dict:
    opens, closes = checkpoint.window()
    return {
        "id": checkpoint.id,
        "event_id": checkpoint.event_id,
        "name": roster.localised_name(checkpoint),
        "kind": checkpoint.kind.value,
        "allows_reentry": checkpoint.allows_reentry,
        "opens_at": _iso(opens),
        "closes_at": _iso(closes),
        "categories": [category.code for category in checkpoint.categories],
        "scanner_url": url_for("checkin.scanner", checkpoint_id=checkpoint.id),
    }


def answer(outcome: ScanOutcome, nonce: str) -> dict:
    registration = outcome.registration
    shows_person = registration is not None and outcome.result not in (
        Result.UNKNOWN,
        Result.WRONG_EVENT,
    )
    body = {
        "result": outcome.result,
        "message": result_message(outcome.result),
        "replayed": outcome.replayed,
        "nonce": nonce,
        "scanned_at": _iso(outcome.scanned_at),
        "checkpoint": {
            "id": outcome.checkpoint.id,
            "name": roster.localised_name(outcome.checkpoint),
            "kind": outcome.checkpoint.kind.value,
        },
        "person": _person_of(outcome) if shows_person else None,
        "check_in": _check_in(outcome),
        "first": _first(outcome),
        "reentry": outcome.reentry,
        "conflict": outcome.conflict,
        "window": None,
        "event": None,
    }
    if outcome.result == Result.OUTSIDE_WINDOW:
        opens, closes = outcome.checkpoint.window()
        body["window"] = {"opens_at": _iso(opens), "closes_at": _iso(closes)}
    if outcome.result == Result.WRONG_EVENT and registration is not None:
        body["event"] = {"title": roster.localised_title(registration.event)}
    return body


def _check_in(outcome: ScanOutcome) -> dict | None:
    check_in = outcome.check_in
    if outcome.result != Result.OK or check_in is None:
        return None
    return {
        "id": check_in.id,
        "undo_until": _iso(check_in.recorded_at + services.UNDO_WINDOW),
    }


def _first(outcome: ScanOutcome) -> dict | None:
    if outcome.result != Result.ALREADY and not outcome.reentry:
        return None
    first = services.first_admission(outcome)
    if first is None:
        return None
    staff = first.staff.display_name if first.staff else ""
    if not staff and first.device is not None:
        staff = first.device.name
    return {
        "at": _iso(first.scanned_at),
        "checkpoint": roster.localised_name(first.checkpoint),
        "staff": staff,
    }


def _person_of(outcome: ScanOutcome) -> dict:
    return _person(outcome.registration, outcome.checkpoint)


def express_answer(admission: express.Admission, nonce: str, locale: str, badge_url) -> dict:
    """:func:`answer` for a scan the express lane recorded, from its row; needs no request."""
    row = admission.row
    english = locale.startswith("en")
    return {
        "result": Result.OK,
        "message": message_in(Result.OK, locale),
        "replayed": False,
        "nonce": nonce,
        "scanned_at": _iso(admission.scanned_at),
        "checkpoint": {
            "id": row.checkpoint_id,
            "name": express.CheckpointSeen.of(row).name_for(locale),
            "kind": row.kind,
        },
        "person": {
            "id": row.id,
            "name": row.name,
            "name_en": row.name_en or "",
            "organisation": row.organisation or "",
            "position": row.position or "",
            "status": row.status,
            "category": {
                "code": row.category_code,
                "name": (row.category_name_en if english else None) or row.category_name_zh,
                "color": row.category_color,
            },
            "delegation": (
                {"id": row.delegation_id, "name": row.delegation_name, "is_leader": False}
                if row.delegation_id is not None
                else None
            ),
            "attention": row.staff_note if row.needs_attention else None,
            "badge_url": badge_url,
        },
        "check_in": {
            "id": admission.check_in_id,
            "undo_until": _iso(admission.recorded_at + services.UNDO_WINDOW),
        },
        "first": None,
        "reentry": False,
        "conflict": False,
        "window": None,
        "event": None,
    }


def _person(registration, checkpoint: Checkpoint) -> dict:
    category = registration.category
    return {
        "id": registration.id,
        "name": registration.name,
        "name_en": registration.name_en or "",
        "organisation": registration.organisation or "",
        "position": registration.position or "",
        "status": registration.status.value,
        "category": {
            "code": category.code,
            "name": roster.localised_name(category),
            "color": category.color,
        },
        "delegation": roster.delegation_summary(registration, checkpoint),
        "attention": registration.staff_note if registration.needs_attention else None,
        "badge_url": _badge_url(registration),
    }


def _badge_url(registration) -> str | None:
    from registration.models import RegistrationStatus

    if registration.status is not RegistrationStatus.CONFIRMED:
        return None
    return _badge_path(registration.event_id, registration.id)


def _badge_path(event_id: int, registration_id: int) -> str | None:
    if "badges.single" not in current_app.view_functions:
        return None
    return url_for("badges.single", event_id=event_id, registration_id=registration_id)


def organiser_of(scanner: Scanner, event: Event) -> bool:
    return scanner.role_in(event) is EventRole.ORGANISER
