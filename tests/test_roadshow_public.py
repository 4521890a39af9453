"""The published roadshow programme: grid, rooms, presenters, print and iCal."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from app import db
from events.models import EventStatus
from events.roadshow.models import Project, Sector
from registration.models import RegistrationStatus
from tests.conftest import csrf_token
from tests.test_roadshow_catalogue import (
    add_project,
    add_room,
    add_schedule,
    add_session,
    texts,
    utc,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def organiser(make_user):
    return make_user(name="会务组")


@pytest.fixture
def event(make_event, organiser):
    return make_event(organiser=organiser, title_zh="2030儒商大会", title_en="Conference 2030")


@pytest.fixture
def roadshow(app, event, make_registration):
    """A morning session 09:00–12:00 (Shanghai) on 26 September, two halls, three projects.

    Version 1 and version 2 are published, and a later draft exists; version 2
    moves the park to Hall 2 at 09:20 and adds the port at 14:00 (outside the
    session). Each version's pitches are told apart by their times.
    """
    presenter = make_registration(
        event,
        name="张伟",
        organisation="济南高新区",
        mobile="+8613800000001",
        email="zhang@park.example",
    )
    investor = make_registration(event, name="李投资", mobile="+8613800000002")
    session = add_session(app, event, utc(2030, 9, 26, 1), utc(2030, 9, 26, 4))
    hall, hall2 = add_room(app, event), add_room(app, event, "二号厅", "Hall 2", 2)
    park = add_project(app, event, presenter_id=presenter.id)
    farm = add_project(
        app,
        event,
        title_zh="现代农业示范区",
        title_en="Modern Farming Zone",
        sector=Sector.AGRICULTURE,
        owner_name="潍坊市农业农村局",
        presenter_id=investor.id,
    )
    port = add_project(app, event, title_zh="智慧港口", title_en=None, owner_name="青岛港集团")
    add_schedule(
        app,
        event,
        1,
        [(park, hall, utc(2030, 9, 26, 1), 15), (farm, hall, utc(2030, 9, 26, 1, 20), 15)],
        published_at=utc(2030, 9, 1, 2),
    )
    add_schedule(
        app,
        event,
        2,
        [
            (park, hall2, utc(2030, 9, 26, 1, 20), 15),
            (farm, hall, utc(2030, 9, 26, 1), 35),
            (port, hall, utc(2030, 9, 26, 6), 15),
        ],
        published_at=utc(2030, 9, 10, 2, 30),
    )
    add_schedule(app, event, None, [(park, hall, utc(2030, 9, 27, 7), 15)])
    return {
        "park": park,
        "farm": farm,
        "port": port,
        "presenter": presenter,
        "investor": investor,
        "session": session,
        "hall": hall,
        "hall2": hall2,
    }


def page_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# The page -----------------------------------------------------------------------------


def test_nothing_published_yet_is_a_friendly_page(app, client, event):
    add_schedule(app, event, None, [])  # only a draft
    html = page_of(client, f"/e/{event.slug}/roadshow")
    assert 'data-testid="not-published"' in html
    page = texts(page_of(client, f"/e/{event.slug}/roadshow?lang=en"))
    assert "The roadshow programme has not been published yet." in page
    assert 'data-testid="not-published"' in page_of(client, f"/e/{event.slug}/roadshow/print")
    calendar = icalendar.Calendar.from_ical(client.get(f"/e/{event.slug}/roadshow.ics").data)
    assert calendar.walk("VEVENT") == []


def test_only_the_latest_published_version_is_shown(client, event, roadshow):
    html = page_of(client, f"/e/{event.slug}/roadshow?lang=en")
    page = texts(html)
    assert re.search(r"Version 2, published Sep 10, 2030,? 10:30\b", page)  # Shanghai time
    assert "Version 1" not in page
    assert "Sep 27" not in page  # the draft's time
    assert html.count('data-testid="pitch"') == 3


def test_grid_is_rooms_by_times_per_session_then_the_rest_of_the_day(client, event, roadshow):
    html = page_of(client, f"/e/{event.slug}/roadshow?lang=en")
    blocks = html.split('data-testid="block"')[1:]
    assert len(blocks) == 2
    session, rest = texts(blocks[0]), texts(blocks[1])
    assert "Roadshow (morning) 09:00–12:00" in session
    assert session.index("Hall 1") < session.index("Hall 2") < session.index("09:00–09:35")
    # 09:00: the farm in Hall 1 (35 minutes), nothing yet in Hall 2
    # 09:20: the farm still running in Hall 1, the park starting in Hall 2
    assert session.index("Modern Farming Zone") < session.index("09:20")
    assert "(continued) Modern Farming Zone" in session
    assert session.index("09:20") < session.index("Smart Equipment Park")
    assert "Presenter: 张伟" in session
    assert "High-end equipment" in session
    assert "济南高新区管委会" in session
    assert "Other pitches" in rest
    assert "智慧港口" in rest and "青岛港集团" in rest and "14:00" in rest
    assert "Saturday" not in html  # one day only: Thursday 26 September
    assert "Thursday, September 26, 2030" in texts(html)


def test_public_pages_carry_no_contact_details_nor_inline_code(client, event, roadshow):
    for query in ("", "?view=rooms", "?view=presenters"):
        html = page_of(client, f"/e/{event.slug}/roadshow{query}")
        for secret in ("+8613800000001", "13800000001", "zhang@park.example", "+8613800000002"):
            assert secret not in html
        assert "style=" not in html
        assert "<script>" not in html
        assert "css/roadshow.css" in html
    ics = client.get(f"/e/{event.slug}/roadshow.ics").get_data(as_text=True)
    assert "13800000001" not in ics and "zhang@park.example" not in ics


def test_presenters_view_lists_each_presenters_pitches_in_time_order(client, event, roadshow):
    html = page_of(client, f"/e/{event.slug}/roadshow?view=presenters&lang=en")
    groups = [texts(part) for part in html.split('data-testid="presenter"')[1:]]
    assert len(groups) == 3
    by_name = {group.split()[1]: group for group in groups}  # after the tag's leftover ">"
    assert "济南高新区" in by_name["张伟"] and "Smart Equipment Park" in by_name["张伟"]
    assert "Modern Farming Zone" in by_name["李投资"]
    assert "Presenter to be announced" in groups[-1] and "智慧港口" in groups[-1]


def test_a_cancelled_presenter_is_not_named(app, client, event, roadshow):
    from registration.models import Registration

    with app.app_context():
        db.session.get(Registration, roadshow["presenter"].id).status = RegistrationStatus.CANCELLED
        db.session.commit()
    html = page_of(client, f"/e/{event.slug}/roadshow?view=presenters")
    assert "张伟" not in html
    assert "张伟" not in page_of(client, f"/e/{event.slug}/roadshow")


def test_rooms_view_lists_each_rooms_pitches_in_time_order(client, event, roadshow):
    html = page_of(client, f"/e/{event.slug}/roadshow?view=rooms&lang=en")
    rooms = [texts(part) for part in html.split('data-testid="room"')[1:]]
    assert len(rooms) == 2
    hall, hall2 = rooms
    assert hall.index("Hall 1") < hall.index("Modern Farming Zone") < hall.index("智慧港口")
    assert "Smart Equipment Park" in hall2 and "Modern Farming Zone" not in hall2
    assert (
        page_of(client, f"/e/{event.slug}/roadshow?view=nonsense").count('data-testid="pitch"') == 3
    )  # unknown view: the grid


def test_print_page_has_one_room_per_page_and_no_navigation(app, client, event, roadshow):
    html = page_of(client, f"/e/{event.slug}/roadshow/print?lang=en")
    assert html.count('class="roadshow-print-room"') == 2
    assert "navbar" not in html
    assert "<script" not in html and "style=" not in html
    page = texts(html)
    assert page.index("Hall 1") < page.index("Hall 2")
    assert "张伟" in page and "济南高新区" in page
    css = (Path(app.static_folder) / "css" / "roadshow.css").read_text(encoding="utf-8")
    assert re.search(r"\.roadshow-print-room\s*\{[^}]*break-after:\s*page", css)


@pytest.mark.parametrize("suffix", ["roadshow", "roadshow/print", "roadshow.ics"])
def test_a_draft_events_roadshow_is_hidden_except_from_its_organisers(
    app, client, login_as, make_user, make_event, suffix
):
    organiser, outsider = make_user(), make_user()
    draft = make_event(status=EventStatus.DRAFT, organiser=organiser)
    add_schedule(app, draft, 1, [])
    url = f"/e/{draft.slug}/{suffix}"
    assert client.get(url).status_code == 404
    login_as(outsider)
    assert client.get(url).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(organiser)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_unknown_event_has_no_roadshow(client):
    for suffix in ("roadshow", "roadshow/print", "roadshow.ics"):
        assert client.get(f"/e/no-such-event/{suffix}").status_code == 404


# iCal ----------------------------------------------------------------------------------


def vevents(response) -> list:
    return icalendar.Calendar.from_ical(response.data).walk("VEVENT")


def test_ical_has_one_event_per_pitch_on_the_event_clock(client, event, roadshow):
    response = client.get(f"/e/{event.slug}/roadshow.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert (
        response.headers["Content-Disposition"] == f"attachment; filename={event.slug}-roadshow.ics"
    )
    calendar = icalendar.Calendar.from_ical(response.data)
    assert str(calendar["VERSION"]) == "2.0"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [
        f"pitch-{roadshow['farm']}@localhost",
        f"pitch-{roadshow['park']}@localhost",
        f"pitch-{roadshow['port']}@localhost",
    ]
    park = events[1]
    assert park.decoded("DTSTART") == datetime(2030, 9, 26, 9, 20, tzinfo=SHANGHAI)
    assert park["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert park.decoded("DTEND") == datetime(2030, 9, 26, 9, 35, tzinfo=SHANGHAI)
    assert str(park["SUMMARY"]) == "智能装备产业园"
    assert str(park["LOCATION"]) == "二号厅, 山东国际会展中心"
    assert "济南高新区管委会" in str(park["DESCRIPTION"])
    assert "张伟" in str(park["DESCRIPTION"])
    assert int(park["SEQUENCE"]) == 2
    assert "Presenter" not in str(events[2]["DESCRIPTION"]) or "张伟" not in str(
        events[2]["DESCRIPTION"]
    )


def test_ical_speaks_english_with_lang_en(client, event, roadshow):
    events = vevents(client.get(f"/e/{event.slug}/roadshow.ics?lang=en"))
    assert [str(e["SUMMARY"]) for e in events] == [
        "Modern Farming Zone",
        "Smart Equipment Park",
        "智慧港口",
    ]
    assert str(events[1]["LOCATION"]) == "Hall 2, 山东国际会展中心"
    assert str(events[1]["DESCRIPTION"]) == "Project owner: 济南高新区管委会\nPresenter: 张伟"


def test_ical_uids_survive_a_new_version_that_moves_a_pitch(app, client, event, roadshow):
    url = f"/e/{event.slug}/roadshow.ics"
    before = {str(e["UID"]): e for e in vevents(client.get(url))}
    add_schedule(
        app,
        event,
        3,
        [
            (roadshow["park"], roadshow["hall"], utc(2030, 9, 26, 2), 15),
            (roadshow["farm"], roadshow["hall"], utc(2030, 9, 26, 1), 35),
            (roadshow["port"], roadshow["hall"], utc(2030, 9, 26, 6), 15),
        ],
    )
    after = {str(e["UID"]): e for e in vevents(client.get(url))}
    assert set(before) == set(after)
    moved = f"pitch-{roadshow['park']}@localhost"
    assert after[moved].decoded("DTSTART") == datetime(2030, 9, 26, 10, 0, tzinfo=SHANGHAI)
    assert before[moved].decoded("DTSTART") != after[moved].decoded("DTSTART")
    assert int(after[moved]["SEQUENCE"]) > int(before[moved]["SEQUENCE"])


def test_ical_has_no_per_person_filter(client, event, roadshow):
    url = f"/e/{event.slug}/roadshow.ics"
    everyone = [str(e["UID"]) for e in vevents(client.get(url))]
    filtered = [
        str(e["UID"]) for e in vevents(client.get(f"{url}?presenter={roadshow['presenter'].id}"))
    ]
    assert filtered == everyone


def test_programme_grid_without_sessions_groups_by_day(app, event, roadshow):
    from events.roadshow import programme

    with app.app_context():
        current = db.session.merge(event)
        schedule = programme.latest_published(current)
        assert schedule.number == 2
        pitches = programme.published_pitches(schedule)
        days = programme.programme_grid(current, pitches, [])
        assert len(days) == 1
        assert [block.session for block in days[0].blocks] == [None]
        rows = days[0].blocks[0].rows
        assert [time.astimezone(SHANGHAI).strftime("%H:%M") for time, _ in rows] == [
            "09:00",
            "09:20",
            "14:00",
        ]
        assert db.session.get(Project, roadshow["park"]).presenter_id == roadshow["presenter"].id
