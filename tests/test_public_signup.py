"""The public sign-up page, the manage link and resending it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app import db
from events.models import AuditEntry, Category
from registration.models import Answer, Question, QuestionKind, Registration
from registration.models import RegistrationStatus as Status
from tests.conftest import csrf_token

NOW = datetime.now(UTC)
LINK = re.compile(r"http://localhost(/r/[A-Za-z0-9_-]{43})")


@pytest.fixture
def event(app, make_event):
    made = make_event(
        slug="rushang-2030",
        registration_opens_at=NOW - timedelta(days=1),
        registration_closes_at=NOW + timedelta(days=10),
        starts_at=NOW + timedelta(days=20),
        ends_at=NOW + timedelta(days=21),
    )
    with app.app_context():
        category = db.session.execute(db.select(Category).filter_by(event_id=made.id)).scalar()
        db.session.add(
            Question(
                event_id=made.id,
                kind=QuestionKind.SINGLE_CHOICE,
                label_zh="所属行业",
                label_en="Industry",
                required=True,
                options=[
                    {"key": "o1", "zh": "高端装备", "en": "Equipment"},
                    {"key": "o2", "zh": "现代金融", "en": "Finance"},
                ],
            )
        )
        db.session.commit()
        made.category_id = category.id
        made.question_id = db.session.execute(db.select(Question.id)).scalar()
    return made


def form_data(client, event, **changes):
    data = {
        "category": str(event.category_id),
        "name": "王立强",
        "name_en": "Liqiang WANG",
        "organisation": "济南鲁信科技有限公司",
        "position": "总经理",
        "mobile": "139 1234 5678",
        "email": "wlq@example.com",
        "consent": "y",
        f"q{event.question_id}": "o2",
        "csrf_token": csrf_token(client, f"/e/{event.slug}/register"),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def register(client, event, **changes):
    """Post the form; closing the response runs what a server runs after sending it (mail)."""
    response = client.post(f"/e/{event.slug}/register", data=form_data(client, event, **changes))
    response.close()
    return response


def test_signing_up_saves_answers_writes_and_leads_to_the_manage_page(
    app, client, event, smtp_server
):
    response = register(client, event)
    assert response.status_code == 302
    manage_path = response.headers["Location"]
    page = client.get(manage_path).get_data(as_text=True)
    assert "王立强" in page and "您的参会名额已确认。" in page and "现代金融" in page
    with app.app_context():
        registration = db.session.execute(db.select(Registration)).scalar_one()
        assert (registration.mobile, registration.status) == ("+8613912345678", Status.CONFIRMED)
        answer = db.session.execute(db.select(Answer)).scalar_one()
        assert answer.value == "o2"
        assert answer.snapshot["label"]["zh"] == "所属行业"
    (received,) = smtp_server.messages
    text = received["message"].get_body(preferencelist=("plain",)).get_content()
    assert LINK.search(text).group(1) == manage_path


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"consent": None}, "报名需要您的同意。"),
        ({"mobile": "12345"}, "手机号码无效。"),
        ({"name": ""}, "该字段是必填字段。"),
        ({"email": "not-an-email"}, None),
        ({"category": "99999"}, None),
    ],
    ids=["no-consent", "bad-mobile", "no-name", "bad-email", "unknown-category"],
)
def test_bad_sign_ups_are_refused_with_a_message_and_nothing_saved(
    app, client, event, changes, message
):
    response = register(client, event, **changes)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    if message:
        assert message in page
    assert "invalid-feedback" in page
    with app.app_context():
        assert db.session.execute(db.select(Registration)).first() is None


def test_a_required_question_must_be_answered(app, client, event):
    response = register(client, event, **{f"q{event.question_id}": None})
    assert "请回答此问题。" in response.get_data(as_text=True)


def test_the_same_mobile_cannot_register_twice(app, client, event):
    register(client, event)
    response = register(client, event, mobile="+86 139-1234-5678", email=None)
    assert "该手机号码已报名本活动。" in response.get_data(as_text=True)


def test_a_full_category_offers_the_waiting_list(app, client, event):
    with app.app_context():
        db.session.get(Category, event.category_id).quota = 1
        db.session.commit()
    register(client, event)
    other = app.test_client()
    response = register(other, event, mobile="13800000001")
    page = response.get_data(as_text=True)
    assert "加入候补名单" in page
    # A browser posts every input named "waitlist": the button must be the only one.
    assert re.findall(r'<[^>]*name="waitlist"[^>]*>', page) == [
        '<button type="submit" name="waitlist" value="yes" class="btn btn-warning">'
    ]
    response = register(other, event, mobile="13800000001", waitlist="yes")
    assert response.status_code == 302
    assert "候补" in other.get(response.headers["Location"]).get_data(as_text=True)


def test_registration_outside_the_window_is_refused(app, client, make_event):
    closed = make_event(
        registration_closes_at=NOW - timedelta(hours=1),
        starts_at=NOW + timedelta(days=3),
        ends_at=NOW + timedelta(days=4),
    )
    page = client.get(f"/e/{closed.slug}/register").get_data(as_text=True)
    assert "本活动当前不在报名时间内。" in page
    assert 'name="name"' not in page


def test_a_tampered_manage_link_is_a_plain_404(client, event):
    register(client, event)
    for token in ("A" * 43, "short", "x" * 200):
        response = client.get(f"/r/{token}")
        assert response.status_code == 404
        assert "王立强" not in response.get_data(as_text=True)


def test_the_person_edits_details_and_cancels_through_the_link(app, client, event):
    manage_path = register(client, event).headers["Location"]
    data = {
        "name": "王立强",
        "name_en": "",
        "organisation": "青岛海岱科技有限公司",
        "position": "董事长",
        "email": "",
        "csrf_token": csrf_token(client, manage_path),
    }
    assert client.post(manage_path, data=data).status_code == 302
    client.post(manage_path + "/cancel", data={"csrf_token": csrf_token(client, manage_path)})
    with app.app_context():
        registration = db.session.execute(db.select(Registration)).scalar_one()
        assert registration.organisation == "青岛海岱科技有限公司"
        assert registration.email is None
        assert registration.status is Status.CANCELLED
        actions = db.session.execute(
            db.select(AuditEntry.action, AuditEntry.actor_label).order_by(AuditEntry.id)
        ).all()
        assert actions == [
            ("registration.created", "public"),
            ("registration.updated", "registrant"),
            ("registration.cancelled", "registrant"),
        ]
    page = client.get(manage_path).get_data(as_text=True)
    assert "取消我的报名" not in page  # nothing left to change


def test_resending_the_link_never_tells_who_is_registered(app, client, event, smtp_server):
    first = register(client, event).headers["Location"]
    smtp_server.messages.clear()
    url = f"/e/{event.slug}/resend-link"
    answers = []
    for contact in ("139 1234 5678", "13800000000", "nobody@example.com"):
        response = client.post(
            url,
            data={"contact": contact, "csrf_token": csrf_token(client, url)},
            follow_redirects=True,
        )
        answers.append(
            re.sub(r'content="[^"]+"|value="[^"]+"', "", response.get_data(as_text=True))
        )
    assert answers[0] == answers[1] == answers[2]
    (received,) = smtp_server.messages
    text = received["message"].get_body(preferencelist=("plain",)).get_content()
    new = LINK.search(text).group(1)
    assert new != first
    assert client.get(first).status_code == 404
    assert client.get(new).status_code == 200
