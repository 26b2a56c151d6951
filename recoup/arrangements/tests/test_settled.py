"""Plans and promises end the moment their invoices are settled, whichever ledger path settles them."""

from __future__ import annotations

from datetime import date

import pytest

from recoup.arrangements.actions import ArrangementError, debtor_actor, plan_create, plan_propose
from recoup.arrangements.promise_actions import promise_make
from recoup.arrangements.models import ArrangementSettings, PaymentPlan, PlanStatus, Promise, PromiseStatus
from recoup.arrangements.tests.conftest import day
from recoup.audit.models import AuditEvent
from recoup.banking.tests.builders import Entry, camt053, import_confirmed
from recoup.collections.models import Pause
from recoup.ledger.actions import credit_note_record, invoice_write_off, payment_record

APR2 = date(2026, 4, 2)


def held(invoice) -> list[str]:
    return sorted(Pause.objects.filter(invoice=invoice, lifted_at__isnull=True).values_list("reason", flat=True))


@pytest.fixture
def proposed_and_promised(owed, org_a, now):
    """INV-1 in a plan the debtor proposed beyond the limits (awaiting the operator); INV-2 promised by 10 April."""
    ArrangementSettings.objects.create(org=org_a, max_months=3, min_instalment_minor=2500, max_balance_minor=500000,
                                       updated_at=now)
    customer = owed["customer"]
    plan = plan_propose(org=org_a, customer=customer, invoices=[owed["inv1"]], instalments=10, frequency="monthly",
                        first_date=date(2026, 4, 15), actor=debtor_actor(customer), now=now)
    promise = promise_make(org=org_a, customer=customer, invoices=[owed["inv2"]], pay_by=date(2026, 4, 10),
                           actor=debtor_actor(customer), now=now)
    assert plan.status == PlanStatus.PROPOSED and held(owed["inv1"]) == [f"plan #{plan.pk}"]
    return plan, promise


def test_a_bank_statement_paying_in_full_closes_the_proposed_plan_and_keeps_the_promise(
        owed, org_a, system, proposed_and_promised):
    plan, promise = proposed_and_promised
    data = camt053([
        Entry("600.00", APR2, name="C001 Trading Ltd", iban="GB29NWBK60161331926819", text="Invoice INV-1"),
        Entry("300.00", APR2, name="C001 Trading Ltd", iban="GB29NWBK60161331926819", text="Invoice INV-2"),
    ])
    import_confirmed(org=org_a, file_name="april.xml", data=data, actor=system, now=day(APR2))

    plan.refresh_from_db()
    promise.refresh_from_db()
    assert (plan.status, plan.ended_on) == (PlanStatus.COMPLETED, APR2)
    assert (promise.status, promise.ended_on) == (PromiseStatus.KEPT, APR2)
    assert held(owed["inv1"]) == [] and held(owed["inv2"]) == []
    event = AuditEvent.objects.get(verb="plan.completed", subject_id=plan.pk)
    assert "nothing is left to pay on INV-1" in event.summary and "600.00 GBP paid" in event.summary
    assert AuditEvent.objects.get(verb="promise.kept", subject_id=promise.pk).customer == owed["customer"]
    # On the timeline the payments come first, then what they ended.
    paid = AuditEvent.objects.filter(verb="payment.recorded").order_by("seq").last()
    assert event.seq > paid.seq


def test_a_payment_entered_by_hand_completes_an_active_plan_at_once(owed, org_a, system, now):
    customer = owed["customer"]
    plan = plan_create(org=org_a, customer=customer, invoices=[owed["inv1"], owed["inv2"]], instalments=3,
                       frequency="monthly", first_date=date(2026, 4, 30), actor=system, now=now)

    payment_record(org=org_a, customer=customer, date=APR2, amount_minor=60000, currency="GBP", actor=system,
                   now=day(APR2), invoice=owed["inv1"])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE, "INV-2 is still owed: the plan goes on"

    payment_record(org=org_a, customer=customer, date=APR2, amount_minor=30000, currency="GBP", actor=system,
                   now=day(APR2), invoice=owed["inv2"])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED and held(owed["inv2"]) == []


def test_a_credit_note_settling_the_invoice_keeps_the_promise(owed, org_a, system, now):
    customer = owed["customer"]
    promise = promise_make(org=org_a, customer=customer, invoices=[owed["inv2"]], pay_by=date(2026, 4, 10),
                           actor=system, now=now)
    credit_note_record(org=org_a, customer=customer, number="CN-1", date=APR2, amount_minor=30000, currency="GBP",
                       actor=system, now=day(APR2), invoice=owed["inv2"])
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.KEPT and held(owed["inv2"]) == []


def test_a_write_off_ends_the_promise_as_cancelled_not_kept(owed, org_a, system, now):
    customer = owed["customer"]
    promise = promise_make(org=org_a, customer=customer, invoices=[owed["inv2"]], pay_by=date(2026, 4, 10),
                           actor=system, now=now)
    invoice_write_off(org=org_a, invoice=owed["inv2"], on=APR2, reason="Customer insolvent", actor=system,
                      now=day(APR2))
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.CANCELLED
    assert "INV-2 written off" in AuditEvent.objects.get(verb="promise.cancelled").summary


def test_another_organizations_payment_ends_nothing_here(owed, org_a, org_b, debtor, make_invoice, system, now):
    customer = owed["customer"]
    promise = promise_make(org=org_a, customer=customer, invoices=[owed["inv2"]], pay_by=date(2026, 4, 10),
                           actor=system, now=now)
    theirs = debtor(org_b, "B001")
    make_invoice(org_b, theirs, "INV-2", "300.00", issue=date(2026, 1, 1), due=date(2026, 3, 20))
    payment_record(org=org_b, customer=theirs, date=APR2, amount_minor=30000, currency="USD", actor=system,
                   now=day(APR2))
    assert Promise.objects.get(pk=promise.pk).status == PromiseStatus.OPEN


def test_a_promise_is_refused_while_a_plan_waits_for_a_decision(owed, org_a, proposed_and_promised):
    plan, _ = proposed_and_promised
    customer = owed["customer"]
    with pytest.raises(ArrangementError, match=f"INV-1 is in a payment plan awaiting a decision \\(plan #{plan.pk}\\)"):
        promise_make(org=org_a, customer=customer, invoices=[owed["inv1"]], pay_by=date(2026, 4, 10),
                     actor=debtor_actor(customer), now=day(APR2))
    assert Promise.objects.filter(invoices=owed["inv1"]).count() == 0
    assert PaymentPlan.objects.get(pk=plan.pk).status == PlanStatus.PROPOSED
