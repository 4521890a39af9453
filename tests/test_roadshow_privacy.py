"""A person's roadshow and matchmaking data is in their export and goes when they are erased."""

from __future__ import annotations

from app import db
from events.models import Category, Event
from events.roadshow.match_models import (
    MatchmakingSetup,
    MatchProfile,
    MatchSession,
    MatchUnavailability,
    MeetingRequest,
    RequestStatus,
)
from events.roadshow.models import CooperationMode, Project, ProjectInterest, ProjectStatus, Sector
from tests.conftest import csrf_token


def test_the_export_holds_and_erasure_removes_the_persons_own_words(
    app, client, make_user, make_event, make_registration, login_as
):
    organiser = make_user()
    event = make_event(organiser=organiser)
    person = make_registration(event, name="王立", email="wl@example.com")
    other = make_registration(event, name="李娜", mobile="+8613900000002")
    with app.app_context():
        setup = MatchmakingSetup(event_id=event.id, requests_open=True)
        setup.categories = list(
            db.session.scalars(db.select(Category).filter_by(event_id=event.id))
        )
        project = Project(
            event_id=event.id,
            status=ProjectStatus.ACCEPTED,
            title_zh="海洋牧场",
            summary_zh="简介",
            sector=Sector.MARINE,
            owner_name="烟台海洋集团",
            capital_wan=8000,
            cooperation_mode=CooperationMode.EQUITY,
            presenter_id=other.id,
        )
        session = MatchSession(
            event_id=event.id,
            name_zh="洽谈",
            starts_at=event.starts_at,
            slot_count=4,
            table_count=2,
        )
        db.session.add_all([setup, project, session])
        db.session.flush()
        db.session.add_all(
            [
                MatchProfile(registration_id=person.id, capacity=1, about="我家住在济南市历下区"),
                MatchUnavailability(registration_id=person.id, session_id=session.id, slot=0),
                ProjectInterest(project_id=project.id, registration_id=person.id),
                MeetingRequest(
                    event_id=event.id,
                    requester_id=person.id,
                    recipient_id=other.id,
                    low_id=min(person.id, other.id),
                    high_id=max(person.id, other.id),
                    priority=3,
                    note="请打我手机 13912345678",
                    status=RequestStatus.ACCEPTED,
                ),
            ]
        )
        db.session.commit()
        project_id = project.id
    login_as(organiser)
    base = f"/manage/{event.id}/attendees/{person.id}"
    copy = client.get(f"{base}/personal-data.json").json
    assert copy["matchmaking_profile"]["about"] == "我家住在济南市历下区"
    assert copy["projects_marked"] == [project_id]
    assert copy["meeting_requests"][0]["note"] == "请打我手机 13912345678"
    client.post(f"{base}/erase", data={"csrf_token": csrf_token(client, base)})
    with app.app_context():
        assert db.session.get(MatchProfile, person.id) is None
        assert db.session.scalar(db.select(db.func.count()).select_from(ProjectInterest)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(MatchUnavailability)) == 0
        request = db.session.scalar(db.select(MeetingRequest))
        assert request.note == ""
        assert request.status is RequestStatus.ACCEPTED  # the other side's meeting stays
        assert db.session.get(Event, event.id) is not None
