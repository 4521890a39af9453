"""Signing in and out: messages, redirects, rate limits, CSRF and session hygiene."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from app import db
from events.models import User
from tests.conftest import PASSWORD, csrf_token

GENERIC_FAILURE = "邮箱或密码不正确。"
DEACTIVATED = "该账户已停用，请联系组织者。"
TOO_MANY = "登录尝试次数过多，请几分钟后再试。"
FORM_EXPIRED = "表单已过期"
PLEASE_SIGN_IN = "请登录后查看此页面。"
# With the defaults in events/config.py: 10 POSTs per minute per client address,
# 8 failed sign-ins per 15 minutes per account.
IP_LIMIT_PER_MINUTE = 10
ACCOUNT_FAILURES_ALLOWED = 8


def post_login(client, email, password="not-the-password", next_url=""):
    """A sign-in attempt with a valid CSRF token (the GET is not rate limited)."""
    return client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_token(client),
            "next": next_url,
        },
    )


def without_tokens(page: str) -> str:
    """The page with every CSRF token blanked, so two sessions' pages compare equal."""
    return re.sub(r'value="[A-Za-z0-9._-]{40,}"|content="[A-Za-z0-9._-]{40,}"', 'value=""', page)


def alerts(page: str) -> list[str]:
    return re.findall(r'<div class="alert [^"]*" role="alert">([^<]*)</div>', page)


def is_signed_in(client) -> bool:
    return client.get("/dashboard").status_code == 200


# --- signing in ---------------------------------------------------------------


def test_successful_login_redirects_to_the_dashboard_and_records_the_time(
    app, client, make_user, login_as
):
    user = make_user()
    response = login_as(user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert is_signed_in(client)
    with app.app_context():
        assert db.session.get(User, user.id).last_login_at is not None


def test_email_is_matched_without_regard_to_case(client, make_user):
    make_user("wang.li@huiwu.example")
    response = post_login(client, "Wang.Li@HUIWU.example", PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(client)


def test_wrong_password_and_unknown_email_read_the_same(client, make_user):
    user = make_user("known@huiwu.example")
    wrong_password = post_login(client, user.email)
    unknown_email = post_login(client, "nobody@huiwu.example")

    assert wrong_password.status_code == unknown_email.status_code == 200
    wrong_page = wrong_password.get_data(as_text=True)
    unknown_page = unknown_email.get_data(as_text=True)
    assert alerts(wrong_page) == alerts(unknown_page) == [GENERIC_FAILURE]
    # Apart from the echoed address and the CSRF tokens the two pages are identical.
    assert without_tokens(wrong_page).replace(user.email, "EMAIL") == without_tokens(
        unknown_page
    ).replace("nobody@huiwu.example", "EMAIL")
    assert not is_signed_in(client)


def test_deactivated_account_with_the_right_password_gets_403_and_is_told_so(client, make_user):
    user = make_user(active=False)
    response = post_login(client, user.email, PASSWORD)
    assert response.status_code == 403
    assert alerts(response.get_data(as_text=True)) == [DEACTIVATED]
    assert not is_signed_in(client)


def test_deactivated_account_with_a_wrong_password_gets_the_generic_message(client, make_user):
    user = make_user(active=False)
    response = post_login(client, user.email)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert alerts(page) == [GENERIC_FAILURE]
    assert DEACTIVATED not in page


def test_deactivated_user_loses_an_open_session(app, client, make_user, login_as):
    user = make_user()
    login_as(user)
    assert is_signed_in(client)
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


# --- where a successful sign-in goes --------------------------------------------


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        ("/manage/1/", "/manage/1/"),
        ("/dashboard?x=1", "/dashboard?x=1"),
        ("https://evil.example/", "/dashboard"),
        ("//evil.example", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("http:/evil.example", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
        ("/\t/evil.example", "/dashboard"),
        ("", "/dashboard"),
    ],
    ids=[
        "same-site-path",
        "same-site-query",
        "absolute-url",
        "scheme-relative",
        "backslash",
        "scheme-without-slashes",
        "javascript",
        "tab-stripped-by-browsers",
        "empty",
    ],
)
def test_next_is_followed_only_when_it_stays_on_this_site(
    client, make_user, login_as, next_url, location
):
    user = make_user()
    response = login_as(user, next_url=next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == location


def test_already_signed_in_user_visiting_login_goes_to_the_dashboard(client, make_user, login_as):
    login_as(make_user())
    response = client.get("/login?next=https://evil.example/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


# --- rate limits ----------------------------------------------------------------


def test_eleventh_attempt_in_a_minute_from_one_address_is_refused_in_chinese(client):
    for number in range(IP_LIMIT_PER_MINUTE):
        response = post_login(client, f"stranger{number}@huiwu.example")
        assert response.status_code == 200, f"attempt {number + 1} was refused"
    response = post_login(client, "stranger-last@huiwu.example")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert TOO_MANY in page
    assert '<html lang="zh-Hans">' in page
    assert response.headers["Cache-Control"] == "no-store"


def test_another_address_is_not_held_back_by_the_first_ones_limit(app, client, make_user):
    for number in range(IP_LIMIT_PER_MINUTE + 1):
        post_login(client, f"stranger{number}@huiwu.example")
    assert post_login(client, "one-more@huiwu.example").status_code == 429

    user = make_user()
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    response = post_login(elsewhere, user.email, PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(elsewhere)


def test_account_is_locked_after_eight_failures_even_for_the_right_password(
    client, make_user, login_as
):
    victim = make_user()
    colleague = make_user()
    posts = 0
    for attempt in range(ACCOUNT_FAILURES_ALLOWED):
        response = post_login(client, victim.email)
        posts += 1
        assert response.status_code == 200, f"failure {attempt + 1} was refused"

    locked = post_login(client, victim.email, PASSWORD)
    posts += 1
    assert locked.status_code == 429
    assert TOO_MANY in locked.get_data(as_text=True)
    assert "Location" not in locked.headers
    assert not is_signed_in(client)
    assert client.get("/dashboard").headers["Location"].startswith("/login?")

    # Nine POSTs so far: the tenth is still within this address's minute budget.
    posts += 1
    assert posts == IP_LIMIT_PER_MINUTE
    response = login_as(colleague)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert is_signed_in(client)


def test_successful_logins_do_not_count_towards_the_account_lock(app, make_user):
    user = make_user()
    for number in range(ACCOUNT_FAILURES_ALLOWED + 1):
        # A fresh client (and address) each time so only the account limit is in play.
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{number + 1}"
        response = post_login(client, user.email, PASSWORD)
        assert response.status_code == 302, f"login {number + 1} was refused"


def test_locked_unknown_email_reads_the_same_as_a_locked_real_account(app, make_user):
    real = make_user("real@huiwu.example")
    answers = {}
    for label, email, address in (
        ("real", real.email, "192.0.2.1"),
        ("unknown", "ghost@huiwu.example", "192.0.2.2"),
    ):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        for _attempt in range(ACCOUNT_FAILURES_ALLOWED):
            assert post_login(client, email).status_code == 200
        answers[label] = post_login(client, email, PASSWORD)

    real_answer, unknown_answer = answers["real"], answers["unknown"]
    assert real_answer.status_code == unknown_answer.status_code == 429
    real_page = real_answer.get_data(as_text=True)
    unknown_page = unknown_answer.get_data(as_text=True)
    assert TOO_MANY in real_page
    assert without_tokens(real_page) == without_tokens(unknown_page)


def test_refusals_by_the_address_limit_do_not_lock_the_named_account(app, client, make_user):
    victim = make_user()
    for number in range(IP_LIMIT_PER_MINUTE):
        post_login(client, f"stranger{number}@huiwu.example")
    for _attempt in range(ACCOUNT_FAILURES_ALLOWED + 2):
        assert post_login(client, victim.email).status_code == 429
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.99"
    assert post_login(elsewhere, victim.email, PASSWORD).status_code == 302


def test_csrf_failures_do_not_count_towards_the_account_lock(app, make_user):
    victim = make_user()
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.50"
    for _attempt in range(ACCOUNT_FAILURES_ALLOWED):
        response = attacker.post("/login", data={"email": victim.email, "password": "x"})
        assert response.status_code == 400
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "203.0.113.51"
    assert post_login(owner, victim.email, PASSWORD).status_code == 302


# --- CSRF -----------------------------------------------------------------------


def test_logout_without_a_csrf_token_is_refused_and_keeps_the_user_signed_in(
    client, make_user, login_as
):
    login_as(make_user())
    response = client.post("/logout")
    assert response.status_code == 400
    assert FORM_EXPIRED in response.get_data(as_text=True)
    assert is_signed_in(client)


def test_logout_by_get_is_not_possible(client, make_user, login_as):
    login_as(make_user())
    assert client.get("/logout").status_code == 405
    assert is_signed_in(client)


def test_signing_out_with_an_expired_session_just_goes_home(client):
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_logout_with_a_csrf_token_signs_the_user_out(client, make_user, login_as):
    login_as(make_user())
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "您已退出登录。" in alerts(client.get("/").get_data(as_text=True))
    assert not is_signed_in(client)


def test_login_without_a_csrf_token_is_refused_and_signs_nobody_in(app, client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert FORM_EXPIRED in response.get_data(as_text=True)
    assert not is_signed_in(client)
    with app.app_context():
        assert db.session.get(User, user.id).last_login_at is None


def test_login_with_a_forged_csrf_token_is_refused(client, make_user):
    user = make_user()
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": "forged-token"},
    )
    assert response.status_code == 400
    assert FORM_EXPIRED in response.get_data(as_text=True)
    assert not is_signed_in(client)


# --- the session ------------------------------------------------------------------


def test_signing_in_starts_a_fresh_session_but_keeps_the_chosen_language(
    app, client, make_user, login_as
):
    user = make_user()
    client.get("/login")
    with client.session_transaction() as session:
        session["planted_by_attacker"] = "fixation"
        session["locale"] = "en"
    assert login_as(user).status_code == 302
    with client.session_transaction() as session:
        assert "planted_by_attacker" not in session
        assert session["locale"] == "en"
        assert session["_user_id"] == str(user.id)
    assert '<html lang="en">' in client.get("/dashboard").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).locale == "en"


def test_signing_out_keeps_the_chosen_language_and_nothing_else(client, make_user, login_as):
    login_as(make_user())
    client.get("/dashboard?lang=en")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    with client.session_transaction() as session:
        assert "_user_id" not in session
        assert session["locale"] == "en"


def test_expired_session_on_an_organiser_page_sends_to_login_and_back(
    client, make_user, make_event, login_as
):
    organiser = make_user()
    event = make_event(organiser=organiser)
    login_as(organiser)
    manage_url = f"/manage/{event.id}/"
    assert client.get(manage_url).status_code == 200

    client.delete_cookie("session")  # the session cookie expired
    response = client.get(manage_url)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": [manage_url]}

    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert alerts(login_page) == [PLEASE_SIGN_IN]
    assert f'name="next" type="hidden" value="{manage_url}"' in login_page
    assert login_as(organiser, next_url=manage_url).headers["Location"] == manage_url


def test_protected_page_keeps_its_query_string_in_next(client):
    response = client.get("/dashboard?tab=figures")
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": ["/dashboard?tab=figures"]}
