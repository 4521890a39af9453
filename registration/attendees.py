"""The organiser's attendee pages: the list, bulk changes, one registration, exports.

Every page here shows personal data, so responses are marked ``no-store`` and
only the event's organisers reach them (staff get 403, anyone else 404). A
registration id is only ever looked up within the event of the URL.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from app import db
from events import audit
from events.auth import event_role_required, is_safe_next
from events.i18n import current_locale
from events.models import AuditEntry, Category, Event, EventRole
from registration import exports, search, services, tickets
from registration.checkin.forms import DoorNoteForm
from registration.checkin.roster import check_ins_of
from registration.forms import (
    COLUMN_LABELS,
    AttendeeFilterForm,
    BulkActionForm,
    ExportForm,
    ReissueForm,
)
from registration.models import Registration, RegistrationStatus
from registration.web import status_label

bp = Blueprint("attendees", __name__)

MAX_PER_PAGE = 200
#: Refused rows named in the message after a bulk action; the rest are counted.
REFUSALS_SHOWN = 10
#: An XLSX export stays in memory up to this size, then moves to a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024

HISTORY_ACTIONS = {
    "registration.created": _l("Registered"),
    "registration.updated": _l("Details changed"),
    "registration.approved": _l("Approved"),
    "registration.rejected": _l("Rejected"),
    "registration.cancelled": _l("Cancelled"),
    "registration.category_changed": _l("Category changed"),
    "registration.confirmation_resent": _l("Confirmation email sent again"),
    "registration.promoted": _l("Moved up from the waiting list"),
    "registration.data_exported": _l("Personal data downloaded"),
    "registration.data_erased": _l("Personal data erased"),
    "registration.ticket_reissued": _l("New badge code issued"),
    "registration.awaiting_approval": _l("Awaits approval (moved into a category that needs it)"),
    "registration.door_note_changed": _l("Note for check-in staff changed"),
    "checkin.annulled": _l("Check-in undone"),
}


@bp.before_request
def _personal_data():
    """Names and phone numbers: no browser or proxy may keep a copy."""
    g.no_store = True


# --- the list ------------------------------------------------------------------------


@bp.get("/manage/<int:event_id>/attendees")
@event_role_required(EventRole.ORGANISER)
def index(event: Event):
    form = AttendeeFilterForm(event, search.delegations_of(event))
    filters = form.filters()
    statement = search.attendee_select(event, filters)
    searching = bool(filters.q)
    pagination = _paginate(statement, _page_number(), form.per_page_value(), searching=searching)
    if pagination.pages and pagination.page > pagination.pages:
        pagination = _paginate(
            statement, pagination.pages, form.per_page_value(), searching=searching
        )
    return render_template(
        "attendees/index.html",
        event=event,
        form=form,
        filters=filters,
        pagination=pagination,
        args=form.query_args(),
        sort_links=_sort_links(event, form),
        bulk_form=BulkActionForm(event, return_to=_here()),
    )


class CountedPagination(SelectPagination):
    """The page and the total from one query, for searches.

    ``count(*) OVER ()`` rides along with the page's rows, so a search that
    has to read every registration reads them once instead of twice (once
    for the page, once for the count). Unfiltered lists keep the separate
    count: it runs on an index and lets the page query stop after one page.
    """

    def _query_items(self) -> list:
        select = self._query_args["select"].add_columns(func.count().over().label("total_rows"))
        select = select.limit(self.per_page).offset(self._query_offset)
        rows = self._query_args["session"].execute(select).unique().all()
        self._counted = rows[0].total_rows if rows else None
        return [row[0] for row in rows]

    def _query_count(self) -> int:
        return self._counted if self._counted is not None else super()._query_count()


def _paginate(statement, page: int, per_page: int, *, searching: bool = False):
    if searching:
        return CountedPagination(
            select=statement,
            session=db.session,
            page=page,
            per_page=per_page,
            max_per_page=MAX_PER_PAGE,
            error_out=False,
        )
    return db.paginate(
        statement, page=page, per_page=per_page, max_per_page=MAX_PER_PAGE, error_out=False
    )


def _page_number() -> int:
    return max(request.args.get("page", 1, type=int), 1)


def _here() -> str:
    return request.full_path.rstrip("?")


def _sort_links(event: Event, form: AttendeeFilterForm) -> dict[str, dict]:
    """Per sortable column: its URL (a second click reverses) and whether it is current."""
    filters, args = form.filters(), form.query_args()
    links = {}
    for key in search.SORTS:
        current = filters.sort == key
        descending = not filters.descending if current else key == "created"
        query = {**args, "sort": key, "dir": "desc" if descending else "asc"}
        links[key] = {
            "url": url_for("attendees.index", event_id=event.id, **query),
            "current": current,
            "descending": filters.descending,
        }
    return links


# --- bulk actions --------------------------------------------------------------------


@bp.post("/manage/<int:event_id>/attendees/bulk")
@event_role_required(EventRole.ORGANISER)
def bulk(event: Event):
    form = BulkActionForm(event)
    back = _return_target(event, form.return_to.data)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "danger")
        return redirect(back)
    outcome = services.apply_bulk(
        event,
        form.action.data,
        form.ids.data,
        current_user,
        category=form.category,
        message=(form.message.data or "").strip(),
    )
    db.session.commit()
    flash(*_bulk_message(form.action.data, outcome, form.category))
    return redirect(back)


def _return_target(event: Event, target: str | None) -> str:
    """Back to the list with its filters, or to the detail page; never anywhere else."""
    base = url_for("attendees.index", event_id=event.id)
    if target and is_safe_next(target):
        path = urlsplit(target).path
        if path == base or path.startswith(base + "/"):
            return target
    return base


def _bulk_message(action: str, outcome: services.BulkOutcome, category) -> tuple[str, str]:
    done = len(outcome.changed)
    sentences = [_done_sentence(action, done, category) if done else _("Nothing was changed.")]
    if outcome.refused:
        sentences.append(_refused_sentence(outcome.refused))
    level = "success" if not outcome.refused else "warning" if done else "danger"
    return " ".join(sentences), level


def _done_sentence(action: str, count: int, category: Category | None) -> str:
    if action == "approve":
        return ngettext("%(num)d registration approved.", "%(num)d registrations approved.", count)
    if action == "reject":
        return ngettext("%(num)d registration rejected.", "%(num)d registrations rejected.", count)
    if action == "cancel":
        return ngettext(
            "%(num)d registration cancelled.", "%(num)d registrations cancelled.", count
        )
    if action == "resend":
        return ngettext(
            "Confirmation email queued for %(num)d registration.",
            "Confirmation email queued for %(num)d registrations.",
            count,
        )
    return ngettext(
        "%(num)d registration moved to %(category)s.",
        "%(num)d registrations moved to %(category)s.",
        count,
        category=category.name_for(current_locale()) if category else "",
    )


def _refused_sentence(refused: list[tuple[str, object]]) -> str:
    shown = ", ".join(
        _("%(name)s (%(reason)s)", name=name, reason=reason)
        for name, reason in refused[:REFUSALS_SHOWN]
    )
    hidden = len(refused) - REFUSALS_SHOWN
    if hidden > 0:
        shown += " " + ngettext("and %(num)d more", "and %(num)d more", hidden)
    return ngettext(
        "%(num)d could not be changed: %(rows)s.",
        "%(num)d could not be changed: %(rows)s.",
        len(refused),
        rows=shown,
    )


# --- one registration ----------------------------------------------------------------


@bp.get("/manage/<int:event_id>/attendees/<int:registration_id>")
@event_role_required(EventRole.ORGANISER)
def detail(event: Event, registration_id: int):
    registration = db.get_or_404(
        Registration,
        registration_id,
        options=[selectinload(Registration.category), selectinload(Registration.delegation)],
    )
    if registration.event_id != event.id:
        abort(404)
    locale = current_locale()
    return render_template(
        "attendees/detail.html",
        event=event,
        registration=registration,
        answers=[
            _answer_row(answer, locale) for answer in search.registration_answers(registration)
        ],
        history=[
            _history_row(entry, event, locale)
            for entry in audit.history("registration", registration.id)
        ],
        form=BulkActionForm(event, return_to=request.path),
        reissue_form=ReissueForm(formdata=None),
        revoked=tickets.revoked_of(registration),
        can=_possible_actions(registration),
        door_form=DoorNoteForm(obj=registration, formdata=None),
        check_ins=check_ins_of(registration),
    )


@bp.post("/manage/<int:event_id>/attendees/<int:registration_id>/reissue")
@event_role_required(EventRole.ORGANISER)
def reissue_badge(event: Event, registration_id: int):
    """A new QR code for a lost badge or changed details; the old one scans as revoked."""
    registration = db.get_or_404(Registration, registration_id)
    if registration.event_id != event.id:
        abort(404)
    form = ReissueForm()
    if form.validate_on_submit():
        tickets.reissue(registration, current_user, form.reason.data or "")
        services.resend_confirmation_if_possible(registration, current_user)
        db.session.commit()
        flash(
            _("New badge code issued; the old one no longer admits anyone.")
            + (" " + _("The new code was emailed.") if registration.email else ""),
            "success",
        )
    else:
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "danger")
    return redirect(url_for("attendees.detail", event_id=event.id, registration_id=registration.id))


def _possible_actions(registration: Registration) -> dict[str, bool]:
    return {
        "approve": registration.status in services.APPROVABLE,
        "reject": registration.status in services.REJECTABLE,
        "cancel": registration.status in services.CANCELLABLE,
    }


def _answer_row(answer, locale: str) -> dict[str, object]:
    """The question as the person saw it (the answer's snapshot) and their answer."""
    question = answer.question
    snapshot = answer.snapshot or {}
    label = exports.localised(snapshot.get("label"), locale) or question.label_for(locale)
    text = exports.answer_text(
        question.kind, answer.value, snapshot, question.options, locale, yes=_("Yes"), no=_("No")
    )
    return {"label": label, "text": text}


def _history_row(entry: AuditEntry, event: Event, locale: str) -> dict[str, object]:
    details = entry.details or {}
    if "to_status" in details:
        before, after = (
            status_label(details[k]) if details.get(k) else "" for k in ("from_status", "to_status")
        )
    elif "to_category_id" in details:
        before, after = (_category_name(event, details, side, locale) for side in ("from", "to"))
    else:
        before = after = ""
    return {
        "when": entry.created_at,
        "who": entry.actor.display_name if entry.actor else entry.actor_label or _("System"),
        "action": str(HISTORY_ACTIONS.get(entry.action, entry.action)),
        "before": before,
        "after": after,
        "message": details.get("message", ""),
    }


def _category_name(event: Event, details: dict, side: str, locale: str) -> str:
    """The category's name now, or as recorded if it has since been deleted."""
    category_id = details.get(f"{side}_category_id")
    category = next((c for c in event.categories if c.id == category_id), None)
    return category.name_for(locale) if category else details.get(f"{side}_category", "")


# --- exports -------------------------------------------------------------------------


@bp.get("/manage/<int:event_id>/attendees/export")
@event_role_required(EventRole.ORGANISER)
def export(event: Event):
    filter_form = AttendeeFilterForm(event, search.delegations_of(event))
    filters = filter_form.filters()
    questions = search.active_questions(event)
    locale = current_locale()
    headers = {key: str(label) for key, label in COLUMN_LABELS.items()}
    headers.update({exports.question_key(q.id): q.label_for(locale) for q in questions})
    default = [*exports.DEFAULT_COLUMNS, *(exports.question_key(q.id) for q in questions)]
    form = ExportForm(headers)
    asked = "format" in request.args
    if asked and form.validate():
        columns = form.chosen_columns(default)
        return _download(event, filters, form.format.data, columns, questions, headers)
    page = render_template(
        "attendees/export.html",
        event=event,
        form=form,
        headers=headers,
        chosen=form.columns.data or default,
        args=filter_form.query_args(with_page_size=False),
        count=search.count_attendees(event, filters),
    )
    return page, 400 if asked else 200


def _download(event, filters, fmt: str, columns: list[str], questions, headers) -> Response:
    """Stream the file; building rows happens while it is sent (CSV) or just before (XLSX)."""
    context = exports.RowContext(
        locale=current_locale(),
        zone=event.zone,
        status_labels={status.value: status_label(status) for status in RegistrationStatus},
        questions={q.id: exports.QuestionColumn(q.kind.value, q.options or ()) for q in questions},
        yes=_("Yes"),
        no=_("No"),
    )
    wanted = [exports.question_id_of(key) for key in columns]
    records = search.export_records(event, filters, [qid for qid in wanted if qid is not None])
    build = exports.row_builder(columns, context)
    rows = (build(record, answers) for record, answers in records)
    header = exports.header_row(columns, headers)
    if fmt == "csv":
        response = Response(
            stream_with_context(exports.csv_chunks(header, rows)), mimetype=exports.CSV_MIMETYPE
        )
    else:
        response = _xlsx_response(header, rows, _("Attendees"))
    filename = exports.export_filename(event.slug, datetime.now(event.zone).date(), fmt)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.headers["Cache-Control"] = "no-store"
    return response


def _xlsx_response(header, rows, title: str) -> Response:
    """A zip needs its end before its start can be sent: write it whole, then stream it."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # file_chunks closes it
    try:
        exports.write_xlsx(spool, header, rows, title)
        size = spool.seek(0, 2)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    response = Response(
        exports.file_chunks(spool), mimetype=exports.XLSX_MIMETYPE, direct_passthrough=True
    )
    response.content_length = size
    return response
