"""Matchmaking for participants through their manage link: profile, directory, requests,
availability, agenda (page, print, iCal) and the emails that go with them."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import icalendar
import pytest

from app import db
from events.models import Category, Event
from events.roadshow import match_requests, participants
from events.roadshow.match_models import (
    MatchmakingSetup,
    MatchProfile,
    MatchSession,
    MatchUnavailability,
    Meeting,
    MeetingRequest,
    RequestStatus,
)
from events.roadshow.models import Sector
from registration import links, mail
from registration.models import Registration, RegistrationStatus
from tests.conftest import csrf_token

START = datetime(2030, 9, 26, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai


def texts(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def with_token(app, registration_id: int) -> str:
    with app.app_context():
        token = links.issue_manage_token(db.session.get(Registration, registration_id))
        db.session.commit()
    return token


@pytest.fixture
def world(app, make_event, make_registration):
    """An event whose delegates take part (observers do not), requests open.

    ``me`` has a token; ``owner`` and ``port`` have profiles; ``hidden`` is
    unlisted; ``observer`` and ``pending`` are not participants; ``foreign``
    belongs to another event.
    """
    event = make_event(title_en="Conference 2030")
    other_event = make_event()
    with app.app_context():
        observer_category = Category(
            event_id=event.id, code="observer", name_zh="观察员", name_en="Observer"
        )
        db.session.add(observer_category)
        db.session.commit()
        observer_category_id = observer_category.id
    people = {
        "me": make_registration(
            event,
            name="李投资",
            email="li@invest.example",
            mobile="+8613900000001",
            organisation="鲁信投资",
            position="总经理",
            locale="en",
        ),
        "owner": make_registration(
            event,
            name="张项目",
            email="zhang@owner.example",
            mobile="+8613900000002",
            organisation="潍坊农业集团",
            position="董事长",
        ),
        "port": make_registration(
            event, name="赵港口", email="zhao@port.example", mobile="+8613900000003"
        ),
        "hidden": make_registration(event, name="钱隐身", email="qian@hidden.example"),
        "observer": make_registration(event, name="孙观察", email="sun@observer.example"),
        "pending": make_registration(
            event, name="周待定", email="zhou@pending.example", status=RegistrationStatus.PENDING
        ),
        "cancelled": make_registration(event, name="吴取消", status=RegistrationStatus.CANCELLED),
        "foreign": make_registration(other_event, name="郑外会", email="zheng@other.example"),
    }
    with app.app_context():
        db.session.get(Registration, people["observer"].id).category_id = observer_category_id
        setup = MatchmakingSetup(event_id=event.id, requests_open=True, time_limit=2)
        setup.categories = [
            db.session.scalar(db.select(Category).filter_by(event_id=event.id, code="delegate"))
        ]
        db.session.add(setup)
        db.session.add_all(
            [
                MatchProfile(
                    registration_id=people["owner"].id,
                    sector=Sector.AGRICULTURE,
                    region="潍坊",
                    capital_wan=8_000,
                    about="寻找农业投资<伙伴>",
                ),
                MatchProfile(
                    registration_id=people["port"].id,
                    sector=Sector.MARINE,
                    region="青岛",
                    capital_wan=120_000,
                    capacity=2,
                ),
                MatchProfile(registration_id=people["hidden"].id, listed=False),
            ]
        )
        db.session.commit()
    ids = {name: person.id for name, person in people.items()}
    tokens = {name: with_token(app, ids[name]) for name in ("me", "owner", "observer", "pending")}
    tokens["cancelled"] = with_token(app, ids["cancelled"])
    return {"event": event, "other_event": other_event, "ids": ids, "tokens": tokens}


def page_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def post(client, token, path, data=None):
    form = {"csrf_token": csrf_token(client, f"/r/{token}/matchmaking")}
    form.update(data or {})
    # In English: flashed refusals are translated when the POST is handled.
    separator = "&" if "?" in path else "?"
    return client.post(f"/r/{token}/matchmaking{path}{separator}lang=en", data=form)


def set_setup(app, event, **values):
    with app.app_context():
        setup = db.session.get(MatchmakingSetup, event.id)
        for key, value in values.items():
            setattr(setup, key, value)
        db.session.commit()


def all_requests(app) -> list[tuple[int, int, RequestStatus, int, str]]:
    with app.app_context():
        return [
            (r.requester_id, r.recipient_id, r.status, r.priority, r.note)
            for r in db.session.scalars(db.select(MeetingRequest).order_by(MeetingRequest.id))
        ]


def add_request(app, world, requester, recipient, status=RequestStatus.PENDING) -> int:
    ids = world["ids"]
    with app.app_context():
        event = db.session.get(Event, world["event"].id)
        item = participants.create_request(
            event,
            db.session.get(Registration, ids[requester]),
            db.session.get(Registration, ids[recipient]),
            3,
            "想了解贵公司",
        )
        if status is not RequestStatus.PENDING:
            participants.change_status(item, status)
        db.session.commit()
        return item.id


def add_session(app, event, name="洽谈对接（下午）", starts_at=START, slots=4, tables=None):
    with app.app_context():
        session = MatchSession(
            event_id=event.id,
            name_zh=name,
            name_en="Matchmaking (afternoon)",
            starts_at=starts_at,
            meeting_minutes=20,
            slot_count=slots,
            table_count=3,
            table_names=tables if tables is not None else ["A1", "A2", ""],
        )
        db.session.add(session)
        db.session.commit()
        return session.id


def add_meeting(app, session_id, request_id, slot, table) -> None:
    with app.app_context():
        db.session.add(
            Meeting(session_id=session_id, request_id=request_id, slot=slot, table=table)
        )
        db.session.commit()


# Who sees what ------------------------------------------------------------------------------


def test_a_participant_sees_profile_requests_and_links(app, client, world):
    add_request(app, world, "owner", "me")
    add_request(app, world, "me", "port")
    page = page_of(client, f"/r/{world['tokens']['me']}/matchmaking?lang=en")
    assert 'data-testid="not-participant"' not in page
    incoming = page.split('data-testid="incoming"')[1].split('data-testid="outgoing"')[0]
    outgoing = page.split('data-testid="outgoing"')[1].split('data-testid="accepted"')[0]
    assert "张项目" in incoming and "Accept" in incoming and "Decline" in incoming
    assert "赵港口" in outgoing and "Cancel the request" in outgoing
    assert "想了解贵公司" in page and "Must meet" in page
    for endpoint in ("profile", "directory", "agenda", "availability"):
        assert f"/r/{world['tokens']['me']}/matchmaking/{endpoint}" in page
    assert " style=" not in page and "<script>" not in page
    assert "css/matchmaking.css" in page
    assert client.get(f"/r/{world['tokens']['me']}/matchmaking").headers["Cache-Control"]


@pytest.mark.parametrize("who", ["observer", "pending"])
@pytest.mark.parametrize("path", ["", "/profile", "/directory", "/availability", "/agenda"])
def test_non_participants_get_a_message_and_no_actions(app, client, world, who, path):
    page = page_of(client, f"/r/{world['tokens'][who]}/matchmaking{path}?lang=en")
    assert 'data-testid="not-participant"' in page
    assert '<form method="post" action="/r/' not in page
    assert 'name="recipient_id"' not in page


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/profile", {"region": "济南"}),
        ("/requests", {"recipient_id": "1", "priority": "3"}),
        ("/availability", {}),
    ],
)
def test_non_participants_cannot_post(app, client, world, path, data):
    response = post(client, world["tokens"]["observer"], path, data)
    assert response.status_code == 403
    assert all_requests(app) == []


def test_without_matchmaking_the_page_says_so(app, client, make_event, make_registration):
    event = make_event()
    token = with_token(app, make_registration(event).id)
    page = page_of(client, f"/r/{token}/matchmaking?lang=en")
    assert "This event has no matchmaking" in texts(page)


@pytest.mark.parametrize(
    "path",
    ["", "/profile", "/directory", "/availability", "/agenda", "/agenda.ics"],
)
def test_cancelled_registrations_and_unknown_links_answer_404(client, world, path):
    assert client.get(f"/r/{world['tokens']['cancelled']}/matchmaking{path}").status_code == 404
    assert client.get(f"/r/not-a-real-link/matchmaking{path}").status_code == 404


# The profile --------------------------------------------------------------------------------


def profile_row(app, registration_id):
    with app.app_context():
        profile = db.session.get(MatchProfile, registration_id)
        if profile is not None:
            db.session.expunge(profile)
        return profile


def test_a_participant_saves_their_profile_but_not_their_capacity(app, client, world):
    token = world["tokens"]["me"]
    page = page_of(client, f"/r/{token}/matchmaking/profile?lang=en")
    assert 'data-testid="capacity"' in page and ": 1 (set by the organisers)" in page
    response = post(
        client,
        token,
        "/profile",
        {
            "sector": "finance",
            "region": " 济南 ",
            "capital_wan": "１0,000",
            "about": "投资高端装备。",
            "listed": "y",
            "capacity": "9",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/r/{token}/matchmaking")
    profile = profile_row(app, world["ids"]["me"])
    assert (profile.sector, profile.region, profile.capital_wan) == (Sector.FINANCE, "济南", 10000)
    assert profile.about == "投资高端装备。" and profile.listed and profile.capacity == 1

    post(client, token, "/profile", {"sector": "", "region": "", "capital_wan": ""})
    profile = profile_row(app, world["ids"]["me"])
    assert profile.sector is None and profile.capital_wan is None and not profile.listed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"capital_wan": "lots"}, "Enter the capital as a whole number of 万元"),
        ({"capital_wan": "-5"}, "The capital must be between 0 and 100,000,000 万元."),
        ({"capital_wan": "100000001"}, "The capital must be between 0 and 100,000,000 万元."),
        ({"sector": "spaceships"}, "Not a valid choice"),
        ({"about": "长" * 2001}, "2000"),
        ({"region": "区" * 101}, "100"),
    ],
)
def test_bad_profile_values_are_explained(app, client, world, data, message):
    token = world["tokens"]["me"]
    form = {"csrf_token": csrf_token(client, f"/r/{token}/matchmaking?lang=en"), **data}
    response = client.post(f"/r/{token}/matchmaking/profile", data=form)
    assert response.status_code == 200
    assert message in texts(response.get_data(as_text=True))
    assert profile_row(app, world["ids"]["me"]) is None


# The directory ------------------------------------------------------------------------------


def cards(page: str, world) -> set[str]:
    return {name for name, rid in world["ids"].items() if f'id="person-{rid}"' in page}


def test_the_directory_lists_other_listed_participants_without_contact_details(app, client, world):
    page = page_of(client, f"/r/{world['tokens']['me']}/matchmaking/directory?lang=en")
    assert cards(page, world) == {"owner", "port"}
    text = texts(page)
    assert "潍坊农业集团" in text and "董事长" in text and "Delegate" in text
    assert "Modern efficient agriculture" in text and "RMB 80 million" in text
    assert "寻找农业投资&lt;伙伴&gt;" in page  # escaped
    for secret in ("+861390000000", "@owner.example", "@port.example", "li@invest"):
        assert secret not in page
    assert " style=" not in page and "<script>" not in page


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("", {"owner", "port"}),
        ("?sector=marine", {"port"}),
        ("?region=潍坊", {"owner"}),
        ("?min=10000", {"port"}),
        ("?max=10,000", {"owner"}),
        ("?min=8000&max=8000", {"owner"}),
        ("?region=上海", set()),
    ],
)
def test_directory_filters(client, world, query, shown):
    page = page_of(client, f"/r/{world['tokens']['me']}/matchmaking/directory{query}")
    assert cards(page, world) == shown
    assert 'data-testid="filter-message"' not in page


def test_directory_filters_by_taking_part_category_and_offers_regions(app, client, world):
    with app.app_context():
        delegate = db.session.scalar(
            db.select(Category.id).filter_by(event_id=world["event"].id, code="delegate")
        )
    token = world["tokens"]["me"]
    page = page_of(client, f"/r/{token}/matchmaking/directory?category={delegate}")
    assert cards(page, world) == {"owner", "port"}
    regions = re.findall(r'<option value="([^"]*)"[^>]*>\1</option>', page)
    assert sorted(regions) == ["潍坊", "青岛"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?min=abc", "“abc” is not a whole number of 10,000 yuan: ignored."),
        ("?max=-5", "“-5” is not a whole number of 10,000 yuan: ignored."),
        ("?min=99999999999999999999", "is not a whole number of 10,000 yuan: ignored."),
        ("?min=9000&max=10", "The minimum capital is above the maximum: no capital filter used."),
        ("?sector=spaceships", "Unknown sector: showing all sectors."),
        ("?category=999999", "Unknown category: showing all categories."),
        ("?category=abc", "Unknown category: showing all categories."),
        ("?page=abc", ""),
        ("?page=99999999999", ""),
    ],
)
def test_bad_directory_filters_are_explained_and_dropped(client, world, query, message):
    page = page_of(client, f"/r/{world['tokens']['me']}/matchmaking/directory{query}&lang=en")
    assert message in texts(page)
    assert cards(page, world) == {"owner", "port"}


def test_the_observer_category_is_not_offered_as_a_filter(app, client, world):
    with app.app_context():
        observer = db.session.scalar(
            db.select(Category.id).filter_by(event_id=world["event"].id, code="observer")
        )
    token = world["tokens"]["me"]
    page = page_of(client, f"/r/{token}/matchmaking/directory?category={observer}&lang=en")
    assert "Unknown category" in texts(page)


def test_the_directory_shows_the_request_state(app, client, world):
    add_request(app, world, "owner", "me")
    page = page_of(client, f"/r/{world['tokens']['me']}/matchmaking/directory?lang=en")
    owner_card = page.split(f'id="person-{world["ids"]["owner"]}"')[1].split("</article>")[0]
    assert "Awaiting an answer" in owner_card and "They asked you" in owner_card
    assert 'name="recipient_id"' not in owner_card
    port_card = page.split(f'id="person-{world["ids"]["port"]}"')[1].split("</article>")[0]
    assert f'name="recipient_id" value="{world["ids"]["port"]}"' in port_card


# Requests ---------------------------------------------------------------------------------


def test_a_request_is_saved_and_emailed_to_the_recipient(app, client, world, smtp_server):
    token = world["tokens"]["me"]
    response = post(
        client,
        token,
        "/requests?sector=agriculture",
        {"recipient_id": world["ids"]["owner"], "priority": "3", "note": " 希望面谈 "},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "/matchmaking/directory?sector=agriculture" in location
    assert location.endswith(f"#person-{world['ids']['owner']}")
    response.close()
    assert all_requests(app) == [
        (world["ids"]["me"], world["ids"]["owner"], RequestStatus.PENDING, 3, "希望面谈")
    ]
    [message] = smtp_server.messages
    assert message["to"] == ["zhang@owner.example"]
    assert "李投资" in message["message"]["Subject"]
    body = message["message"].get_body(("plain",)).get_content()
    assert "希望面谈" in body and "鲁信投资" in body and "/e/event-" in body
    assert "/r/" not in body  # no manage link, of anyone
    assert "li@invest.example" not in body and "+8613900000001" not in body


def test_auto_accept_emails_both_sides(app, client, world, smtp_server):
    set_setup(app, world["event"], auto_accept=True)
    response = post(
        client, world["tokens"]["me"], "/requests", {"recipient_id": world["ids"]["port"]}
    )
    response.close()
    [(_req, _rec, status, priority, _note)] = all_requests(app)
    assert status is RequestStatus.ACCEPTED and priority == 2
    assert sorted(m["to"][0] for m in smtp_server.messages) == [
        "li@invest.example",
        "zhao@port.example",
    ]
    english = next(m for m in smtp_server.messages if m["to"] == ["li@invest.example"])
    assert "Meeting with 赵港口 accepted" in english["message"]["Subject"]


@pytest.mark.parametrize(
    ("recipient", "data", "message"),
    [
        ("me", {}, "A participant cannot request a meeting with themselves."),
        ("observer", {}, "This person does not take part in matchmaking."),
        ("pending", {}, "This person does not take part in matchmaking."),
        ("hidden_cancelled", {}, "This person does not take part in matchmaking."),
        ("foreign", {}, "This person does not take part in matchmaking."),
        ("huge", {}, "This person does not take part in matchmaking."),
        ("owner", {"priority": "7"}, "Choose a priority."),
        ("owner", {"priority": "abc"}, "Choose a priority."),
        ("owner", {"note": "长" * 501}, "500"),
        ("none", {}, "Choose the participant you want to meet."),
    ],
)
def test_refused_requests_are_explained(app, client, world, recipient, data, message):
    ids = dict(world["ids"], huge=99_999_999_999_999, hidden_cancelled=world["ids"]["cancelled"])
    token = world["tokens"]["me"]
    form = {"priority": "2", **data}
    if recipient != "none":
        form["recipient_id"] = ids[recipient]
    response = post(client, token, "/requests", form)
    assert response.status_code == 302
    page = page_of(client, f"/r/{token}/matchmaking/directory?lang=en")
    assert message in texts(page)
    assert all_requests(app) == []


@pytest.mark.parametrize("first", ["me", "owner"])
def test_a_pair_has_one_request_whoever_asked(app, client, world, first):
    other = "owner" if first == "me" else "me"
    add_request(app, world, first, other)
    response = post(
        client,
        world["tokens"]["me"],
        "/requests",
        {"recipient_id": world["ids"]["owner"], "priority": "1"},
    )
    assert response.status_code == 302
    page = page_of(client, f"/r/{world['tokens']['me']}/matchmaking/directory?lang=en")
    assert "These two already have a meeting request." in texts(page)
    assert len(all_requests(app)) == 1


def test_closed_requests_refuse_new_ones(app, client, world):
    set_setup(app, world["event"], requests_open=False)
    token = world["tokens"]["me"]
    page = page_of(client, f"/r/{token}/matchmaking/directory?lang=en")
    assert 'data-testid="requests-closed"' in page and 'name="recipient_id"' not in page
    post(client, token, "/requests", {"recipient_id": world["ids"]["owner"], "priority": "2"})
    assert "Meeting requests are closed at the moment." in texts(
        page_of(client, f"/r/{token}/matchmaking?lang=en")
    )
    assert all_requests(app) == []


def test_a_request_without_csrf_token_is_refused(app, client, world):
    response = client.post(
        f"/r/{world['tokens']['me']}/matchmaking/requests",
        data={"recipient_id": world["ids"]["owner"], "priority": "2"},
    )
    assert response.status_code == 400
    assert all_requests(app) == []


# Answers ----------------------------------------------------------------------------------


def status_of(app, request_id) -> RequestStatus:
    with app.app_context():
        return db.session.get(MeetingRequest, request_id).status


def test_the_recipient_accepts_and_the_requester_is_told(app, client, world, smtp_server):
    request_id = add_request(app, world, "me", "owner")
    response = post(client, world["tokens"]["owner"], f"/requests/{request_id}/accept")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#request-{request_id}")
    response.close()
    assert status_of(app, request_id) is RequestStatus.ACCEPTED
    [message] = smtp_server.messages
    assert message["to"] == ["li@invest.example"]
    assert "Meeting with 张项目 accepted" in message["message"]["Subject"]
    page = page_of(client, f"/r/{world['tokens']['me']}/matchmaking")
    accepted = page.split('data-testid="accepted"')[1]
    assert "张项目" in accepted


def test_the_recipient_declines_and_may_accept_after_all(app, client, world, smtp_server):
    request_id = add_request(app, world, "me", "owner")
    post(client, world["tokens"]["owner"], f"/requests/{request_id}/decline").close()
    assert status_of(app, request_id) is RequestStatus.DECLINED
    [message] = smtp_server.messages
    assert "张项目 declined your meeting request" in message["message"]["Subject"]
    post(client, world["tokens"]["owner"], f"/requests/{request_id}/accept").close()
    assert status_of(app, request_id) is RequestStatus.ACCEPTED


def test_the_requester_cannot_answer_their_own_request(app, client, world):
    request_id = add_request(app, world, "me", "owner")
    for action in ("accept", "decline"):
        assert (
            post(client, world["tokens"]["me"], f"/requests/{request_id}/{action}").status_code
            == 403
        )
    assert status_of(app, request_id) is RequestStatus.PENDING


@pytest.mark.parametrize("who", ["me", "owner"])
def test_either_side_cancels_and_the_meeting_leaves_the_plan(app, client, world, who):
    request_id = add_request(app, world, "me", "owner", RequestStatus.ACCEPTED)
    session_id = add_session(app, world["event"])
    add_meeting(app, session_id, request_id, 0, 0)
    response = post(client, world["tokens"][who], f"/requests/{request_id}/cancel")
    assert response.status_code == 302
    assert status_of(app, request_id) is RequestStatus.CANCELLED
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Meeting.id))) == 0
    post(client, world["tokens"][who], f"/requests/{request_id}/cancel")
    page = page_of(client, f"/r/{world['tokens'][who]}/matchmaking?lang=en")
    assert "This request can no longer be changed that way." in texts(page)


def test_others_requests_and_unknown_actions_answer_404(app, client, world):
    request_id = add_request(app, world, "owner", "port")
    token = world["tokens"]["me"]
    assert post(client, token, f"/requests/{request_id}/cancel").status_code == 404
    assert post(client, token, "/requests/999999/cancel").status_code == 404
    mine = add_request(app, world, "owner", "me")
    assert post(client, token, f"/requests/{mine}/delete").status_code == 404
    assert client.get(f"/r/{token}/matchmaking/requests/{mine}/accept").status_code == 405
    assert status_of(app, request_id) is RequestStatus.PENDING
    assert status_of(app, mine) is RequestStatus.PENDING


def test_closed_requests_still_allow_cancelling_but_not_answering(app, client, world):
    incoming = add_request(app, world, "owner", "me")
    outgoing = add_request(app, world, "me", "port")
    set_setup(app, world["event"], requests_open=False)
    token = world["tokens"]["me"]
    page = page_of(client, f"/r/{token}/matchmaking?lang=en")
    assert f"/requests/{incoming}/accept" not in page
    post(client, token, f"/requests/{incoming}/accept")
    assert status_of(app, incoming) is RequestStatus.PENDING
    assert "Meeting requests are closed at the moment." in texts(
        page_of(client, f"/r/{token}/matchmaking?lang=en")
    )
    post(client, token, f"/requests/{outgoing}/cancel")
    assert status_of(app, outgoing) is RequestStatus.CANCELLED


# Availability --------------------------------------------------------------------------------


def away_rows(app, registration_id) -> set[tuple[int, int]]:
    with app.app_context():
        return {
            (session_id, slot)
            for session_id, slot in db.session.execute(
                db.select(MatchUnavailability.session_id, MatchUnavailability.slot).filter_by(
                    registration_id=registration_id
                )
            )
        }


def test_unavailability_is_saved_and_forged_values_are_ignored(app, client, world):
    morning = add_session(app, world["event"], slots=3)
    afternoon = add_session(app, world["event"], name="洽谈对接（晚上）", slots=2)
    foreign = add_session(app, world["other_event"], slots=3)
    me = world["ids"]["me"]
    with app.app_context():
        db.session.add(MatchUnavailability(registration_id=me, session_id=foreign, slot=1))
        db.session.add(MatchUnavailability(registration_id=me, session_id=afternoon, slot=0))
        db.session.commit()
    token = world["tokens"]["me"]
    page = page_of(client, f"/r/{token}/matchmaking/availability")
    assert f'value="{morning}-2"' in page and f'value="{morning}-3"' not in page
    assert "14:00–14:20" in page and "14:40–15:00" in page  # the event's clock (Shanghai)
    assert f'value="{afternoon}-0" id="away-{afternoon}-0" checked' in page

    form = {"csrf_token": csrf_token(client, f"/r/{token}/matchmaking")}
    values = [f"{morning}-0", f"{morning}-2", f"{morning}-3", f"{afternoon}-1", f"{foreign}-0"]
    values += ["x-1", "-1", f"{morning}--1", "99999999999999-1"]
    response = client.post(f"/r/{token}/matchmaking/availability", data={**form, "away": values})
    assert response.status_code == 302
    assert away_rows(app, me) == {(morning, 0), (morning, 2), (afternoon, 1), (foreign, 1)}

    post(client, token, "/availability", {})
    assert away_rows(app, me) == {(foreign, 1)}


# The agenda ---------------------------------------------------------------------------------


@pytest.fixture
def agenda(app, world):
    """Two meetings for ``me`` (the later one listed first) and one between others."""
    first = add_request(app, world, "me", "owner", RequestStatus.ACCEPTED)
    second = add_request(app, world, "port", "me", RequestStatus.ACCEPTED)
    others = add_request(app, world, "owner", "port", RequestStatus.ACCEPTED)
    session_id = add_session(app, world["event"])
    add_meeting(app, session_id, second, 2, 2)
    add_meeting(app, session_id, first, 0, 0)
    add_meeting(app, session_id, others, 1, 1)
    return {"session": session_id, "owner": first, "port": second, "others": others}


def test_the_agenda_lists_my_meetings_in_time_order(app, client, world, agenda):
    token = world["tokens"]["me"]
    page = page_of(client, f"/r/{token}/matchmaking/agenda?lang=en")
    rows = page.split('data-testid="meeting"')[1:]
    assert len(rows) == 2
    assert "14:00–14:20" in rows[0] and "A1" in rows[0] and "张项目" in rows[0]
    assert "潍坊农业集团" in rows[0] and "董事长" in rows[0]
    assert "14:40–15:00" in rows[1] and ">3<" in rows[1] and "赵港口" in rows[1]
    assert "Matchmaking (afternoon)" in rows[0]
    assert "+8613900000002" not in page and "zhang@owner.example" not in page
    assert 'class="navbar' in page

    printed = page_of(client, f"/r/{token}/matchmaking/agenda?print=1")
    assert 'class="navbar' not in printed and "matchmaking-nav" not in printed
    assert printed.count('data-testid="meeting"') == 2 and "李投资" in printed
    assert " style=" not in printed and "<script" not in printed


def test_the_agenda_without_meetings_says_so(client, world):
    page = page_of(client, f"/r/{world['tokens']['me']}/matchmaking/agenda")
    assert 'data-testid="no-meetings"' in page


def test_the_agenda_calendar_has_stable_uids_in_the_event_zone(app, client, world, agenda):
    token = world["tokens"]["me"]
    response = client.get(f"/r/{token}/matchmaking/agenda.ics?lang=en")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "my-meetings.ics" in response.headers["Content-Disposition"]
    calendar = icalendar.Calendar.from_ical(response.data)
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Shanghai"
    events = calendar.walk("VEVENT")
    uids = [str(e["UID"]) for e in events]
    assert uids == [f"meeting-{agenda['owner']}@localhost", f"meeting-{agenda['port']}@localhost"]
    first = events[0]
    assert first["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert first.decoded("DTSTART").hour == 14 and first.decoded("DTEND").minute == 20
    assert "A1" in str(first["LOCATION"]) and "山东国际会展中心" in str(first["LOCATION"])
    assert "张项目" in str(first["SUMMARY"])
    assert "+86" not in response.get_data(as_text=True)

    # The scheduler runs again and moves the meetings: the same UIDs.
    with app.app_context():
        db.session.execute(db.delete(Meeting))
        db.session.commit()
    add_meeting(app, agenda["session"], agenda["owner"], 3, 1)
    add_meeting(app, agenda["session"], agenda["port"], 1, 0)
    again = icalendar.Calendar.from_ical(client.get(f"/r/{token}/matchmaking/agenda.ics").data)
    assert sorted(str(e["UID"]) for e in again.walk("VEVENT")) == sorted(uids)


def test_the_agenda_email_lists_the_meetings(app, world, agenda, smtp_server):
    with app.test_request_context("/"):
        registration = db.session.get(Registration, world["ids"]["me"])
        event = db.session.get(Event, world["event"].id)
        message = match_requests.queue_agenda_email(registration, event)
        db.session.commit()
        assert message is not None
        assert mail.send_pending(ids=[message.id]) == {"sent": 1, "failed": 0}
        nobody = db.session.get(Registration, world["ids"]["cancelled"])
        assert nobody.email is None
        assert match_requests.queue_agenda_email(nobody, event) is None
    [sent] = smtp_server.messages
    assert sent["to"] == ["li@invest.example"]
    assert "Your meetings at Conference 2030" in sent["message"]["Subject"]
    body = sent["message"].get_body(("plain",)).get_content()
    assert "Table A1" in body and "张项目" in body and "赵港口" in body
    assert body.index("张项目") < body.index("赵港口")
    assert "14:00–14:20" in body
    assert "/e/event-" in body and "/r/" not in body
