import csv
import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from recoup.ledger.actions import payment_record
from recoup.reports.aging import aging


@pytest.fixture
def ledger(org_a, make_customer, make_invoice, system, now):
    c1 = make_customer(org_a, ref="C1", name="Alpha Ltd")
    c2 = make_customer(org_a, ref="C2", name="Beta plc")
    make_invoice(org_a, c1, "INV-1", "100.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))  # 59 days late
    make_invoice(org_a, c2, "INV-2", "40.00", issue=date(2026, 3, 1), due=date(2026, 4, 1))  # current
    payment_record(org=org_a, customer=c2, date=date(2026, 3, 5), amount_minor=5000, currency="GBP",
                   actor=system, now=now)


def call(*args):
    out = io.StringIO()
    call_command("aging", *args, stdout=out)
    return out.getvalue()


def test_json_is_exactly_the_reports_shape(org_a, ledger):
    data = json.loads(call("--as-of", "2026-03-31", "--format", "json"))
    assert data == aging(org=org_a, as_of=date(2026, 3, 31)).as_json()
    assert data["totals"]["GBP"]["31-60"] == "100.00"
    assert data["totals"]["GBP"]["credit"] == "-10.00"


def test_as_of_a_past_date_ignores_later_invoices_and_payments(org_a, ledger):
    data = json.loads(call("--as-of", "2026-02-15", "--format", "json"))
    assert [(r["customer_ref"], r["total"]) for r in data["rows"]] == [("C1", "100.00")]
    assert data["rows"][0]["1-30"] == "100.00"


def test_csv_by_invoice_with_custom_buckets(org_a, ledger):
    rows = list(csv.DictReader(io.StringIO(call("--as-of", "2026-03-31", "--by", "invoice", "--buckets", "15,45",
                                                "--format", "csv"))))
    assert rows[0]["invoice"] == "INV-1" and rows[0]["46+"] == "100.00"
    # INV-2 was paid in full by the 50.00 payment; its 10.00 excess is credit on account.
    assert {r["invoice"] for r in rows} == {"INV-1", "(credit on account)"}


def test_the_table_shows_rows_and_totals(org_a, ledger):
    table = call("--as-of", "2026-03-31")
    assert "Alpha Ltd" in table and "Beta plc" in table and "TOTAL" in table and "90.00" in table


def test_it_defaults_to_today_in_the_org_time_zone(org_a, ledger):
    data = json.loads(call("--format", "json"))
    assert date.fromisoformat(data["as_of"]) >= date(2026, 1, 1)


def test_it_refuses_bad_buckets_and_ambiguous_orgs(org_a, org_b, ledger):
    with pytest.raises(CommandError, match="several organizations"):
        call("--as-of", "2026-03-31")
    with pytest.raises(CommandError, match="strictly increasing"):
        call("--org", "acme", "--buckets", "60,30")
    assert json.loads(call("--org", "bolt", "--as-of", "2026-03-31", "--format", "json"))["rows"] == []
