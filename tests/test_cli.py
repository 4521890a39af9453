"""``flask users …`` and ``flask demo``, run through Flask's CLI test runner."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

from app import db
from events.models import Event, EventMember, EventRole, User
from registration import demo
from registration.models import Delegation, Registration
from tests.conftest import PASSWORD

NEW_PASSWORD = "pw12345678"
TWICE = f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
CHAMBER_PLACES = ("北京", "上海", "天津", "重庆", "广东", "浙江")
MOBILE = re.compile(r"^\+861[3-9]\d{9}$")


def count(model) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def user_by_email(email: str) -> User | None:
    return db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()


# users create ---------------------------------------------------------------


def test_users_create_makes_an_admin_whose_password_checks(app, runner):
    result = runner.invoke(
        args=["users", "create", "Zhang.Wei@Huiwu.Example", "--admin", "--name", "张伟"],
        input=TWICE,
    )
    assert result.exit_code == 0, result.output
    assert "Created admin account zhang.wei@huiwu.example" in result.output
    with app.app_context():
        user = user_by_email("zhang.wei@huiwu.example")
        assert user is not None
        assert user.display_name == "张伟"
        assert user.is_admin is True
        assert user.active is True
        assert user.check_password(NEW_PASSWORD)
        assert not user.check_password("wrong-password")
        assert count(User) == 1


def test_users_create_without_admin_flag_makes_a_plain_account_named_after_the_email(app, runner):
    result = runner.invoke(args=["users", "create", "li.na@huiwu.example"], input=TWICE)
    assert result.exit_code == 0, result.output
    assert "Created account li.na@huiwu.example" in result.output
    with app.app_context():
        user = user_by_email("li.na@huiwu.example")
        assert user.is_admin is False
        assert user.display_name == "li.na"


def test_users_create_refuses_an_email_that_already_exists_in_any_case(app, runner):
    first = runner.invoke(args=["users", "create", "wang@huiwu.example"], input=TWICE)
    assert first.exit_code == 0, first.output
    again = runner.invoke(
        args=["users", "create", "WANG@huiwu.example", "--admin"], input="other-pass-1\n" * 2
    )
    assert again.exit_code != 0
    assert "already exists" in again.output
    with app.app_context():
        assert count(User) == 1
        user = user_by_email("wang@huiwu.example")
        assert user.is_admin is False
        assert user.check_password(NEW_PASSWORD)


def test_users_create_refuses_a_password_shorter_than_eight_characters(app, runner):
    result = runner.invoke(args=["users", "create", "short@huiwu.example"], input="pw12345\n" * 4)
    assert result.exit_code != 0
    assert "at least 8 characters" in result.output
    with app.app_context():
        assert count(User) == 0


def test_users_create_refuses_something_that_is_not_an_email(app, runner):
    result = runner.invoke(args=["users", "create", "not-an-email"], input=TWICE)
    assert result.exit_code != 0
    assert "not an email address" in result.output
    with app.app_context():
        assert count(User) == 0


def test_users_create_refuses_mismatched_password_confirmation(app, runner):
    result = runner.invoke(
        args=["users", "create", "typo@huiwu.example"], input="pw12345678\npw12345679\n"
    )
    assert result.exit_code != 0
    with app.app_context():
        assert count(User) == 0


# users set-password / deactivate --------------------------------------------


def test_users_set_password_changes_the_password(app, runner, make_user):
    user = make_user("zhao.min@huiwu.example")
    result = runner.invoke(args=["users", "set-password", "ZHAO.MIN@huiwu.example"], input=TWICE)
    assert result.exit_code == 0, result.output
    assert "Password changed for zhao.min@huiwu.example" in result.output
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.check_password(NEW_PASSWORD)
        assert not stored.check_password(PASSWORD)


def test_users_set_password_refuses_a_short_password_and_keeps_the_old_one(app, runner, make_user):
    user = make_user("keep@huiwu.example")
    result = runner.invoke(
        args=["users", "set-password", "keep@huiwu.example"], input="short\n" * 4
    )
    assert result.exit_code != 0
    assert "at least 8 characters" in result.output
    with app.app_context():
        assert db.session.get(User, user.id).check_password(PASSWORD)


def test_users_set_password_for_an_unknown_email_fails_with_no_account(app, runner):
    result = runner.invoke(args=["users", "set-password", "nobody@huiwu.example"], input=TWICE)
    assert result.exit_code != 0
    assert "no account for nobody@huiwu.example" in result.output
    with app.app_context():
        assert count(User) == 0


def test_users_deactivate_stops_the_account_but_keeps_it(app, runner, make_user):
    user = make_user("leaving@huiwu.example")
    result = runner.invoke(args=["users", "deactivate", "Leaving@huiwu.example"])
    assert result.exit_code == 0, result.output
    assert "Deactivated leaving@huiwu.example" in result.output
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.active is False
        assert stored.is_active is False
        assert count(User) == 1


def test_users_deactivate_for_an_unknown_email_fails_with_no_account(app, runner, make_user):
    other = make_user("stays@huiwu.example")
    result = runner.invoke(args=["users", "deactivate", "nobody@huiwu.example"])
    assert result.exit_code != 0
    assert "no account for nobody@huiwu.example" in result.output
    with app.app_context():
        assert db.session.get(User, other.id).active is True


# demo ------------------------------------------------------------------------


def run_demo(app, runner):
    """Invoke ``flask demo`` as the shell does: the command pushes its own context."""
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result


def demo_counts(app) -> dict:
    with app.app_context():
        return {
            model.__name__: count(model)
            for model in (Event, Registration, Delegation, User, EventMember)
        }


def assert_logins_printed(output: str) -> None:
    assert demo.DEMO_PASSWORD in output
    for email, _role in demo.DEMO_ACCOUNTS:
        assert email in output


def test_demo_command_runs_without_an_app_context_from_the_caller(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"


def test_demo_loads_four_events_the_conference_and_its_six_chambers(app, runner):
    result = run_demo(app, runner)
    assert "Demo data loaded: 4 events" in result.output
    assert_logins_printed(result.output)
    with app.app_context():
        slugs = set(db.session.execute(db.select(Event.slug)).scalars())
        assert len(slugs) == 4
        assert "rushang-2019" in slugs
        conference = db.session.execute(
            db.select(Event).where(Event.slug == "rushang-2019")
        ).scalar_one()
        registrations = db.session.execute(
            db.select(db.func.count(Registration.id)).where(Registration.event_id == conference.id)
        ).scalar_one()
        assert 250 <= registrations <= 350
        chambers = list(
            db.session.execute(
                db.select(Delegation.name).where(Delegation.event_id == conference.id)
            ).scalars()
        )
        assert len(chambers) == 6
        for place in CHAMBER_PLACES:
            assert sum(place in name for name in chambers) == 1, (place, chambers)
        delegates_per_chamber = db.session.execute(
            db.select(Delegation.name, db.func.count(Registration.id))
            .join(Registration, Registration.delegation_id == Delegation.id)
            .where(Delegation.event_id == conference.id)
            .group_by(Delegation.name)
        ).all()
        assert all(26 <= members <= 32 for _name, members in delegates_per_chamber)


def test_demo_creates_the_accounts_with_their_roles(app, runner):
    run_demo(app, runner)
    with app.app_context():
        emails = [email for email, _role in demo.DEMO_ACCOUNTS]
        users = {
            user.email: user
            for user in db.session.execute(db.select(User).where(User.email.in_(emails)))
            .scalars()
            .all()
        }
        assert set(users) == set(emails)
        assert users["admin@huiwu.example"].is_admin is True
        assert users["organiser@huiwu.example"].is_admin is False
        assert users["staff@huiwu.example"].check_password(demo.DEMO_PASSWORD)
        roles = Counter(
            (email, role, owner)
            for email, role, owner in db.session.execute(
                db.select(User.email, EventMember.role, EventMember.is_owner).join(
                    EventMember, EventMember.user_id == User.id
                )
            )
        )
        assert roles == {
            ("organiser@huiwu.example", EventRole.ORGANISER, True): 4,
            ("co-organiser@huiwu.example", EventRole.ORGANISER, False): 1,
            ("staff@huiwu.example", EventRole.STAFF, False): 1,
            ("gate2@huiwu.example", EventRole.STAFF, False): 2,
        }


def test_demo_run_twice_keeps_the_data_and_still_prints_the_logins(app, runner):
    run_demo(app, runner)
    before = demo_counts(app)
    assert before["Event"] == 4
    second = run_demo(app, runner)
    assert "already exist" in second.output
    assert "Demo data loaded" not in second.output
    assert_logins_printed(second.output)
    assert demo_counts(app) == before


def test_demo_mobiles_are_unique_per_event_and_emails_use_reserved_domains(app, runner):
    run_demo(app, runner)
    with app.app_context():
        registrations = db.session.execute(
            db.select(Registration.event_id, Registration.mobile, Registration.email)
        ).all()
        leaders = db.session.execute(
            db.select(Delegation.event_id, Delegation.leader_mobile, Delegation.leader_email)
        ).all()
    assert registrations and leaders
    mobiles_per_event = Counter((event_id, mobile) for event_id, mobile, _ in registrations)
    duplicates = [key for key, times in mobiles_per_event.items() if times > 1]
    assert duplicates == []
    everyone = [*registrations, *leaders]
    bad_mobiles = [mobile for _, mobile, _ in everyone if not MOBILE.match(mobile or "")]
    assert bad_mobiles == []
    emails = [email for _, _, email in everyone if email is not None]
    assert emails, "the demo should give some people an email address"
    assert all(email.endswith(("@example.com", "@example.org")) for email in emails), emails


def test_demo_conference_has_rooms_and_a_three_day_agenda(app, runner):
    run_demo(app, runner)
    with app.app_context():
        conference = db.session.execute(
            db.select(Event).where(Event.slug == "rushang-2019")
        ).scalar_one()
        days = {
            item.starts_at.astimezone(conference.zone).date() for item in conference.agenda_items
        }
        assert len(conference.rooms) >= 3
        assert len(days) == 3  # two days of conference, then the roadshow day
        assert all(item.title_en for item in conference.agenda_items)


def test_demo_has_next_years_conference_open_for_registration(app, runner):
    from registration.signup import registration_open

    run_demo(app, runner)
    with app.app_context():
        upcoming = (
            db.session.execute(db.select(Event).order_by(Event.starts_at.desc())).scalars().first()
        )
        assert upcoming.starts_at > datetime.now(UTC)
        assert registration_open(upcoming)
        statuses = {
            r.status.value
            for r in db.session.execute(
                db.select(Registration).where(Registration.event_id == upcoming.id)
            ).scalars()
        }
        assert {"confirmed", "pending", "waitlisted"} <= statuses
