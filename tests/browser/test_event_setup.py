"""An organiser sets an event up in Chromium and the public sees it in both languages."""

from __future__ import annotations

import re

import pytest

from registration.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page):
    """As the site admin: the language switch below is saved on the account, and the
    demo organiser's account must stay Chinese for the other browser tests."""
    page.goto("/login")
    page.get_by_label("电子邮箱").fill("admin@huiwu.example")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/dashboard$"))


def add_category(page, code, zh, en, colour):
    page.get_by_label("代码").fill(code)
    page.get_by_label("名称（中文）").fill(zh)
    page.get_by_label("名称（英文）").fill(en)
    page.get_by_label("胸卡颜色").fill(colour)
    page.get_by_role("button", name="保存").click()
    page.get_by_text("类别已添加。").wait_for()


def test_organiser_creates_and_publishes_an_event_seen_in_both_languages(page):
    sign_in(page)
    page.get_by_role("link", name="新建活动").click()
    page.get_by_label("标题（中文）").fill("2027鲁商发展论坛")
    page.get_by_label("标题（英文）").fill("Shandong Business Forum 2027")
    page.get_by_label("类型").select_option("forum")
    page.get_by_label("网址").fill("lushang-forum-2027")
    page.get_by_label("城市").fill("青岛")
    page.get_by_label("开始时间").fill("2027-05-20T09:00")
    page.get_by_label("结束时间").fill("2027-05-20T17:30")
    page.get_by_label("使用常用类别").uncheck()
    page.get_by_role("button", name="保存").click()
    page.get_by_text("活动已创建为草稿").wait_for()

    page.get_by_role("link", name="参会类别").click()
    add_category(page, "delegate", "代表", "Delegate", "#1f6feb")
    add_category(page, "investor", "投资商", "Investor", "#2e7d32")

    page.get_by_role("link", name="报名问题").click()
    page.get_by_label("题型").select_option("single_choice")
    page.get_by_label("问题（中文）").fill("所属行业")
    page.get_by_label("问题（英文）").fill("Industry")
    page.get_by_label("选项").fill("高端装备 | Advanced equipment\n现代海洋 | Marine economy")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("问题已添加。").wait_for()
    assert page.get_by_role("cell", name="所属行业").is_visible()

    page.get_by_role("link", name="设置").click()
    page.get_by_role("button", name="发布").click()
    page.get_by_text("活动已发布").wait_for()

    page.goto("/e/lushang-forum-2027")
    assert page.get_by_role("heading", name="2027鲁商发展论坛").is_visible()
    assert page.get_by_text("投资商").is_visible()
    assert page.get_by_text("2027年5月20日 09:00").is_visible()
    page.get_by_test_id("lang-en").click()
    page.get_by_role("heading", name="Shandong Business Forum 2027").wait_for()
    assert page.get_by_text("Investor").is_visible()
    assert page.get_by_text("May 20, 2027 09:00").is_visible()
