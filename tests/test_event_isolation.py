"""Every organiser URL of one event is a 404 for the organiser of another.

The URLs are read from the app's own routes, so a page added later is
covered without touching this file.
"""

from __future__ import annotations

import re

import pytest

from app import create_app
from tests.conftest import csrf_token


def organiser_rules():
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SECRET_KEY": "x" * 40,
            "INSTANCE_PATH": "/tmp/huiwu-isolation-instance",
        }
    )
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/manage/<int:event_id>") or rule.rule.startswith(
            "/staff/<int:event_id>"
        ):
            method = "GET" if "GET" in rule.methods else "POST"
            rules.append(pytest.param(rule.rule, method, id=f"{method} {rule.rule}"))
    return sorted(rules, key=lambda param: param.id)


RULES = organiser_rules()


def fill(rule: str, event_id: int) -> str:
    """Put the event's id in, and 1 for any other id (the event check comes first)."""
    path = rule.replace("<int:event_id>", str(event_id))
    return re.sub(r"<(?:int:)?\w+>", "1", path)


def test_the_matrix_covers_the_organiser_pages():
    assert len(RULES) >= 10


@pytest.mark.parametrize(("rule", "method"), RULES)
def test_organiser_of_another_event_gets_404(client, make_user, make_event, login_as, rule, method):
    mine, theirs = make_user(), make_user()
    make_event(organiser=mine)
    other = make_event(organiser=theirs, title_zh="别人的活动机密")
    login_as(mine)
    url = fill(rule, other.id)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client, "/dashboard")})
    assert response.status_code == 404
    assert "别人的活动机密" not in response.get_data(as_text=True)
