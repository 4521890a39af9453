"""The programme: rooms and the agenda editor for organisers, the public programme and its iCal.

Organiser pages live under ``/manage/<event_id>/`` and show an item or room
of another event as 404, like the event itself. The public pages follow the
event page's rule: drafts exist only for their organisers.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.http import dump_options_header

from app import db
from events import programme_services as services
from events.auth import event_role_required
from events.errors import RuleError
from events.forms import EmptyForm
from events.i18n import current_locale, local_datetime
from events.models import AgendaItem, Event, EventRole, EventStatus, Room
from events.programme_forms import AgendaItemForm, RoomForm
from events.services import can_organise

bp = Blueprint("programme", __name__)


@bp.app_template_global()
def agenda_kind_label(kind) -> str:
    return services.agenda_kind_label(kind)


# Rooms ------------------------------------------------------------------------


@bp.route("/manage/<int:event_id>/rooms", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def rooms(event: Event):
    """The rooms of the venue, with a form to add one (re-shown with errors on a bad POST)."""
    form = RoomForm()
    if form.validate_on_submit():
        room = services.create_room(event, form.room_fields(), current_user)
        db.session.commit()
        flash(_("Room “%(name)s” added.", name=room.name_for(current_locale())), "success")
        return redirect(url_for(".rooms", event_id=event.id))
    return render_template(
        "programme/rooms.html",
        event=event,
        form=form,
        rooms=services.rooms_of(event),
        usage=services.items_per_room(event),
    )


@bp.route("/manage/<int:event_id>/rooms/<int:room_id>", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def edit_room(event: Event, room_id: int):
    """Rename, resize or reorder a room; the delete button sits below the form."""
    room = _room_or_404(event, room_id)
    form = RoomForm.editing(room, request.method)
    if form.validate_on_submit():
        services.update_room(room, form.room_fields(), current_user)
        db.session.commit()
        flash(_("Room “%(name)s” saved.", name=room.name_for(current_locale())), "success")
        return redirect(url_for(".rooms", event_id=event.id))
    return render_template(
        "programme/edit_room.html",
        event=event,
        room=room,
        form=form,
        delete_form=EmptyForm(),
        used_by=services.items_per_room(event).get(room.id, 0),
    )


@bp.post("/manage/<int:event_id>/rooms/<int:room_id>/delete")
@event_role_required(EventRole.ORGANISER)
def delete_room(event: Event, room_id: int):
    """Delete a room but never its agenda items: they lose their room, not their place."""
    room = _room_or_404(event, room_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = room.name_for(current_locale())
    try:
        freed = services.delete_room(room, current_user)
    except RuleError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for(".rooms", event_id=event.id))
    db.session.commit()
    flash(_deleted_room_message(name, freed), "success")
    return redirect(url_for(".rooms", event_id=event.id))


def _deleted_room_message(name: str, freed: int) -> str:
    if not freed:
        return _("Room “%(name)s” deleted.", name=name)
    return _(
        "Room “%(name)s” deleted; its agenda items (%(count)d) stay in the programme "
        "without a room.",
        name=name,
        count=freed,
    )


def _room_or_404(event: Event, room_id: int) -> Room:
    room = db.get_or_404(Room, room_id)
    if room.event_id != event.id:
        abort(404)  # another event's room does not exist under this event's address
    return room


# Agenda -----------------------------------------------------------------------


@bp.route("/manage/<int:event_id>/agenda", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def agenda(event: Event):
    """The agenda by day with its warnings, and the form to add an item."""
    form = AgendaItemForm(event=event)
    if form.validate_on_submit():
        saved = services.create_agenda_item(event, form.item_fields(), current_user)
        db.session.commit()
        _flash_saved(event, saved, _("Added to the programme."))
        return redirect(url_for(".agenda", event_id=event.id, _anchor=f"item-{saved.item.id}"))
    items = services.agenda_of(event)
    return render_template(
        "programme/agenda.html",
        event=event,
        form=form,
        days=services.programme_days(items, event.zone),
        warnings=services.agenda_warnings(event, items),
        room_count=len(form.rooms),
    )


@bp.route("/manage/<int:event_id>/agenda/<int:item_id>", methods=["GET", "POST"])
@event_role_required(EventRole.ORGANISER)
def edit_item(event: Event, item_id: int):
    """Change an item; warnings are shown here too, so they are fixed where they are seen."""
    item = _item_or_404(event, item_id)
    form = AgendaItemForm.editing(event, item, request.method)
    if form.validate_on_submit():
        saved = services.update_agenda_item(event, item, form.item_fields(), current_user)
        db.session.commit()
        _flash_saved(event, saved, _("Changes saved."))
        return redirect(url_for(".agenda", event_id=event.id, _anchor=f"item-{item.id}"))
    return render_template(
        "programme/edit_item.html",
        event=event,
        item=item,
        form=form,
        delete_form=EmptyForm(),
        warnings=warning_texts(event, services.item_warnings(event, item)),
    )


@bp.post("/manage/<int:event_id>/agenda/<int:item_id>/delete")
@event_role_required(EventRole.ORGANISER)
def delete_item(event: Event, item_id: int):
    """Remove an item from the programme (the audit trail keeps its title and time)."""
    item = _item_or_404(event, item_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    title = item.title_for(current_locale())
    services.delete_agenda_item(item, current_user)
    db.session.commit()
    flash(_("“%(title)s” removed from the programme.", title=title), "success")
    return redirect(url_for(".agenda", event_id=event.id))


def _item_or_404(event: Event, item_id: int) -> AgendaItem:
    item = db.get_or_404(AgendaItem, item_id)
    if item.event_id != event.id:
        abort(404)
    return item


def _flash_saved(event: Event, saved: services.SavedItem, message: str) -> None:
    """Confirm the save, then say what deserves a second look; nothing here blocks saving."""
    flash(message, "success")
    for text in warning_texts(event, saved.warnings):
        flash(text, "warning")


def warning_texts(event: Event, warnings: list[services.AgendaWarning]) -> list[str]:
    """Sentences for the warnings, in the UI language, naming the clashing item."""
    locale = current_locale()
    texts = []
    for warning in warnings:
        if warning.code == "double_booked":
            other = warning.other
            texts.append(
                _(
                    "%(room)s is also booked for “%(title)s” at that time.",
                    room=other.room.name_for(locale),
                    title=other.title_for(locale),
                )
            )
        else:
            texts.append(
                _(
                    "This item is outside the event's dates (%(start)s – %(end)s).",
                    start=local_datetime(event.starts_at, event.zone),
                    end=local_datetime(event.ends_at, event.zone),
                )
            )
    return texts


# Public -----------------------------------------------------------------------


@bp.get("/e/<slug>/programme")
def public(slug: str):
    """The programme as delegates read it, on a phone first."""
    event = visible_event(slug)
    days = services.programme_days(services.agenda_of(event), event.zone)
    return render_template("programme/public.html", event=event, days=days)


@bp.get("/e/<slug>/programme.ics")
def ical(slug: str):
    """The programme for calendar apps; ``?lang=en`` gives English titles."""
    event = visible_event(slug)
    calendar = services.programme_calendar(
        event,
        services.agenda_of(event),
        locale=current_locale(),
        host=request.host,
        url=url_for(".public", slug=event.slug, _external=True),
    )
    response = Response(calendar.to_ical(), mimetype="text/calendar")
    filename = f"{event.slug}-programme.ics" if event.slug.isascii() else "programme.ics"
    response.headers["Content-Disposition"] = dump_options_header(
        "attachment", {"filename": filename}
    )
    return response


def visible_event(slug: str) -> Event:
    """The event as the public sees it: drafts answer 404 unless you organise them."""
    event = db.one_or_404(db.select(Event).filter_by(slug=slug))
    if event.status is EventStatus.DRAFT:
        if not can_organise(current_user, event):
            abort(404)
        g.no_store = True  # an organiser's preview must not linger in shared caches
    return event
