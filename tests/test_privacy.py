"""Purging personal data of an archived event keeps its numbers."""

from __future__ import annotations

from datetime import UTC, datetime

from app import db
from events.models import AuditEntry, Event, EventStatus
from registration.figures import registration_figures
from registration.models import (
    Answer,
    Delegation,
    DelegationKind,
    EmailOutbox,
    Question,
    QuestionKind,
    Registration,
)


def archived_event(app, make_event, make_registration, ends_at=datetime(2019, 9, 27, tzinfo=UTC)):
    event = make_event(
        status=EventStatus.ARCHIVED,
        slug="rushang-2019",
        starts_at=datetime(2019, 9, 25, tzinfo=UTC),
        ends_at=ends_at,
    )
    with app.app_context():
        delegation = Delegation(
            event_id=event.id,
            name="上海市山东商会",
            kind=DelegationKind.CHAMBER,
            leader_name="张伟",
            leader_mobile="+8613900000009",
            leader_email="zw@example.com",
        )
        question = Question(event_id=event.id, kind=QuestionKind.TEXT, label_zh="饮食禁忌")
        db.session.add_all([delegation, question])
        db.session.commit()
        delegation_id, question_id = delegation.id, question.id
    kept = make_registration(
        event,
        name="王立",
        email="wl@example.com",
        delegation_id=delegation_id,
        manage_token_hash="a" * 64,
    )
    make_registration(event, name="李娜", mobile="+8613900000002", status="cancelled")
    with app.app_context():
        db.session.add(
            Answer(registration_id=kept.id, question_id=question_id, value="不吃辣", snapshot={})
        )
        db.session.add(
            EmailOutbox(
                event_id=event.id,
                registration_id=kept.id,
                kind="x",
                locale="zh_Hans_CN",
                recipient="wl@example.com",
                subject="s",
                body_text="王立",
            )
        )
        db.session.add(
            AuditEntry(
                event_id=event.id,
                action="registration.rejected",
                subject_type="registration",
                subject_id=kept.id,
                details={"message": "王立先生请改报嘉宾", "to_status": "x"},
            )
        )
        db.session.commit()
    return event


def test_purge_anonymises_people_and_keeps_the_counts(app, runner, make_event, make_registration):
    event = archived_event(app, make_event, make_registration)
    with app.app_context():
        before = registration_figures([event.id])[event.id]
    result = runner.invoke(args=["privacy", "purge", "rushang-2019", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Anonymised 2 registrations and 1 delegation contacts" in result.output
    with app.app_context():
        assert registration_figures([event.id])[event.id] == before
        people = db.session.execute(db.select(Registration)).scalars().all()
        assert {(p.name, p.mobile, p.email, p.manage_token_hash) for p in people} == {
            ("—", None, None, None)
        }
        assert db.session.execute(db.select(Answer)).first() is None
        assert db.session.execute(db.select(EmailOutbox)).first() is None
        leader = db.session.execute(db.select(Delegation)).scalar_one()
        assert (leader.name, leader.leader_name, leader.leader_mobile) == (
            "上海市山东商会",
            "—",
            None,
        )
        details = [e.details for e in db.session.execute(db.select(AuditEntry)).scalars()]
        assert not any("王立" in str(d) for d in details)


def test_purge_refuses_live_events_and_early_purges(app, runner, make_event, make_registration):
    live = make_event(slug="live-event")
    result = runner.invoke(args=["privacy", "purge", live.slug, "--yes"])
    assert result.exit_code != 0 and "archive the event first" in result.output
    recent = archived_event(app, make_event, make_registration, ends_at=datetime.now(UTC))
    result = runner.invoke(args=["privacy", "purge", recent.slug, "--yes"])
    assert result.exit_code != 0 and "retention period" in result.output
    with app.app_context():
        assert db.session.execute(
            db.select(Registration.name).where(Registration.event_id == recent.id)
        ).scalars().all() != ["—", "—"]
    result = runner.invoke(args=["privacy", "purge", recent.slug, "--yes", "--force"])
    assert result.exit_code == 0
    assert runner.invoke(args=["privacy", "purge", "no-such", "--yes"]).exit_code != 0
    with app.app_context():
        assert db.session.get(Event, recent.id).status is EventStatus.ARCHIVED


def test_an_organiser_hands_over_and_erases_one_persons_data(
    app, client, make_user, make_event, make_registration, login_as
):
    from tests.conftest import csrf_token

    organiser = make_user()
    event = make_event(organiser=organiser)
    person = make_registration(event, name="王立", email="wl@example.com")
    other = make_registration(event, name="李娜", mobile="+8613900000002")
    login_as(organiser)
    base = f"/manage/{event.id}/attendees/{person.id}"
    copy = client.get(f"{base}/personal-data.json")
    assert copy.headers["Cache-Control"] == "no-store"
    assert "attachment" in copy.headers["Content-Disposition"]
    assert (copy.json["name"], copy.json["email"]) == ("王立", "wl@example.com")
    response = client.post(
        f"{base}/erase", data={"csrf_token": csrf_token(client, base)}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "已删除该人员的个人信息" in page
    assert "个人信息已删除" in page  # in the history
    with app.app_context():
        erased = db.session.get(Registration, person.id)
        assert (erased.name, erased.email, erased.mobile) == ("—", None, None)
        assert db.session.get(Registration, other.id).name == "李娜"
    assert (
        client.post(
            f"/manage/{event.id}/attendees/{other.id + 100}/erase",
            data={"csrf_token": csrf_token(client, base)},
        ).status_code
        == 404
    )
