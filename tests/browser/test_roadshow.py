"""An organiser runs the roadshow scheduler in Chromium, moves a pitch and publishes."""

from __future__ import annotations

import re

import pytest

from app import db
from events.models import Event
from registration.demo import DEMO_PASSWORD
from tests.browser.conftest import LIVE_APPS

pytestmark = pytest.mark.browser


def event_id(slug: str) -> int:
    with LIVE_APPS[-1].app_context():
        return db.session.scalar(db.select(Event.id).filter_by(slug=slug))


def sign_in(page):
    page.goto("/login")
    page.get_by_label("电子邮箱").fill("organiser@huiwu.example")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/dashboard$"))


def test_the_scheduler_runs_from_the_page_and_the_grid_appears(page):
    sign_in(page)
    page.goto(f"/manage/{event_id('china-israel-roadshow-2019')}/roadshow")
    assert page.get_by_test_id("roadshow-grid").count() == 1
    page.on("dialog", lambda dialog: dialog.accept())  # "replace the draft?"
    page.get_by_role("button", name="运行排程程序").click()
    # The page follows the run and reloads itself when it ends.
    page.get_by_test_id("run-done").wait_for(timeout=60_000)
    grid = page.get_by_test_id("roadshow-grid")
    assert grid.count() == 1
    assert grid.get_by_text("智能滴灌控制系统").is_visible()
    assert page.get_by_test_id("missed").inner_text().startswith("0 /")
    assert page.get_by_test_id("warning-count").inner_text() == "0"


def test_a_hand_move_is_published_as_a_new_version_on_the_public_page(page):
    sign_in(page)
    conference = event_id("rushang-2019")
    page.goto(f"/manage/{conference}/roadshow")
    first = page.get_by_test_id("roadshow-grid").first.locator(".pitch-card").first
    title = first.locator(".fw-semibold").inner_text()
    first.get_by_role("link", name="调整").click()
    # The last choice is the afternoon's last slot in the smallest room.
    options = page.get_by_label("调整到").locator("option")
    page.get_by_label("调整到").select_option(index=options.count() - 1)
    page.get_by_role("button", name="调整").click()
    page.wait_for_url(re.compile(rf"/manage/{conference}/roadshow"))
    page.get_by_label("本版说明").fill("调整一个项目的推介时间。")
    page.get_by_role("button", name="发布此草稿").click()
    page.wait_for_url(re.compile(r"/roadshow/versions/3$"))
    assert page.get_by_test_id("changes").get_by_text(title).is_visible()
    page.goto("/e/rushang-2019/roadshow")
    assert page.get_by_text("第 3 版").first.is_visible()
    assert page.get_by_text(title).first.is_visible()
