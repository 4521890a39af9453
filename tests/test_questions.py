"""The custom question editor: kinds, options, applicability, and kept answers."""

from __future__ import annotations

import re

import pytest

from app import db
from events.models import Category
from registration.models import Answer, Question, QuestionKind, Registration
from tests.conftest import csrf_token

FORM = {
    "kind": "single_choice",
    "label_zh": "所属行业",
    "label_en": "Industry",
    "help_zh": "",
    "options": "高端装备 | Advanced equipment\n现代金融 | Finance\n其他",
    "required": "y",
    "position": "1",
}


def post(client, url, data, token_url=None):
    return client.post(url, data=dict(data, csrf_token=csrf_token(client, token_url or url)))


def errors(response):
    return re.findall(r'invalid-feedback d-block">([^<]+)<', response.get_data(as_text=True))


@pytest.fixture
def setting(client, make_user, make_event, login_as):
    organiser = make_user()
    event = make_event(organiser=organiser)
    login_as(organiser)
    return event


def question(app):
    with app.app_context():
        found = db.session.execute(db.select(Question)).scalar_one()
        return found, [c.id for c in found.categories]


def test_a_choice_question_is_saved_with_keyed_bilingual_options(app, client, setting):
    assert post(client, f"/manage/{setting.id}/questions", FORM).status_code == 302
    saved, categories = question(app)
    assert saved.kind is QuestionKind.SINGLE_CHOICE
    assert saved.options == [
        {"key": "o1", "zh": "高端装备", "en": "Advanced equipment"},
        {"key": "o2", "zh": "现代金融", "en": "Finance"},
        {"key": "o3", "zh": "其他", "en": None},
    ]
    assert categories == []  # asked of every category
    page = client.get(f"/manage/{setting.id}/questions").get_data(as_text=True)
    assert "所属行业" in page and "全部类别" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"options": "只有一个"}, "选择题至少需要两个选项。"),
        ({"options": "甲\n甲"}, "选项“甲”重复。"),
        ({"label_zh": ""}, "该字段是必填字段。"),
        ({"kind": "essay"}, None),
    ],
    ids=["one-option", "duplicate-option", "empty-label", "unknown-kind"],
)
def test_bad_questions_are_refused(app, client, setting, changes, message):
    response = post(client, f"/manage/{setting.id}/questions", {**FORM, **changes})
    assert response.status_code == 200
    assert (message in errors(response)) if message else errors(response)
    with app.app_context():
        assert db.session.execute(db.select(Question)).first() is None


def test_a_question_can_apply_to_some_categories_only(app, client, setting):
    with app.app_context():
        delegate = db.session.execute(db.select(Category.id)).scalar()
    form = {**FORM, "kind": "text", "options": "", "categories": [str(delegate)]}
    assert post(client, f"/manage/{setting.id}/questions", form).status_code == 302
    saved, categories = question(app)
    assert categories == [delegate]
    assert saved.options == []


def test_another_events_category_is_refused(app, client, setting, make_event):
    other = make_event()
    with app.app_context():
        foreign = db.session.execute(
            db.select(Category.id).where(Category.event_id == other.id)
        ).scalar()
    form = {**FORM, "categories": [str(foreign)]}
    response = post(client, f"/manage/{setting.id}/questions", form)
    assert response.status_code == 200
    assert errors(response)


def test_editing_keeps_option_keys_and_bumps_the_version(app, client, setting):
    post(client, f"/manage/{setting.id}/questions", FORM)
    saved, _categories = question(app)
    url = f"/manage/{setting.id}/questions/{saved.id}"
    page = client.get(url).get_data(as_text=True)
    assert "现代金融 | Finance" in page
    edited = {**FORM, "label_zh": "主营行业", "options": "其他\n高端装备 | Equipment\n海洋经济"}
    assert post(client, url, edited).status_code == 302
    saved, _categories = question(app)
    assert saved.version == 2
    assert [(o["key"], o["zh"]) for o in saved.options] == [
        ("o3", "其他"),
        ("o1", "高端装备"),
        ("o4", "海洋经济"),
    ]


def answered(app, event, saved):
    with app.app_context():
        category = db.session.execute(db.select(Category.id)).scalar()
        registration = Registration(
            event_id=event.id, category_id=category, name="王立", mobile="+8613900000000"
        )
        db.session.add(registration)
        db.session.flush()
        db.session.add(
            Answer(
                registration_id=registration.id,
                question_id=saved.id,
                value=["o2"],
                snapshot={"label": {"zh": "所属行业", "en": "Industry"}},
            )
        )
        db.session.commit()


def test_removing_an_answered_question_retires_it_and_keeps_answers(app, client, setting):
    post(client, f"/manage/{setting.id}/questions", FORM)
    saved, _categories = question(app)
    answered(app, setting, saved)
    url = f"/manage/{setting.id}/questions/{saved.id}"
    post(client, url + "/remove", {}, f"/manage/{setting.id}/questions")
    with app.app_context():
        kept = db.session.get(Question, saved.id)
        assert kept.active is False
        assert db.session.execute(db.select(Answer.value)).scalar() == ["o2"]
    response = post(client, url, {**FORM, "kind": "text"})
    assert "已有人回答此问题：不能再更改题型。" in errors(response)
    post(client, url + "/restore", {}, f"/manage/{setting.id}/questions")
    with app.app_context():
        assert db.session.get(Question, saved.id).active is True


def test_removing_an_unanswered_question_deletes_it(app, client, setting):
    post(client, f"/manage/{setting.id}/questions", FORM)
    saved, _categories = question(app)
    post(
        client,
        f"/manage/{setting.id}/questions/{saved.id}/remove",
        {},
        f"/manage/{setting.id}/questions",
    )
    with app.app_context():
        assert db.session.get(Question, saved.id) is None


def statements_for(app, client, url) -> int:
    from sqlalchemy import event as sa_event

    seen = []

    def note(*_args):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa_event.remove(engine, "before_cursor_execute", note)
    return len(seen)


def add_questions(app, event, count: int) -> None:
    with app.app_context():
        delegate = db.session.execute(
            db.select(Category).where(Category.event_id == event.id)
        ).scalar()
        for number in range(count):
            question = Question(
                event_id=event.id, kind=QuestionKind.TEXT, label_zh=f"问题{number}", position=number
            )
            if number % 2:
                question.categories = [delegate]
            db.session.add(question)
        db.session.commit()


def test_the_sign_up_page_reads_questions_categories_at_once(app, client, make_event):
    """Not one query per question: the statements stay the same from one question to six."""
    few, many = make_event(), make_event()
    add_questions(app, few, 1)
    add_questions(app, many, 6)
    page = client.get(f"/e/{many.slug}/register").get_data(as_text=True)
    assert page.count('class="question"') == 6
    assert statements_for(app, client, f"/e/{many.slug}/register") == statements_for(
        app, client, f"/e/{few.slug}/register"
    )
