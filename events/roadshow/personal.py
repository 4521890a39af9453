"""What the roadshow and matchmaking keep about a person, for the export and for erasure.

Registered as steps of :mod:`registration.personal_data` (the export) and
:mod:`registration.privacy` (anonymising), which never import the roadshow.
Projects are business records of their owner and stay; the person's own
words (profile, request notes) and marks go.
"""

from __future__ import annotations

from app import db
from events.roadshow.match_models import (
    MatchProfile,
    MatchUnavailability,
    MeetingRequest,
)
from events.roadshow.models import PresenterUnavailability, ProjectInterest
from registration.models import Registration


def record(registration: Registration) -> dict:
    profile = db.session.get(MatchProfile, registration.id)
    interests = db.session.scalars(
        db.select(ProjectInterest.project_id).filter_by(registration_id=registration.id)
    ).all()
    requests = db.session.scalars(
        db.select(MeetingRequest)
        .where(
            (MeetingRequest.requester_id == registration.id)
            | (MeetingRequest.recipient_id == registration.id)
        )
        .order_by(MeetingRequest.id)
    )
    return {
        "projects_marked": list(interests),
        "matchmaking_profile": None
        if profile is None
        else {
            "capacity": profile.capacity,
            "sector": profile.sector.value if profile.sector else None,
            "region": profile.region,
            "capital_wan": profile.capital_wan,
            "about": profile.about,
            "listed": profile.listed,
        },
        "meeting_requests": [
            {
                "with": (r.recipient_id if r.requester_id == registration.id else r.requester_id),
                "asked_by_me": r.requester_id == registration.id,
                "priority": r.priority,
                "note": r.note if r.requester_id == registration.id else "",
                "status": r.status.value,
            }
            for r in requests
        ],
    }


def anonymise(registration: Registration) -> None:
    db.session.execute(
        db.delete(MatchProfile).where(MatchProfile.registration_id == registration.id)
    )
    db.session.execute(
        db.delete(MatchUnavailability).where(MatchUnavailability.registration_id == registration.id)
    )
    db.session.execute(
        db.delete(PresenterUnavailability).where(
            PresenterUnavailability.registration_id == registration.id
        )
    )
    db.session.execute(
        db.delete(ProjectInterest).where(ProjectInterest.registration_id == registration.id)
    )
    db.session.execute(
        db.update(MeetingRequest)
        .where(MeetingRequest.requester_id == registration.id)
        .values(note="")
    )
