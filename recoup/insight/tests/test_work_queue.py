"""The forecast's work queue lists calls worth making: never an invoice that is held."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import StringIO

from django.core.management import call_command

from recoup.arrangements.actions import dispute_open, plan_create
from recoup.arrangements.promise_actions import promise_make
from recoup.collections.actions import pause_add


def forecast(as_of: str) -> dict:
    out = StringIO()
    call_command("forecast", "--org", "acme", "--as-of", as_of, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def queued(as_of: str) -> set[str]:
    return {q["Invoice"] for q in forecast(as_of)["queue"]}


def test_disputed_planned_and_promised_invoices_are_no_calls_to_make_but_still_expected_cash(
        example, org_a, system, now):
    assert queued("2026-03-31") == {"INV-3", "INV-4", "INV-5"}
    dispute_open(org=org_a, customer=example["b"], invoices=[example["INV-3"]], category="quality",
                 amount_minor=None, message="Damaged", actor=system, now=now)
    plan_create(org=org_a, customer=example["b"], invoices=[example["INV-4"]], instalments=3, frequency="monthly",
                first_date=date(2026, 4, 30), actor=system, now=now)
    promise_make(org=org_a, customer=example["a"], invoices=[example["INV-5"]], pay_by=date(2026, 4, 10),
                 actor=system, now=now)

    data = forecast("2026-03-31")
    assert data["queue"] == []
    total = sum(Decimal(w["expected"]) for w in data["weeks"]) + Decimal(data["later"])
    assert abs(total - Decimal("6000.00")) <= Decimal("0.14"), "held invoices are still cash to come"
    # Past the promised day and its five grace days, the promise no longer holds INV-5: call.
    assert queued("2026-04-15") == set()
    assert queued("2026-04-16") == {"INV-5"}


def test_a_paused_customer_and_a_paused_invoice_are_left_out(example, org_a, system, now):
    pause_add(org=org_a, customer=example["b"], reason="Owner in hospital", starts_on=date(2026, 3, 30),
              ends_on=date(2026, 4, 20), actor=system, now=now)
    pause_add(org=org_a, customer=example["a"], invoice=example["INV-5"], reason="Query with sales",
              starts_on=date(2026, 3, 30), actor=system, now=now)
    assert queued("2026-03-31") == set()
    assert queued("2026-04-21") == {"INV-3", "INV-4"}
