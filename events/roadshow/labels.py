"""What roadshow codes are called on screen, in the visitor's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from events.roadshow.models import CooperationMode, ProjectStatus, Sector

SECTOR_LABELS = {
    Sector.INFORMATION_TECHNOLOGY: _l("New-generation information technology"),
    Sector.HIGH_END_EQUIPMENT: _l("High-end equipment"),
    Sector.NEW_ENERGY_MATERIALS: _l("New energy and new materials"),
    Sector.MARINE: _l("Smart marine economy"),
    Sector.HEALTH: _l("Medical care and health"),
    Sector.GREEN_CHEMICALS: _l("Green chemicals"),
    Sector.AGRICULTURE: _l("Modern efficient agriculture"),
    Sector.CULTURE: _l("Culture and creative industries"),
    Sector.TOURISM: _l("Quality tourism"),
    Sector.FINANCE: _l("Modern finance"),
    Sector.OTHER: _l("Other industries"),
}

COOPERATION_LABELS = {
    CooperationMode.EQUITY: _l("Equity investment"),
    CooperationMode.JOINT_VENTURE: _l("Joint venture"),
    CooperationMode.SOLE_INVESTMENT: _l("Sole investment"),
    CooperationMode.DEBT: _l("Debt financing"),
    CooperationMode.TECHNOLOGY: _l("Technology cooperation"),
    CooperationMode.ACQUISITION: _l("Merger or acquisition"),
    CooperationMode.OTHER: _l("Other cooperation"),
}

PROJECT_STATUS_LABELS = {
    ProjectStatus.SUBMITTED: _l("Awaiting review"),
    ProjectStatus.CHANGES_REQUESTED: _l("Changes requested"),
    ProjectStatus.ACCEPTED: _l("Accepted"),
    ProjectStatus.REJECTED: _l("Rejected"),
    ProjectStatus.WITHDRAWN: _l("Withdrawn"),
}


def sector_label(sector) -> str:
    return str(SECTOR_LABELS[Sector(sector)])


def cooperation_label(mode) -> str:
    return str(COOPERATION_LABELS[CooperationMode(mode)])


def project_status_label(status) -> str:
    return str(PROJECT_STATUS_LABELS[ProjectStatus(status)])
