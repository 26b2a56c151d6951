"""recoup rates, recoup interest and recoup rules, through call_command."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from recoup.audit.models import AuditEvent
from recoup.compliance.models import RatePoint


def call(name, *args):
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


INTEREST = ["--jurisdiction", "FR", "--amount", "1000", "--currency", "EUR", "--due", "2026-06-30",
            "--paid", "2026-07-31", "--format", "json"]


def test_a_missing_rate_is_a_clear_error_until_rates_add_supplies_it(org_a):
    with pytest.raises(CommandError, match=r"no ECB rate known for 2026-07-01; "
                                           r"add it under Rules → Add a rate, or with `recoup rates add ecb-mro 2026-07-01 VALUE`"):
        call("interest", *INTEREST)
    assert call("rates", "add", "ecb-mro", "2026-07-01", "2.15", "--note", "ECB press release") == \
        "ECB rate: 2.15 % from 2026-07-01\n"
    data = json.loads(call("interest", *INTEREST))
    assert data["periods"] == [{"from": "2026-07-01", "to": "2026-07-31", "days": 31, "principal": "1000.00",
                                "rate": "12.15", "basis": "ECB rate 2.15 % on 2026-07-01 + 10",
                                "interest": "10.319178"}]
    assert (data["interest"], data["compensation"], data["total"]) == ("10.32", "40.00", "50.32")
    assert data["rules"] == ["FR.code-commerce-l441-10.interest", "FR.code-commerce-l441-10.indemnity"]
    event = AuditEvent.objects.get(verb="rate.added")
    assert event.org == org_a and event.data == {"series": "ecb-mro", "effective_from": "2026-07-01",
                                                 "percent": "2.15"}


def test_rates_show_marks_added_points_and_list_gives_the_latest(org_a):
    call("rates", "add", "boe-bank-rate", "2026-02-05", "3.75")
    shown = json.loads(call("rates", "show", "boe-bank-rate", "--format", "json"))
    assert shown["points"][0] == {"from": "2026-02-05", "percent": "3.75", "origin": "added"}
    assert shown["points"][1] == {"from": "2025-12-18", "percent": "3.75", "origin": "shipped"}
    assert shown["known_until"] == "2026-02-05" and shown["source"]["url"].startswith("https://www.bankofengland")
    latest = {s["series"]: s for s in json.loads(call("rates", "list", "--format", "json"))}
    assert latest["ecb-mro"]["latest_percent"] == "2.15" and latest["de-base"]["latest_from"] == "2025-07-01"
    assert "Bank of England Bank Rate" in call("rates", "show", "boe-bank-rate")


@pytest.mark.parametrize("args,message", [
    (["nope", "2026-01-01", "1"], "unknown rate series 'nope'"),
    (["ecb-mro", "2026-01-01", "two"], "'two' is not a number"),
    (["ecb-mro", "2026-01-01", "200"], "between -100 and 100"),
    (["ecb-mro", "2026-01-01", "2.123456"], "more than 4 decimals"),
])
def test_rates_add_refuses_bad_input_and_writes_nothing(org_a, args, message):
    with pytest.raises(CommandError, match=message):
        call("rates", "add", *args)
    assert not RatePoint.objects.exists() and not AuditEvent.objects.filter(verb="rate.added").exists()


def test_rates_add_twice_on_one_day_is_refused(org_a):
    call("rates", "add", "ecb-mro", "2026-07-01", "2.15")
    with pytest.raises(CommandError, match="already has a point added on 2026-07-01"):
        call("rates", "add", "ecb-mro", "2026-07-01", "2.40")


def test_points_added_in_one_organization_do_not_reach_another(org_a, org_b):
    call("rates", "add", "ecb-mro", "2026-07-01", "2.15", "--org", "acme")
    assert json.loads(call("interest", *INTEREST, "--org", "acme"))["total"] == "50.32"
    with pytest.raises(CommandError, match="no ECB rate known"):
        call("interest", *INTEREST, "--org", "bolt")
    shown = json.loads(call("rates", "show", "ecb-mro", "--org", "bolt", "--format", "json"))
    assert all(p["origin"] == "shipped" for p in shown["points"])


def test_interest_command_for_the_worked_gb_example_and_consumers(db):
    args = ["--jurisdiction", "GB", "--amount", "2000", "--currency", "GBP", "--due", "2025-11-30",
            "--paid", "2026-02-28", "--format", "json"]
    data = json.loads(call("interest", *args))
    assert set(data) == {"jurisdiction", "debtor", "currency", "principal", "due", "until", "days", "periods",
                         "interest", "compensation", "collection_costs", "total", "rules", "notes"}
    assert (data["days"], data["interest"], data["compensation"], data["total"]) == (90, "60.41", "70.00", "130.41")
    consumer = json.loads(call("interest", *args[:-2], "--debtor", "consumer", "--format", "json"))
    assert consumer["total"] == "0.00" and consumer["rules"] == []
    ca = json.loads(call("interest", "--jurisdiction", "US-CA", "--amount", "1500", "--currency", "USD",
                         "--due", "2025-01-15", "--paid", "2025-07-15", "--contract-rate", "18", "--format", "json"))
    assert ca["interest"] == "133.89"
    assert "total" in call("interest", *args[:-2])
    with pytest.raises(CommandError, match="is not an amount"):
        call("interest", "--jurisdiction", "GB", "--amount", "2,000", "--currency", "GBP", "--due", "2025-11-30")


def test_rules_show_lists_the_rules_in_force_with_sources():
    data = json.loads(call("rules", "show", "--jurisdiction", "GB", "--date", "2026-01-01", "--format", "json"))
    by_id = {r["id"]: r for r in data["rules"]}
    assert data["jurisdiction"] == "GB" and data["date"] == "2026-01-01"
    interest = by_id["GB.late-payment-act.interest"]
    assert interest["kind"] == "calculation" and interest["applies_to"] == "business"
    assert interest["parameters"] == {"series": "boe-bank-rate", "points": "8", "reference": "fixed_previous_half_year_end"}
    assert interest["source"]["url"].startswith("https://www.legislation.gov.uk/")
    assert "GB.breathing-space" in by_id and "GB.conc.contact-window" in by_id
    old = json.loads(call("rules", "show", "--jurisdiction", "GB", "--date", "2021-01-01", "--debtor", "consumer",
                          "--format", "json"))
    assert "GB.breathing-space" not in {r["id"] for r in old["rules"]}
    assert "GB.late-payment-act.interest" not in {r["id"] for r in old["rules"]}
    assert "Rules in force in US-CA" in call("rules", "show", "--jurisdiction", "US-CA")
    assert "all valid" in call("rules", "check")
