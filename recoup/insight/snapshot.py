"""The insight figures as stored in an ``InsightSnapshot``: computed from the ledger by the pure
metrics, risk, prediction and forecast code (``compute``), and read back as the context the
pages render (``metrics_context``, ``forecast_context``, ``index_context``) without touching
the invoices. JSON in, JSON out: SVG charts as text, tables as title/headers/rows.
"""

from __future__ import annotations

from datetime import date

from django.utils.safestring import mark_safe

from babel.dates import format_date

from recoup.core.display import reader_locale
from recoup.insight import charts, selectors, tables
from recoup.orgs.models import Organization

RISK_ROWS_SHOWN = 100


def _exp(currency: str) -> int:
    from recoup.core.money import minor_exponent

    return minor_exponent(currency)


def _cell_json(v):
    """A cell as JSON that keeps what it knows: an amount its minor units and currency, a day its date
    (``{% cell %}`` shows them in the reader's format; exports write their machine text)."""
    if isinstance(v, tables.Amount):
        return {"minor": v.minor, "currency": v.currency}
    if isinstance(v, tables.Day):
        return {"day": str(v)}
    return v


def _cell(v):
    if isinstance(v, dict):
        return tables.Amount(v["minor"], v["currency"]) if "minor" in v else tables.Day(date.fromisoformat(v["day"]))
    return v


def _table_json(t: tables.Table | None) -> dict | None:
    return None if t is None else {"name": t.name, "title": t.title, "headers": t.headers,
                                   "rows": [[_cell_json(v) for v in row] for row in t.rows]}


def _table(d: dict | None, limit: int | None = None) -> tables.Table | None:
    if d is None:
        return None
    rows = d["rows"][:limit] if limit else d["rows"]
    return tables.Table(d["name"], d["title"], d["headers"], [[_cell(v) for v in row] for row in rows])


def _metrics(org: Organization, on: date, currency: str) -> dict | None:
    found = selectors.org_metrics(org=org, on=on, months=12, currency=currency)
    if not found:
        return None
    s = found[0]
    locale = reader_locale(org)
    month = lambda day: format_date(day, "MMM yy", locale=locale)  # noqa: E731 - "Mar 26", "März 26"
    months = [(month(p.on), [v / 10 ** _exp(currency) for v in p.buckets_minor]) for p in s.trend]
    text = tables._s
    return {
        "summary": {k: text(getattr(s, k)) for k in ("dso", "countback_dso", "best_possible_dso",
                                                      "average_days_delinquent", "cei", "percent_current")},
        "metrics_table": _table_json(tables.metrics_table(s)), "trend_table": _table_json(tables.trend_table(s)),
        "aging_chart": str(charts.stacked_aging(months, s.labels, currency, locale)),
        "dso_chart": str(charts.line([(month(p.on), None if p.dso is None else float(p.dso))
                                      for p in s.trend], f"DSO by month end {currency}", "days")),
    }


def _forecast(org: Organization, on: date, currency: str) -> dict:
    preds, forecast, queue = selectors.cash_forecast(org=org, currency=currency, on=on)
    scale = 10 ** _exp(currency)
    points = [(format_date(w.start, "d MMM", locale=reader_locale(org)), w.expected_minor / scale, w.low_minor / scale, w.high_minor / scale)
              for w in forecast.weeks]
    invoices = selectors.open_invoice_labels(org=org, keys=[q.key for q in queue[:50]])
    model = preds.model if preds.method == "model" else None
    return {
        "method": preds.method,
        "model": None if model is None else {"n_train": model.n_train, "trained_on": model.trained_on.isoformat(),
                                             "mae_days": model.mae_days},
        "forecast_chart": str(charts.bars_with_range(points, f"Expected collections by week {currency}", currency,
                                                     reader_locale(org))),
        "forecast_table": _table_json(tables.forecast_table(forecast, currency)),
        "queue_table": _table_json(tables.queue_table(queue, invoices, currency)),
    }


def compute(*, org: Organization, on: date, currency: str) -> tuple[dict, dict]:
    """Everything the insight pages show for ``currency`` as of ``on``, as JSON (the slow part), and
    the rows only the exports need (every customer's risk), kept apart so pages do not read them."""
    steps = selectors.step_effectiveness(org=org, on=on)
    insights = selectors.customer_insights(org=org, on=on, currency=currency)
    risk = _table_json(tables.risk_table(insights[:RISK_ROWS_SHOWN]))
    return {
        "risk_table": risk,
        "risk_customers": [c.customer.pk for c in insights[:RISK_ROWS_SHOWN]],
        "metrics": _metrics(org, on, currency),
        "forecast": _forecast(org, on, currency),
        "steps_table": _table_json(tables.steps_table(steps)),
        "steps_chart": str(charts.share_bars([(f"{r.step_key} ({r.channel})", r.share_14) for r in steps],
                                             "Invoices paid within 14 days after each step")) if steps else None,
    }, {"risk_table": _table_json(tables.risk_table(insights))}


def metrics_context(data: dict) -> dict:
    m = data.get("metrics")
    if not m:
        return {}
    return {"summary": m["summary"], "metrics_table": _table(m["metrics_table"]),
            "trend_table": _table(m["trend_table"]), "aging_chart": mark_safe(m["aging_chart"]),
            "dso_chart": mark_safe(m["dso_chart"])}


def forecast_context(data: dict) -> dict:
    f = data["forecast"]
    model = f["model"]
    if model is not None:
        model = {**model, "trained_on": date.fromisoformat(model["trained_on"])}
    return {"predictions": {"method": f["method"], "model": model},
            "forecast_chart": mark_safe(f["forecast_chart"]), "forecast_table": _table(f["forecast_table"]),
            "queue_table": _table(f["queue_table"])}


def risk_rows(data: dict) -> list[dict]:
    """The shown rows of the risk table as the page lays them out (``insight/_risk_table.html``): a factor a
    line, the open amount typed, the customer's id for its link (None in a snapshot stored without ids)."""
    table = _table(data["risk_table"], limit=RISK_ROWS_SHOWN)
    if table is None:
        return []
    ids = data.get("risk_customers") or []
    names = ("ref", "name", "score", "band", "factors", "open", "limit_use", "average_days_late", "on_time_rate",
             "trend", "broken_promises", "disputes")
    rows = []
    for i, cells in enumerate(table.rows):
        row = dict(zip(names, cells))
        row["factors"] = [f for f in row["factors"].split("; ") if f]
        row["customer_id"] = ids[i] if i < len(ids) else None
        rows.append(row)
    return rows


def index_context(data: dict) -> dict:
    return {"steps_table": _table(data["steps_table"]),
            "steps_chart": mark_safe(data["steps_chart"]) if data["steps_chart"] else None,
            "risk_table": _table(data["risk_table"], limit=RISK_ROWS_SHOWN), "risk_rows": risk_rows(data)}


def export_table(snapshot, table: str) -> tables.Table | None:
    """The whole table ``table`` of an ``InsightSnapshot`` (the exports hold every row), None if it has none."""
    if table in ("metrics", "trend"):
        return metrics_context(snapshot.data).get(f"{table}_table")
    if table in ("forecast", "queue"):
        return forecast_context(snapshot.data)[f"{table}_table"]
    if table == "steps":
        return _table(snapshot.data["steps_table"])
    if table == "risk":
        return _table(snapshot.exports["risk_table"])
    return None
