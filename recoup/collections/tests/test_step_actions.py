"""Step actions: the agreed late fee once, credit hold, an escalation review for the operator; interest and
fees on the principal still open under the payment order, never charged twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from recoup.collections.actions import policy_load
from recoup.collections.cycle import cycle_run
from recoup.collections.step_actions import apply_step_action
from recoup.collections.tests.conftest import at
from recoup.core.policy import Step
from recoup.ledger.actions import payment_record
from recoup.ledger.charge_actions import charge_waive
from recoup.ledger.checks import check_ledger
from recoup.ledger.models import Charge, CustomerStatus, PaymentTerms
from recoup.ledger.splits import invoice_parts
from recoup.messaging.models import Message, Task

ACTIONS = {"name": "with-actions", "steps": [
    {"key": "final-notice", "name": "Final notice", "offset_days": 30, "action": "late_fee"},
    {"key": "hold", "name": "Credit hold", "offset_days": 31, "action": "credit_hold", "template": "final-notice"},
    {"key": "review", "name": "Escalation", "offset_days": 45, "action": "escalation_review",
     "template": "final-notice"},
]}


def test_each_step_acts_once_and_the_message_shows_the_fee(org_a, debtor, make_invoice, system, now):
    org_a.sender_email = "accounts@acme.example"
    org_a.save()
    policy_load(org=org_a, data=ACTIONS, actor=system, now=now, make_default_for="")
    terms = PaymentTerms.objects.create(org=org_a, name="Net 30, 40.00 late fee", net_days=30,
                                        late_fee_kind="flat", late_fee_flat=Decimal("40.00"))
    customer = debtor(org_a, "C001", default_terms=terms)
    other = debtor(org_a, "C002")  # Net 30 without a late fee
    first = make_invoice(org_a, customer, "INV-1", "100.00", due=date(2026, 3, 1))
    second = make_invoice(org_a, customer, "INV-2", "200.00", due=date(2026, 3, 1))
    plain = make_invoice(org_a, other, "INV-3", "300.00", due=date(2026, 3, 1))

    for day in (date(2026, 3, 31), date(2026, 3, 31), date(2026, 4, 1)):
        cycle_run(org=org_a, on=day, now=at(day))

    assert list(Charge.objects.order_by("invoice__number").values_list("invoice__number", "amount_minor")) == \
        [("INV-1", 4000), ("INV-2", 4000)]
    for invoice in (first, second, plain):
        invoice.refresh_from_db()
    assert (first.open_minor, second.open_minor, plain.open_minor) == (14000, 24000, 30000)
    notice = Message.objects.get(customer=customer, step_key="final-notice")
    # The fee just charged is in the final notice.
    assert "INV-1, late fee of 31 Mar 2026: £40.00" in notice.body_text
    customer.refresh_from_db()
    assert customer.status == CustomerStatus.CREDIT_HOLD

    cycle_run(org=org_a, on=date(2026, 4, 15), now=at(date(2026, 4, 15)))
    cycle_run(org=org_a, on=date(2026, 4, 16), now=at(date(2026, 4, 16)))
    reviews = Task.objects.for_org(org_a).order_by("customer__ref")
    # One review per customer, however many of its invoices reached the step.
    assert [(t.customer.ref, t.kind in ("escalation_review", "review")) for t in reviews] == \
        [("C001", True), ("C002", True)]
    assert "Escalation" in reviews[0].text


# --- interest and fees on the principal still open (issue 11) ------------------------------------------

INTEREST = Step(key="interest", name="Interest", offset_days=30, action="interest")
FEE = Step(key="fee", name="Monthly fee", offset_days=30, action="late_fee")


def act(org, invoice, step, on, system):
    apply_step_action(org=org, customer=invoice.customer, invoice_id=invoice.pk, step=step, on=on, now=at(on),
                      actor=system)


def pay(org, invoice, on, minor, system):
    payment_record(org=org, customer=invoice.customer, date=on, amount_minor=minor, currency="GBP", invoice=invoice,
                   actor=system, now=at(on))


def interest_charged(invoice):
    return sum(Charge.objects.filter(invoice=invoice, kind="interest").values_list("amount_minor", flat=True))


def test_interest_runs_on_the_principal_only_stops_when_it_is_paid_and_is_never_charged_twice(
        org_a, make_customer, make_invoice, system):
    # GB business debt: Bank Rate 3.75 % on 31 Dec 2025 + 8 = 11.75 % a year, simple, actual/365.
    invoice = make_invoice(org_a, make_customer(org_a), "INV-1", "1000.00", issue=date(2025, 12, 1),
                           due=date(2026, 1, 1))
    act(org_a, invoice, INTEREST, date(2026, 1, 31), system)  # 70.00 compensation + 9.66 interest
    assert interest_charged(invoice) == 966
    # Charges first (GB fixes no order): 70.00 compensation, 9.66 interest, 420.34 principal.
    pay(org_a, invoice, date(2026, 2, 10), 50000, system)
    assert invoice_parts(invoice).principal_open_minor == 57966
    for day in (date(2026, 2, 20), date(2026, 2, 20)):  # the cycle running twice on one day adds nothing
        act(org_a, invoice, INTEREST, day, system)
    # 1,000.00 x 11.75 % x 40/365 (2 Jan-10 Feb) + 579.66 x 11.75 % x 10/365 (11-20 Feb) = 12.8767 + 1.8660
    assert interest_charged(invoice) == 1474
    invoice.refresh_from_db()
    pay(org_a, invoice, date(2026, 3, 1), invoice.open_minor, system)  # 5.08 interest, then 579.66: all paid
    assert invoice_parts(invoice).principal_open_minor == 0
    for day in (date(2026, 3, 31), date(2026, 4, 30)):
        act(org_a, invoice, INTEREST, day, system)
    # Interest stops on the payment date: ... + 579.66 x 11.75 % x 19/365 (11 Feb-1 Mar) = 12.8767 + 3.5455
    assert interest_charged(invoice) == 1642
    invoice.refresh_from_db()
    assert invoice.open_minor == 168 and check_ledger().ok


def test_under_principal_first_a_part_payment_stops_interest_on_what_it_paid(org_a, make_customer, make_invoice,
                                                                              system):
    org_a.payment_order = "principal_first"
    org_a.save()
    invoice = make_invoice(org_a, make_customer(org_a), "INV-1", "1000.00", issue=date(2025, 12, 1),
                           due=date(2026, 1, 1))
    act(org_a, invoice, INTEREST, date(2026, 1, 31), system)
    pay(org_a, invoice, date(2026, 2, 10), 50000, system)  # all of it to the principal
    act(org_a, invoice, INTEREST, date(2026, 2, 20), system)
    # 1,000.00 x 11.75 % x 40/365 + 500.00 x 11.75 % x 10/365 = 12.8767 + 1.6096
    assert interest_charged(invoice) == 1449


def test_waived_interest_is_not_charged_again(org_a, make_customer, make_invoice, system):
    invoice = make_invoice(org_a, make_customer(org_a), "INV-1", "1000.00", issue=date(2025, 12, 1),
                           due=date(2026, 1, 1))
    act(org_a, invoice, INTEREST, date(2026, 1, 31), system)
    for charge in Charge.objects.filter(invoice=invoice):
        charge_waive(org=org_a, charge=charge, on=date(2026, 2, 1), reason="goodwill", actor=system,
                     now=at(date(2026, 2, 1)))
    act(org_a, invoice, INTEREST, date(2026, 1, 31), system)
    assert Charge.objects.filter(invoice=invoice).count() == 2
    invoice.refresh_from_db()
    assert invoice.open_minor == 100000


def test_a_monthly_fee_is_charged_on_the_principal_even_when_payments_settled_the_fees(
        org_a, make_customer, make_invoice, system):
    terms = PaymentTerms.objects.create(org=org_a, name="1 % a month", net_days=30, late_fee_kind="percent_monthly",
                                        late_fee_percent=Decimal("1"))
    invoice = make_invoice(org_a, make_customer(org_a, default_terms=terms), "INV-1", "1000.00",
                           issue=date(2025, 12, 1), due=date(2026, 1, 1))
    act(org_a, invoice, FEE, date(2026, 1, 15), system)  # month 1: 1 % of 1,000.00
    pay(org_a, invoice, date(2026, 1, 20), 1000, system)  # charges first: pays the fee, the principal stays 1,000.00
    act(org_a, invoice, FEE, date(2026, 2, 15), system)  # month 2: 2 x 10.00 less the 10.00 charged
    assert list(Charge.objects.filter(invoice=invoice).values_list("amount_minor", flat=True)) == [1000, 1000]
