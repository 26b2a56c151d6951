"""Cases with reminders, the small-claims checklist, write-offs, recoveries and the bad-debt report."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from recoup.escalation.actions import EscalationError, letter_before_action_send
from recoup.escalation.case_actions import case_conclude, case_costs_minor, case_event_add, case_open, case_reminders
from recoup.escalation.rules import small_claims_checklist
from recoup.escalation.selectors import checklist
from recoup.escalation.tests.conftest import at
from recoup.escalation.writeoff_actions import bad_debt_csv, bad_debt_write_off, write_off_recover
from recoup.messaging.models import Task


def test_the_california_checklist_counts_the_limit_and_the_yearly_claims():
    base = dict(jurisdiction="US-CA", currency="USD", on=date(2026, 5, 1), limitation_last_day=date(2029, 1, 1),
                lba_sent_on=date(2026, 3, 1), lba_deadline=date(2026, 3, 31))
    entity = small_claims_checklist(amount_minor=700_000, claimant_individual=False,
                                    claims_over_threshold_this_year=0, **base)
    assert [(i.label, i.ok) for i in entity.items] == [
        ("Amount within the court's limit", False), ("Claims over USD 2,500 this year", True),
        ("Within the limitation period", True), ("Letter before action sent", True), ("Response period elapsed", True)]
    person = small_claims_checklist(amount_minor=1_250_000, claimant_individual=True,
                                    claims_over_threshold_this_year=2, **base)
    assert person.items[0].ok is True and person.items[1].ok is False and not person.ready
    small = small_claims_checklist(amount_minor=250_000, claimant_individual=False, claims_over_threshold_this_year=2,
                                   **base)
    assert small.ready  # at most 2,500: the yearly count does not apply
    ew = small_claims_checklist(jurisdiction="GB", currency="GBP", amount_minor=1_000_001, on=date(2026, 5, 1),
                                claimant_individual=False, claims_over_threshold_this_year=0,
                                limitation_last_day=None, lba_sent_on=None, lba_deadline=None)
    assert [i.ok for i in ew.items] == [False, None, False]


def test_a_case_with_hearings_costs_reminders_and_judgment(org_a, make_customer, make_invoice, system):
    from recoup.ledger.models import Contact

    customer = make_customer(org_a, ref="K1", name="Kay Blake", kind="consumer", country="GB")
    Contact.objects.create(org=org_a, customer=customer, name="Kay Blake", postal_address="1 Elm Row\nBath BA1 1AA")
    make_invoice(org_a, customer, "K-1", "1500.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    lba = letter_before_action_send(org=org_a, customer=customer, on=date(2026, 3, 2), actor=system,
                                    now=at(date(2026, 3, 2)))
    with pytest.raises(EscalationError, match="response period"):
        case_open(org=org_a, customer=customer, forum="small_claims", filing_date=date(2026, 3, 20), actor=system,
                  now=at(date(2026, 3, 20)))
    filed = date(2026, 4, 6)
    items = {i.label: i.ok for i in checklist(org=org_a, customer=customer, on=filed).items}
    assert items["Letter before action sent"] and items["Response period elapsed"]
    assert items["Amount within the court's limit"]
    case = case_open(org=org_a, customer=customer, forum="small_claims", filing_date=filed, actor=system,
                     now=at(filed), court="County Court Money Claims Centre", case_number="K1QZ123")
    assert case.claim_minor >= 150000 and lba.deadline < filed
    case_event_add(org=org_a, case=case, kind="cost", on=filed, description="Court fee", cost_minor=11500,
                   actor=system, now=at(filed))
    case_event_add(org=org_a, case=case, kind="hearing", on=date(2026, 6, 10), description="Small claims hearing",
                   actor=system, now=at(filed))
    assert case_reminders(org=org_a, on=date(2026, 6, 1), now=at(date(2026, 6, 1)), actor=system) == 0
    assert case_reminders(org=org_a, on=date(2026, 6, 4), now=at(date(2026, 6, 4)), actor=system) == 1
    assert case_reminders(org=org_a, on=date(2026, 6, 5), now=at(date(2026, 6, 5)), actor=system) == 0  # once
    assert "Small claims hearing" in Task.objects.for_org(org_a).get(kind="review").text
    case_conclude(org=org_a, case=case, outcome="judgment", on=date(2026, 6, 10), judgment_minor=150000,
                  judgment_interest_minor=2100, actor=system, now=at(date(2026, 6, 10)))
    assert case_costs_minor(case) == 11500 and case.get_outcome_display() == "Judgment for us"


def test_write_offs_recoveries_and_the_yearly_report(org_a, org_b, make_customer, system):
    from decimal import Decimal

    from recoup.ledger.actions import LineInput, invoice_create, payment_record

    customer = make_customer(org_a, ref="W1", name="Gone Bust Ltd")
    invoice_create(org=org_a, customer=customer, number="W-1", issue_date=date(2025, 6, 1), currency="GBP",
                             lines=[LineInput("Goods", Decimal(1), Decimal("500.00"), Decimal("20"))], actor=system,
                             now=at(date(2025, 6, 1)))
    [write_off] = bad_debt_write_off(org=org_a, customer=customer, on=date(2026, 2, 1), reason="Company dissolved",
                                     actor=system, now=at(date(2026, 2, 1)))
    assert write_off.amount_minor == 60000
    payment = payment_record(org=org_a, customer=customer, date=date(2026, 8, 3), amount_minor=12000, currency="GBP",
                             actor=system, now=at(date(2026, 8, 3)), reference="liquidator dividend")
    write_off_recover(org=org_a, write_off=write_off, on=date(2026, 8, 3), amount_minor=12000, payment=payment,
                      note="liquidator dividend", actor=system, now=at(date(2026, 8, 3)))
    with pytest.raises(EscalationError, match="not yet recovered"):
        write_off_recover(org=org_a, write_off=write_off, on=date(2026, 8, 4), amount_minor=48001, actor=system,
                          now=at(date(2026, 8, 4)))
    with pytest.raises(EscalationError):
        write_off_recover(org=org_b, write_off=write_off, on=date(2026, 8, 4), amount_minor=100, actor=system,
                          now=at(date(2026, 8, 4)))
    rows = list(csv.DictReader(io.StringIO(bad_debt_csv(org=org_a, year=2026).decode("utf-8"))))
    assert [(r["type"], r["date"], r["invoice_number"], r["amount"], r["tax_included"]) for r in rows] == [
        ("write_off", "2026-02-01", "W-1", "600.00", "100.00"),
        ("recovery", "2026-08-03", "W-1", "-120.00", "-20.00"),
        ("total", "2026", "", "480.00", "80.00")]
    assert list(csv.DictReader(io.StringIO(bad_debt_csv(org=org_b, year=2026).decode("utf-8")))) == []
    assert len(list(csv.DictReader(io.StringIO(bad_debt_csv(org=org_a, year=2025).decode("utf-8"))))) == 0
