"""Public event pages, the organiser and staff dashboards, the language switch."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import db
from events import i18n
from events.auth import event_role_required, is_safe_next
from events.forms import LanguageForm
from events.models import Event, EventRole, EventStatus
from events.services import (
    can_create_events,
    can_organise,
    event_figures,
    events_for_user,
    public_events,
)

bp = Blueprint("events", __name__)


@bp.get("/")
def home():
    events = public_events()
    now = datetime.now(UTC)
    upcoming = sorted((e for e in events if e.ends_at >= now), key=lambda e: e.starts_at)
    past = [e for e in events if e.ends_at < now]
    return render_template("events/home.html", upcoming=upcoming, past=past)


@bp.get("/e/<slug>")
def show(slug: str):
    event = db.one_or_404(db.select(Event).filter_by(slug=slug))
    if event.status is EventStatus.DRAFT and not can_organise(current_user, event):
        abort(404)  # drafts do not exist for the public
    return render_template("events/show.html", event=event)


@bp.get("/dashboard")
@login_required
def dashboard():
    rows = events_for_user(current_user)
    figures = event_figures(event.id for event, _role in rows)
    return render_template(
        "events/dashboard.html",
        rows=rows,
        figures=figures,
        may_create=can_create_events(current_user),
    )


@bp.get("/manage/<int:event_id>/")
@event_role_required(EventRole.ORGANISER)
def overview(event: Event):
    figures = event_figures([event.id], detailed=True)[event.id]
    return render_template("events/overview.html", event=event, figures=figures)


@bp.get("/staff/<int:event_id>/")
@event_role_required(EventRole.STAFF)
def staff_home(event: Event):
    figures = event_figures([event.id])[event.id]
    return render_template("events/staff_home.html", event=event, figures=figures)


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    else:
        flash(_("That language is not available."), "warning")
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("events.home"))


@bp.app_context_processor
def inject_language_form():
    # Mail is rendered with templates too, sometimes from commands with no request.
    if not has_request_context():
        return {}
    return {
        # formdata=None: the switcher never reads the page's own POST (nor a refused body).
        "language_form": LanguageForm(formdata=None, next=_current_path_without_lang()),
        # A page's dozens of _() calls read this request's catalogue directly.
        **i18n.bound_gettext(get_translations()),
    }


def _current_path_without_lang() -> str:
    """Where the switcher returns to; a ``lang`` parameter would undo the switch."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return request.path + ("?" + urlencode(args) if args else "")
