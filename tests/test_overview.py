"""The per-event overview: status, category and delegation figures, sign-ups per day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app import db
from events.charts import daily_bars
from registration.models import Delegation, DelegationKind


def test_daily_bars_scale_to_the_busiest_day_and_keep_labels_inside():
    chart = daily_bars(
        [(date(2019, 8, 1), 2), (date(2019, 8, 2), 0), (date(2019, 8, 3), 4)], width=300, height=120
    )
    assert (chart.peak, chart.total) == (4, 6)
    assert [bar.height for bar in chart.bars] == [50.0, 0.0, 100.0]
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)
    assert all(16 <= x <= 284 for x, _day in chart.labels)
    assert daily_bars([]).bars == []


def test_overview_counts_by_category_delegation_and_day(
    app, client, make_user, make_event, make_registration, login_as
):
    organiser = make_user()
    event = make_event(organiser=organiser)
    with app.app_context():
        delegation = Delegation(
            event_id=event.id,
            name="上海市山东商会",
            kind=DelegationKind.CHAMBER,
            leader_name="张伟",
        )
        db.session.add(delegation)
        db.session.commit()
        delegation_id = delegation.id
    # 23:30 UTC on 1 August is already 2 August in Shanghai.
    make_registration(
        event,
        mobile="+8613900000001",
        delegation_id=delegation_id,
        created_at=datetime(2030, 8, 1, 23, 30, tzinfo=UTC),
    )
    make_registration(
        event,
        mobile="+8613900000002",
        status="pending",
        created_at=datetime(2030, 8, 4, 2, 0, tzinfo=UTC),
    )
    login_as(organiser)
    page = client.get(f"/manage/{event.id}/").get_data(as_text=True)
    assert "上海市山东商会" in page
    assert "共 2 人报名，单日最多 1 人" in page
    assert "<title>2030-08-02: 1</title>" in page
    assert "<title>2030-08-03: 0</title>" in page  # quiet days are drawn, as zero
    assert "<title>2030-08-04: 1</title>" in page
    assert "<title>2030-08-01" not in page
