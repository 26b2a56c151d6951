"""Step actions: the agreed late fee once, credit hold, an escalation review for the operator."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from recoup.collections.actions import policy_load
from recoup.collections.cycle import cycle_run
from recoup.collections.tests.conftest import at
from recoup.ledger.models import Charge, CustomerStatus, PaymentTerms
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
