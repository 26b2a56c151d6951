"""Geometry for the server-rendered SVG charts (no JavaScript chart library)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from recoup.core.money import format_money

WIDTH = 600
HEIGHT = 220
TOP = 24  # room for the value above the tallest bar
BOTTOM = 28  # room for the bucket label
GAP = 16


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    text: str
    x: int
    y: int
    width: int
    height: int
    overdue: bool

    @property
    def centre(self) -> int:
        return self.x + self.width // 2


@dataclass(frozen=True)
class BarChart:
    currency: str
    width: int
    height: int
    baseline: int
    bars: list[Bar]


def aging_bars(labels: list[str], values: list[Decimal], currency: str, *, locale: str = "en") -> BarChart:
    """One bar per aging bucket, scaled to the largest; negative buckets draw as empty."""
    plot = HEIGHT - TOP - BOTTOM
    peak = max([v for v in values if v > 0], default=Decimal(0))
    slot = WIDTH // max(len(labels), 1)
    bars = []
    for i, (label, value) in enumerate(zip(labels, values)):
        # Integer pixels are enough for a chart; the exact figures are in the table beside it.
        height = int(plot * value / peak) if peak and value > 0 else 0
        bars.append(Bar(
            label=label, value=value, text=format_money(value, currency, locale),
            x=i * slot + GAP // 2, y=TOP + plot - height, width=slot - GAP, height=height, overdue=i > 0,
        ))
    return BarChart(currency=currency, width=WIDTH, height=HEIGHT, baseline=TOP + plot, bars=bars)
