"""Two participants agree to meet, the organiser schedules them, both see it on their agenda."""

from __future__ import annotations

import re

import pytest

from app import db
from events.models import AgendaItem, AgendaKind, Event
from events.roadshow import participants
from events.roadshow.match_models import MatchProfile
from registration import links
from registration.demo import DEMO_PASSWORD
from tests.browser.conftest import LIVE_APPS

pytestmark = pytest.mark.browser


def two_quiet_participants() -> tuple[str, str, str, str, int]:
    """Manage links of two participants with no request yet, the second in a region of its own."""
    with LIVE_APPS[-1].app_context():
        event = db.session.scalar(db.select(Event).filter_by(slug="rushang-2019"))
        participants.setup_of(event).requests_open = True
        busy = set()
        for request in db.session.scalars(
            db.select(participants.MeetingRequest).filter_by(event_id=event.id)
        ):
            busy |= {request.requester_id, request.recipient_id}
        quiet = [p for p in participants.participants_of(event) if p.id not in busy][:2]
        first, second = quiet
        profile = participants.profile_of(second, create=True)
        profile.region = "浏览器测试区"
        item = db.session.scalar(
            db.select(AgendaItem).filter_by(
                event_id=event.id, kind=AgendaKind.MATCHMAKING, title_zh="洽谈对接（上午场）"
            )
        )
        tokens = links.issue_manage_token(first), links.issue_manage_token(second)
        names = first.name, second.name
        db.session.commit()
        assert isinstance(profile, MatchProfile)
        return (*tokens, *names, event.id, item.id)


def test_a_requested_and_accepted_meeting_reaches_both_agendas(page, browser, live_server):
    first, second, first_name, second_name, event_id, item_id = two_quiet_participants()

    page.goto(f"/r/{first}/matchmaking/directory?region=浏览器测试区")
    card = page.get_by_test_id("person-card").filter(has_text=second_name)
    card.get_by_label("优先级").select_option("3")
    card.get_by_label("给对方的留言").fill("想了解贵公司的投资方向。")
    card.get_by_role("button", name="发起洽谈请求").click()
    page.get_by_test_id("request-state").first.wait_for()

    other = browser.new_context(base_url=live_server, locale="zh-CN").new_page()
    other.goto(f"/r/{second}/matchmaking")
    other.get_by_role("button", name="接受洽谈").first.click()
    other.get_by_test_id("accepted").get_by_text(first_name).wait_for()

    page.goto("/login")
    page.get_by_label("电子邮箱").fill("organiser@huiwu.example")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    page.goto(f"/manage/{event_id}/matchmaking/sessions")
    page.get_by_label("议程项目").select_option(str(item_id))
    page.get_by_label("每轮洽谈时长（分钟）").fill("20")
    page.get_by_label("轮次数").fill("6")
    page.get_by_label("洽谈桌数").fill("10")
    page.get_by_role("button", name="添加场次").click()
    page.get_by_role("button", name="运行排程程序").click()
    page.get_by_test_id("run-done").wait_for(timeout=60_000)
    assert page.get_by_test_id("match-grid").get_by_text(first_name).count() >= 1

    for token, partner in ((first, second_name), (second, first_name)):
        other.goto(f"/r/{token}/matchmaking/agenda")
        assert other.get_by_test_id("meeting").filter(has_text=partner).count() == 1
    other.context.close()
