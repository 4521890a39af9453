"""The organiser's attendee list, bulk actions and registration page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest

from app import db
from events.models import AuditEntry, Category, Event, User
from registration import search, services
from registration.models import (
    Answer,
    Delegation,
    DelegationKind,
    Question,
    QuestionKind,
    Registration,
)
from tests.conftest import csrf_token

PENDING, CONFIRMED, WAITLISTED = "pending", "confirmed", "waitlisted"
CANCELLED, REJECTED = "cancelled", "rejected"


# --- helpers -----------------------------------------------------------------------


def add_category(app, event, code, name_zh, name_en=None, *, quota=None, position=1) -> int:
    with app.app_context():
        category = Category(
            event_id=event.id,
            code=code,
            name_zh=name_zh,
            name_en=name_en,
            quota=quota,
            position=position,
        )
        db.session.add(category)
        db.session.commit()
        return category.id


def add_delegation(app, event, name) -> int:
    with app.app_context():
        delegation = Delegation(
            event_id=event.id, name=name, kind=DelegationKind.CHAMBER, leader_name="孔繁森"
        )
        db.session.add(delegation)
        db.session.commit()
        return delegation.id


def update(app, registration, **fields) -> None:
    with app.app_context():
        row = db.session.get(Registration, registration.id)
        for name, value in fields.items():
            setattr(row, name, value)
        db.session.commit()


def status_of(app, registration) -> str:
    with app.app_context():
        return db.session.get(Registration, registration.id).status.value


def category_of(app, registration) -> int:
    with app.app_context():
        return db.session.get(Registration, registration.id).category_id


def audit_of(app, registration) -> list[AuditEntry]:
    with app.app_context():
        entries = db.session.execute(
            db.select(AuditEntry)
            .where(AuditEntry.subject_type == "registration")
            .where(AuditEntry.subject_id == registration.id)
            .order_by(AuditEntry.id)
        ).scalars()
        return [
            SimpleNamespace(action=e.action, actor_id=e.actor_id, details=e.details)
            for e in entries
        ]


def listed_ids(page: str) -> list[int]:
    return [int(number) for number in re.findall(r'data-registration="(\d+)"', page)]


@pytest.fixture
def world(make_user, make_event, login_as, client):
    """An event with its organiser signed in (pages in English) and a second event."""
    organiser = make_user(name="组织者甲")
    staff = make_user(name="工作人员乙")
    other_organiser = make_user(name="别的组织者")
    event = make_event(organiser=organiser, staff=staff, title_zh="本次大会")
    other_event = make_event(organiser=other_organiser, title_zh="另一场大会")
    login_as(organiser)
    client.get("/?lang=en")
    return SimpleNamespace(
        organiser=organiser,
        staff=staff,
        other_organiser=other_organiser,
        event=event,
        other_event=other_event,
        base=f"/manage/{event.id}/attendees",
    )


def bulk(client, world, ids, action, *, return_to=None, **fields):
    data = {
        "ids": [str(number) for number in ids],
        "action": action,
        "csrf_token": csrf_token(client, world.base),
        **fields,
    }
    if return_to is not None:
        data["return_to"] = return_to
    return client.post(f"{world.base}/bulk", data=data, follow_redirects=True)


# --- search --------------------------------------------------------------------------


def test_search_finds_people_by_part_of_a_chinese_name(client, world, make_registration):
    wang = make_registration(world.event, name="王立强")
    li = make_registration(world.event, name="李立强")
    zhang = make_registration(world.event, name="张伟")

    assert sorted(listed_ids(client.get(f"{world.base}?q=立强").get_data(as_text=True))) == [
        wang.id,
        li.id,
    ]
    assert listed_ids(client.get(f"{world.base}?q=王").get_data(as_text=True)) == [wang.id]
    assert zhang.id in listed_ids(client.get(world.base).get_data(as_text=True))


@pytest.mark.parametrize(
    "typed",
    [
        "139 1234",
        "139-1234",
        "+86 139 1234 5678",
        "１３９１２３４",
        "(139) 1234",
        "0086 13912345678",
    ],
)
def test_search_finds_a_partial_mobile_however_it_is_typed(client, world, make_registration, typed):
    wanted = make_registration(world.event, name="王立", mobile="+8613912345678")
    make_registration(world.event, name="李娜", mobile="+8613800001111")

    page = client.get(world.base, query_string={"q": typed}).get_data(as_text=True)

    assert listed_ids(page) == [wanted.id]


@pytest.mark.parametrize(
    ("query", "who"),
    [
        ("WANG.LI@example", "王立"),
        ("鲁信", "王立"),
        ("Li WANG", "王立"),
        ("上海", "李娜"),
        ("李 上海", "李娜"),
    ],
)
def test_search_matches_email_english_name_organisation_and_delegation(
    app, client, world, make_registration, query, who
):
    shanghai = add_delegation(app, world.event, "上海市山东商会")
    make_registration(
        world.event,
        name="王立",
        name_en="Li WANG",
        email="wang.li@example.com",
        organisation="鲁信科技有限公司",
    )
    make_registration(
        world.event, name="李娜", organisation="齐力集团", email=None, delegation_id=shanghai
    )

    page = client.get(world.base, query_string={"q": query}).get_data(as_text=True)

    assert re.findall(r'/attendees/\d+">([^<]+)</a>', page) == [who]


def test_search_takes_wildcards_literally(client, world, make_registration):
    make_registration(world.event, name="王立")
    page = client.get(world.base, query_string={"q": "%"}).get_data(as_text=True)
    assert listed_ids(page) == []
    assert "No registrations match." in page


def test_phone_digits_normalises_what_people_type():
    assert search.phone_digits(search.normalise_query("＋８６ １３９－１２３４")) == "861391234"
    assert search.phone_digits("0086 139") == "86139"
    assert search.phone_digits("王立") is None


# --- filters, sorting, pages ---------------------------------------------------------


def test_filters_by_status_category_and_delegation(app, client, world, make_registration):
    guests = add_category(app, world.event, "guest", "嘉宾", "Guest")
    chamber = add_delegation(app, world.event, "北京山东企业商会")
    pending = make_registration(world.event, name="王立", status=PENDING)
    guest = make_registration(world.event, name="李娜")
    update(app, guest, category_id=guests)
    member = make_registration(world.event, name="张伟", delegation_id=chamber)

    def ids(**args):
        return sorted(listed_ids(client.get(world.base, query_string=args).get_data(as_text=True)))

    assert ids(status="pending") == [pending.id]
    assert ids(category=str(guests)) == [guest.id]
    assert ids(delegation=str(chamber)) == [member.id]
    assert ids(delegation="none") == sorted([pending.id, guest.id])
    assert ids(status="confirmed", category=str(guests)) == [guest.id]
    assert ids(status="no-such-status") == sorted([pending.id, guest.id, member.id])


def test_each_row_shows_the_persons_details_and_time_in_the_event_zone(
    app, client, world, make_registration
):
    chamber = add_delegation(app, world.event, "北京山东企业商会")
    make_registration(
        world.event,
        name="王立",
        name_en="Li WANG",
        organisation="鲁信科技有限公司",
        position="总经理",
        mobile="+8613912345678",
        status=WAITLISTED,
        delegation_id=chamber,
        created_at=datetime(2030, 9, 1, 1, 0, tzinfo=UTC),
    )

    page = client.get(world.base).get_data(as_text=True)

    for shown in ("王立", "Li WANG", "鲁信科技有限公司", "总经理", "+8613912345678"):
        assert shown in page
    assert "北京山东企业商会" in page
    assert "Delegate" in page  # the category, in the UI language
    assert '<span class="badge status-waitlisted">Waiting list</span>' in page
    assert "9/1/30, 9:00" in page  # 01:00 UTC is 09:00 in Shanghai


def test_sorts_by_name_and_status_both_ways(client, world, make_registration):
    zhang = make_registration(world.event, name="张伟", status=REJECTED)
    li = make_registration(world.event, name="李娜", status=PENDING)
    wang = make_registration(world.event, name="王芳", status=CONFIRMED)

    def order(**args):
        return listed_ids(client.get(world.base, query_string=args).get_data(as_text=True))

    assert order(sort="name", dir="asc") == [zhang.id, li.id, wang.id]  # by code point
    assert order(sort="name", dir="desc") == [wang.id, li.id, zhang.id]
    assert order(sort="status") == [li.id, wang.id, zhang.id]  # pending first
    assert order(sort="created", dir="asc") == [zhang.id, li.id, wang.id]
    assert order() == [wang.id, li.id, zhang.id]  # newest first by default


def test_pages_keep_the_search_filters_and_sort_in_their_links(client, world, make_registration):
    start = datetime(2030, 8, 1, tzinfo=UTC)
    for number in range(30):
        make_registration(
            world.event, name=f"王{number:02d}", created_at=start + timedelta(hours=number)
        )
    make_registration(world.event, name="王待定", status=PENDING)
    args = {"q": "王", "status": "confirmed", "sort": "name", "dir": "asc", "per_page": "25"}

    first = client.get(world.base, query_string=args).get_data(as_text=True)
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(next_link).get_data(as_text=True)

    assert len(listed_ids(first)) == 25
    assert "31 registrations" not in first and "30 registrations" in first
    assert parse_qs(urlsplit(next_link).query) == {
        **{key: [value] for key, value in args.items()},
        "page": ["2"],
    }
    assert len(listed_ids(second)) == 5
    assert "王29" in second and "王00" not in second


def test_a_page_past_the_end_shows_the_last_page(client, world, make_registration):
    make_registration(world.event, name="王立")
    page = client.get(world.base, query_string={"page": "9"}).get_data(as_text=True)
    assert len(listed_ids(page)) == 1


# --- bulk actions --------------------------------------------------------------------


def test_bulk_approve_changes_the_valid_rows_and_names_the_others(
    app, client, world, make_registration
):
    pending = make_registration(world.event, name="王芳", status=PENDING)
    waiting = make_registration(world.event, name="李娜", status=WAITLISTED)
    cancelled = make_registration(world.event, name="王立", status=CANCELLED)
    confirmed = make_registration(world.event, name="张伟", status=CONFIRMED)

    page = bulk(
        client, world, [pending.id, waiting.id, cancelled.id, confirmed.id], "approve"
    ).get_data(as_text=True)

    assert "2 registrations approved. 2 could not be changed:" in page
    assert "王立 (already cancelled)" in page
    assert "张伟 (already confirmed)" in page
    assert [status_of(app, r) for r in (pending, waiting, cancelled, confirmed)] == [
        CONFIRMED,
        CONFIRMED,
        CANCELLED,
        CONFIRMED,
    ]
    entry = audit_of(app, waiting)[0]
    assert entry.action == "registration.approved"
    assert entry.actor_id == world.organiser.id
    assert entry.details == {"from_status": "waitlisted", "to_status": "confirmed"}
    assert audit_of(app, cancelled) == [] and audit_of(app, confirmed) == []


def test_bulk_reject_keeps_the_message_in_the_audit_trail(app, client, world, make_registration):
    pending = make_registration(world.event, name="王芳", status=PENDING)
    confirmed = make_registration(world.event, name="张伟", status=CONFIRMED)

    page = bulk(
        client, world, [pending.id, confirmed.id], "reject", message="名额已满，敬请谅解"
    ).get_data(as_text=True)

    assert "1 registration rejected. 1 could not be changed: 张伟 (already confirmed)." in page
    assert status_of(app, pending) == REJECTED
    assert status_of(app, confirmed) == CONFIRMED
    assert audit_of(app, pending)[0].details == {
        "from_status": "pending",
        "to_status": "rejected",
        "message": "名额已满，敬请谅解",
    }


def test_bulk_cancel_frees_places_but_not_twice(app, client, world, make_registration):
    rows = [
        make_registration(world.event, name=name, status=status)
        for name, status in (("王芳", PENDING), ("李娜", CONFIRMED), ("张伟", WAITLISTED))
    ]
    rejected = make_registration(world.event, name="王立", status=REJECTED)

    page = bulk(client, world, [r.id for r in [*rows, rejected]], "cancel").get_data(as_text=True)

    assert "3 registrations cancelled. 1 could not be changed: 王立 (already rejected)." in page
    assert [status_of(app, r) for r in rows] == [CANCELLED] * 3
    assert status_of(app, rejected) == REJECTED
    assert len(audit_of(app, rows[1])) == 1


def test_bulk_move_changes_the_category_within_the_event(app, client, world, make_registration):
    guests = add_category(app, world.event, "guest", "嘉宾", "Guest of honour")
    person = make_registration(world.event, name="王立")
    original = category_of(app, person)
    already = make_registration(world.event, name="李娜")
    update(app, already, category_id=guests)

    page = bulk(client, world, [person.id, already.id], "move", category_id=str(guests)).get_data(
        as_text=True
    )

    assert "1 registration moved to Guest of honour." in page
    assert "李娜 (already in this category)" in page
    assert category_of(app, person) == guests
    details = audit_of(app, person)[0].details
    assert (details["from_category_id"], details["to_category_id"]) == (original, guests)
    history = client.get(f"{world.base}/{person.id}").get_data(as_text=True)
    assert "<strong>Category changed</strong>: Delegate → Guest of honour" in history


def test_moving_to_a_category_of_another_event_is_refused(app, client, world, make_registration):
    foreign = add_category(app, world.other_event, "guest", "嘉宾", "Guest")
    person = make_registration(world.event, name="王立")
    original = category_of(app, person)

    page = bulk(client, world, [person.id], "move", category_id=str(foreign)).get_data(as_text=True)

    assert "Choose a category of this event." in page
    assert category_of(app, person) == original
    assert audit_of(app, person) == []


def test_move_category_service_refuses_another_events_category(app, world, make_registration):
    foreign = add_category(app, world.other_event, "guest", "嘉宾", "Guest")
    person = make_registration(world.event, name="王立")
    with app.app_context():
        registration = db.session.get(Registration, person.id)
        with pytest.raises(services.WrongCategory):
            services.move_category(
                registration,
                db.session.get(Category, foreign),
                db.session.get(User, world.organiser.id),
            )
        assert registration.category_id != foreign


def test_approving_from_the_waiting_list_respects_the_category_quota(
    app, client, world, make_registration
):
    with app.app_context():
        db.session.execute(
            db.update(Category).where(Category.event_id == world.event.id).values(quota=2)
        )
        db.session.commit()
    start = datetime(2030, 8, 1, tzinfo=UTC)
    make_registration(world.event, name="王芳", created_at=start)
    earlier = make_registration(world.event, name="李娜", status=WAITLISTED, created_at=start)
    later = make_registration(
        world.event, name="张伟", status=WAITLISTED, created_at=start + timedelta(days=1)
    )

    page = bulk(client, world, [later.id, earlier.id], "approve").get_data(as_text=True)

    assert "1 registration approved. 1 could not be changed: 张伟 (category full)." in page
    assert status_of(app, earlier) == CONFIRMED  # the earlier sign-up gets the last place
    assert status_of(app, later) == WAITLISTED
    assert audit_of(app, later) == []


def test_approving_respects_the_event_capacity(app, client, world, make_registration):
    with app.app_context():
        db.session.get(Event, world.event.id).capacity = 1
        db.session.commit()
    make_registration(world.event, name="王芳", status=PENDING)  # pending holds a place
    waiting = make_registration(world.event, name="李娜", status=WAITLISTED)

    page = bulk(client, world, [waiting.id], "approve").get_data(as_text=True)

    assert "Nothing was changed. 1 could not be changed: 李娜 (event full)." in page
    assert status_of(app, waiting) == WAITLISTED


def test_moving_a_place_holder_into_a_full_category_is_refused(
    app, client, world, make_registration
):
    guests = add_category(app, world.event, "guest", "嘉宾", "Guest", quota=1)
    seated = make_registration(world.event, name="王芳")
    update(app, seated, category_id=guests)
    confirmed = make_registration(world.event, name="李娜")
    cancelled = make_registration(world.event, name="张伟", status=CANCELLED)

    page = bulk(
        client, world, [confirmed.id, cancelled.id], "move", category_id=str(guests)
    ).get_data(as_text=True)

    assert "李娜 (category full)" in page
    assert category_of(app, confirmed) != guests
    assert category_of(app, cancelled) == guests  # holds no place, so it fits


def test_ids_of_another_event_are_reported_not_found_and_never_changed(
    app, client, world, make_registration
):
    mine = make_registration(world.event, name="王芳", status=PENDING)
    theirs = make_registration(world.other_event, name="李娜", status=PENDING)

    page = bulk(client, world, [mine.id, theirs.id], "approve").get_data(as_text=True)

    assert f"1 registration approved. 1 could not be changed: #{theirs.id} (not found)." in page
    assert "李娜" not in page
    assert status_of(app, mine) == CONFIRMED
    assert status_of(app, theirs) == PENDING
    assert audit_of(app, theirs) == []


def test_bulk_actions_need_a_csrf_token(app, client, world, make_registration):
    pending = make_registration(world.event, name="王芳", status=PENDING)

    response = client.post(f"{world.base}/bulk", data={"ids": str(pending.id), "action": "approve"})

    assert response.status_code == 400
    assert status_of(app, pending) == PENDING


def test_bulk_action_returns_to_the_list_with_its_filters(client, world, make_registration):
    pending = make_registration(world.event, name="王芳", status=PENDING)
    data = {"ids": str(pending.id), "action": "approve"}

    def location(return_to):
        token = csrf_token(client, world.base)
        response = client.post(
            f"{world.base}/bulk", data={**data, "csrf_token": token, "return_to": return_to}
        )
        return response.headers["Location"]

    assert location(f"{world.base}?status=pending&page=2") == f"{world.base}?status=pending&page=2"
    assert location("https://evil.example/") == world.base
    assert location("/dashboard") == world.base


def test_bulk_action_without_a_selection_says_so(client, world):
    page = bulk(client, world, [], "approve").get_data(as_text=True)
    assert "Select at least one registration." in page


# --- one registration ----------------------------------------------------------------


def test_registration_page_shows_answers_as_they_were_asked(app, client, world, make_registration):
    person = make_registration(world.event, name="王立", email="wang.li@example.com")
    with app.app_context():
        diet = Question(
            event_id=world.event.id,
            kind=QuestionKind.SINGLE_CHOICE,
            label_zh="饮食要求",
            label_en="Dietary requirements",
            options=[{"key": "veg", "zh": "素食", "en": "Vegetarian"}],
            position=0,
        )
        sectors = Question(
            event_id=world.event.id,
            kind=QuestionKind.MULTIPLE_CHOICE,
            label_zh="关注产业",
            label_en="Sectors",
            options=[
                {"key": "it", "zh": "信息技术", "en": "IT"},
                {"key": "sea", "zh": "智慧海洋", "en": "Smart ocean"},
            ],
            position=1,
        )
        hotel = Question(
            event_id=world.event.id, kind=QuestionKind.YES_NO, label_zh="住宿", position=2
        )
        db.session.add_all([diet, sectors, hotel])
        db.session.flush()
        db.session.add_all(
            [
                Answer(
                    registration_id=person.id,
                    question_id=diet.id,
                    value="veg",
                    snapshot={
                        "label": {"zh": "饮食禁忌", "en": "Dietary restrictions"},
                        "options": {"veg": {"zh": "素餐", "en": "Vegetarian meals"}},
                    },
                ),
                Answer(
                    registration_id=person.id,
                    question_id=sectors.id,
                    value=["it", "sea"],
                    snapshot={"label": {"zh": "关注产业", "en": "Sectors"}},
                ),
                Answer(
                    registration_id=person.id,
                    question_id=hotel.id,
                    value=True,
                    snapshot={"label": {"zh": "是否需要住宿", "en": None}},
                ),
            ]
        )
        db.session.commit()

    page = client.get(f"{world.base}/{person.id}").get_data(as_text=True)

    assert "wang.li@example.com" in page
    assert "Dietary restrictions</dt>" in page and "Dietary requirements" not in page
    assert ">Vegetarian meals</dd>" in page
    assert ">IT; Smart ocean</dd>" in page  # no snapshot options: today's labels
    assert "是否需要住宿</dt>" in page  # no English label was asked: the Chinese one
    assert ">Yes</dd>" in page


def test_registration_page_shows_the_history_with_who_and_when(
    app, client, world, make_registration
):
    person = make_registration(world.event, name="王立", status=PENDING)
    with app.app_context():
        db.session.add(
            AuditEntry(
                event_id=world.event.id,
                actor_label="delegation leader",
                action="registration.created",
                subject_type="registration",
                subject_id=person.id,
                details={"to_status": "pending"},
                created_at=datetime(2030, 8, 1, 1, 30, tzinfo=UTC),
            )
        )
        db.session.commit()
    bulk(client, world, [person.id], "approve", return_to=f"{world.base}/{person.id}")

    page = client.get(f"{world.base}/{person.id}").get_data(as_text=True)

    assert "Aug 1, 2030 09:30 · delegation leader" in page
    assert "<strong>Registered</strong>: — → Pending" in page
    assert "· 组织者甲" in page
    assert "<strong>Approved</strong>: Pending → Confirmed" in page


def test_registration_page_offers_only_the_actions_its_status_allows(
    client, world, make_registration
):
    cancelled = make_registration(world.event, name="王立", status=CANCELLED)
    page = client.get(f"{world.base}/{cancelled.id}").get_data(as_text=True)
    assert 'name="action" value="approve"' not in page
    assert 'name="action" value="cancel"' not in page
    assert 'name="action" value="move"' in page


# --- who may see what ----------------------------------------------------------------

PAGES = ["{base}", "{base}/{registration}", "{base}/export", "{base}/export?format=csv"]


@pytest.mark.parametrize("url", PAGES)
def test_an_organiser_of_another_event_gets_404(client, world, make_registration, url):
    theirs = make_registration(world.other_event, name="李娜")
    base = f"/manage/{world.other_event.id}/attendees"
    response = client.get(url.format(base=base, registration=theirs.id))
    assert response.status_code == 404
    assert "李娜" not in response.get_data(as_text=True)


def test_an_organiser_of_another_event_cannot_post_bulk_actions(
    app, client, world, make_registration
):
    theirs = make_registration(world.other_event, name="李娜", status=PENDING)
    response = client.post(
        f"/manage/{world.other_event.id}/attendees/bulk",
        data={
            "ids": str(theirs.id),
            "action": "approve",
            "csrf_token": csrf_token(client, world.base),
        },
    )
    assert response.status_code == 404
    assert status_of(app, theirs) == PENDING


def test_another_events_registration_under_this_events_url_is_404(client, world, make_registration):
    theirs = make_registration(world.other_event, name="李娜")
    assert client.get(f"{world.base}/{theirs.id}").status_code == 404


@pytest.mark.parametrize("url", [*PAGES, "{base}/bulk"])
def test_check_in_staff_get_403(client, world, make_registration, login_as, url):
    person = make_registration(world.event, name="王立")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(world.staff)
    path = url.format(base=world.base, registration=person.id)
    if path.endswith("/bulk"):
        token = csrf_token(client, "/")
        response = client.post(
            path, data={"ids": str(person.id), "action": "cancel", "csrf_token": token}
        )
    else:
        response = client.get(path)
    assert response.status_code == 403


def test_attendee_pages_are_never_cached(client, world, make_registration):
    person = make_registration(world.event, name="王立")
    for path in (world.base, f"{world.base}/{person.id}", f"{world.base}/export"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


def test_the_list_speaks_chinese_by_default(
    app, make_user, make_event, make_registration, login_as, client
):
    organiser = make_user()
    event = make_event(organiser=organiser)
    make_registration(event, name="王立", status=WAITLISTED)
    login_as(organiser)
    page = client.get(f"/manage/{event.id}/attendees").get_data(as_text=True)
    assert "1 条报名" in page
    assert ">候补</span>" in page
