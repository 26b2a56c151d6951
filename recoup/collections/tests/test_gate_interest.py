"""The policy's interest step: statutory interest and fixed sums from recoup.core.interest, never guessed,
never a business-only charge on a consumer; a refusal is written to the customer's timeline."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from recoup.audit.models import AuditEvent
from recoup.collections.step_actions import apply_step_action
from recoup.core.policy import Step
from recoup.ledger.models import Charge

pytestmark = pytest.mark.django_db
STEP = Step(key="final-notice", name="Final notice", offset_days=30, action="interest")
NOW = datetime(2026, 2, 10, 9, 0, tzinfo=timezone.utc)


def run(org, customer, invoice, on, system):
    apply_step_action(org=org, customer=customer, invoice_id=invoice.pk, step=STEP, on=on, now=NOW, actor=system)
    return list(Charge.objects.filter(invoice=invoice).order_by("id").values_list("kind", "amount_minor",
                                                                                  "description"))


def test_a_business_debt_gets_statutory_interest_and_compensation_once(org_a, make_customer, make_invoice, system):
    customer = make_customer(org_a)  # a business in GB
    invoice = make_invoice(org_a, customer, "INV-1", "1000.00", issue=date(2025, 12, 1), due=date(2026, 1, 1))
    charges = run(org_a, customer, invoice, date(2026, 1, 31), system)
    # 1,000.00 from 2 Jan to 31 Jan (30 days) at 8 + 3.75 (Bank Rate on 31 Dec 2025) = 11.75 %: 9.66.
    assert charges == [("other", 7000, "Fixed compensation (GB.late-payment-act.compensation)"),
                       ("interest", 966, "Statutory interest to 2026-01-31 (GB.late-payment-act.interest)")]
    # Again later: only the interest accrued since; the fixed sum is not charged twice.
    charges = run(org_a, customer, invoice, date(2026, 2, 10), system)
    assert [c[:2] for c in charges[2:]] == [("interest", 322)]


def test_a_consumer_gets_no_statutory_b2b_charge_and_the_reason_is_on_the_timeline(org_a, make_customer,
                                                                                 make_invoice, system):
    customer = make_customer(org_a, kind="consumer")
    invoice = make_invoice(org_a, customer, "INV-1", "1000.00", issue=date(2025, 12, 1), due=date(2026, 1, 1))
    assert run(org_a, customer, invoice, date(2026, 1, 31), system) == []
    event = AuditEvent.objects.get(verb="charges.blocked")
    assert "GB.late-payment-act.not-consumers" in event.summary


def test_a_missing_rate_blocks_the_charge_instead_of_guessing(org_a, make_customer, make_invoice, system):
    customer = make_customer(org_a, country="DE")
    # A business debt under GB law (the seller's); due in July 2026, the Bank Rate of 30 June 2026 is not known.
    invoice = make_invoice(org_a, customer, "INV-1", "1000.00", issue=date(2026, 6, 1), due=date(2026, 7, 1))
    assert run(org_a, customer, invoice, date(2026, 8, 1), system) == []
    assert "recoup rates add" in AuditEvent.objects.get(verb="charges.blocked").summary
