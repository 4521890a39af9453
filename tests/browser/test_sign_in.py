"""An organiser signs in to the demo in Chromium, in Chinese, then switches to English."""

from __future__ import annotations

import re

import pytest

from registration.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_demo_organiser_sees_the_dashboard_in_chinese_then_english(page):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("link", name="2019儒商大会").is_visible()

    page.goto("/dashboard")
    assert "/login" in page.url
    assert page.get_by_text("请登录后查看此页面。").is_visible()
    page.get_by_label("电子邮箱").fill("organiser@huiwu.example")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.wait_for_url(re.compile(r"/dashboard$"))
    assert page.get_by_role("heading", name="我的活动").is_visible()
    conference = page.locator('[data-event="rushang-2019"]')
    assert conference.get_by_text("2019儒商大会").is_visible()
    assert conference.get_by_text("组织者").is_visible()

    page.get_by_test_id("lang-en").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="My events").is_visible()
    assert conference.get_by_text("Confucian Merchants Conference 2019").is_visible()
    assert conference.get_by_role("link", name="Manage").is_visible()


def test_wrong_password_shows_the_generic_message(page):
    page.goto("/login")
    page.get_by_label("电子邮箱").fill("organiser@huiwu.example")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_text("邮箱或密码不正确。").is_visible()


def test_phone_layout_collapses_the_menu(browser, live_server):
    context = browser.new_context(
        base_url=live_server,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.goto("/")
    toggler = page.get_by_role("button", name="菜单")
    assert toggler.is_visible()
    assert not page.get_by_role("link", name="登录").is_visible()
    toggler.click()
    page.get_by_role("link", name="登录").wait_for(state="visible")
    context.close()
