"""Security defaults: headers, cookies, CSRF and error pages."""

from __future__ import annotations

import pytest

from app import create_app
from tests.conftest import csrf_token


def test_every_page_sends_the_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_pages_have_no_inline_scripts_or_styles(client):
    page = client.get("/login").get_data(as_text=True)
    assert "<script>" not in page
    assert " style=" not in page
    assert "<script src=" in page


def test_session_cookie_is_lax_and_http_only_and_secure_only_over_https(client):
    csrf_token(client)  # puts a token in the session, so the cookie is set
    cookie = client.get_cookie("session")
    assert cookie.same_site == "Lax"
    assert cookie.http_only
    assert not cookie.secure
    secure_client = client.application.test_client()
    response = secure_client.get("/login", base_url="https://localhost")
    set_cookie = response.headers["Set-Cookie"]
    assert "Secure" in set_cookie
    assert "SameSite=Lax" in set_cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_error_pages_are_not_cached(client):
    assert client.get("/missing").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("zh_Hans_CN", "发生了意外错误，本次操作未保存任何内容，请重试。"),
        ("en", "An unexpected error happened. Nothing was saved; please try again."),
    ],
)
def test_server_errors_show_a_page_in_the_users_language(tmp_path, locale, expected):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'h.db'}",
            "SECRET_KEY": "x" * 40,
            "INSTANCE_PATH": str(tmp_path),
        }
    )

    @app.get("/boom")
    def boom():
        raise RuntimeError("deliberate failure")

    client = app.test_client()
    response = client.get(f"/boom?lang={locale}")
    assert response.status_code == 500
    assert expected in response.get_data(as_text=True)
    assert "deliberate failure" not in response.get_data(as_text=True)


def test_access_logs_never_show_link_secrets(app, caplog):
    import logging

    secret = "vTt3tdDtlXBRGSwsdNLpa5xlXB2BuHFFZ2jQn0SLehs"
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('127.0.0.1 - - "GET /r/%s HTTP/1.1" 200 -', secret)
        logging.getLogger("werkzeug").info('"GET /set-password/%s.abc HTTP/1.1" 404 -', secret)
        logging.getLogger("werkzeug").info('"POST /d/%s/roster HTTP/1.1" 302 -', secret)
    assert secret not in caplog.text
    assert "/d/[redacted]/roster HTTP/1.1" in caplog.text
    assert "/r/[redacted] HTTP/1.1" in caplog.text
    assert "/set-password/[redacted] HTTP/1.1" in caplog.text
