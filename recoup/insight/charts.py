"""Server-rendered SVG charts for insight (no JavaScript, no network), like recoup/web/charts.py.

Each function returns safe SVG markup with a <title> and <desc>; the exact figures are in
the table rendered beside every chart. Pixels are integers: a chart only needs to look right.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from recoup.core.money import format_money

# The charts sit three to a row on the dashboard and alone on a phone, about 330 px wide either way: a 440-unit
# viewBox with 15-unit text keeps every label at 11 px or more there (tests/browser/test_layouts.py).
W, H = 440, 280
FONT = 15
LEFT, RIGHT, BOTTOM = 8, 8, 30
LEGEND_ROW = 20
TOP = 34  # room above the highest gridline for its label
PLOT_W, PLOT_H = W - LEFT - RIGHT, H - TOP - BOTTOM
SHARE_W = 640  # the share bars take a page's width, with their step names at the left
# One colour per aging bucket, current first (greens to reds), readable on white.
BUCKET_COLOURS = ["#3b7d4f", "#d9a43b", "#d97a3b", "#c4512f", "#8e2b2b", "#5a1c1c"]


def _money(value: float, currency: str, locale: str) -> str:
    """A tooltip's amount as the reader writes it ("£339.00", "339,00 €")."""
    return format_money(Decimal(f"{value:.2f}"), currency, locale)


def _svg(title: str, desc: str, body: list[str], cls: str, legend: tuple[str, int] = ("", 0),
         width: int = W) -> SafeString:
    """``legend``: markup above the plot and its height; the plot moves down by it, so no bar reaches the legend."""
    legend_markup, top = legend
    ident = "".join(ch for ch in title.lower() if ch.isalnum())[:40]
    height = H + top
    return mark_safe(
        f'<svg class="chart {cls}" viewBox="0 0 {width} {height}" role="img" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="t-{ident} d-{ident}"><title id="t-{ident}">{escape(title)}</title>'
        f'<desc id="d-{ident}">{escape(desc)}</desc>' + legend_markup
        + (f'<g transform="translate(0 {top})">' if top else "<g>")
        + f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{TOP + PLOT_H}" y2="{TOP + PLOT_H}" class="axis" stroke="#555"/>'
        + "".join(body) + "</g></svg>")


def _y(value: float, peak: float) -> int:
    return TOP + PLOT_H - (int(PLOT_H * value / peak) if peak > 0 else 0)


def _axis_label(value: float, peak: float, text: str) -> str:
    """The gridline of the highest value, its figure (with the unit or currency) just above it at the left."""
    y = _y(value, peak)
    return (f'<text x="{LEFT}" y="{y - 6}" class="tick" font-size="{FONT}">{escape(text)}</text>'
            f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y}" y2="{y}" stroke="#ddd"/>')


def _x_labels(labels: list[str], slot: float) -> list[str]:
    width = max((len(t) for t in labels), default=1) * FONT * 0.62 + 8  # what one label needs, roughly
    step = max(1, -(-len(labels) // max(1, int(PLOT_W // width))))
    return [f'<text x="{min(max(int(LEFT + slot * i + slot / 2), int(width / 2)), int(W - width / 2))}" '
            f'y="{H - 8}" text-anchor="middle" font-size="{FONT}" class="label">{escape(t)}</text>'
            for i, t in enumerate(labels) if i % step == 0]


def _legend(labels: list[str]) -> tuple[str, int]:
    """Swatches and names in rows that fit the width; returns the markup and its height."""
    items, x, y = [], LEFT, 0
    for k, lab in enumerate(labels):
        width = 14 + 6 + int(len(lab) * FONT * 0.62) + 14
        if x + width > W - RIGHT and x > LEFT:
            x, y = LEFT, y + LEGEND_ROW
        items.append(f'<rect x="{x}" y="{y + 4}" width="12" height="12" '
                     f'fill="{BUCKET_COLOURS[k % len(BUCKET_COLOURS)]}"/>'
                     f'<text x="{x + 18}" y="{y + 15}" font-size="{FONT}">{escape(lab)}</text>')
        x += width
    return f'<g class="legend">{"".join(items)}</g>', y + LEGEND_ROW + 4


def stacked_aging(points: list[tuple[str, list[float]]], bucket_labels: list[str], currency: str,
                  locale: str = "en") -> SafeString:
    """One stacked bar per month end, a segment per aging bucket."""
    peak = max((sum(max(v, 0) for v in values) for _, values in points), default=0.0)
    slot = PLOT_W / max(len(points), 1)
    body = [_axis_label(peak, peak, f"{peak:,.0f} {currency}")] if peak else []
    for i, (_, values) in enumerate(points):
        base = 0.0
        for b, v in enumerate(values):
            if v <= 0:
                continue
            y_top, y_base = _y(base + v, peak), _y(base, peak)
            body.append(f'<rect x="{int(LEFT + slot * i + 4)}" y="{y_top}" width="{max(int(slot - 8), 1)}" '
                        f'height="{max(y_base - y_top, 0)}" fill="{BUCKET_COLOURS[b % len(BUCKET_COLOURS)]}">'
                        f'<title>{escape(points[i][0])} {escape(bucket_labels[b])}: {_money(v, currency, locale)}</title></rect>')
            base += v
    body += _x_labels([p[0] for p in points], slot)
    desc = f"Stacked bars of receivables ({currency}) by aging bucket at each month end."
    return _svg(f"Aging trend {currency}", desc, body, "stacked", _legend(bucket_labels))


def line(points: list[tuple[str, float | None]], title: str, unit: str) -> SafeString:
    """A line through the values (gaps where a value is missing), e.g. DSO by month end."""
    values = [v for _, v in points if v is not None]
    peak = max(values, default=0.0) * 1.1 or 1.0
    slot = PLOT_W / max(len(points), 1)
    coords = [(int(LEFT + slot * i + slot / 2), _y(v, peak)) for i, (_, v) in enumerate(points) if v is not None]
    body = [_axis_label(peak / 1.1, peak, f"{peak / 1.1:,.0f} {unit}")] if values else []
    if coords:
        body.append('<polyline fill="none" stroke="#1f5f99" stroke-width="2" points="'
                    + " ".join(f"{x},{y}" for x, y in coords) + '"/>')
        body += [f'<circle cx="{x}" cy="{y}" r="3" fill="#1f5f99"/>' for x, y in coords]
    body += _x_labels([p[0] for p in points], slot)
    return _svg(title, f"{title}: " + "; ".join(f"{lab} {v}" for lab, v in points), body, "line")


def bars_with_range(points: list[tuple[str, float, float, float]], title: str, currency: str,
                    locale: str = "en") -> SafeString:
    """Bars of expected values with a whisker from low to high (e.g. the weekly cash forecast)."""
    peak = max((max(e, hi) for _, e, _, hi in points), default=0.0)
    slot = PLOT_W / max(len(points), 1)
    body = [_axis_label(peak, peak, f"{peak:,.0f} {currency}")] if peak else []
    for i, (lab, expected, low, high) in enumerate(points):
        x = int(LEFT + slot * i + 5)
        w = max(int(slot - 10), 1)
        y = _y(expected, peak)
        body.append(f'<rect x="{x}" y="{y}" width="{w}" height="{TOP + PLOT_H - y}" fill="#6a9fcb">'
                    f'<title>{escape(lab)}: {_money(expected, currency, locale)} ({_money(low, currency, locale)} to '
                    f'{_money(high, currency, locale)})</title></rect>')
        cx = x + w // 2
        body.append(f'<line x1="{cx}" x2="{cx}" y1="{_y(low, peak)}" y2="{_y(high, peak)}" stroke="#222" '
                    f'stroke-width="1.5" class="range"/>'
                    f'<line x1="{cx - 4}" x2="{cx + 4}" y1="{_y(high, peak)}" y2="{_y(high, peak)}" stroke="#222"/>'
                    f'<line x1="{cx - 4}" x2="{cx + 4}" y1="{_y(low, peak)}" y2="{_y(low, peak)}" stroke="#222"/>')
    body += _x_labels([p[0] for p in points], slot)
    return _svg(title, f"{title}, expected with the 10% to 90% range, {currency}.", body, "forecast")


def share_bars(points: list[tuple[str, float | None]], title: str) -> SafeString:
    """Horizontal bars of shares (0 to 1), e.g. invoices paid within 14 days after each step."""
    n = max(len(points), 1)
    row = PLOT_H / n
    body = []
    for i, (lab, share) in enumerate(points):
        y = int(TOP + row * i + 3)
        width = int((SHARE_W - RIGHT - 200) * (share or 0))
        body.append(f'<text x="4" y="{y + int(row / 2) + 2}" font-size="11">{escape(lab[:30])}</text>'
                    f'<rect x="196" y="{y}" width="{width}" height="{max(int(row - 6), 1)}" fill="#3b7d4f"/>'
                    f'<text x="{200 + width}" y="{y + int(row / 2) + 2}" font-size="11">'
                    f'{"" if share is None else f"{share * 100:.0f}%"}</text>')
    return _svg(title, title + ": " + "; ".join(f"{lab} {s}" for lab, s in points), body, "shares",
                width=SHARE_W)
