"""Simplified Chinese by default, English on request, and complete catalogues."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from app import db
from events.models import User
from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parent.parent


def switch_language(client, locale, next_url="/"):
    return client.post(
        "/language",
        data={"locale": locale, "next": next_url, "csrf_token": csrf_token(client, "/")},
    )


def test_pages_speak_simplified_chinese_by_default(client):
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    assert "活动" in page
    assert "登录" in page


def test_switcher_changes_the_language_for_the_rest_of_the_session(client):
    response = switch_language(client, "en", next_url="/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Sign in" in page
    switch_language(client, "zh_Hans_CN")
    assert '<html lang="zh-Hans">' in client.get("/").get_data(as_text=True)


def test_switcher_needs_a_csrf_token(client):
    response = client.post("/language", data={"locale": "en", "next": "/"})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert '<html lang="zh-Hans">' in client.get("/").get_data(as_text=True)


def test_unknown_language_is_refused_with_a_message(client):
    response = switch_language(client, "fr")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "不支持该语言。" in page
    assert '<html lang="zh-Hans">' in page


def test_switcher_never_redirects_off_site(client):
    response = switch_language(client, "en", next_url="//evil.example/")
    assert response.headers["Location"] == "/"


def test_signed_in_users_keep_their_language_on_their_account(app, client, make_user, login_as):
    user = make_user()
    login_as(user)
    switch_language(client, "en")
    with app.app_context():
        assert db.session.get(User, user.id).locale == "en"
    other_device = app.test_client()
    other_device.post(
        "/login",
        data={
            "email": user.email,
            "password": "correct-horse-battery",
            "csrf_token": csrf_token(other_device),
        },
    )
    assert "My events" in other_device.get("/dashboard").get_data(as_text=True)


def test_lang_parameter_switches_and_sticks(client):
    assert '<html lang="en">' in client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_form_validation_messages_follow_the_language(client):
    token = csrf_token(client)
    zh = client.post("/login", data={"email": "no-at-sign", "password": "", "csrf_token": token})
    assert "该字段是必填字段。" in zh.get_data(as_text=True)
    en = client.post(
        "/login?lang=en", data={"email": "no-at-sign", "password": "", "csrf_token": token}
    )
    assert "This field is required." in en.get_data(as_text=True)


def test_every_ui_string_has_a_chinese_translation(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(template),
            "app.py",
            "events",
            "registration",
            "templates",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as handle:
        wanted = {message.id for message in read_po(handle) if message.id}
    po_path = ROOT / "translations/zh_Hans_CN/LC_MESSAGES/messages.po"
    with po_path.open("rb") as handle:
        catalogue = {m.id: m for m in read_po(handle) if m.id}
    missing = sorted(
        str(msgid)
        for msgid in wanted
        if msgid not in catalogue or not catalogue[msgid].string or catalogue[msgid].fuzzy
    )
    assert len(wanted) > 50
    assert not missing, f"untranslated in zh_Hans_CN (run make translations-update): {missing}"
