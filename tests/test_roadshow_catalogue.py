"""The investors' project catalogue, their interest, pitch decks and their own roadshow."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest

from app import db
from events.models import AgendaItem, AgendaKind, Room
from events.roadshow import programme
from events.roadshow.models import (
    CooperationMode,
    Pitch,
    Project,
    ProjectInterest,
    ProjectStatus,
    RoadshowSchedule,
    Sector,
)
from registration import links
from registration.models import Registration, RegistrationStatus
from tests.conftest import csrf_token


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def texts(page: str) -> str:
    """The page's text without tags and repeated spaces, for readable asserts."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


# Helpers shared with tests/test_roadshow_public.py --------------------------------


def with_token(app, registration) -> str:
    """A fresh manage link for ``registration``."""
    with app.app_context():
        token = links.issue_manage_token(db.session.get(Registration, registration.id))
        db.session.commit()
    return token


def add_project(app, event, **fields) -> int:
    values = {
        "title_zh": "智能装备产业园",
        "title_en": "Smart Equipment Park",
        "summary_zh": "建设智能装备生产基地。",
        "summary_en": "A production base for smart equipment.",
        "sector": Sector.HIGH_END_EQUIPMENT,
        "owner_name": "济南高新区管委会",
        "region": "济南",
        "capital_wan": 50_000,
        "cooperation_mode": CooperationMode.EQUITY,
        "status": ProjectStatus.ACCEPTED,
    }
    values.update(fields)
    with app.app_context():
        project = Project(event_id=event.id, **values)
        db.session.add(project)
        db.session.commit()
        return project.id


def add_room(app, event, name_zh="一号厅", name_en="Hall 1", position=1) -> int:
    with app.app_context():
        room = Room(event_id=event.id, name_zh=name_zh, name_en=name_en, position=position)
        db.session.add(room)
        db.session.commit()
        return room.id


def add_session(app, event, starts_at, ends_at, title_zh="项目路演（上午）") -> int:
    with app.app_context():
        item = AgendaItem(
            event_id=event.id,
            kind=AgendaKind.ROADSHOW,
            title_zh=title_zh,
            title_en="Roadshow (morning)",
            starts_at=starts_at,
            ends_at=ends_at,
        )
        db.session.add(item)
        db.session.commit()
        return item.id


def add_schedule(app, event, number, pitches, published_at=None) -> int:
    """A schedule (``number`` None: the draft) with ``(project, room, start, minutes)`` pitches."""
    with app.app_context():
        schedule = RoadshowSchedule(
            event_id=event.id,
            number=number,
            published_at=published_at or (utc(2030, 9, 1, 2) if number else None),
        )
        for project_id, room_id, starts_at, minutes in pitches:
            schedule.pitches.append(
                Pitch(
                    project_id=project_id,
                    room_id=room_id,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=minutes),
                )
            )
        db.session.add(schedule)
        db.session.commit()
        return schedule.id


# Fixtures ---------------------------------------------------------------------------


@pytest.fixture
def event(make_event):
    return make_event(title_zh="2030儒商大会", title_en="Conference 2030")


@pytest.fixture
def investor(app, event, make_registration):
    registration = make_registration(event, name="李投资", email="li@invest.example")
    registration.token = with_token(app, registration)
    return registration


@pytest.fixture
def catalogue(app, event, make_event):
    """Three accepted projects, one awaiting review, one accepted for another event."""
    other = make_event()
    return {
        "park": add_project(app, event),
        "farm": add_project(
            app,
            event,
            title_zh="现代农业示范区",
            title_en="Modern Farming Zone",
            sector=Sector.AGRICULTURE,
            region="潍坊",
            capital_wan=8_000,
            cooperation_mode=CooperationMode.JOINT_VENTURE,
        ),
        "port": add_project(
            app,
            event,
            title_zh="智慧港口",
            title_en=None,
            summary_en=None,
            sector=Sector.MARINE,
            region="青岛",
            capital_wan=120_000,
        ),
        "pending": add_project(app, event, title_zh="待审项目", status=ProjectStatus.SUBMITTED),
        "foreign": add_project(app, other, title_zh="外会项目"),
    }


def page_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def mark(client, token, project_id, action="mark", query=""):
    url = f"/r/{token}/catalogue/{project_id}/interest{query}"
    return client.post(
        url,
        data={"action": action, "csrf_token": csrf_token(client, f"/r/{token}/catalogue")},
    )


def interests(app) -> list[tuple[int, int]]:
    with app.app_context():
        return sorted(
            db.session.execute(
                db.select(ProjectInterest.project_id, ProjectInterest.registration_id)
            ).all()
        )


# The catalogue ----------------------------------------------------------------------


def test_catalogue_shows_the_accepted_projects_of_the_registrations_event(
    client, investor, catalogue
):
    page = texts(page_of(client, f"/r/{investor.token}/catalogue"))
    for title in ("智能装备产业园", "现代农业示范区", "智慧港口"):
        assert title in page
    assert "待审项目" not in page
    assert "外会项目" not in page
    assert "济南高新区管委会" in page
    assert "建设智能装备生产基地。" in page
    assert "50,000" in page  # in 万元 (the words are translated from tests/test_i18n's catalogue)


def test_catalogue_speaks_the_visitors_language(client, investor, catalogue):
    page = texts(page_of(client, f"/r/{investor.token}/catalogue?lang=en"))
    assert "Smart Equipment Park" in page
    assert "A production base for smart equipment." in page
    assert "智慧港口" in page  # no English title: the Chinese one
    assert "RMB 500 million" in page
    assert "Modern efficient agriculture" in page
    assert "Joint venture" in page
    assert "You have marked 0 projects." in page


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("", {"park", "farm", "port"}),
        ("?sector=agriculture", {"farm"}),
        ("?min=10000", {"park", "port"}),
        ("?max=50000", {"park", "farm"}),
        ("?min=8000&max=8000", {"farm"}),
        ("?min=1,000&max=60,000", {"park", "farm"}),
        ("?region=青岛", {"port"}),
        ("?region=上海", set()),
        ("?sector=high_end_equipment&region=济南&min=1", {"park"}),
    ],
)
def test_catalogue_filters(client, investor, catalogue, query, shown):
    page = page_of(client, f"/r/{investor.token}/catalogue{query}")
    found = {name for name in ("park", "farm", "port") if f'id="project-{catalogue[name]}"' in page}
    assert found == shown
    assert 'data-testid="filter-message"' not in page
    if not shown:
        assert 'data-testid="no-match"' in page


def test_region_filter_offers_the_regions_of_accepted_projects(client, investor, catalogue):
    page = page_of(client, f"/r/{investor.token}/catalogue")
    regions = re.findall(r'<option value="([^"]*)"[^>]*>\1</option>', page)
    # Sorted by the database's collation, which differs between SQLite and PostgreSQL.
    assert sorted(regions) == ["济南", "潍坊", "青岛"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?min=abc", "“abc” is not a whole number of 10,000 yuan: ignored."),
        ("?max=-5", "“-5” is not a whole number of 10,000 yuan: ignored."),
        ("?max=1e9999", "“1e9999” is not a whole number of 10,000 yuan: ignored."),
        ("?min=99999999999999999999", "is not a whole number of 10,000 yuan: ignored."),
        ("?min=9000&max=10", "The minimum capital is above the maximum: no capital filter used."),
        ("?sector=spaceships", "Unknown sector: showing all sectors."),
    ],
)
def test_bad_filters_are_explained_and_dropped(client, investor, catalogue, query, message):
    page = page_of(client, f"/r/{investor.token}/catalogue{query}&lang=en")
    assert message in html.unescape(texts(page))
    for name in ("park", "farm", "port"):
        assert f'id="project-{catalogue[name]}"' in page


def test_an_empty_catalogue_says_so(client, investor):
    page = page_of(client, f"/r/{investor.token}/catalogue?lang=en")
    assert 'data-testid="empty"' in page
    assert "No projects are in the catalogue yet." in page
    assert "roadshow-filters" not in page


def test_catalogue_is_private_and_never_cached(client, investor, catalogue):
    response = client.get(f"/r/{investor.token}/catalogue")
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/r/not-a-real-token/catalogue").status_code == 404
    page = response.get_data(as_text=True)
    assert "style=" not in page
    assert "<script>" not in page


# Interest -----------------------------------------------------------------------------


def test_marking_twice_keeps_one_mark_and_unmarking_twice_is_harmless(
    app, client, investor, catalogue
):
    park = catalogue["park"]
    client.get("/?lang=en")  # the rest of the visit in English
    for _ in range(2):
        response = mark(client, investor.token, park)
        assert response.status_code == 302
    assert interests(app) == [(park, investor.id)]
    page = texts(page_of(client, f"/r/{investor.token}/catalogue?lang=en"))
    assert "You have marked 1 project." in page
    assert "Marked: “Smart Equipment Park”." in page.replace("&quot;", '"')
    for _ in range(2):
        assert mark(client, investor.token, park, "unmark").status_code == 302
    assert interests(app) == []


def test_marking_goes_back_to_the_same_filtered_list(client, investor, catalogue):
    farm = catalogue["farm"]
    response = mark(client, investor.token, farm, query="?sector=agriculture&min=100&mine=1")
    location = urlsplit(response.headers["Location"])
    assert location.path == f"/r/{investor.token}/catalogue"
    assert parse_qs(location.query) == {"sector": ["agriculture"], "min": ["100"], "mine": ["1"]}
    assert location.fragment == f"project-{farm}"
    page = page_of(client, f"/r/{investor.token}/catalogue?mine=1")
    assert f'id="project-{farm}"' in page
    assert f'id="project-{catalogue["park"]}"' not in page
    assert 'data-testid="marked-badge"' in page


@pytest.mark.parametrize("name", ["pending", "foreign"])
def test_marking_a_project_that_is_not_in_the_catalogue_is_404(
    app, client, investor, catalogue, name
):
    assert mark(client, investor.token, catalogue[name]).status_code == 404
    assert mark(client, investor.token, 999_999).status_code == 404
    assert interests(app) == []


def test_marking_needs_the_csrf_token_and_a_known_action(app, client, investor, catalogue):
    url = f"/r/{investor.token}/catalogue/{catalogue['park']}/interest"
    assert client.post(url, data={"action": "mark"}).status_code == 400
    token = csrf_token(client, f"/r/{investor.token}/catalogue")
    assert client.post(url, data={"action": "toggle", "csrf_token": token}).status_code == 400
    assert interests(app) == []


@pytest.mark.parametrize("status", [RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED])
def test_unconfirmed_registrations_browse_but_cannot_mark(
    app, client, event, make_registration, catalogue, status
):
    registration = make_registration(event, status=status)
    token = with_token(app, registration)
    page = page_of(client, f"/r/{token}/catalogue?lang=en")
    assert 'data-testid="read-only"' in page
    assert "Mark as interesting" not in page
    assert "智能装备产业园" not in page  # English page: the English title
    assert "Smart Equipment Park" in page
    assert mark(client, token, catalogue["park"]).status_code == 403
    assert interests(app) == []


@pytest.mark.parametrize("status", [RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED])
def test_cancelled_registrations_have_no_catalogue(
    app, client, event, make_registration, catalogue, status
):
    registration = make_registration(event, status=status)
    token = with_token(app, registration)
    for path in ("catalogue", "roadshow", "roadshow.ics", f"catalogue/{catalogue['park']}/deck"):
        assert client.get(f"/r/{token}/{path}").status_code == 404
    response = client.post(
        f"/r/{token}/catalogue/{catalogue['park']}/interest",
        data={"action": "mark", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 404


def test_interest_counts_per_project(app, event, make_registration, catalogue):
    people = [make_registration(event, mobile=f"+861390000000{n}") for n in range(3)]
    with app.app_context():
        for person in people:
            db.session.add(ProjectInterest(project_id=catalogue["park"], registration_id=person.id))
        db.session.add(ProjectInterest(project_id=catalogue["farm"], registration_id=people[0].id))
        db.session.commit()
        counts = programme.interest_counts(db.session.merge(event))
    assert counts == {catalogue["park"]: 3, catalogue["farm"]: 1}


# Pitch decks ----------------------------------------------------------------------------


def test_deck_downloads_as_a_pdf_attachment(app, client, investor, event):
    key = "a1b2c3d4e5"
    project = add_project(app, event, deck_key=key, deck_filename="park.pdf")
    decks = Path(app.instance_path) / "decks"
    decks.mkdir(parents=True, exist_ok=True)
    (decks / f"{key}.pdf").write_bytes(b"%PDF-1.4 test deck")
    try:
        page = page_of(client, f"/r/{investor.token}/catalogue")
        assert f"/r/{investor.token}/catalogue/{project}/deck" in page
        response = client.get(f"/r/{investor.token}/catalogue/{project}/deck")
        body = response.get_data()
        response.close()
        assert response.status_code == 200
        assert body == b"%PDF-1.4 test deck"
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"] == "attachment; filename=park.pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
    finally:
        (decks / f"{key}.pdf").unlink()


def test_missing_or_unknown_decks_are_404(app, client, investor, event, make_event):
    no_deck = add_project(app, event)
    lost = add_project(app, event, deck_key="lostdeck")
    walker = add_project(app, event, deck_key="../../etc/passwd")
    foreign = add_project(app, make_event(), deck_key="lostdeck")
    page = page_of(client, f"/r/{investor.token}/catalogue")
    assert f"/catalogue/{no_deck}/deck" not in page
    for project in (no_deck, lost, walker, foreign):
        assert client.get(f"/r/{investor.token}/catalogue/{project}/deck").status_code == 404


# My roadshow ------------------------------------------------------------------------------


@pytest.fixture
def published(app, event, make_registration, catalogue, investor):
    """Version 1: the park (presented by 张伟) and the farm at 09:00 in two rooms, the port
    at 09:20. The investor marked the park and the farm (a clash) and the port."""
    presenter = make_registration(
        event, name="张伟", organisation="济南高新区", mobile="+8613800000001"
    )
    presenter.token = with_token(app, presenter)
    with app.app_context():
        db.session.get(Project, catalogue["park"]).presenter_id = presenter.id
        for name in ("park", "farm", "port"):
            db.session.add(ProjectInterest(project_id=catalogue[name], registration_id=investor.id))
        db.session.commit()
    hall, room = add_room(app, event), add_room(app, event, "二号厅", "Hall 2", 2)
    add_schedule(
        app,
        event,
        1,
        [
            (catalogue["park"], hall, utc(2030, 9, 26, 1), 15),
            (catalogue["farm"], room, utc(2030, 9, 26, 1), 15),
            (catalogue["port"], hall, utc(2030, 9, 26, 1, 20), 15),
        ],
    )
    return presenter


def test_presenter_sees_their_published_slot(client, published):
    page = texts(page_of(client, f"/r/{published.token}/roadshow?lang=en"))
    mine = page[page.index("My pitches") : page.index("Projects I marked")]
    assert "Smart Equipment Park" in mine
    assert "Hall 1" in mine
    assert "09:00–09:15" in mine
    assert "Version 1, published" in page


def test_investor_sees_marked_slots_with_clashes_flagged(client, investor, published, catalogue):
    markup = page_of(client, f"/r/{investor.token}/roadshow?lang=en")
    assert 'data-testid="clash-warning"' in markup
    assert markup.count('data-testid="clash"') == 2
    page = texts(markup)
    assert "You are not presenting a project in this version." in page
    for title in ("Smart Equipment Park", "Modern Farming Zone", "智慧港口"):
        assert title in page


def test_no_clash_when_marked_pitches_only_touch(app, client, investor, published, catalogue):
    with app.app_context():
        db.session.execute(
            db.delete(ProjectInterest).where(ProjectInterest.project_id == catalogue["farm"])
        )
        db.session.commit()
    markup = page_of(client, f"/r/{investor.token}/roadshow")
    assert 'data-testid="clash"' not in markup
    assert 'data-testid="clash-warning"' not in markup


def test_my_roadshow_before_publication(client, investor, catalogue):
    markup = page_of(client, f"/r/{investor.token}/roadshow")
    assert 'data-testid="not-published"' in markup
    calendar = icalendar.Calendar.from_ical(client.get(f"/r/{investor.token}/roadshow.ics").data)
    assert calendar.walk("VEVENT") == []


def test_my_calendar_lists_the_pitches_i_present(client, investor, published, catalogue):
    response = client.get(f"/r/{published.token}/roadshow.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"
    events = icalendar.Calendar.from_ical(response.data).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"pitch-{catalogue['park']}@localhost"]
    assert events[0]["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert "+8613800000001" not in response.get_data(as_text=True)
    investor_events = icalendar.Calendar.from_ical(
        client.get(f"/r/{investor.token}/roadshow.ics").data
    ).walk("VEVENT")
    assert investor_events == []


def test_clashing_is_about_time_not_rooms():
    from types import SimpleNamespace

    def pitch(ident, start, end):
        return SimpleNamespace(
            id=ident, starts_at=utc(2030, 1, 1, *start), ends_at=utc(2030, 1, 1, *end)
        )

    pitches = [pitch(1, (9, 0), (9, 15)), pitch(2, (9, 10), (9, 25)), pitch(3, (9, 25), (9, 40))]
    assert programme.clashing(pitches) == {1, 2}
    assert programme.clashing(pitches[2:]) == set()
