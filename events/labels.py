"""Display names of the events core's enums, in the request's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from events.models import EventKind, EventRole, EventStatus

EVENT_KINDS = {
    EventKind.CONFERENCE: _l("Conference"),
    EventKind.TRADE_FAIR: _l("Trade fair"),
    EventKind.ROADSHOW: _l("Roadshow day"),
    EventKind.FORUM: _l("Forum"),
}
EVENT_STATUSES = {
    EventStatus.DRAFT: _l("Draft"),
    EventStatus.PUBLISHED: _l("Published"),
    EventStatus.ARCHIVED: _l("Archived"),
}
ROLES = {
    EventRole.ORGANISER: _l("Organiser"),
    EventRole.STAFF: _l("Check-in staff"),
}


def event_kind_label(kind) -> str:
    return str(EVENT_KINDS[EventKind(kind)])


def event_status_label(status) -> str:
    return str(EVENT_STATUSES[EventStatus(status)])


def role_label(role) -> str:
    return str(ROLES[EventRole(role)])


TEMPLATE_GLOBALS = {
    "event_kind_label": event_kind_label,
    "event_status_label": event_status_label,
    "role_label": role_label,
}
