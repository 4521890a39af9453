"""Public pages, the dashboards and the error pages."""

from __future__ import annotations

from events.models import EventStatus


def test_home_lists_published_events_in_chinese_by_default(client, make_event):
    make_event(title_zh="2030儒商大会")
    make_event(title_zh="内部筹备草稿", status=EventStatus.DRAFT)
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    assert "2030儒商大会" in page
    assert "即将举行" in page
    assert "内部筹备草稿" not in page


def test_event_page_shows_times_in_the_event_time_zone(client, make_event):
    event = make_event()  # starts 2030-09-25 01:00 UTC, 09:00 in Shanghai
    page = client.get(f"/e/{event.slug}?lang=en").get_data(as_text=True)
    assert "9:00" in page
    assert "Asia/Shanghai" in page


def test_draft_event_is_hidden_from_the_public_but_not_its_organiser(
    client, make_user, make_event, login_as
):
    organiser = make_user()
    event = make_event(status=EventStatus.DRAFT, organiser=organiser)
    assert client.get(f"/e/{event.slug}").status_code == 404
    login_as(organiser)
    page = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert "此活动为草稿" in page


def test_dashboard_shows_figures_of_the_users_events_only(
    client, make_user, make_event, make_registration, login_as
):
    organiser = make_user()
    mine = make_event(organiser=organiser, title_zh="我的大会")
    make_event(title_zh="别人的大会")
    make_registration(mine, mobile="+8613900000001")
    make_registration(mine, mobile="+8613900000002", status="pending")
    login_as(organiser)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "我的大会" in page
    assert "别人的大会" not in page
    assert f'data-event="{mine.slug}"' in page
    assert '>1</div><div class="figure-label">已确认' in page


def test_unknown_url_gets_a_404_page_in_the_users_language(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)
    response = client.get("/no/such/page?lang=en")
    assert "Page not found" in response.get_data(as_text=True)


def test_api_errors_answer_json(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.is_json
    assert response.json["error"] == 404


def test_wrong_method_gets_405_page(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "此地址不接受该类型的请求" in response.get_data(as_text=True)
