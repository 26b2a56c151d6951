"""The tables behind every insight chart, as (title, headers, rows) for pages, commands and exports.

Amounts are text in major units (``minor_to_text``) and days ISO text, so CSV and XLSX exports
hold machine values; both carry what a page needs to show them in the reader's format
(``Amount.currency``, ``Day.day``: ``{% cell %}`` in ``recoup_web``). Ratios are text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from recoup.core.metrics import Summary
from recoup.core.money import minor_to_text
from recoup.lib.spreadsheet import csv_text, xlsx_bytes


class Amount(str):
    """An amount as text in major units ("1234.50"), knowing its minor units and currency."""

    minor: int
    currency: str

    def __new__(cls, minor: int, currency: str) -> "Amount":
        text = super().__new__(cls, minor_to_text(minor, currency))
        text.minor, text.currency = minor, currency
        return text


class Day(str):
    """A day as ISO text ("2026-12-06"), knowing its date."""

    day: date

    def __new__(cls, day: date) -> "Day":
        text = super().__new__(cls, day.isoformat())
        text.day = day
        return text


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list[str]]


def _s(v) -> str:
    return "" if v is None else str(v)


def summary_json(s: Summary) -> dict:
    cur = s.currency
    return {
        "currency": cur, "as_of": s.on.isoformat(), "receivables": minor_to_text(s.receivables_minor, cur),
        "current": minor_to_text(s.current_minor, cur), "sales_90_days": minor_to_text(s.sales_minor, cur),
        "dso": _s(s.dso) or None, "countback_dso": _s(s.countback_dso) or None,
        "best_possible_dso": _s(s.best_possible_dso) or None,
        "average_days_delinquent": _s(s.average_days_delinquent) or None, "cei": _s(s.cei) or None,
        "percent_current": _s(s.percent_current) or None,
        "aging_trend": [{"month_end": p.on.isoformat(), "dso": _s(p.dso) or None,
                         **{label: minor_to_text(v, cur) for label, v in zip(s.labels, p.buckets_minor)}}
                        for p in s.trend],
    }


def metrics_table(s: Summary) -> Table:
    rows = [["Receivables", Amount(s.receivables_minor, s.currency)],
            ["Current (not yet due)", Amount(s.current_minor, s.currency)],
            ["Credit sales, last 90 days", Amount(s.sales_minor, s.currency)],
            ["DSO (days)", _s(s.dso)], ["Countback DSO (days)", _s(s.countback_dso)],
            ["Best possible DSO (days)", _s(s.best_possible_dso)],
            ["Average days delinquent", _s(s.average_days_delinquent)],
            ["CEI, last month (%)", _s(s.cei)], ["Percent current (%)", _s(s.percent_current)]]
    return Table(f"metrics-{s.currency}", f"Collection metrics ({s.currency})", ["Metric", "Value"], rows)


def trend_table(s: Summary) -> Table:
    rows = [[Day(p.on), *[Amount(v, s.currency) for v in p.buckets_minor],
             Amount(p.total_minor, s.currency), _s(p.dso)] for p in s.trend]
    return Table(f"trend-{s.currency}", f"Aging and DSO by month end ({s.currency})",
                 ["Month end", *s.labels, "Total", "DSO"], rows)


def forecast_table(forecast, currency: str) -> Table:
    rows = [[Day(w.start), Amount(w.expected_minor, currency), Amount(w.low_minor, currency),
             Amount(w.high_minor, currency)] for w in forecast.weeks]
    rows.append(["later", Amount(forecast.later_minor, currency), "", ""])
    return Table(f"forecast-{currency}", f"Expected collections by week ({currency})",
                 ["Week from", "Expected", "Low (10%)", "High (90%)"], rows)


def queue_table(queue, invoices: dict, currency: str, limit: int = 50) -> Table:
    rows = []
    for q in queue[:limit]:
        inv = invoices.get(int(q.key))
        rows.append([inv.number if inv else q.key, inv.customer.name if inv else q.customer,
                     Amount(q.open_minor, currency), f"{q.p_late * 100:.0f}%",
                     Amount(q.value_minor, currency)])
    return Table(f"queue-{currency}", f"Work queue by expected value of a call ({currency})",
                 ["Invoice", "Customer", "Open", "Chance late (30+ days)", "Expected value"], rows)


def steps_table(rows) -> Table:
    def pct(x):
        return "" if x is None else f"{x * 100:.0f}%"
    return Table("steps", "What works: invoices paid after each step",
                 ["Step", "Channel", "Messages", "Invoices (14+ days ago)", "Paid within 7 days", "Paid within 14 days"],
                 [[r.step_key, r.channel, str(r.messages), str(r.invoices), pct(r.share_7), pct(r.share_14)]
                  for r in rows])


def risk_table(insights) -> Table:
    rows = []
    for c in insights:
        h = c.habits
        rows.append([c.customer.ref, c.customer.name, str(c.risk.score), c.risk.band,
                     "; ".join(f"{f.name} +{f.points}" for f in c.risk.factors),
                     Amount(c.open_minor, c.currency), _s(c.limit_use), _s(h.average_days_late),
                     _s(h.on_time_rate), h.trend, str(h.broken_promises), str(h.disputes)])
    return Table("risk", "Customers by risk",
                 ["Ref", "Customer", "Score", "Band", "Factors", "Open", "Limit use %", "Avg days late",
                  "On time %", "Trend", "Broken promises", "Disputes"], rows)


def as_csv(table: Table) -> bytes:
    return csv_text(table.headers, table.rows, lineterminator="\n").encode("utf-8")


def as_xlsx(table: Table) -> bytes:
    """Numbers as numbers in the spreadsheet (stored exactly as Decimal), everything else as text."""
    return xlsx_bytes(sheet=table.name, headers=table.headers, rows=table.rows)
