"""Who may open which page: the per-event roles and the helpers behind them."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_login import login_user
from werkzeug.exceptions import Forbidden, HTTPException, NotFound

from app import db
from events.auth import event_for_organiser, event_for_staff
from events.models import Event, EventRole, User
from events.services import can_organise, can_staff, events_for_user, role_in_event

NOT_ALLOWED = "无权访问"
ROLES = ("anonymous", "outsider", "staff", "organiser", "other_organiser", "admin")
MANAGE, STAFF, DASHBOARD = "/manage/{id}/", "/staff/{id}/", "/dashboard"

# Who gets what: 200 allowed; 403 for staff on an organiser page; 404 for anyone
# without a role in the event (its existence is not revealed); 302 to log in.
EXPECTED = {
    MANAGE: {
        "anonymous": 302,
        "outsider": 404,
        "staff": 403,
        "organiser": 200,
        "other_organiser": 404,
        "admin": 200,
    },
    STAFF: {
        "anonymous": 302,
        "outsider": 404,
        "staff": 200,
        "organiser": 200,
        "other_organiser": 404,
        "admin": 200,
    },
    DASHBOARD: {
        "anonymous": 302,
        "outsider": 200,
        "staff": 200,
        "organiser": 200,
        "other_organiser": 200,
        "admin": 200,
    },
}
MATRIX = [
    pytest.param(url, role, status, id=f"{url.strip('/').split('/')[0]}-{role}-{status}")
    for url, by_role in EXPECTED.items()
    for role, status in by_role.items()
]


@pytest.fixture
def team(make_user, make_event):
    """One event with an organiser and a staff member, and people outside it."""
    organiser = make_user(name="组织者甲")
    staff = make_user(name="工作人员乙")
    other_organiser = make_user(name="别的组织者")
    people = SimpleNamespace(
        anonymous=None,
        outsider=make_user(name="局外人"),
        staff=staff,
        organiser=organiser,
        other_organiser=other_organiser,
        admin=make_user(admin=True, name="管理员"),
    )
    people.event = make_event(organiser=organiser, staff=staff, title_zh="本次大会")
    people.other_event = make_event(organiser=other_organiser, title_zh="另一场大会")
    return people


@pytest.mark.parametrize(("url", "role", "status"), MATRIX)
def test_each_role_reaches_exactly_the_pages_it_may(client, login_as, team, url, role, status):
    person = getattr(team, role)
    if person is not None:
        assert login_as(person).status_code == 302
    path = url.format(id=team.event.id)

    response = client.get(path)

    assert response.status_code == status
    if status == 302:
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login"
        assert parse_qs(location.query) == {"next": [path]}
    elif status in (403, 404):
        page = response.get_data(as_text=True)
        assert (NOT_ALLOWED if status == 403 else "页面不存在") in page
        assert "本次大会" not in page
    else:
        heading = "我的活动" if url == DASHBOARD else "本次大会"
        assert f">{heading}</h1>" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [MANAGE, STAFF], ids=["manage", "staff"])
def test_unknown_event_is_404_for_an_organiser(client, login_as, team, url):
    login_as(team.organiser)
    response = client.get(url.format(id=team.other_event.id + 1000))
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [MANAGE, STAFF], ids=["manage", "staff"])
def test_unknown_event_sends_anonymous_visitors_to_login_rather_than_404(client, team, url):
    path = url.format(id=team.other_event.id + 1000)
    response = client.get(path)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_staff_dashboard_lists_only_their_events_without_a_manage_link(
    client, login_as, team, make_event
):
    organised = make_event(organiser=team.staff, title_zh="乙自己组织的会")
    login_as(team.staff)
    page = client.get("/dashboard").get_data(as_text=True)

    assert "本次大会" in page
    assert "另一场大会" not in page
    assert f'href="/staff/{team.event.id}/"' in page
    assert f'href="/manage/{team.event.id}/"' not in page
    assert "签到工作人员" in page
    # Only the event they organise has a 管理 (Manage) button.
    assert page.count(">管理</a>") == 1
    assert f'href="/manage/{organised.id}/">管理</a>' in page


def test_staff_only_dashboard_has_no_manage_link_at_all(client, login_as, team):
    login_as(team.staff)
    page = client.get("/dashboard").get_data(as_text=True)
    assert f'data-event="{team.event.slug}"' in page
    assert ">管理</a>" not in page
    assert f"/manage/{team.event.id}/" not in page


def test_admin_dashboard_lists_every_event_as_organiser(client, login_as, team):
    login_as(team.admin)
    page = client.get("/dashboard").get_data(as_text=True)
    for event in (team.event, team.other_event):
        assert f'href="/manage/{event.id}/">管理</a>' in page


def test_outsider_dashboard_invites_them_to_ask_an_organiser(client, login_as, team):
    login_as(team.outsider)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "您尚未加入任何活动的工作团队" in page
    assert "本次大会" not in page


# --- the helpers, without HTTP --------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("outsider", None),
        ("staff", EventRole.STAFF),
        ("organiser", EventRole.ORGANISER),
        ("other_organiser", None),
        ("admin", EventRole.ORGANISER),
    ],
)
def test_role_in_event_names_each_persons_role(app, team, role, expected):
    with app.app_context():
        user = db.session.get(User, getattr(team, role).id)
        event = db.session.get(Event, team.event.id)
        assert role_in_event(user, event) is expected
        assert can_organise(user, event) is (expected is EventRole.ORGANISER)
        assert can_staff(user, event) is (expected is not None)


def test_admin_organises_every_event_even_without_membership(app, team, make_event):
    unattended = make_event(title_zh="无人负责的大会")
    with app.app_context():
        admin = db.session.get(User, team.admin.id)
        for event_id in (team.event.id, team.other_event.id, unattended.id):
            event = db.session.get(Event, event_id)
            assert role_in_event(admin, event) is EventRole.ORGANISER
        assert {event.id for event, _role in events_for_user(admin)} == {
            team.event.id,
            team.other_event.id,
            unattended.id,
        }


def test_events_for_user_returns_each_event_with_the_users_role(app, team):
    with app.app_context():
        staff = db.session.get(User, team.staff.id)
        outsider = db.session.get(User, team.outsider.id)
        assert [(event.id, role) for event, role in events_for_user(staff)] == [
            (team.event.id, EventRole.STAFF)
        ]
        assert events_for_user(outsider) == []


def test_role_in_event_is_none_for_an_anonymous_user(app, team):
    with app.app_context():
        event = db.session.get(Event, team.event.id)
        assert role_in_event(app.login_manager.anonymous_user(), event) is None


def signed_in(app, person):
    """A request context with ``person`` signed in, as the views see it."""
    context = app.test_request_context("/")
    context.push()
    login_user(db.session.get(User, person.id))
    return context


@pytest.mark.parametrize(
    ("role", "organiser_page", "staff_page"),
    [
        ("outsider", NotFound, NotFound),
        ("staff", Forbidden, None),
        ("organiser", None, None),
        ("other_organiser", NotFound, NotFound),
        ("admin", None, None),
    ],
)
def test_event_loaders_return_the_event_or_refuse(app, team, role, organiser_page, staff_page):
    context = signed_in(app, getattr(team, role))
    try:
        for loader, refusal in (
            (event_for_organiser, organiser_page),
            (event_for_staff, staff_page),
        ):
            if refusal is None:
                assert loader(team.event.id).id == team.event.id
            else:
                with pytest.raises(refusal):
                    loader(team.event.id)
    finally:
        context.pop()


def test_event_loaders_answer_404_for_a_missing_event(app, team):
    context = signed_in(app, team.organiser)
    try:
        for loader in (event_for_organiser, event_for_staff):
            with pytest.raises(NotFound):
                loader(team.other_event.id + 1000)
    finally:
        context.pop()


def test_event_loaders_send_anonymous_users_to_login(app, team):
    with app.test_request_context(f"/manage/{team.event.id}/"):
        for loader in (event_for_organiser, event_for_staff):
            with pytest.raises(HTTPException) as refused:
                loader(team.event.id)
            response = refused.value.get_response()
            assert response.status_code == 302
            assert urlsplit(response.headers["Location"]).path == "/login"
