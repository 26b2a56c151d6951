"""recoup metrics / risk / forecast on the worked example of docs/metrics.md."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def run(*args) -> dict:
    out = StringIO()
    call_command(*args, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def test_metrics_as_of_a_date_match_the_hand_worked_example(example):
    data = run("metrics", "--org", "acme", "--as-of", "2026-03-31", "--currency", "GBP", "--months", "2")
    (gbp,) = data["currencies"]
    assert gbp["receivables"] == "6000.00" and gbp["current"] == "2500.00" and gbp["sales_90_days"] == "10000.00"
    assert (gbp["dso"], gbp["countback_dso"], gbp["best_possible_dso"]) == ("54.0", "65.2", "22.5")
    assert (gbp["average_days_delinquent"], gbp["cei"], gbp["percent_current"]) == ("31.5", "36.4", "41.7")
    assert [p["month_end"] for p in gbp["aging_trend"]] == ["2026-01-31", "2026-02-28", "2026-03-31"]
    assert gbp["aging_trend"][-1]["1-30"] == "3500.00"


def test_metrics_of_the_other_organization_see_only_its_own_invoice(example):
    (gbp,) = run("metrics", "--org", "bolt", "--as-of", "2026-03-31")["currencies"]
    assert gbp["receivables"] == "99999.00"


def test_per_customer_habits_come_with_the_metrics(example):
    data = run("metrics", "--org", "acme", "--as-of", "2026-03-31", "--customers")
    by_ref = {c["ref"]: c for c in data["customers"]["GBP"]}
    assert (by_ref["A"]["average_days_late"], by_ref["A"]["on_time_rate"]) == ("2.0", "66.7")
    assert by_ref["B"]["paid_count"] == 0 and "Decoy" not in json.dumps(data)


def test_an_unknown_currency_is_a_clear_error(example):
    with pytest.raises(CommandError, match="no invoices in JPY"):
        run("metrics", "--org", "acme", "--currency", "JPY")


def test_risk_explains_each_score_and_shows_limit_use(example):
    data = run("risk", "--org", "acme", "--as-of", "2026-03-31")
    by_ref = {c["ref"]: c for c in data["customers"]}
    b = by_ref["B"]
    # B: no payment history (15), 100% of its 3,500.00 overdue (15), over its 3,000.00 limit (10).
    assert {f["name"]: f["points"] for f in b["factors"]} == {
        "no payment history": 15, "overdue now": 15, "over credit limit": 10}
    assert (b["score"], b["band"], b["limit_use"]) == (40, "medium", "116.7")
    assert by_ref["A"]["score"] < b["score"]


def test_forecast_without_enough_history_uses_the_fallback_and_covers_every_open_invoice(example):
    data = run("forecast", "--org", "acme", "--as-of", "2026-03-31", "--train")
    assert data["method"] == "fallback" and data["model"] is None
    assert len(data["weeks"]) == 13 and data["weeks"][0]["week_of"] == "2026-04-01"
    from decimal import Decimal
    total = sum(Decimal(w["expected"]) for w in data["weeks"]) + Decimal(data["later"])
    assert abs(total - Decimal("6000.00")) <= Decimal("0.14")
    assert {q["Invoice"] for q in data["queue"]} == {"INV-3", "INV-4", "INV-5"}
