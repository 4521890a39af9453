"""Rooms, the agenda editor, the public programme and its iCal export."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import icalendar
import pytest

from app import db
from events.models import AgendaItem, AgendaKind, AuditEntry, EventStatus, Room
from events.programme_services import overlapping_items
from tests.conftest import csrf_token

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Fixtures and helpers -----------------------------------------------------------


@pytest.fixture
def organiser(make_user):
    return make_user(name="会务组")


@pytest.fixture
def event(make_event, organiser):
    """Runs 2030-09-25 09:00 to 2030-09-27 18:00 in Shanghai (01:00Z to 10:00Z)."""
    return make_event(organiser=organiser, title_zh="2030儒商大会", title_en="Conference 2030")


@pytest.fixture
def signed_in(client, login_as, organiser):
    """The organiser's browser, speaking English so that UI text can be asserted."""
    client.get("/?lang=en")
    login_as(organiser)
    return client


def add_room(app, event, name_zh="主会场", name_en="Main Hall", capacity=1200, position=1):
    with app.app_context():
        room = Room(
            event_id=event.id,
            name_zh=name_zh,
            name_en=name_en,
            capacity=capacity,
            position=position,
        )
        db.session.add(room)
        db.session.commit()
        return room.id


def add_item(app, event, starts_at, ends_at, *, room_id=None, **fields):
    values = {"title_zh": "开幕式", "title_en": "Opening ceremony", "kind": AgendaKind.PLENARY}
    values.update(fields)
    with app.app_context():
        item = AgendaItem(
            event_id=event.id, room_id=room_id, starts_at=starts_at, ends_at=ends_at, **values
        )
        db.session.add(item)
        db.session.commit()
        return item.id


def item_form(**overrides) -> dict:
    """A valid agenda item as the browser sends it: wall-clock times in Shanghai."""
    data = {
        "kind": "plenary",
        "title_zh": "开幕式暨主旨演讲",
        "title_en": "Opening ceremony and keynote",
        "room_id": "",
        "starts_at": "2030-09-25T09:00",
        "ends_at": "2030-09-25T10:30",
        "speakers": "省工商联领导、知名企业家代表",
        "description_zh": "",
        "description_en": "",
    }
    data.update(overrides)
    return data


def post_form(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(model)).scalar()


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.execute(db.select(AuditEntry.action).order_by(AuditEntry.id)).scalars()
        )


def errors(response) -> list[str]:
    """The form errors shown under the fields, unescaped."""
    found = re.findall(
        r'<div class="invalid-feedback d-block">(.*?)</div>', response.get_data(True)
    )
    return [html.unescape(text) for text in found]


def texts(page: str) -> str:
    """The page's text with tags and repeated spaces removed, for readable asserts."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))


# Rooms --------------------------------------------------------------------------


def test_organiser_adds_edits_and_deletes_a_room(app, signed_in, event):
    url = f"/manage/{event.id}/rooms"
    response = post_form(
        signed_in, url, {"name_zh": "主会场", "name_en": "Main Hall", "capacity": "1200"}
    )
    assert response.status_code == 302
    with app.app_context():
        room = db.session.execute(db.select(Room)).scalar_one()
        assert (room.name_zh, room.name_en, room.capacity, room.position) == (
            "主会场",
            "Main Hall",
            1200,
            1,
        )
        room_id = room.id
    page = signed_in.get(url).get_data(as_text=True)
    assert "Room “Main Hall” added." in page
    assert "主会场" in page

    edit_url = f"{url}/{room_id}"
    assert 'value="主会场"' in signed_in.get(edit_url).get_data(as_text=True)
    response = post_form(
        signed_in,
        edit_url,
        {"name_zh": "一号会议室", "name_en": "", "capacity": "", "position": "3"},
    )
    assert response.status_code == 302
    with app.app_context():
        room = db.session.get(Room, room_id)
        assert (room.name_zh, room.name_en, room.capacity, room.position) == (
            "一号会议室",
            None,
            None,
            3,
        )

    response = post_form(signed_in, f"{edit_url}/delete", {})
    assert response.status_code == 302
    assert count(app, Room) == 0
    assert "Room “一号会议室” deleted." in signed_in.get(url).get_data(as_text=True)
    assert audit_actions(app) == ["room.created", "room.updated", "room.deleted"]


def test_deleting_a_room_keeps_its_agenda_items_and_says_so(app, signed_in, event):
    room_id = add_room(app, event)
    item_id = add_item(app, event, utc(2030, 9, 25, 1), utc(2030, 9, 25, 2), room_id=room_id)
    response = post_form(signed_in, f"/manage/{event.id}/rooms/{room_id}/delete", {})
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "its agenda items (1) stay in the programme without a room" in page
    with app.app_context():
        item = db.session.get(AgendaItem, item_id)
        assert item is not None
        assert item.room_id is None
        entry = db.session.execute(
            db.select(AuditEntry).filter_by(action="room.deleted")
        ).scalar_one()
        assert entry.details["items_without_room"] == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name_zh": "", "name_en": "Main Hall"}, "Enter the room's Chinese name."),
        ({"name_zh": "   "}, "Enter the room's Chinese name."),
        ({"name_zh": "主会场", "capacity": "0"}, "Enter a positive number of seats"),
        ({"name_zh": "主会场", "capacity": "-20"}, "Enter a positive number of seats"),
        ({"name_zh": "主会场", "capacity": "many"}, "Not a valid integer value."),
    ],
    ids=["no-chinese-name", "blank-chinese-name", "zero-seats", "negative-seats", "not-a-number"],
)
def test_room_form_refuses_bad_input_and_saves_nothing(app, signed_in, event, fields, message):
    response = post_form(signed_in, f"/manage/{event.id}/rooms", fields)
    assert response.status_code == 200
    assert any(message in error for error in errors(response)), errors(response)
    assert count(app, Room) == 0
    assert audit_actions(app) == []


def test_editing_a_room_refuses_bad_input_and_keeps_the_room(app, signed_in, event):
    room_id = add_room(app, event)
    response = post_form(
        signed_in, f"/manage/{event.id}/rooms/{room_id}", {"name_zh": "", "capacity": "0"}
    )
    assert response.status_code == 200
    assert errors(response) == [
        "Enter the room's Chinese name.",
        "Enter a positive number of seats, or leave it empty.",
    ]
    with app.app_context():
        assert db.session.get(Room, room_id).name_zh == "主会场"


# Agenda items -------------------------------------------------------------------


def test_times_entered_in_shanghai_are_stored_in_utc_and_shown_back(app, signed_in, event):
    room_id = add_room(app, event)
    response = post_form(signed_in, f"/manage/{event.id}/agenda", item_form(room_id=room_id))
    assert response.status_code == 302
    with app.app_context():
        item = db.session.execute(db.select(AgendaItem)).scalar_one()
        assert item.starts_at == utc(2030, 9, 25, 1, 0)
        assert item.ends_at == utc(2030, 9, 25, 2, 30)
        assert item.room_id == room_id
        assert item.kind is AgendaKind.PLENARY
        assert item.speakers == "省工商联领导、知名企业家代表"
        assert item.description_en is None
        item_id = item.id
    assert response.headers["Location"].endswith(f"#item-{item_id}")

    listing = texts(signed_in.get(f"/manage/{event.id}/agenda").get_data(as_text=True))
    assert "Added to the programme." in listing
    assert "Wednesday, September 25, 2030" in listing
    assert "09:00–10:30 Main Hall Plenary Opening ceremony and keynote" in listing

    edit_page = signed_in.get(f"/manage/{event.id}/agenda/{item_id}").get_data(as_text=True)
    assert 'value="2030-09-25T09:00"' in edit_page
    assert 'value="2030-09-25T10:30"' in edit_page
    assert f'<option selected value="{room_id}">' in edit_page
    assert audit_actions(app) == ["agenda_item.created"]


def test_organiser_edits_and_removes_an_item(app, signed_in, event):
    item_id = add_item(app, event, utc(2030, 9, 25, 1), utc(2030, 9, 25, 2))
    url = f"/manage/{event.id}/agenda/{item_id}"
    response = post_form(
        signed_in,
        url,
        item_form(
            kind="forum",
            title_zh="新一代信息技术产业论坛",
            title_en="",
            starts_at="2030-09-26T14:00",
            ends_at="2030-09-26T17:30",
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        item = db.session.get(AgendaItem, item_id)
        assert item.kind is AgendaKind.FORUM
        assert item.title_en is None
        assert (item.starts_at, item.ends_at) == (utc(2030, 9, 26, 6), utc(2030, 9, 26, 9, 30))
        entry = db.session.execute(
            db.select(AuditEntry).filter_by(action="agenda_item.updated")
        ).scalar_one()
        assert entry.details["changes"]["title_zh"] == ["开幕式", "新一代信息技术产业论坛"]
        assert entry.event_id == event.id
        assert entry.actor_id is not None

    response = post_form(signed_in, f"{url}/delete", {})
    assert response.status_code == 302
    assert count(app, AgendaItem) == 0
    page = signed_in.get(f"/manage/{event.id}/agenda").get_data(as_text=True)
    assert "“新一代信息技术产业论坛” removed from the programme." in page
    assert audit_actions(app) == ["agenda_item.updated", "agenda_item.deleted"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ends_at": "2030-09-25T08:00"}, "The end must be after the start."),
        ({"ends_at": "2030-09-25T09:00"}, "The end must be after the start."),
        ({"title_zh": ""}, "Enter the Chinese title."),
        ({"title_zh": "  ", "title_en": "Opening"}, "Enter the Chinese title."),
        ({"starts_at": ""}, "Enter the date and time it starts."),
        ({"starts_at": "tomorrow morning"}, "Not a valid datetime value."),
        ({"kind": "party"}, "Not a valid choice."),
        ({"room_id": "abc"}, "Invalid Choice: could not coerce."),
    ],
    ids=[
        "end-before-start",
        "end-equals-start",
        "no-chinese-title",
        "blank-chinese-title",
        "no-start",
        "unreadable-start",
        "unknown-kind",
        "room-not-a-number",
    ],
)
def test_item_form_refuses_bad_input_and_saves_nothing(app, signed_in, event, fields, message):
    response = post_form(signed_in, f"/manage/{event.id}/agenda", item_form(**fields))
    assert response.status_code == 200
    assert any(message in error for error in errors(response)), errors(response)
    assert count(app, AgendaItem) == 0
    assert audit_actions(app) == []


def test_a_room_of_another_event_is_refused(app, signed_in, event, make_event):
    other_room = add_room(app, make_event(), name_zh="别的会场")
    response = post_form(
        signed_in, f"/manage/{event.id}/agenda", item_form(room_id=str(other_room))
    )
    assert response.status_code == 200
    assert errors(response) == ["Choose one of this event's rooms."]
    assert count(app, AgendaItem) == 0


def test_editing_an_item_refuses_bad_input_and_keeps_it(app, signed_in, event, make_event):
    item_id = add_item(app, event, utc(2030, 9, 25, 1), utc(2030, 9, 25, 2))
    other_room = add_room(app, make_event(), name_zh="别的会场")
    response = post_form(
        signed_in,
        f"/manage/{event.id}/agenda/{item_id}",
        item_form(title_zh="", ends_at="2030-09-25T08:00", room_id=str(other_room)),
    )
    assert response.status_code == 200
    assert sorted(errors(response)) == [
        "Choose one of this event's rooms.",
        "Enter the Chinese title.",
        "The end must be after the start.",
    ]
    with app.app_context():
        item = db.session.get(AgendaItem, item_id)
        assert (item.title_zh, item.room_id) == ("开幕式", None)
    assert audit_actions(app) == []


def test_double_booking_warns_but_saves(app, signed_in, event):
    room_id = add_room(app, event)
    add_item(app, event, utc(2030, 9, 25, 1), utc(2030, 9, 25, 2, 30), room_id=room_id)
    response = post_form(
        signed_in,
        f"/manage/{event.id}/agenda",
        item_form(
            title_zh="重点项目推介会",
            title_en="Major projects roadshow",
            kind="roadshow",
            room_id=str(room_id),
            starts_at="2030-09-25T10:00",
            ends_at="2030-09-25T11:30",
        ),
    )
    assert response.status_code == 302
    assert count(app, AgendaItem) == 2
    page = signed_in.get(f"/manage/{event.id}/agenda").get_data(as_text=True)
    assert "Main Hall is also booked for “Opening ceremony” at that time." in page
    assert page.count('data-warning="double_booked"') == 2  # both items carry the badge
    assert "Double-booked with “Major projects roadshow”" in page


def test_touching_items_in_one_room_are_not_double_booked(app, signed_in, event):
    room_id = add_room(app, event)
    add_item(app, event, utc(2030, 9, 25, 1), utc(2030, 9, 25, 2, 30), room_id=room_id)
    response = post_form(
        signed_in,
        f"/manage/{event.id}/agenda",
        item_form(room_id=str(room_id), starts_at="2030-09-25T10:30", ends_at="2030-09-25T11:30"),
    )
    assert response.status_code == 302
    page = signed_in.get(f"/manage/{event.id}/agenda").get_data(as_text=True)
    assert "also booked" not in page
    assert "data-warning" not in page


def test_an_item_outside_the_event_dates_warns_but_saves(app, signed_in, event):
    response = post_form(
        signed_in,
        f"/manage/{event.id}/agenda",
        item_form(starts_at="2030-09-27T17:00", ends_at="2030-09-27T19:00"),
    )
    assert response.status_code == 302
    assert count(app, AgendaItem) == 1
    page = signed_in.get(f"/manage/{event.id}/agenda").get_data(as_text=True)
    assert "This item is outside the event&#39;s dates" in page
    assert 'data-warning="outside_event"' in page


def test_overlaps_are_found_per_room_and_touching_is_not_overlapping():
    def item(id, room, start, end):
        return SimpleNamespace(
            id=id, room_id=room, starts_at=utc(2030, 9, 25, start), ends_at=utc(2030, 9, 25, end)
        )

    a, b, c = item(1, 7, 1, 3), item(2, 7, 2, 4), item(3, 7, 4, 5)
    elsewhere, roomless, roomless_too = item(4, 8, 1, 5), item(5, None, 1, 5), item(6, None, 1, 5)
    inside = item(7, 7, 0, 6)  # spans all three
    clashes = overlapping_items([c, b, a, elsewhere, roomless, roomless_too, inside])
    ids = {key: sorted(other.id for other in others) for key, others in clashes.items()}
    assert ids == {1: [2, 7], 2: [1, 7], 3: [7], 7: [1, 2, 3]}


def test_agenda_list_groups_items_by_day_in_the_event_time_zone(app, signed_in, event):
    # 07:30 in Shanghai on the 26th is still the 25th in UTC.
    add_item(app, event, utc(2030, 9, 25, 23, 30), utc(2030, 9, 26, 0, 30), title_en="Breakfast")
    add_item(app, event, utc(2030, 9, 25, 1), utc(2030, 9, 25, 2), title_en="Opening")
    page = texts(signed_in.get(f"/manage/{event.id}/agenda").get_data(as_text=True))
    first_day = page.index("Wednesday, September 25, 2030")
    second_day = page.index("Thursday, September 26, 2030")
    assert first_day < page.index("09:00–10:00") < page.index("Opening") < second_day
    assert second_day < page.index("07:30–08:30") < page.index("Breakfast")


# Public programme ---------------------------------------------------------------


@pytest.fixture
def programme(app, event):
    """Two days of programme, one item without an English title."""
    hall = add_room(app, event)
    forum_room = add_room(app, event, name_zh="一号会议室", name_en="Meeting Room 1", position=2)
    add_item(
        app,
        event,
        utc(2030, 9, 26, 1),
        utc(2030, 9, 26, 3, 30),
        room_id=forum_room,
        kind=AgendaKind.FORUM,
        title_zh="高端装备产业论坛",
        title_en="High-end Equipment Forum",
        speakers="行业协会负责人",
        description_zh="聚焦智能制造。",
        description_en="On smart manufacturing.",
    )
    add_item(
        app,
        event,
        utc(2030, 9, 25, 1),
        utc(2030, 9, 25, 3, 30),
        room_id=hall,
        speakers="省工商联领导、知名企业家代表",
    )
    add_item(
        app,
        event,
        utc(2030, 9, 25, 4),
        utc(2030, 9, 25, 5, 30),
        kind=AgendaKind.MEAL,
        title_zh="自助午餐",
        title_en=None,
    )
    return event


def test_public_programme_groups_by_day_in_english(client, programme):
    page = texts(client.get(f"/e/{programme.slug}/programme?lang=en").get_data(as_text=True))
    day_one = page.index("Wednesday, September 25, 2030")
    day_two = page.index("Thursday, September 26, 2030")
    opening = page.index("09:00–11:30 Plenary Main Hall Opening ceremony")
    lunch = page.index("12:00–13:30 Meal 自助午餐")  # no English title: the Chinese one
    forum = page.index("09:00–11:30 Forum Meeting Room 1 High-end Equipment Forum")
    assert day_one < opening < lunch < day_two < forum
    assert "Speakers: 省工商联领导、知名企业家代表" in page
    assert "On smart manufacturing." in page
    assert "Times are local time in Asia/Shanghai." in page


def test_public_programme_groups_by_day_in_chinese(client, programme):
    html = client.get(f"/e/{programme.slug}/programme").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    page = texts(html)
    day_one = page.index("2030年9月25日星期三")
    day_two = page.index("2030年9月26日星期四")
    assert day_one < page.index("开幕式") < page.index("自助午餐") < day_two
    assert day_two < page.index("高端装备产业论坛") < page.index("聚焦智能制造。")
    assert "Opening ceremony" not in page


def test_event_page_links_to_its_programme_and_calendar(client, programme, make_event):
    page = client.get(f"/e/{programme.slug}?lang=en").get_data(as_text=True)
    assert f'href="/e/{programme.slug}/programme"' in page
    assert f'href="/e/{programme.slug}/programme.ics?lang=en"' in page
    assert "Add to calendar (.ics)" in page
    empty = make_event()
    assert "/programme" not in client.get(f"/e/{empty.slug}").get_data(as_text=True)


def test_public_programme_page_is_readable_on_a_phone(client, programme):
    page = client.get(f"/e/{programme.slug}/programme").get_data(as_text=True)
    assert 'name="viewport"' in page
    assert "col-12 col-sm-3" in page  # time above the title on narrow screens
    assert "style=" not in page
    assert "<script>" not in page


def test_programme_texts_are_escaped(app, client, event):
    add_item(app, event, utc(2030, 9, 25, 1), utc(2030, 9, 25, 2), speakers="<b>主持人</b>")
    page = client.get(f"/e/{event.slug}/programme").get_data(as_text=True)
    assert "&lt;b&gt;主持人&lt;/b&gt;" in page
    assert "<b>主持人" not in page


@pytest.mark.parametrize("suffix", ["programme", "programme.ics"])
def test_a_draft_programme_is_hidden_except_from_its_organisers(
    app, client, login_as, make_user, make_event, suffix
):
    organiser, outsider = make_user(), make_user()
    draft = make_event(status=EventStatus.DRAFT, organiser=organiser)
    add_item(app, draft, utc(2030, 9, 25, 1), utc(2030, 9, 25, 2))
    url = f"/e/{draft.slug}/{suffix}"
    assert client.get(url).status_code == 404
    login_as(outsider)
    assert client.get(url).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(organiser)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_unknown_event_has_no_programme(client):
    assert client.get("/e/no-such-event/programme").status_code == 404
    assert client.get("/e/no-such-event/programme.ics").status_code == 404


# iCal ---------------------------------------------------------------------------


def vevents(response) -> list:
    return icalendar.Calendar.from_ical(response.data).walk("VEVENT")


def test_ical_has_one_event_per_item_on_the_event_clock(client, programme):
    response = client.get(f"/e/{programme.slug}/programme.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert (
        response.headers["Content-Disposition"]
        == f"attachment; filename={programme.slug}-programme.ics"
    )
    calendar = icalendar.Calendar.from_ical(response.data)
    assert str(calendar["VERSION"]) == "2.0"
    assert calendar["PRODID"]
    assert str(calendar["X-WR-CALNAME"]) == "2030儒商大会"
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]

    events = calendar.walk("VEVENT")
    assert len(events) == 3
    opening = events[0]
    start = opening.decoded("DTSTART")
    assert start == datetime(2030, 9, 25, 9, 0, tzinfo=SHANGHAI)
    assert start.tzinfo.key == "Asia/Shanghai"
    assert opening["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert opening.decoded("DTEND") == datetime(2030, 9, 25, 11, 30, tzinfo=SHANGHAI)
    assert str(opening["SUMMARY"]) == "开幕式"
    assert str(opening["LOCATION"]) == "主会场, 山东国际会展中心"
    assert "省工商联领导、知名企业家代表" in str(opening["DESCRIPTION"])
    assert len(opening.categories) == 1  # the kind, in the UI language
    assert "DTSTAMP" in opening
    uids = [str(event["UID"]) for event in events]
    assert len(set(uids)) == 3
    assert all(re.fullmatch(r"agenda-\d+@localhost", uid) for uid in uids)
    assert [str(event["SUMMARY"]) for event in events] == ["开幕式", "自助午餐", "高端装备产业论坛"]


def test_ical_speaks_english_with_lang_en(client, programme):
    events = vevents(client.get(f"/e/{programme.slug}/programme.ics?lang=en"))
    assert [str(event["SUMMARY"]) for event in events] == [
        "Opening ceremony",
        "自助午餐",
        "High-end Equipment Forum",
    ]
    forum = events[2]
    assert (
        str(forum["LOCATION"]) == "Meeting Room 1, 山东国际会展中心"
    )  # no English venue: the Chinese one
    assert str(forum["DESCRIPTION"]) == "Speakers: 行业协会负责人\n\nOn smart manufacturing."
    assert forum.categories == ["Forum"]


def test_ical_uids_are_stable_between_downloads(client, programme):
    url = f"/e/{programme.slug}/programme.ics"
    first = [str(event["UID"]) for event in vevents(client.get(url))]
    assert first == [str(event["UID"]) for event in vevents(client.get(url))]


# Who may do what ----------------------------------------------------------------

#: Every organiser URL of the programme, with the method it answers.
ORGANISER_URLS = [
    ("GET", "/manage/{event}/agenda"),
    ("POST", "/manage/{event}/agenda"),
    ("GET", "/manage/{event}/agenda/{item}"),
    ("POST", "/manage/{event}/agenda/{item}"),
    ("POST", "/manage/{event}/agenda/{item}/delete"),
    ("GET", "/manage/{event}/rooms"),
    ("POST", "/manage/{event}/rooms"),
    ("GET", "/manage/{event}/rooms/{room}"),
    ("POST", "/manage/{event}/rooms/{room}"),
    ("POST", "/manage/{event}/rooms/{room}/delete"),
]
#: Those naming an agenda item or a room inside the event.
CHILD_URLS = [
    (method, path) for method, path in ORGANISER_URLS if "{item}" in path or "{room}" in path
]


def url_id(method: str, path: str) -> str:
    return f"{method}-{path.split('}', 1)[1]}"


@pytest.fixture
def two_events(app, make_user, make_event):
    """Event A with its organiser and staff; event B of someone else; each with a room and item."""
    people = SimpleNamespace(organiser=make_user(), staff=make_user(), other=make_user())
    people.a = make_event(organiser=people.organiser, staff=people.staff)
    people.b = make_event(organiser=people.other)
    for name in ("a", "b"):
        event = getattr(people, name)
        room = add_room(app, event)
        item = add_item(app, event, utc(2030, 9, 25, 1), utc(2030, 9, 25, 2), room_id=room)
        setattr(people, f"{name}_ids", {"event": event.id, "room": room, "item": item})
    return people


def request_as(client, method, url, data=None):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client, "/")})


def nothing_changed(app) -> bool:
    return count(app, Room) == 2 and count(app, AgendaItem) == 2 and not audit_actions(app)


@pytest.mark.parametrize(
    ("method", "path"), ORGANISER_URLS, ids=[url_id(*url) for url in ORGANISER_URLS]
)
def test_organiser_of_one_event_gets_404_on_another_events_programme(
    app, client, login_as, two_events, method, path
):
    login_as(two_events.organiser)
    url = path.format(**two_events.b_ids)
    response = request_as(client, method, url, item_form(title_zh="入侵"))
    assert response.status_code == 404
    assert nothing_changed(app)


@pytest.mark.parametrize(("method", "path"), CHILD_URLS, ids=[url_id(*url) for url in CHILD_URLS])
def test_another_events_item_or_room_under_my_event_is_404(
    app, client, login_as, two_events, method, path
):
    login_as(two_events.organiser)
    ids = {**two_events.b_ids, "event": two_events.a.id}
    response = request_as(client, method, path.format(**ids), item_form(title_zh="入侵"))
    assert response.status_code == 404
    assert nothing_changed(app)


@pytest.mark.parametrize(
    ("method", "path"), ORGANISER_URLS, ids=[url_id(*url) for url in ORGANISER_URLS]
)
def test_staff_of_the_event_gets_403_on_programme_pages(
    app, client, login_as, two_events, method, path
):
    login_as(two_events.staff)
    response = request_as(client, method, path.format(**two_events.a_ids), item_form())
    assert response.status_code == 403
    assert nothing_changed(app)


@pytest.mark.parametrize(
    ("method", "path"), ORGANISER_URLS, ids=[url_id(*url) for url in ORGANISER_URLS]
)
def test_anonymous_visitors_are_sent_to_sign_in(app, client, two_events, method, path):
    response = request_as(client, method, path.format(**two_events.a_ids), item_form())
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert nothing_changed(app)


# Demo ---------------------------------------------------------------------------


def test_demo_conference_has_a_three_day_programme_without_clashes(app, runner):
    from events.models import Event
    from events.programme_services import agenda_of, agenda_warnings

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        event = db.session.execute(db.select(Event).filter_by(slug="rushang-2019")).scalar_one()
        items = agenda_of(event)
        days = {item.starts_at.astimezone(SHANGHAI).date().isoformat() for item in items}
        # Two days of conference, then the roadshow day of the chambers' projects.
        assert days == {"2019-09-25", "2019-09-26", "2019-09-27"}
        assert {item.kind for item in items} >= {
            AgendaKind.PLENARY,
            AgendaKind.FORUM,
            AgendaKind.ROADSHOW,
            AgendaKind.MATCHMAKING,
            AgendaKind.MEAL,
            AgendaKind.VISIT,
        }
        assert all(item.title_en for item in items)
        assert not any(agenda_warnings(event, items).values())
        assert len(event.rooms) >= 4
