"""Geometry for the small SVG charts drawn on organiser pages (no JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    value: int


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    baseline: float
    bars: list[Bar]
    peak: int
    total: int
    labels: list[tuple[float, date]]  # x position and day, for a few days only


def daily_bars(
    series: list[tuple[date, int]], width: int = 720, height: int = 160, max_labels: int = 6
) -> BarChart:
    """Scale one bar a day into ``width`` × ``height`` with room for labels below."""
    plot_height = height - 20
    peak = max((value for _day, value in series), default=0)
    step = width / max(len(series), 1)
    gap = min(2.0, step * 0.2)
    bars = []
    for index, (day, value) in enumerate(series):
        bar_height = plot_height * value / peak if peak else 0
        bars.append(
            Bar(
                round(index * step + gap / 2, 2),
                round(plot_height - bar_height, 2),
                round(step - gap, 2),
                round(bar_height, 2),
                day,
                value,
            )
        )
    every = max(1, -(-len(series) // max_labels))  # ceiling division
    margin = 16  # keeps a centred label inside the picture at both ends
    labels = [
        (round(min(max(bar.x + bar.width / 2, margin), width - margin), 2), bar.day)
        for bar in bars[::every]
    ]
    return BarChart(width, height, plot_height, bars, peak, sum(v for _d, v in series), labels)
