"""Placing accounts with an agency: the placement file's columns and totals, the hold on the cycle,
recalls, and what the agency collected and kept."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from recoup.collections.cycle import cycle_run
from recoup.escalation.actions import EscalationError
from recoup.escalation.models import FileFormat, PlacementStatus
from recoup.escalation.placement_actions import (
    agency_collection_record, agency_save, placement_end, place_accounts,
)
from recoup.escalation.placement_file import COLUMNS, placement_csv
from recoup.escalation.selectors import placement_totals
from recoup.escalation.tests.conftest import at
from recoup.messaging.models import Message

WEEKLY = """\
name: weekly-chase
steps:
  - {key: chase, name: Weekly reminder, offset_days: 3, channels: [email], repeat_every_days: 7, repeat_max: 40,
     template: first-reminder}
"""
ON = date(2026, 3, 10)


@pytest.fixture
def book(org_a, make_customer, make_invoice, system, now):
    from recoup.collections.actions import policy_load
    from recoup.ledger.actions import payment_record
    from recoup.ledger.models import Contact

    org_a.sender_email = "accounts@acme.example"
    org_a.save()
    policy_load(org=org_a, data=WEEKLY, actor=system, now=now, make_default_for="")
    customers = {}
    for ref, amounts in (("A1", ["100.00", "250.50"]), ("A2", ["999.99"]), ("A3", ["42.00"])):
        customer = make_customer(org_a, ref=ref, name=f"{ref} Trading Ltd", country="GB")
        Contact.objects.create(org=org_a, customer=customer, name=f"Accounts {ref}", email=f"{ref.lower()}@x.example",
                               phone="+447700900001", postal_address=f"{ref} Road\nYork YO1 7HH")
        for k, amount in enumerate(amounts):
            make_invoice(org_a, customer, f"{ref}-{k}", amount, issue=date(2026, 1, 1), due=date(2026, 1, 31))
        customers[ref] = customer
    payment_record(org=org_a, customer=customers["A1"], date=date(2026, 2, 20), amount_minor=5000, currency="GBP",
                   actor=system, now=at(date(2026, 2, 20)))
    agency = agency_save(org=org_a, name="Northern Recoveries", commission_percent=Decimal("20"), actor=system,
                         now=now, email="files@northern.example")
    return customers, agency


def test_the_placement_file_matches_the_accounts_placed(book, org_a, system):
    customers, agency = book
    placements = place_accounts(org=org_a, agency=agency, customers=[customers["A1"], customers["A2"]], on=ON,
                                actor=system, now=at(ON))
    rows = list(csv.DictReader(io.StringIO(placement_csv(placements, on=ON).decode("utf-8"))))
    assert list(rows[0].keys()) == COLUMNS
    assert [(r["customer_ref"], r["invoice_number"], r["amount_placed"]) for r in rows] == [
        ("A1", "A1-0", "50.00"), ("A1", "A1-1", "250.50"), ("A2", "A2-0", "999.99")]
    for placement in placements:
        mine = [r for r in rows if r["placement_id"] == str(placement.pk)]
        assert sum(Decimal(r["amount_placed"]) for r in mine) * 100 == placement.placed_minor
        assert {r["evidence_pack"] for r in mine} == {f"evidence-{placement.customer.ref}-placement-{placement.pk}.pdf"}
    assert sum(Decimal(r["amount_placed"]) for r in rows) == Decimal("1300.49")
    a1 = rows[0]
    assert (a1["paid"], a1["invoice_total"], a1["days_overdue"], a1["last_payment_date"], a1["email"]) == (
        "50.00", "100.00", "38", "2026-02-20", "a1@x.example")
    semi = placement_csv(placements, on=ON, file_format=FileFormat.CSV_SEMICOLON).decode("utf-8")
    semi_rows = list(csv.reader(io.StringIO(semi), delimiter=";"))
    assert all(len(r) == len(COLUMNS) for r in semi_rows) and ";\"250,50\";" in semi
    assert [r[COLUMNS.index("amount_placed")] for r in semi_rows[1:]] == ["50,00", "250,50", "999,99"]


def test_placed_accounts_receive_nothing_more_from_the_cycle_until_recalled(book, org_a, system):
    customers, agency = book
    cycle_run(org=org_a, on=ON - timedelta(days=1), now=at(ON - timedelta(days=1)))
    sent_before = {ref: Message.objects.filter(customer=c).count() for ref, c in customers.items()}
    [placement] = place_accounts(org=org_a, agency=agency, customers=[customers["A1"]], on=ON, actor=system,
                                 now=at(ON))
    for offset in range(0, 21):
        day = ON + timedelta(days=offset)
        cycle_run(org=org_a, on=day, now=at(day, 7))
    assert Message.objects.filter(customer=customers["A1"]).count() == sent_before["A1"]
    assert Message.objects.filter(customer=customers["A3"]).count() > sent_before["A3"]  # the others go on
    with pytest.raises(EscalationError, match="already placed"):
        place_accounts(org=org_a, agency=agency, customers=[customers["A1"]], on=ON, actor=system, now=at(ON))
    back = ON + timedelta(days=21)
    placement_end(org=org_a, placement=placement, on=back, reason="no progress", actor=system, now=at(back, 6))
    cycle_run(org=org_a, on=back, now=at(back, 7))
    assert Message.objects.filter(customer=customers["A1"]).count() == sent_before["A1"] + 1
    placement.refresh_from_db()
    assert placement.status == PlacementStatus.RECALLED


def test_collections_and_fees_give_the_net_recovery(book, org_a, system):
    customers, agency = book
    [placement] = place_accounts(org=org_a, agency=agency, customers=[customers["A2"]], on=ON, actor=system,
                                 now=at(ON))
    agency_collection_record(org=org_a, placement=placement, on=ON + timedelta(days=9), amount_minor=40000,
                             actor=system, now=at(ON + timedelta(days=9)))
    agency_collection_record(org=org_a, placement=placement, on=ON + timedelta(days=20), amount_minor=10000,
                             fee_minor=1500, actor=system, now=at(ON + timedelta(days=20)))
    totals = placement_totals(placement)
    assert (totals.collected_minor, totals.fees_minor, totals.net_minor) == (50000, 9500, 40500)
    invoice = customers["A2"].invoices.get()
    assert invoice.open_minor == 99999 - 50000


def test_an_agency_of_another_organization_cannot_be_used(book, org_a, org_b, system, now):
    customers, _ = book
    theirs = agency_save(org=org_b, name="Western Collect", commission_percent=Decimal("15"), actor=system, now=now)
    with pytest.raises(EscalationError):
        place_accounts(org=org_a, agency=theirs, customers=[customers["A1"]], on=ON, actor=system, now=at(ON))
    with pytest.raises(EscalationError):
        place_accounts(org=org_b, agency=theirs, customers=[customers["A1"]], on=ON, actor=system, now=at(ON))
