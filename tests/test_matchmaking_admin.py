"""The organisers' matchmaking pages: the set-up and its figures, the participants with
their capacities, the requests list, meetings added for VIPs, cancelling and accepting
on a participant's behalf, and who may see any of it."""

from __future__ import annotations

from html import unescape

import pytest

from app import db
from events.models import AuditEntry, Category
from events.roadshow.match_models import (
    MatchmakingSetup,
    MatchProfile,
    MeetingRequest,
    RequestStatus,
)
from events.roadshow.models import Sector
from registration.models import Registration, RegistrationStatus
from tests.conftest import csrf_token

# --- helpers ---------------------------------------------------------------------------------


def post(client, url, data=None, **kwargs):
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client, "/")}, **kwargs)


def category_ids(app, event) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(Category.id).filter_by(event_id=event.id).order_by(Category.id)
            )
        )


def add_category(app, event, code="investor", name_zh="投资方") -> int:
    with app.app_context():
        category = Category(event_id=event.id, code=code, name_zh=name_zh, name_en=code.title())
        db.session.add(category)
        db.session.commit()
        return category.id


def take_part(app, event, ids, *, auto_accept=False):
    with app.app_context():
        setup = db.session.get(MatchmakingSetup, event.id) or MatchmakingSetup(
            event_id=event.id, time_limit=10
        )
        setup.categories = [db.session.get(Category, id_) for id_ in ids]
        setup.auto_accept = auto_accept
        db.session.add(setup)
        db.session.commit()


def move_to(app, registration, category_id):
    with app.app_context():
        db.session.get(Registration, registration.id).category_id = category_id
        db.session.commit()


def add_request(app, event, requester, recipient, *, status=RequestStatus.PENDING, priority=2):
    with app.app_context():
        low, high = sorted((requester.id, recipient.id))
        item = MeetingRequest(
            event_id=event.id,
            requester_id=requester.id,
            recipient_id=recipient.id,
            low_id=low,
            high_id=high,
            priority=priority,
            note="想谈谈合作",
            status=status,
        )
        db.session.add(item)
        db.session.commit()
        return item.id


def request_rows(app, event) -> list[MeetingRequest]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                db.select(MeetingRequest).filter_by(event_id=event.id).order_by(MeetingRequest.id)
            )
        )
        db.session.expunge_all()
        return rows


def status_of(app, request_id) -> RequestStatus:
    with app.app_context():
        return db.session.get(MeetingRequest, request_id).status


@pytest.fixture
def organiser(make_user):
    return make_user("organiser@huiwu.example")


@pytest.fixture
def event(make_event, organiser):
    return make_event(organiser=organiser)


@pytest.fixture
def people(app, event, make_registration):
    """Three participants of the event's (only) category, taking part: (zhang, li, zhao)."""
    take_part(app, event, category_ids(app, event))
    return (
        make_registration(event, name="张伟", organisation="青岛海洋集团", email="zw@x.example"),
        make_registration(event, name="李娜", organisation="烟台葡萄酒业"),
        make_registration(event, name="赵强", organisation="济南高新投资"),
    )


# --- the set-up ------------------------------------------------------------------------------


def test_organiser_saves_the_set_up(app, client, login_as, organiser, event):
    [delegate_id] = category_ids(app, event)
    investor_id = add_category(app, event)
    login_as(organiser)
    url = f"/manage/{event.id}/matchmaking"
    page = client.get(url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "代表" in text and "投资方" in text and 'name="csrf_token"' in text
    assert " style=" not in text and "<script>" not in text

    response = post(
        client,
        url,
        {"categories": [str(investor_id)], "requests_open": "y", "time_limit": "30"},
    )

    assert response.status_code == 302
    with app.app_context():
        setup = db.session.get(MatchmakingSetup, event.id)
        assert [category.id for category in setup.categories] == [investor_id]
        assert (setup.requests_open, setup.auto_accept, setup.time_limit) == (True, False, 30)
        entry = db.session.execute(
            db.select(AuditEntry).filter_by(action="matchmaking.setup_saved")
        )
        assert entry.scalar_one().actor_id == organiser.id
    text = client.get(url).get_data(as_text=True)
    assert f'value="{investor_id}" checked' in text and f'value="{delegate_id}" checked' not in text

    response = post(client, url, {"categories": [], "auto_accept": "y", "time_limit": "120"})
    assert response.status_code == 302
    with app.app_context():
        setup = db.session.get(MatchmakingSetup, event.id)
        assert setup.categories == [] and setup.auto_accept and not setup.requests_open


def test_categories_of_another_event_are_refused(
    app, client, login_as, organiser, event, make_event
):
    other = make_event(organiser=organiser)
    [theirs] = category_ids(app, other)
    [ours] = category_ids(app, event)
    login_as(organiser)
    response = post(
        client,
        f"/manage/{event.id}/matchmaking?lang=en",
        {"categories": [str(ours), str(theirs)], "time_limit": "10"},
    )
    assert response.status_code == 400
    assert "Choose among this event's categories." in unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(MatchmakingSetup, event.id) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("4", "The search time must be from 5 to 120 seconds."),
        ("121", "The search time must be from 5 to 120 seconds."),
        ("ten", "Enter the search time as a whole number of seconds."),
        ("", "Enter the search time in seconds."),
    ],
)
def test_search_time_must_be_5_to_120_seconds(
    app, client, login_as, organiser, event, value, message
):
    login_as(organiser)
    response = post(client, f"/manage/{event.id}/matchmaking?lang=en", {"time_limit": value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(MatchmakingSetup, event.id) is None


def test_set_up_page_shows_participants_requests_and_accepted_weight(
    app, client, login_as, organiser, event, people
):
    zhang, li, zhao = people
    add_request(app, event, zhang, li, status=RequestStatus.ACCEPTED, priority=3)
    add_request(app, event, zhang, zhao, status=RequestStatus.ACCEPTED, priority=1)
    add_request(app, event, li, zhao, status=RequestStatus.PENDING, priority=3)
    login_as(organiser)
    text = client.get(f"/manage/{event.id}/matchmaking").get_data(as_text=True)
    assert 'data-figure="participants">3<' in text
    assert 'data-figure="requests">3<' in text
    assert 'data-count="accepted">2<' in text and 'data-count="pending">1<' in text
    assert 'data-count="declined">0<' in text
    assert 'data-figure="weight">4<' in text


# --- participants ----------------------------------------------------------------------------


def test_participants_are_the_confirmed_registrations_of_the_chosen_categories(
    app, client, login_as, organiser, event, people, make_registration, make_event
):
    zhang, li, zhao = people
    make_registration(event, name="钱多", status=RegistrationStatus.PENDING)
    make_registration(event, name="孙退", status=RegistrationStatus.CANCELLED)
    outsider = make_registration(event, name="周外")
    move_to(app, outsider, add_category(app, event, "media", "媒体"))
    make_registration(make_event(organiser=organiser), name="吴别")
    with app.app_context():
        db.session.add(
            MatchProfile(
                registration_id=li.id,
                capacity=3,
                sector=Sector.MARINE,
                region="烟台市",
                capital_wan=5000,
            )
        )
        db.session.commit()
    add_request(app, event, zhang, li, status=RequestStatus.ACCEPTED)
    add_request(app, event, zhao, li, status=RequestStatus.PENDING)
    login_as(organiser)

    text = client.get(f"/manage/{event.id}/matchmaking/participants").get_data(as_text=True)

    for name in ("张伟", "李娜", "赵强"):
        assert name in text
    for name in ("钱多", "孙退", "周外", "吴别"):
        assert name not in text
    assert "zw@x.example" not in text and "+8613900000000" not in text
    row = text.split(f'data-participant="{li.id}"')[1].split("</tr>")[0]
    assert "烟台市" in row and "5,000" in row and 'value="3"' in row
    assert "data-sent>0<" in row and "data-received>2<" in row and "data-accepted>1<" in row
    row = text.split(f'data-participant="{zhang.id}"')[1].split("</tr>")[0]
    assert "data-sent>1<" in row and 'value="1"' in row
    assert " style=" not in text and "<script>" not in text


def test_participants_search_by_name_or_organisation_and_pages_of_fifty(
    app, client, login_as, organiser, event, people
):
    login_as(organiser)
    url = f"/manage/{event.id}/matchmaking/participants"
    text = client.get(url, query_string={"q": "葡萄酒"}).get_data(as_text=True)
    assert "李娜" in text and "张伟" not in text
    text = client.get(url, query_string={"q": "赵"}).get_data(as_text=True)
    assert "赵强" in text and "李娜" not in text
    text = client.get(url, query_string={"q": "%"}).get_data(as_text=True)
    assert "李娜" not in text  # a wildcard is searched for as written

    with app.app_context():
        db.session.add_all(
            Registration(
                event_id=event.id,
                category_id=people[0].category_id,
                status=RegistrationStatus.CONFIRMED,
                name=f"参会者{number:02d}",
                organisation="批量",
            )
            for number in range(50)
        )
        db.session.commit()
    first = client.get(url).get_data(as_text=True)
    second = client.get(url, query_string={"page": 2}).get_data(as_text=True)
    assert first.count("data-participant=") == 50
    assert second.count("data-participant=") == 3
    assert "53 participants" in client.get(url, query_string={"lang": "en"}).get_data(as_text=True)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "Between 1 and 20 representatives at once."),
        ("21", "Between 1 and 20 representatives at once."),
        ("two", "Enter a whole number of representatives, from 1 to 20."),
        ("", "Enter a whole number of representatives, from 1 to 20."),
    ],
)
def test_capacity_must_be_1_to_20(app, client, login_as, organiser, event, people, value, message):
    li = people[1]
    login_as(organiser)
    url = f"/manage/{event.id}/matchmaking/participants/{li.id}/capacity?lang=en"
    response = post(client, url, {f"p{li.id}-capacity": value})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    row = text.split(f'data-participant="{li.id}"')[1].split("</tr>")[0]
    assert message in row
    with app.app_context():
        assert db.session.get(MatchProfile, li.id) is None


def test_organiser_sets_a_participants_capacity(app, client, login_as, organiser, event, people):
    li = people[1]
    login_as(organiser)
    url = f"/manage/{event.id}/matchmaking/participants/{li.id}/capacity?q=李&page=1"
    response = post(client, url, {f"p{li.id}-capacity": "4"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/matchmaking/participants?q=%E6%9D%8E#p{li.id}")
    with app.app_context():
        assert db.session.get(MatchProfile, li.id).capacity == 4
        entry = db.session.execute(
            db.select(AuditEntry).filter_by(action="matchmaking.capacity_set")
        ).scalar_one()
        assert entry.actor_id == organiser.id


def test_capacity_of_a_non_participant_or_another_events_registration_is_404(
    app, client, login_as, organiser, event, people, make_registration, make_event
):
    pending = make_registration(event, name="钱多", status=RegistrationStatus.PENDING)
    other = make_event(organiser=organiser)
    take_part(app, other, category_ids(app, other))
    theirs = make_registration(other, name="吴别")
    login_as(organiser)
    for person in (pending, theirs):
        url = f"/manage/{event.id}/matchmaking/participants/{person.id}/capacity"
        assert post(client, url, {f"p{person.id}-capacity": "2"}).status_code == 404
    url = f"/manage/{event.id}/matchmaking/participants/999999/capacity"
    assert post(client, url, {"p999999-capacity": "2"}).status_code == 404


# --- the requests list -----------------------------------------------------------------------


def test_requests_list_filters_by_status_priority_and_name(
    app, client, login_as, organiser, event, people
):
    zhang, li, zhao = people
    add_request(app, event, zhang, li, status=RequestStatus.ACCEPTED, priority=3)
    add_request(app, event, li, zhao, status=RequestStatus.DECLINED, priority=1)
    add_request(app, event, zhao, zhang, status=RequestStatus.PENDING, priority=3)
    login_as(organiser)
    url = f"/manage/{event.id}/matchmaking/requests"

    def shown(**args) -> set[tuple[int, int]]:
        text = client.get(url, query_string=args).get_data(as_text=True)
        pairs = set()
        for row in text.split("data-request=")[1:]:
            row = row.split("</tr>")[0]
            requester = next(p for p in people if p.name in row.split("</td>")[0])
            recipient = next(p for p in people if p.name in row.split("</td>")[1])
            pairs.add((requester.id, recipient.id))
        return pairs

    everything = {(zhang.id, li.id), (li.id, zhao.id), (zhao.id, zhang.id)}
    assert shown() == everything
    assert shown(status="accepted") == {(zhang.id, li.id)}
    assert shown(priority="3") == {(zhang.id, li.id), (zhao.id, zhang.id)}
    assert shown(priority="3", status="pending") == {(zhao.id, zhang.id)}
    assert shown(q="李娜") == {(zhang.id, li.id), (li.id, zhao.id)}
    assert shown(q="济南高新") == {(li.id, zhao.id), (zhao.id, zhang.id)}
    assert shown(status="nonsense", priority="9") == everything

    text = client.get(url, query_string={"lang": "en"}).get_data(as_text=True)
    assert "Must meet" in text and "If possible" in text and "想谈谈合作" in text
    assert "Participant" in text and "zw@x.example" not in text
    assert " style=" not in text and "<script>" not in text


# --- meetings added for VIPs -----------------------------------------------------------------


def test_organiser_adds_an_accepted_meeting_for_vips(
    app, client, login_as, organiser, event, people
):
    zhang, li, _ = people
    login_as(organiser)
    page = client.get(f"/manage/{event.id}/matchmaking/requests").get_data(as_text=True)
    assert f'<option value="{zhang.id}">张伟 · 青岛海洋集团</option>' in page

    response = post(
        client,
        f"/manage/{event.id}/matchmaking/requests/new",
        {
            "requester_id": str(zhang.id),
            "recipient_id": str(li.id),
            "priority": "3",
            "note": "省长关注",
        },
    )

    assert response.status_code == 302
    [item] = request_rows(app, event)
    assert (item.requester_id, item.recipient_id, item.priority) == (zhang.id, li.id, 3)
    assert item.status is RequestStatus.ACCEPTED and item.added_by_id == organiser.id
    assert item.note == "省长关注" and item.responded_at is not None
    text = client.get(f"/manage/{event.id}/matchmaking/requests?lang=en").get_data(as_text=True)
    row = text.split(f'data-request="{item.id}"')[1].split("</tr>")[0]
    assert "Organiser" in row and organiser.display_name in row


@pytest.mark.parametrize(
    "case",
    [
        "self",
        "pending",
        "other_event",
        "unknown",
        "huge",
        "duplicate",
        "reversed",
        "empty",
        "priority",
    ],
)
def test_adding_a_meeting_is_refused_with_a_clear_message(
    app, client, login_as, organiser, event, people, make_registration, make_event, case
):
    zhang, li, _ = people
    add_request(app, event, li, zhao_of(people), status=RequestStatus.DECLINED)
    other = make_event(organiser=organiser)
    take_part(app, other, category_ids(app, other))
    data = {"requester_id": str(zhang.id), "recipient_id": str(li.id), "priority": "2"}
    not_participant = "Not a participant of this event's matchmaking."
    if case == "self":
        data["recipient_id"] = str(zhang.id)
        message = "Choose two different participants."
    elif case == "pending":
        data["recipient_id"] = str(
            make_registration(event, name="钱多", status=RegistrationStatus.PENDING).id
        )
        message = not_participant
    elif case == "other_event":
        data["recipient_id"] = str(make_registration(other, name="吴别").id)
        message = not_participant
    elif case == "unknown":
        data["requester_id"] = "999999"
        message = not_participant
    elif case == "huge":
        data["requester_id"] = str(2**40)
        message = "Choose a participant."
    elif case == "duplicate":
        data = {**data, "requester_id": str(li.id), "recipient_id": str(zhao_of(people).id)}
        message = "These two already have a meeting request (Declined)"
    elif case == "reversed":
        data = {**data, "requester_id": str(zhao_of(people).id), "recipient_id": str(li.id)}
        message = "These two already have a meeting request (Declined)"
    elif case == "empty":
        data["recipient_id"] = ""
        message = "Choose a participant."
    else:
        data["priority"] = "4"
        message = "Choose a priority."
    login_as(organiser)
    before = len(request_rows(app, event))

    response = post(client, f"/manage/{event.id}/matchmaking/requests/new?lang=en", data)

    assert response.status_code == 400
    text = unescape(response.get_data(as_text=True))
    assert message in text
    assert 'id="add"' in text  # the form is shown again with the refusal
    assert len(request_rows(app, event)) == before


def zhao_of(people):
    return people[2]


# --- cancelling and accepting for a participant ----------------------------------------------


def test_organiser_accepts_pending_and_declined_requests_and_cancels_standing_ones(
    app, client, login_as, organiser, event, people
):
    zhang, li, zhao = people
    pending = add_request(app, event, zhang, li)
    declined = add_request(app, event, li, zhao, status=RequestStatus.DECLINED)
    accepted = add_request(app, event, zhao, zhang, status=RequestStatus.ACCEPTED)
    login_as(organiser)
    base = f"/manage/{event.id}/matchmaking/requests"

    response = post(client, f"{base}/{pending}/accept?status=pending&q=张&page=1")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{base}?status=pending&q=%E5%BC%A0")
    assert status_of(app, pending) is RequestStatus.ACCEPTED
    assert post(client, f"{base}/{declined}/accept").status_code == 302
    assert status_of(app, declined) is RequestStatus.ACCEPTED
    assert post(client, f"{base}/{accepted}/cancel").status_code == 302
    assert status_of(app, accepted) is RequestStatus.CANCELLED
    with app.app_context():
        actions = set(
            db.session.scalars(
                db.select(AuditEntry.action).where(AuditEntry.actor_id == organiser.id)
            )
        )
        assert {"matchmaking.request_accepted", "matchmaking.request_cancelled"} <= actions

    # Accepted already, cancelled for good: refused, and nothing changes.
    response = post(client, f"{base}/{pending}/accept?lang=en", follow_redirects=True)
    assert "This request can no longer be changed that way." in response.get_data(as_text=True)
    assert status_of(app, pending) is RequestStatus.ACCEPTED
    for action in ("accept", "cancel"):
        assert post(client, f"{base}/{accepted}/{action}").status_code == 302
        assert status_of(app, accepted) is RequestStatus.CANCELLED


def test_a_declined_request_cannot_be_cancelled_and_buttons_follow_the_rules(
    app, client, login_as, organiser, event, people
):
    zhang, li, zhao = people
    declined = add_request(app, event, li, zhao, status=RequestStatus.DECLINED)
    cancelled = add_request(app, event, zhang, li, status=RequestStatus.CANCELLED)
    login_as(organiser)
    base = f"/manage/{event.id}/matchmaking/requests"
    assert post(client, f"{base}/{declined}/cancel").status_code == 302
    assert status_of(app, declined) is RequestStatus.DECLINED
    text = client.get(base).get_data(as_text=True)
    row = text.split(f'data-request="{declined}"')[1].split("</tr>")[0]
    assert f"{declined}/accept" in row and f"{declined}/cancel" not in row
    row = text.split(f'data-request="{cancelled}"')[1].split("</tr>")[0]
    assert "<form" not in row


def test_changing_a_request_needs_the_csrf_token(app, client, login_as, organiser, event, people):
    pending = add_request(app, event, people[0], people[1])
    login_as(organiser)
    response = client.post(f"/manage/{event.id}/matchmaking/requests/{pending}/cancel")
    assert response.status_code == 400
    assert status_of(app, pending) is RequestStatus.PENDING


def test_requests_of_another_event_answer_404(
    app, client, login_as, organiser, event, people, make_event, make_registration
):
    other = make_event(organiser=organiser)
    take_part(app, other, category_ids(app, other))
    one = make_registration(other, name="吴别")
    two = make_registration(other, name="郑另")
    theirs = add_request(app, other, one, two)
    login_as(organiser)
    for action in ("accept", "cancel"):
        url = f"/manage/{event.id}/matchmaking/requests/{theirs}/{action}"
        assert post(client, url).status_code == 404
    assert post(client, f"/manage/{event.id}/matchmaking/requests/999999/cancel").status_code == 404
    assert status_of(app, theirs) is RequestStatus.PENDING


# --- who may see these pages -----------------------------------------------------------------

PAGES = [
    ("get", "/manage/{event}/matchmaking"),
    ("post", "/manage/{event}/matchmaking"),
    ("get", "/manage/{event}/matchmaking/participants"),
    ("post", "/manage/{event}/matchmaking/participants/{person}/capacity"),
    ("get", "/manage/{event}/matchmaking/requests"),
    ("post", "/manage/{event}/matchmaking/requests/new"),
    ("post", "/manage/{event}/matchmaking/requests/{request}/cancel"),
    ("post", "/manage/{event}/matchmaking/requests/{request}/accept"),
]


@pytest.mark.parametrize(("method", "path"), PAGES)
@pytest.mark.parametrize(("role", "expected"), [("staff", 403), ("stranger", 404), ("anon", 302)])
def test_only_organisers_reach_the_matchmaking_pages(
    app, client, login_as, make_user, make_event, make_registration, method, path, role, expected
):
    staff = make_user("staff@huiwu.example")
    event = make_event(organiser=make_user(), staff=staff)
    take_part(app, event, category_ids(app, event))
    one = make_registration(event, name="张伟")
    two = make_registration(event, name="李娜")
    request_id = add_request(app, event, one, two)
    if role == "staff":
        login_as(staff)
    elif role == "stranger":
        login_as(make_user())
    url = path.format(event=event.id, person=one.id, request=request_id)

    if method == "get":
        response = client.get(url)
    else:
        response = post(client, url, {"time_limit": "10"})

    assert response.status_code == expected
    if role == "anon":
        assert "/login" in response.headers["Location"]
    assert status_of(app, request_id) is RequestStatus.PENDING
    with app.app_context():
        assert db.session.get(MatchProfile, one.id) is None


def test_subnav_links_the_sessions_and_the_tab_is_highlighted(
    app, client, login_as, organiser, event, people
):
    login_as(organiser)
    for page in ("", "/participants", "/requests"):
        text = client.get(f"/manage/{event.id}/matchmaking{page}?lang=en").get_data(as_text=True)
        assert f'href="/manage/{event.id}/matchmaking/sessions"' in text
        assert 'aria-current="page">Matchmaking<' in text
