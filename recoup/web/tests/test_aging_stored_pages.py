"""The aging report and the dashboard read today's stored aging rows (written after the day's cycle)
and still show what the live report says after payments, credit notes, new invoices, write-offs and
a bank statement import recorded since; on a day without stored rows they compute live."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from recoup.banking.tests.builders import Entry, camt053, import_confirmed
from recoup.core.display import reader_locale
from recoup.core.money import format_money, from_minor
from recoup.ledger.actions import LineInput, credit_note_record, invoice_create, invoice_write_off, payment_record
from recoup.reports import aging_store
from recoup.reports.aging import aging
from recoup.reports.models import AgingChange
from recoup.web.views.common import org_today

ROW_REF = re.compile(r'</a> <span class="muted">([^<]+)</span></th>')


@pytest.fixture
def today(org_a, now):
    return org_today(org_a, now)


@pytest.fixture
def book(org_a, make_customer, make_invoice, today):
    made = {}
    for i, name in enumerate(["Northwind", "contoso", "Émile SARL", "Acme", "acme two"]):
        customer = made[f"c{i}"] = make_customer(org_a, ref=f"C{i}", name=name)
        for k in range(3):
            made[f"i{i}{k}"] = make_invoice(org_a, customer, f"INV-{i}{k}", f"{100 + 10 * i + k}.00",
                                            issue=today - timedelta(days=20 + 35 * k),
                                            due=today - timedelta(days=35 * k - 10))
    return made


def totals_cells(page: str, currency: str) -> list[str]:
    row = re.search(rf'<tr data-currency="{currency}">(.*?)</tr>', page, re.S).group(1)
    return re.findall(r'<td class="num[^"]*">([^<]*)</td>', row)


def live_totals_cells(org, today, currency: str) -> list[str]:
    t = aging(org=org, as_of=today).totals[currency]
    return [format_money(v, currency, locale=reader_locale(org)) for v in t.values()]


def change_the_ledger(org, book, today, system, now):
    """A payment, a credit note, a new invoice, a write-off and a bank statement, after the rows were stored."""
    payment_record(org=org, customer=book["c0"], date=today, amount_minor=5000, currency="GBP", actor=system, now=now)
    credit_note_record(org=org, customer=book["c1"], number="CN-1", date=today, amount_minor=2500, currency="GBP",
                       actor=system, now=now)
    invoice_write_off(org=org, invoice=book["i22"], on=today, reason="Gone", amount_minor=10000, actor=system,
                      now=now)
    import_confirmed(org=org, file_name="stmt.xml", actor=system, now=now, data=camt053([
        Entry("131.00", today, name="Acme", text=f"Invoice {book['i31'].number}"),
    ]))
    book["i31"].refresh_from_db()
    assert book["i31"].open_minor == 0  # the statement line was matched and paid it
    invoice_create(org=org, customer=book["c4"], number="NEW-1", issue_date=today - timedelta(days=60),
                   due_date=today - timedelta(days=45), currency="GBP", actor=system, now=now,
                   lines=[LineInput(description="Goods", quantity=Decimal(1), unit_price=Decimal("999.00"))])


def test_after_ledger_changes_the_stored_pages_say_what_the_live_report_says(
        as_user, org_a, book, today, system, now, frozen_clock):
    aging_store.store_write(org=org_a, on=today, now=now)
    before = live_totals_cells(org_a, today, "GBP")
    change_the_ledger(org_a, book, today, system, now)
    assert AgingChange.objects.filter(org_id=org_a.pk).exists()
    expected = live_totals_cells(org_a, today, "GBP")
    assert expected != before

    client = as_user("viewer")
    page = client.get(reverse("aging", args=[org_a.slug])).content.decode()
    assert not AgingChange.objects.filter(org_id=org_a.pk).exists()  # folded into the stored rows
    assert totals_cells(page, "GBP") == expected
    live = aging(org=org_a, as_of=today)
    assert ROW_REF.findall(page) == [r.customer_ref for r in live.rows]

    dashboard = client.get(reverse("dashboard", args=[org_a.slug])).content.decode()
    t = live.totals["GBP"]
    assert format_money(t["total"], "GBP", locale=reader_locale(org_a)) in dashboard
    overdue = sum((t[label] for label in live.labels[1:]), t["current"] * 0)
    assert format_money(overdue, "GBP", locale=reader_locale(org_a)) in dashboard
    most = sorted((r for r in live.rows if r.overdue_minor > 0),
                  key=lambda r: (-r.overdue_minor, r.customer_ref, r.currency))[:10]
    table = dashboard[dashboard.index('id="late-heading"'):]
    shown = re.findall(r'<span class="muted">([^<]+)</span></th>\s*<td>[^<]*</td>\s*<td class="num">([^<]+)</td>',
                       table)
    assert shown == [(r.customer_ref, format_money(from_minor(r.overdue_minor, r.currency), r.currency,
                                                   locale=reader_locale(org_a))) for r in most]
    assert shown[0][0] == "C4"  # NEW-1, recorded after the rows were stored: £999.00 and more past due


def test_the_aging_page_shows_a_page_of_100_in_the_reports_order(as_user, org_a, make_customer, make_invoice,
                                                                 today, now, frozen_clock):
    for i in range(230):
        name = ["alpha", "Beta", "gamma", "Delta", "émile"][i % 5] + f" {i % 7}"
        make_invoice(org_a, make_customer(org_a, ref=f"R{i:03d}", name=name), f"I-{i}", f"{i + 1}.00",
                     issue=today - timedelta(days=40), due=today - timedelta(days=10))
    aging_store.store_write(org=org_a, on=today, now=now)
    live = [r.customer_ref for r in aging(org=org_a, as_of=today).rows]
    client = as_user("viewer")
    url = reverse("aging", args=[org_a.slug])
    assert ROW_REF.findall(client.get(url).content.decode()) == live[:100]
    assert ROW_REF.findall(client.get(url, {"page": 2}).content.decode()) == live[100:200]
    assert ROW_REF.findall(client.get(url, {"page": 3}).content.decode()) == live[200:]


def test_without_todays_stored_rows_the_pages_compute_live(as_user, org_a, book, today, system, now, frozen_clock):
    aging_store.store_write(org=org_a, on=today - timedelta(days=1), now=now)  # the cycle has not run today
    change_the_ledger(org_a, book, today, system, now)
    client = as_user("viewer")
    page = client.get(reverse("aging", args=[org_a.slug])).content.decode()
    assert totals_cells(page, "GBP") == live_totals_cells(org_a, today, "GBP")
    assert AgingChange.objects.filter(org_id=org_a.pk).exists()  # nothing read from (or folded into) the rows
    dashboard = client.get(reverse("dashboard", args=[org_a.slug])).content.decode()
    total = aging(org=org_a, as_of=today).totals["GBP"]["total"]
    assert format_money(total, "GBP", locale=reader_locale(org_a)) in dashboard


def test_a_past_date_and_other_buckets_are_computed_live(as_user, org_a, book, today, system, now, frozen_clock):
    aging_store.store_write(org=org_a, on=today, now=now)
    client = as_user("viewer")
    past = today - timedelta(days=30)
    page = client.get(reverse("aging", args=[org_a.slug]), {"as_of": past.isoformat()}).content.decode()
    t = aging(org=org_a, as_of=past).totals["GBP"]
    assert totals_cells(page, "GBP") == [format_money(v, "GBP", locale=reader_locale(org_a)) for v in t.values()]
    page = client.get(reverse("aging", args=[org_a.slug]), {"buckets": "15,45"}).content.decode()
    assert "16-45" in page and "46+" in page
