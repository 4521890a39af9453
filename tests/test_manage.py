"""Setting events up: details, status, clone, categories, team, and who may."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from app import db
from events.models import (
    AgendaItem,
    AuditEntry,
    Category,
    Event,
    EventMember,
    EventRole,
    EventStatus,
    Room,
    User,
)
from registration.models import Question, QuestionKind, Registration
from tests.conftest import PASSWORD, csrf_token

EVENT_FORM = {
    "title_zh": "2027儒商大会",
    "title_en": "Confucian Merchants Conference 2027",
    "kind": "conference",
    "slug": "rushang-2027",
    "description_zh": "大会介绍",
    "venue_zh": "山东国际会展中心",
    "city": "济南",
    "timezone": "Asia/Shanghai",
    "starts_at": "2027-09-25T09:00",
    "ends_at": "2027-09-27T18:00",
    "registration_opens_at": "2027-08-01T09:00",
    "registration_closes_at": "2027-09-20T18:00",
    "capacity": "650",
    "default_categories": "y",
}


def post(client, url, data, token_url=None):
    data = dict(data, csrf_token=csrf_token(client, token_url or url))
    return client.post(url, data=data)


def errors(response) -> list[str]:
    return re.findall(r'invalid-feedback d-block">([^<]+)<', response.get_data(as_text=True))


@pytest.fixture
def organiser(client, make_user, make_event, login_as):
    """Signed in, and organiser of an event already: allowed to create more."""
    user = make_user()
    make_event(organiser=user, slug="earlier-event")
    login_as(user)
    return user


def test_check_in_staff_and_newcomers_cannot_create_events(client, make_user, make_event, login_as):
    staff = make_user()
    make_event(staff=staff)
    login_as(staff)
    assert client.get("/manage/new").status_code == 403
    assert "新建活动" not in client.get("/dashboard").get_data(as_text=True)


def test_creating_an_event_makes_a_draft_owned_by_its_creator_with_default_categories(
    app, client, organiser
):
    response = post(client, "/manage/new", EVENT_FORM)
    assert response.status_code == 302
    with app.app_context():
        event = db.session.execute(db.select(Event).filter_by(slug="rushang-2027")).scalar_one()
        assert event.status is EventStatus.DRAFT
        assert event.starts_at == datetime(2027, 9, 25, 1, 0, tzinfo=UTC)  # 09:00 in Jinan
        assert [c.code for c in event.categories] == [
            "delegate",
            "guest",
            "investor",
            "exhibitor",
            "media",
            "staff",
        ]
        member = db.session.execute(db.select(EventMember).filter_by(event_id=event.id))
        member = member.scalar_one()
        assert (member.user_id, member.role, member.is_owner) == (
            organiser.id,
            EventRole.ORGANISER,
            True,
        )
        assert (
            db.session.execute(
                db.select(AuditEntry.action).where(AuditEntry.subject_id == event.id)
            ).scalar()
            == "event.created"
        )
    assert client.get("/e/rushang-2027", headers={"Cookie": ""}).status_code == 200
    assert app.test_client().get("/e/rushang-2027").status_code == 404  # draft: public sees none


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"ends_at": "2027-09-24T09:00"}, "结束时间必须晚于开始时间。"),
        ({"title_zh": "  "}, "该字段是必填字段。"),
        ({"slug": "Has Spaces"}, "请使用3至64个小写字母、数字和连字符。"),
        ({"registration_closes_at": "2027-07-01T09:00"}, "报名截止时间必须晚于开放时间。"),
        ({"registration_closes_at": "2027-10-01T09:00"}, "报名截止时间不能晚于活动结束时间。"),
        ({"capacity": "0"}, None),
        ({"timezone": "Mars/Olympus"}, None),
    ],
    ids=[
        "end-before-start",
        "empty-title",
        "bad-slug",
        "close-before-open",
        "close-after-end",
        "zero-capacity",
        "unknown-zone",
    ],
)
def test_bad_event_input_is_refused_with_a_message_and_nothing_saved(
    app, client, organiser, changes, field_error
):
    response = post(client, "/manage/new", {**EVENT_FORM, **changes})
    assert response.status_code == 200
    found = errors(response)
    assert found
    if field_error:
        assert field_error in found
    with app.app_context():
        assert db.session.execute(db.select(Event).filter_by(slug="rushang-2027")).first() is None


def test_a_slug_can_be_used_by_one_event_only(app, client, organiser, make_event):
    make_event(slug="rushang-2027")
    response = post(client, "/manage/new", EVENT_FORM)
    assert response.status_code == 200
    assert "此网址已被其他活动使用。" in errors(response)


def test_editing_keeps_times_on_the_events_wall_clock_and_audits_changes(
    app, client, organiser, make_event
):
    event = make_event(organiser=organiser)
    page = client.get(f"/manage/{event.id}/edit").get_data(as_text=True)
    assert 'value="2030-09-25T09:00"' in page  # 01:00 UTC shown in Asia/Shanghai
    form = {**EVENT_FORM, "slug": event.slug, "title_zh": "改名后的大会"}
    form.pop("default_categories")
    assert post(client, f"/manage/{event.id}/edit", form).status_code == 302
    with app.app_context():
        saved = db.session.get(Event, event.id)
        assert saved.title_zh == "改名后的大会"
        entry = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "event.updated")
        ).scalar_one()
        assert "title_zh" in entry.details["fields"]
        assert entry.actor_id == organiser.id


def test_capacity_cannot_drop_below_the_places_taken(
    app, client, organiser, make_event, make_registration
):
    event = make_event(organiser=organiser)
    for number in range(3):
        make_registration(event, mobile=f"+861390000000{number}")
    form = {**EVENT_FORM, "slug": event.slug, "capacity": "2"}
    response = post(client, f"/manage/{event.id}/edit", form)
    assert response.status_code == 200
    assert "总名额不能低于已占用的 3 个名额。" in errors(response)
    with app.app_context():
        assert db.session.get(Event, event.id).capacity is None


def test_publish_close_archive_and_restore(app, client, organiser, make_event):
    event = make_event(organiser=organiser, status=EventStatus.DRAFT)
    url = f"/manage/{event.id}/status"
    public = app.test_client()
    assert public.get(f"/e/{event.slug}").status_code == 404
    post(client, url, {"action": "publish"}, f"/manage/{event.id}/edit")
    assert public.get(f"/e/{event.slug}").status_code == 200
    post(client, url, {"action": "close_registration"}, f"/manage/{event.id}/edit")
    with app.app_context():
        closes = db.session.get(Event, event.id).registration_closes_at
        assert closes is not None and closes <= datetime.now(UTC)
    assert event.title_zh in public.get("/").get_data(as_text=True)
    post(client, url, {"action": "archive"}, f"/manage/{event.id}/edit")
    # Archived: off the public lists; its page stays for links in old messages.
    assert event.title_zh not in public.get("/").get_data(as_text=True)
    assert public.get(f"/e/{event.slug}").status_code == 200
    post(client, url, {"action": "restore"}, f"/manage/{event.id}/edit")
    with app.app_context():
        assert db.session.get(Event, event.id).status is EventStatus.DRAFT
    response = post(client, url, {"action": "explode"}, f"/manage/{event.id}/edit")
    assert response.status_code == 400


def test_cloning_copies_the_set_up_shifted_in_time_without_people(
    app, client, organiser, make_event, make_registration
):
    event = make_event(organiser=organiser)
    make_registration(event)
    with app.app_context():
        source = db.session.get(Event, event.id)
        category = source.categories[0]
        room = Room(event=source, name_zh="主会场", capacity=1200)
        db.session.add(
            AgendaItem(
                event=source,
                room=room,
                title_zh="开幕式",
                starts_at=datetime(2030, 9, 25, 1, 0, tzinfo=UTC),
                ends_at=datetime(2030, 9, 25, 3, 0, tzinfo=UTC),
            )
        )
        db.session.add(
            Question(
                event=source,
                kind=QuestionKind.SINGLE_CHOICE,
                label_zh="行业",
                options=[
                    {"key": "o1", "zh": "制造", "en": None},
                    {"key": "o2", "zh": "金融", "en": None},
                ],
                categories=[category],
            )
        )
        db.session.commit()
    response = post(
        client,
        f"/manage/{event.id}/clone",
        {
            "title_zh": "2031儒商大会",
            "slug": "rushang-2031",
            "starts_on": "2031-09-24",
            "copy_team": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        clone = db.session.execute(
            db.select(Event).where(Event.slug == "rushang-2031")
        ).scalar_one()
        assert clone.status is EventStatus.DRAFT
        assert clone.starts_at == datetime(2031, 9, 24, 1, 0, tzinfo=UTC)
        assert [c.code for c in clone.categories] == ["delegate"]
        assert [r.name_zh for r in clone.rooms] == ["主会场"]
        item = clone.agenda_items[0]
        assert (item.title_zh, item.room.name_zh) == ("开幕式", "主会场")
        assert item.starts_at == datetime(2031, 9, 24, 1, 0, tzinfo=UTC)
        question = db.session.execute(
            db.select(Question).where(Question.event_id == clone.id)
        ).scalar_one()
        assert [o["zh"] for o in question.options] == ["制造", "金融"]
        assert [c.id for c in question.categories] == [clone.categories[0].id]
        assert (
            db.session.execute(
                db.select(Registration).where(Registration.event_id == clone.id)
            ).first()
            is None
        )
        owner = db.session.execute(
            db.select(EventMember).filter_by(event_id=clone.id, is_owner=True)
        ).scalar_one()
        assert owner.user_id == organiser.id


def test_cloning_refuses_a_used_slug(app, client, organiser, make_event):
    event = make_event(organiser=organiser)
    response = post(
        client,
        f"/manage/{event.id}/clone",
        {"title_zh": "新一届", "slug": event.slug, "starts_on": "2031-09-24"},
    )
    assert response.status_code == 200
    assert "此网址已被其他活动使用。" in errors(response)


CATEGORY_FORM = {
    "code": "vip",
    "name_zh": "贵宾",
    "name_en": "VIP",
    "color": "#AA0000",
    "quota": "20",
    "position": "3",
    "is_public": "y",
}


def test_adding_a_category(app, client, organiser, make_event):
    event = make_event(organiser=organiser)
    assert post(client, f"/manage/{event.id}/categories", CATEGORY_FORM).status_code == 302
    with app.app_context():
        category = db.session.execute(db.select(Category).filter_by(code="vip")).scalar_one()
        assert (category.color, category.quota, category.is_public) == ("#aa0000", 20, True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"color": "red"}, "请使用 #1f6feb 这样的颜色值。"),
        ({"color": "#12345"}, "请使用 #1f6feb 这样的颜色值。"),
        ({"code": "delegate"}, "本活动的其他类别已使用此代码。"),
        ({"code": "Has Space"}, "最多使用32个小写字母、数字、- 和 _。"),
        ({"name_zh": ""}, "该字段是必填字段。"),
        ({"quota": "-1"}, None),
    ],
    ids=["colour-word", "colour-short", "duplicate-code", "bad-code", "empty-name", "negative"],
)
def test_bad_category_input_is_refused(app, client, organiser, make_event, changes, message):
    event = make_event(organiser=organiser)
    response = post(client, f"/manage/{event.id}/categories", {**CATEGORY_FORM, **changes})
    assert response.status_code == 200
    if message:
        assert message in errors(response)
    else:
        assert errors(response)
    with app.app_context():
        assert db.session.execute(db.select(Category).filter_by(code="vip")).first() is None


def test_quota_cannot_drop_below_confirmed_and_pending(
    app, client, organiser, make_event, make_registration
):
    event = make_event(organiser=organiser)
    make_registration(event, mobile="+8613900000001")
    make_registration(event, mobile="+8613900000002", status="pending")
    make_registration(event, mobile="+8613900000003", status="cancelled")
    with app.app_context():
        category_id = db.session.execute(
            db.select(Category.id).filter_by(event_id=event.id)
        ).scalar()
    url = f"/manage/{event.id}/categories/{category_id}"
    form = {**CATEGORY_FORM, "code": "delegate", "quota": "1"}
    response = post(client, url, form)
    assert "名额不能低于已占用的 2 个名额。" in errors(response)
    assert post(client, url, {**form, "quota": "2"}).status_code == 302


def test_a_category_with_registrations_cannot_be_deleted(
    app, client, organiser, make_event, make_registration
):
    event = make_event(organiser=organiser)
    make_registration(event)
    with app.app_context():
        category_id = db.session.execute(
            db.select(Category.id).filter_by(event_id=event.id)
        ).scalar()
    url = f"/manage/{event.id}/categories/{category_id}/delete"
    post(client, url, {}, f"/manage/{event.id}/categories")
    page = client.get(f"/manage/{event.id}/categories").get_data(as_text=True)
    assert "此类别已有报名，无法删除。" in page
    with app.app_context():
        assert db.session.get(Category, category_id) is not None


def test_owner_adds_a_new_colleague_who_sets_a_password_once(app, client, organiser, make_event):
    event = make_event(organiser=organiser)
    response = post(
        client,
        f"/manage/{event.id}/team",
        {"email": "New.Staff@huiwu.example", "display_name": "孙志强", "role": "staff"},
    )
    assert response.status_code == 302
    page = client.get(f"/manage/{event.id}/team").get_data(as_text=True)
    link = re.search(r"(http://localhost/set-password/[\w.-]+)", page).group(1)
    path = link.removeprefix("http://localhost")
    newcomer = app.test_client()
    form = {"password": "sunzhiqiang-2027", "confirm": "sunzhiqiang-2027"}
    assert post(newcomer, path, form).status_code == 302
    assert post(newcomer, path, form, "/login").status_code == 404  # used up
    with app.app_context():
        user = db.session.execute(
            db.select(User).filter_by(email="new.staff@huiwu.example")
        ).scalar_one()
        assert user.check_password("sunzhiqiang-2027")
        membership = db.session.execute(db.select(EventMember).filter_by(user_id=user.id))
        assert membership.scalar_one().role is EventRole.STAFF
    newcomer.post(
        "/login",
        data={
            "email": "new.staff@huiwu.example",
            "password": "sunzhiqiang-2027",
            "csrf_token": csrf_token(newcomer),
        },
    )
    assert newcomer.get(f"/staff/{event.id}/").status_code == 200
    assert newcomer.get(f"/manage/{event.id}/").status_code == 403


def test_a_tampered_password_link_is_refused(client):
    response = client.get("/set-password/not-a-real-token")
    assert response.status_code == 404
    assert "链接已失效" in response.get_data(as_text=True)


def test_only_the_owner_changes_the_team_and_the_owner_stays(
    app, client, make_user, make_event, login_as
):
    owner, colleague = make_user(), make_user()
    event = make_event(organiser=owner)
    with app.app_context():
        db.session.add(
            EventMember(event_id=event.id, user_id=colleague.id, role=EventRole.ORGANISER)
        )
        db.session.commit()
        owner_membership = db.session.execute(
            db.select(EventMember.id).filter_by(user_id=owner.id)
        ).scalar()
    login_as(colleague, PASSWORD)
    response = post(
        client, f"/manage/{event.id}/team", {"email": "x@huiwu.example", "role": "staff"}
    )
    assert response.status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(owner)
    post(
        client, f"/manage/{event.id}/team/{owner_membership}/remove", {}, f"/manage/{event.id}/team"
    )
    assert "无法将负责人移出团队。" in client.get(f"/manage/{event.id}/team").get_data(as_text=True)


def test_adding_someone_twice_is_refused(app, client, organiser, make_event, make_user):
    colleague = make_user()
    event = make_event(organiser=organiser, staff=colleague)
    response = post(
        client, f"/manage/{event.id}/team", {"email": colleague.email, "role": "organiser"}
    )
    assert response.status_code == 200
    assert "此人已在团队中。" in errors(response)
