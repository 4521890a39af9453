"""A delegate registers on a phone, in Chinese, and opens the link that arrived by email."""

from __future__ import annotations

import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.browser


def arrived(mailbox, recipient, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for received in mailbox.messages:
            if recipient in received["to"]:
                return received["message"]
        time.sleep(0.1)
    return None


def wait_for_mail(mailbox, recipient):
    """The message the sender thread sends right after the sign-up, as in production."""
    message = arrived(mailbox, recipient, timeout=15.0)
    assert message is not None, f"no mail for {recipient}; outbox: {outbox()}"
    return message


def outbox():
    from app import db
    from registration.models import EmailOutbox
    from tests.browser.conftest import LIVE_APPS

    with LIVE_APPS[-1].app_context():
        rows = db.session.execute(db.select(EmailOutbox)).scalars()
        return [(row.id, row.kind, row.status.value, row.attempts, row.last_error) for row in rows]


def test_a_delegate_registers_on_a_phone_and_opens_the_emailed_link(browser, live_server, mailbox):
    year = datetime.now(ZoneInfo("Asia/Shanghai")).year + 1
    phone = browser.new_context(
        base_url=live_server,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = phone.new_page()
    page.goto(f"/e/rushang-{year}")
    page.get_by_role("link", name="报名", exact=True).click()
    page.get_by_label("代表 / Delegate").check()
    page.get_by_label("姓名").fill("孔繁华")
    page.get_by_label("单位").fill("曲阜鲁信文化创意有限公司")
    page.get_by_label("职务").fill("总经理")
    page.get_by_label("手机").fill("１３９ ８８８８ ６６６６")
    page.get_by_label("电子邮箱").fill("kongfanhua@example.com")
    page.get_by_label("现代海洋 / Marine economy").check()
    page.get_by_label("我同意按照隐私声明处理我的个人信息").check()
    page.get_by_role("button", name="报名").click()

    page.get_by_role("heading", name="我的报名").wait_for()
    assert page.get_by_test_id("status-message").inner_text() == "您的参会名额已确认。"
    assert page.get_by_text("+8613988886666").is_visible()

    message = wait_for_mail(mailbox, "kongfanhua@example.com")
    assert message["Subject"] == f"您的{year}儒商大会报名已确认"
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:\d+/r/[A-Za-z0-9_-]{43}", text).group(0)
    other_phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    opened = other_phone.new_page()
    opened.goto(link)
    assert opened.get_by_role("heading", name="我的报名").is_visible()
    assert opened.get_by_text("孔繁华").first.is_visible()
    assert opened.get_by_text("现代海洋").is_visible()
    other_phone.close()
    phone.close()
