"""Organisers' matchmaking: who takes part, their capacities, requests for VIPs.

Organisers only (staff 403, anyone else as :func:`event_role_required`
answers); every registration and request id is looked up within the event
of the URL, else 404. The pages show names and organisations, never mobiles
or emails. The sessions and their scheduling live in
:mod:`events.roadshow.match_sessions`.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import db
from events.auth import event_role_required
from events.errors import RuleError, show_on_form
from events.forms import EmptyForm
from events.i18n import current_locale
from events.models import Event, EventRole
from events.roadshow import match_requests, participants
from events.roadshow.match_admin_forms import AddRequestForm, CapacityForm, SetupForm
from events.roadshow.match_models import Priority, RequestStatus
from events.roadshow.match_overview import (
    RequestFilters,
    accepted_weight,
    participant_count,
    participants_page,
    profiles_of,
    request_of_event,
    request_tallies,
    requests_page,
    save_setup,
    status_counts,
)

bp = Blueprint("matchmaking_admin", __name__, url_prefix="/manage")

#: The furthest page a list is read at.
MAX_PAGE = 100_000
#: Longest name search kept.
MAX_SEARCH = 100
#: Requests an organiser may cancel, or accept for the recipient.
CANCELLABLE = (RequestStatus.PENDING, RequestStatus.ACCEPTED)
ACCEPTABLE = (RequestStatus.PENDING, RequestStatus.DECLINED)


@bp.before_request
def _no_store():
    g.no_store = True


# --- reading the query string --------------------------------------------------------------


def _search() -> str:
    return (request.args.get("q") or "").strip()[:MAX_SEARCH]


def _page() -> int:
    # Bounded: an absurd page would overflow the database's OFFSET.
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def _request_filters() -> RequestFilters:
    try:
        status = RequestStatus(request.args.get("status", ""))
    except ValueError:
        status = None
    try:
        priority = Priority(request.args.get("priority", 0, type=int))
    except ValueError:
        priority = None
    return RequestFilters(status=status, priority=priority, search=_search())


def _here_args(args: dict, page: int) -> dict:
    """A list's filters and page, for the query string of its rows' POST actions."""
    return {**args, "page": page} if page > 1 else dict(args)


# --- the set-up ----------------------------------------------------------------------------


def _setup_form(event: Event, method: str) -> SetupForm:
    categories = list(event.categories)
    if method != "GET":
        return SetupForm(categories=categories, locale=current_locale())
    setup = participants.setup_of(event)
    form = SetupForm(formdata=None, categories=categories, locale=current_locale())
    form.categories.data = sorted(participants.category_ids(event))
    if setup is not None:
        form.requests_open.data = setup.requests_open
        form.auto_accept.data = setup.auto_accept
        form.time_limit.data = setup.time_limit
    else:
        form.time_limit.data = 10
    return form


@bp.route("/<int:event_id>/matchmaking", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def index(event: Event):
    """The set-up form (created on first save) and the figures at a glance."""
    form = _setup_form(event, request.method)
    if form.validate_on_submit():
        save_setup(
            event,
            set(form.categories.data or []),
            requests_open=form.requests_open.data,
            auto_accept=form.auto_accept.data,
            time_limit=form.time_limit.data,
            actor=current_user,
        )
        db.session.commit()
        flash(_("Matchmaking set-up saved."), "success")
        return redirect(url_for("matchmaking_admin.index", event_id=event.id))
    return render_template(
        "matchmaking/admin/index.html",
        event=event,
        form=form,
        setup=participants.setup_of(event),
        participant_count=participant_count(event),
        counts=status_counts(event),
        weight=accepted_weight(event),
    ), (400 if form.errors else 200)


# --- participants and their capacities ---------------------------------------------------


def _render_participants(event: Event, forms=None, status: int = 200):
    search = _search()
    pagination = participants_page(event, search, _page())
    if pagination.pages and pagination.page > pagination.pages:
        pagination = participants_page(event, search, pagination.pages)
    ids = [person.id for person in pagination.items]
    caps = participants.capacities(ids)
    forms = forms or {}
    return render_template(
        "matchmaking/admin/participants.html",
        event=event,
        pagination=pagination,
        search=search,
        args={"q": search} if search else {},
        here=_here_args({"q": search} if search else {}, pagination.page),
        profiles=profiles_of(ids),
        tallies=request_tallies(event, ids),
        forms={
            person_id: forms.get(person_id)
            or CapacityForm(formdata=None, capacity=caps[person_id], prefix=f"p{person_id}")
            for person_id in ids
        },
        has_categories=bool(participants.category_ids(event)),
        locale=current_locale(),
    ), status


@bp.get("/<int:event_id>/matchmaking/participants", endpoint="participants")
@event_role_required(EventRole.ORGANISER)
def participants_list(event: Event):
    """Participants, 50 a page, searchable by name or organisation."""
    return _render_participants(event)


@bp.post("/<int:event_id>/matchmaking/participants/<int:registration_id>/capacity")
@event_role_required(EventRole.ORGANISER)
def capacity(event: Event, registration_id: int):
    """Set one participant's capacity; a refusal shows the list again, under the row."""
    person = participants.participant_of(event, registration_id)
    if person is None:
        abort(404)
    form = CapacityForm(prefix=f"p{person.id}")
    if form.validate_on_submit():
        try:
            participants.set_capacity(person, form.capacity.data, current_user)
        except RuleError as error:
            db.session.rollback()
            show_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Capacity saved for %(name)s.", name=person.name), "success")
            args = {"q": _search() or None, "page": _page() if _page() > 1 else None}
            return redirect(
                url_for("matchmaking_admin.participants", event_id=event.id, **args)
                + f"#p{person.id}"
            )
    return _render_participants(event, {person.id: form}, 400)


# --- requests ------------------------------------------------------------------------------


def _render_requests(event: Event, add_form: AddRequestForm | None = None, status: int = 200):
    filters = _request_filters()
    pagination = requests_page(event, filters, _page())
    if pagination.pages and pagination.page > pagination.pages:
        pagination = requests_page(event, filters, pagination.pages)
    people = participants.participants_of(event)
    return render_template(
        "matchmaking/admin/requests.html",
        event=event,
        pagination=pagination,
        filters=filters,
        args=filters.args(),
        status_args={key: value for key, value in filters.args().items() if key != "status"},
        here=_here_args(filters.args(), pagination.page),
        counts=status_counts(event),
        statuses=list(RequestStatus),
        priorities=sorted(Priority, reverse=True),
        add_form=add_form or AddRequestForm(formdata=None, people=people),
        cancellable=CANCELLABLE,
        acceptable=ACCEPTABLE,
    ), status


@bp.get("/<int:event_id>/matchmaking/requests")
@event_role_required(EventRole.ORGANISER)
def requests(event: Event):
    """Every request of the event, filtered by status, priority and name."""
    return _render_requests(event)


@bp.post("/<int:event_id>/matchmaking/requests/new")
@event_role_required(EventRole.ORGANISER)
def add_request(event: Event):
    """A meeting for two participants, accepted at once; refusals answer 400 with the form."""
    form = AddRequestForm(people=participants.participants_of(event))
    if form.validate_on_submit():
        requester = participants.participant_of(event, form.requester_id.data)
        recipient = participants.participant_of(event, form.recipient_id.data)
        for field, person in ((form.requester_id, requester), (form.recipient_id, recipient)):
            if person is None:
                field.errors = [*field.errors, _("Not a participant of this event's matchmaking.")]
        existing = (
            participants.request_between(event, requester.id, recipient.id)
            if requester is not None and recipient is not None
            else None
        )
        if existing is not None:
            form.recipient_id.errors = [
                *form.recipient_id.errors,
                _(
                    "These two already have a meeting request (%(status)s): "
                    "find it in the list to accept or cancel it.",
                    status=match_requests.request_status_label(existing.status),
                ),
            ]
        elif requester is not None and recipient is not None:
            try:
                participants.create_request(
                    event,
                    requester,
                    recipient,
                    form.priority.data,
                    form.note.data,
                    added_by=current_user,
                )
            except RuleError as error:
                db.session.rollback()
                show_on_form(form, error)
            else:
                db.session.commit()
                flash(
                    _(
                        "Meeting of %(one)s and %(other)s added, already accepted.",
                        one=requester.name,
                        other=recipient.name,
                    ),
                    "success",
                )
                return redirect(url_for("matchmaking_admin.requests", event_id=event.id))
    return _render_requests(event, form, 400)


def _change(event: Event, request_id: int, status: RequestStatus, allowed, done: str):
    """Move a request of this event to ``status`` if it is in ``allowed``; back to the list."""
    item = request_of_event(event, request_id)
    if item is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    back = url_for("matchmaking_admin.requests", event_id=event.id, **_back_args())
    if item.status not in allowed:
        flash(_("This request can no longer be changed that way."), "danger")
        return redirect(back)
    try:
        participants.change_status(item, status, actor=current_user)
    except RuleError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(back)
    db.session.commit()
    flash(done, "success")
    return redirect(back)


def _back_args() -> dict:
    """The list's filters and page, carried in the action's query string."""
    args = _request_filters().args()
    if _page() > 1:
        args["page"] = _page()
    return args


@bp.post("/<int:event_id>/matchmaking/requests/<int:request_id>/cancel")
@event_role_required(EventRole.ORGANISER)
def cancel_request(event: Event, request_id: int):
    """Cancel a pending or accepted request (it also leaves every session's plan)."""
    return _change(
        event,
        request_id,
        RequestStatus.CANCELLED,
        CANCELLABLE,
        _("Request cancelled; its meetings left every session's plan."),
    )


@bp.post("/<int:event_id>/matchmaking/requests/<int:request_id>/accept")
@event_role_required(EventRole.ORGANISER)
def accept_request(event: Event, request_id: int):
    """Accept a pending or declined request on the recipient's behalf."""
    return _change(
        event,
        request_id,
        RequestStatus.ACCEPTED,
        ACCEPTABLE,
        _("Request accepted on the participant's behalf."),
    )
