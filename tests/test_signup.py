"""Signing up: mobiles, the window, duplicates, quotas, the waiting list and promotion."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func

from app import db
from events.models import Category, Event, EventStatus
from registration import services, signup
from registration.models import EmailOutbox, Registration, RegistrationStatus
from registration.signup import Person

NOW = datetime.now(UTC)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13912345678", "+8613912345678"),
        ("+86 139-1234-5678", "+8613912345678"),
        ("0086 139 1234 5678", "+8613912345678"),
        ("１３９１２３４５６７８", "+8613912345678"),
        (" +86 139 1234 5678 ", "+8613912345678"),
        ("+972 50-234-5678", "+972502345678"),
    ],
)
def test_mobiles_are_stored_as_e164_however_typed(typed, stored):
    assert signup.normalise_mobile(typed) == stored


@pytest.mark.parametrize(
    "typed", ["12345", "not a phone", "", "+86 139 1234 567", "0531-8888-8888"]
)
def test_invalid_or_landline_numbers_are_refused(typed):
    with pytest.raises(signup.InvalidMobile):
        signup.normalise_mobile(typed)


@pytest.fixture
def open_event(make_event):
    return make_event(
        registration_opens_at=NOW - timedelta(days=1),
        registration_closes_at=NOW + timedelta(days=10),
        starts_at=NOW + timedelta(days=20),
        ends_at=NOW + timedelta(days=21),
    )


def loaded(event_id):
    event = db.session.get(Event, event_id)
    return event, event.categories[0]


def sign_up(app, event, mobile, **options):
    with app.app_context():
        loaded_event, category = loaded(event.id)
        registration = signup.register(
            loaded_event, category, Person(name="王立", mobile=mobile), **options
        )
        db.session.commit()
        return registration.status


def set_quota(app, event, quota, *, approval=False):
    with app.app_context():
        _event, category = loaded(event.id)
        category.quota, category.needs_approval = quota, approval
        db.session.commit()


def test_a_sign_up_is_confirmed_or_pending_by_the_categorys_rule(app, open_event):
    assert sign_up(app, open_event, "13900000001") is RegistrationStatus.CONFIRMED
    set_quota(app, open_event, None, approval=True)
    assert sign_up(app, open_event, "13900000002") is RegistrationStatus.PENDING


def test_one_active_registration_per_mobile_per_event(app, open_event):
    sign_up(app, open_event, "13900000001")
    with pytest.raises(signup.DuplicateMobile):
        sign_up(app, open_event, "+86 139 0000 0001")
    with app.app_context():
        registration = db.session.execute(db.select(Registration)).scalar_one()
        registration.status = RegistrationStatus.CANCELLED
        db.session.commit()
    assert sign_up(app, open_event, "13900000001") is RegistrationStatus.CONFIRMED


@pytest.mark.parametrize(
    "change",
    [
        {"registration_opens_at": NOW + timedelta(days=1)},
        {"registration_closes_at": NOW - timedelta(minutes=1)},
        {"status": EventStatus.DRAFT},
    ],
    ids=["not-yet-open", "closed", "draft"],
)
def test_sign_ups_outside_the_window_are_refused(app, make_event, change):
    values = {
        "registration_opens_at": NOW - timedelta(days=1),
        "registration_closes_at": NOW + timedelta(days=1),
        "starts_at": NOW + timedelta(days=5),
        "ends_at": NOW + timedelta(days=6),
    }
    event = make_event(**{**values, **change})
    with pytest.raises(signup.RegistrationClosed):
        sign_up(app, event, "13900000001")
    with app.app_context():
        assert db.session.execute(db.select(Registration)).first() is None


def test_a_full_category_offers_the_waiting_list(app, open_event):
    set_quota(app, open_event, 1)
    sign_up(app, open_event, "13900000001")
    with pytest.raises(signup.QuotaFull):
        sign_up(app, open_event, "13900000002")
    assert sign_up(app, open_event, "13900000002", waitlist=True) is (RegistrationStatus.WAITLISTED)


def test_a_stale_hint_of_plenty_still_finds_the_category_full_under_the_lock(app, open_event):
    """Another worker took the last place: this one skips its unlocked count, not the rule."""
    set_quota(app, open_event, 20 + signup.PLENTY)
    sign_up(app, open_event, "13900000001")  # this process has seen plenty of places
    set_quota(app, open_event, 1)  # as if others had taken the rest meanwhile
    with app.app_context():
        _event, category = loaded(open_event.id)
        assert not signup._may_be_full(category)
    with pytest.raises(signup.QuotaFull):
        sign_up(app, open_event, "13900000002")
    with app.app_context():
        assert db.session.execute(db.select(func.count(Registration.id))).scalar() == 1
        _event, category = loaded(open_event.id)
        assert signup._may_be_full(category)  # the locked count corrected the hint


def created_entries(app) -> list[str]:
    from events.models import AuditEntry

    with app.app_context():
        return [
            entry.details["to_status"]
            for entry in db.session.execute(
                db.select(AuditEntry)
                .where(AuditEntry.action == "registration.created")
                .order_by(AuditEntry.id)
            ).scalars()
        ]


def test_a_refusal_under_the_lock_leaves_nothing_of_the_attempt(app, open_event):
    """The row, its answers and confirmation are written before the lock: a refusal
    there takes them back, and the caller's own work in the transaction goes on."""
    sign_up(app, open_event, "13900000001")
    with app.test_request_context("/"):
        event, category = loaded(open_event.id)
        signup._PLACES_SEEN[category.id] = 10 * signup.PLENTY  # no unlocked count first
        event.venue_zh = "济南国际会展中心"  # the caller's own change, made before
        with pytest.raises(signup.DuplicateMobile):
            signup.register(
                event,
                category,
                Person(name="王立", mobile="13900000001", email="wangli@example.com"),
                with_row=services.welcome,
            )
        db.session.commit()
    with app.app_context():
        assert db.session.execute(db.select(func.count(Registration.id))).scalar() == 1
        assert db.session.execute(db.select(EmailOutbox)).first() is None
        assert db.session.get(Event, open_event.id).venue_zh == "济南国际会展中心"
    assert created_entries(app) == ["confirmed"]


def test_the_likely_status_is_put_right_under_the_lock(app, open_event):
    """The row is written with the status the last count suggests; the locked count decides."""
    set_quota(app, open_event, 1)
    with app.app_context():
        _event, category = loaded(open_event.id)
        signup._PLACES_SEEN[category.id] = 0  # seen full, but the place is free
    assert sign_up(app, open_event, "13900000001", waitlist=True) is RegistrationStatus.CONFIRMED
    with app.app_context():
        _event, category = loaded(open_event.id)
        signup._PLACES_SEEN[category.id] = 10 * signup.PLENTY  # seen plenty, but it is full
    assert sign_up(app, open_event, "13900000002", waitlist=True) is RegistrationStatus.WAITLISTED
    assert created_entries(app) == ["confirmed", "waitlisted"]


def test_the_event_capacity_counts_every_category(app, make_event, open_event):
    with app.app_context():
        event = db.session.get(Event, open_event.id)
        event.capacity = 1
        db.session.add(Category(event=event, code="guest", name_zh="嘉宾"))
        db.session.commit()
        guest_id = event.categories[-1].id
    sign_up(app, open_event, "13900000001")
    with app.app_context():
        event = db.session.get(Event, open_event.id)
        with pytest.raises(signup.QuotaFull):
            signup.register(
                event, db.session.get(Category, guest_id), Person(name="张伟", mobile="13900000002")
            )


def test_a_freed_place_goes_to_the_oldest_waiting_person_who_is_told(app, open_event, make_user):
    set_quota(app, open_event, 1)
    sign_up(app, open_event, "13900000001")
    with app.app_context():
        event, category = loaded(open_event.id)
        first = signup.register(
            event,
            category,
            Person(name="李娜", mobile="13900000002", email="lina@example.com"),
            waitlist=True,
        )
        db.session.commit()
        signup.register(event, category, Person(name="赵强", mobile="13900000003"), waitlist=True)
        db.session.commit()
        first_id = first.id
    organiser = make_user()
    with app.test_request_context("/"):
        holder = db.session.execute(
            db.select(Registration).filter_by(mobile="+8613900000001")
        ).scalar_one()
        services.cancel(holder, db.session.merge(organiser))
        db.session.commit()
        statuses = dict(db.session.execute(db.select(Registration.id, Registration.status)).all())
        assert statuses[first_id] is RegistrationStatus.CONFIRMED
        assert list(statuses.values()).count(RegistrationStatus.WAITLISTED) == 1
        message = db.session.execute(db.select(EmailOutbox)).scalar_one()
        assert (message.recipient, message.registration_id) == ("lina@example.com", first_id)
        assert message.kind == "promotion"
        assert message.subject.startswith("名额已为您空出")
        assert "已从候补名单转为正式报名" in message.body_text
        assert "http://localhost/e/" in message.body_text  # where to ask for the link again


# --- concurrency ----------------------------------------------------------------------

SEATS, CROWD = 10, 100


@pytest.fixture
def race_app(postgres_server, tmp_path):
    from tests.conftest import make_test_app

    url = postgres_server.create_database("huiwu_race")
    app = make_test_app(
        url, tmp_path, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 60, "max_overflow": 60}
    )
    with app.app_context():
        db.create_all()
        event = Event(
            slug="race",
            title_zh="抢座测试",
            status=EventStatus.PUBLISHED,
            starts_at=NOW + timedelta(days=9),
            ends_at=NOW + timedelta(days=10),
        )
        db.session.add(Category(event=event, code="delegate", name_zh="代表", quota=SEATS))
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def crowd_signs_up(app, count=CROWD, first_mobile=13900000000):
    start = threading.Barrier(count)
    errors = []

    def one(number):
        with app.app_context():
            event, category = loaded(1)
            start.wait()
            try:
                signup.register(
                    event, category, Person(name="王立", mobile=str(number)), waitlist=True
                )
                db.session.commit()
            except Exception as error:  # noqa: BLE001 -- collected and asserted below
                db.session.rollback()
                errors.append(error)

    threads = [threading.Thread(target=one, args=(first_mobile + n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def status_counts(app):
    with app.app_context():
        rows = db.session.execute(
            db.select(Registration.status, db.func.count()).group_by(Registration.status)
        )
        return {status: count for status, count in rows}


def test_without_the_lock_concurrent_sign_ups_oversell(race_app):
    """Proves the race is real: the same crowd with locking switched off."""
    race_app.config.update(REGISTRATION_LOCKING=False, REGISTRATION_RACE_WINDOW=0.05)
    assert crowd_signs_up(race_app) == []
    assert status_counts(race_app)[RegistrationStatus.CONFIRMED] > SEATS


def test_last_seats_go_to_exactly_as_many_of_a_hundred_concurrent_sign_ups(race_app):
    race_app.config.update(REGISTRATION_RACE_WINDOW=0.05)
    assert crowd_signs_up(race_app) == []
    assert status_counts(race_app) == {
        RegistrationStatus.CONFIRMED: SEATS,
        RegistrationStatus.WAITLISTED: CROWD - SEATS,
    }


def test_a_cancellation_racing_sign_ups_leaves_no_seat_empty_while_people_wait(race_app):
    crowd_signs_up(race_app, count=SEATS + 5)
    with race_app.app_context():
        holders = list(
            db.session.execute(
                db.select(Registration.id)
                .where(Registration.status == RegistrationStatus.CONFIRMED)
                .limit(3)
            ).scalars()
        )
    start = threading.Barrier(2)

    def cancel_three():
        with race_app.test_request_context("/"):
            start.wait()
            for registration_id in holders:
                services.cancel(db.session.get(Registration, registration_id), None)
                db.session.commit()

    canceller = threading.Thread(target=cancel_three)
    canceller.start()
    start.wait()
    crowd_signs_up(race_app, count=5, first_mobile=13800000000)
    canceller.join(timeout=60)
    counts = status_counts(race_app)
    assert counts[RegistrationStatus.CONFIRMED] == SEATS
    assert counts[RegistrationStatus.CANCELLED] == 3
    assert counts[RegistrationStatus.WAITLISTED] == 5 + 5 - 3


def test_one_of_ten_concurrent_sign_ups_with_the_same_mobile_gets_in(race_app):
    """Each writes its row before the lock; the rows are invisible until committed, and
    the locked count sees the committed one."""
    start = threading.Barrier(10)
    outcomes = []

    def one():
        with race_app.app_context():
            event, category = loaded(1)
            start.wait()
            try:
                signup.register(event, category, Person(name="王立", mobile="13900000001"))
                db.session.commit()
                outcomes.append("in")
            except signup.DuplicateMobile:
                db.session.rollback()
                outcomes.append("duplicate")

    threads = [threading.Thread(target=one) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["duplicate"] * 9 + ["in"]
    assert status_counts(race_app) == {RegistrationStatus.CONFIRMED: 1}


def test_the_quota_locks_do_not_wait_for_sign_ups_writing_their_rows(race_app):
    """A sign-up's insert holds a key-share lock on its event and category until it
    commits; the quota locks (a sign-up's, a delegation leader's) must not wait for it,
    or two sign-ups between insert and lock would deadlock."""
    import psycopg
    from sqlalchemy import text

    from registration import delegations
    from registration.models import Delegation

    with race_app.app_context():
        event, category = loaded(1)
        db.session.add(
            Delegation(event=event, name="济南市工商联代表团", kind="chamber", leader_name="张伟")
        )
        db.session.commit()
        url = db.engine.url.set(drivername="postgresql")
    inserting = psycopg.connect(url.render_as_string(hide_password=False))
    try:
        for table in ("event", "category", "delegation"):  # what a foreign key check takes
            inserting.execute(f"SELECT id FROM {table} WHERE id = 1 FOR KEY SHARE")  # noqa: S608
        with race_app.app_context():
            event, category = loaded(1)
            db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
            signup.lock_quota_rows(event, category)
            delegations.lock_places(db.session.get(Delegation, 1), [category])
            db.session.rollback()
    finally:
        inserting.close()


def test_a_move_takes_both_quota_locks_before_it_touches_the_persons_row(race_app):
    """A cancellation takes the quota locks, then the row: a move of the same person must
    go the same way, even into a category without a quota, or the two deadlock."""
    import psycopg
    from sqlalchemy import event as sa_event
    from sqlalchemy import text

    with race_app.app_context():
        event, _category = loaded(1)
        db.session.add(Category(event=event, code="guest", name_zh="嘉宾"))  # no quota
        db.session.commit()
    crowd_signs_up(race_app, count=1)
    with race_app.app_context():
        url = db.engine.url.set(drivername="postgresql")
    cancelling = psycopg.connect(url.render_as_string(hide_password=False))
    statements: list[str] = []
    try:
        cancelling.execute("SELECT id FROM category WHERE id = 1 FOR NO KEY UPDATE")
        with race_app.test_request_context("/"):
            engine = db.engine

            def note(_conn, _cursor, statement, *_args):
                statements.append(statement.split()[0] + " " + statement.split()[1])

            sa_event.listen(engine, "before_cursor_execute", note)
            try:
                db.session.execute(text("SET LOCAL lock_timeout = '1s'"))
                registration = db.session.execute(db.select(Registration)).scalar_one()
                guests = db.session.execute(
                    db.select(Category).where(Category.code == "guest")
                ).scalar_one()
                with pytest.raises(Exception, match="lock timeout"):
                    services.move_category(registration, guests, None, actor_label="test")
            finally:
                sa_event.remove(engine, "before_cursor_execute", note)
                db.session.rollback()
    finally:
        cancelling.close()
    assert not [s for s in statements if s.startswith("UPDATE registration")], statements
