"""The actions the portal calls: plan_propose, promise_make, dispute_open, and the selectors."""

from __future__ import annotations

from datetime import date

import pytest

from recoup.arrangements.actions import ArrangementError, debtor_actor, dispute_open, plan_propose
from recoup.arrangements.promise_actions import promise_make
from recoup.arrangements.models import ArrangementSettings, PlanStatus
from recoup.arrangements.selectors import customer_record_counts, open_arrangements
from recoup.audit.models import ActorKind, AuditEvent
from recoup.collections.models import Pause
from recoup.messaging.models import Task

PDF = b"%PDF-1.4 receipt"


def active_pause_reasons(invoice) -> list[str]:
    return sorted(Pause.objects.filter(invoice=invoice, lifted_at__isnull=True).values_list("reason", flat=True))


def test_a_plan_within_the_limits_is_active_at_once_and_holds_its_invoices(owed, org_a, now):
    customer = owed["customer"]
    plan = plan_propose(org=org_a, customer=customer, invoices=[owed["inv1"], owed["inv2"]], instalments=3,
                        frequency="monthly", first_date=date(2026, 4, 30), down_payment_minor=10000,
                        actor=debtor_actor(customer), now=now)
    assert plan.status == PlanStatus.ACTIVE
    rows = list(plan.instalments.values_list("number", "due_date", "amount_minor"))
    assert rows == [(0, date(2026, 3, 31), 10000), (1, date(2026, 4, 30), 26666), (2, date(2026, 5, 31), 26666),
                    (3, date(2026, 6, 30), 26668)]
    assert sum(r[2] for r in rows) == plan.total_minor == 90000
    assert active_pause_reasons(owed["inv1"]) == [f"plan #{plan.pk}"]
    assert Pause.objects.get(invoice=owed["inv2"]).ends_on is None
    event = AuditEvent.objects.get(verb="plan.started")
    assert (event.actor_kind, event.actor_label, event.customer_id) == (ActorKind.DEBTOR, "C001 via portal",
                                                                         customer.pk)
    assert "within your limits" in Task.objects.for_org(org_a).get().text


def test_a_plan_outside_the_limits_waits_for_the_operator(owed, org_a, now):
    ArrangementSettings.objects.create(org=org_a, max_months=3, min_instalment_minor=2500,
                                       max_balance_minor=500000, updated_at=now)
    customer = owed["customer"]
    plan = plan_propose(org=org_a, customer=customer, invoices=[owed["inv1"]], instalments=10,
                        frequency="monthly", first_date=date(2026, 4, 15), actor=debtor_actor(customer), now=now)
    assert plan.status == PlanStatus.PROPOSED
    assert "plans online may run up to 3" in plan.limit_reasons
    # Held only while it waits for a decision (7 days by default).
    assert Pause.objects.get(invoice=owed["inv1"]).ends_on == date(2026, 4, 7)
    assert "needs your decision" in Task.objects.for_org(org_a).get().text


@pytest.mark.parametrize("kwargs, message", [
    ({"frequency": "daily"}, "weekly, every two weeks or monthly"),
    ({"first_date": date(2026, 3, 1)}, "cannot be in the past"),
    ({"instalments": 0}, "between 1 and 120"),
    ({"down_payment_minor": 60000}, "down payment"),
])
def test_a_nonsense_plan_is_refused_with_a_sentence(owed, org_a, now, kwargs, message):
    args = {"instalments": 3, "frequency": "monthly", "first_date": date(2026, 4, 30)} | kwargs
    with pytest.raises(ArrangementError, match=message):
        plan_propose(org=org_a, customer=owed["customer"], invoices=[owed["inv1"]], actor=debtor_actor(
            owed["customer"]), now=now, **args)
    assert not Pause.objects.exists()


def test_an_invoice_is_in_one_plan_at_a_time(owed, org_a, now):
    customer = owed["customer"]
    args = {"instalments": 2, "frequency": "monthly", "first_date": date(2026, 4, 30), "actor": debtor_actor(customer),
            "now": now}
    plan = plan_propose(org=org_a, customer=customer, invoices=[owed["inv1"]], **args)
    with pytest.raises(ArrangementError, match=f"INV-1 is already in a payment plan \\(plan #{plan.pk}\\)"):
        plan_propose(org=org_a, customer=customer, invoices=[owed["inv1"], owed["inv2"]], **args)


def test_another_customers_or_organizations_invoice_is_refused(owed, org_a, org_b, debtor, make_invoice, now):
    other = debtor(org_a, "C002")
    theirs = make_invoice(org_a, other, "INV-9", "50.00", due=date(2026, 3, 1))
    foreign_customer = debtor(org_b, "B001")
    foreign = make_invoice(org_b, foreign_customer, "B-1", "50.00", due=date(2026, 3, 1))
    actor = debtor_actor(owed["customer"])
    with pytest.raises(ArrangementError, match="INV-9 is not one of this customer's invoices"):
        promise_make(org=org_a, customer=owed["customer"], invoices=[theirs], pay_by=date(2026, 4, 10), actor=actor,
                     now=now)
    with pytest.raises(ArrangementError, match="does not belong to acme"):
        dispute_open(org=org_a, customer=owed["customer"], invoices=[foreign], category="quality",
                     amount_minor=None, message="Broken", actor=actor, now=now)
    with pytest.raises(ArrangementError, match="does not belong to acme"):
        plan_propose(org=org_a, customer=foreign_customer, invoices=[foreign], instalments=2, frequency="weekly",
                     first_date=date(2026, 4, 7), actor=actor, now=now)
    assert not Pause.objects.exists()


def test_a_promise_holds_the_invoices_until_the_date_plus_grace(owed, org_a, now):
    customer = owed["customer"]
    promise = promise_make(org=org_a, customer=customer, invoices=[owed["inv2"]], pay_by=date(2026, 4, 10),
                           actor=debtor_actor(customer), now=now)
    assert promise.amount_minor == 30000 and promise.status == "open"
    pause = Pause.objects.get(invoice=owed["inv2"])
    assert (pause.reason, pause.ends_on) == (f"promise #{promise.pk}", date(2026, 4, 15))
    assert not Pause.objects.filter(invoice=owed["inv1"]).exists()
    assert AuditEvent.objects.filter(verb="promise.made", customer=customer).count() == 1


def test_a_promise_beyond_the_horizon_is_refused(owed, org_a, now):
    with pytest.raises(ArrangementError, match="no later than 2026-04-30"):
        promise_make(org=org_a, customer=owed["customer"], invoices=[owed["inv2"]], pay_by=date(2026, 5, 1),
                     actor=debtor_actor(owed["customer"]), now=now)
    with pytest.raises(ArrangementError, match="at most 300.00 GBP"):
        promise_make(org=org_a, customer=owed["customer"], invoices=[owed["inv2"]], pay_by=date(2026, 4, 5),
                     amount_minor=30001, actor=debtor_actor(owed["customer"]), now=now)


def test_a_dispute_with_an_attachment_holds_its_invoices_until_resolved(owed, org_a, now):
    customer = owed["customer"]
    dispute = dispute_open(org=org_a, customer=customer, invoices=[owed["inv1"]], category="not_delivered",
                           amount_minor=20000, message="Half the order never came.",
                           attachments=[("../../etc/delivery note.pdf", "application/pdf", PDF)],
                           actor=debtor_actor(customer), now=now)
    assert [(a.filename, a.size) for a in dispute.attachments.all()] == [("delivery note.pdf", len(PDF))]
    pause = Pause.objects.get(invoice=owed["inv1"])
    assert (pause.reason, pause.ends_on) == (f"dispute #{dispute.pk}", None)
    assert list(dispute.pauses.all()) == [pause]
    assert "not delivered (200.00 GBP)" in Task.objects.for_org(org_a).get().text


@pytest.mark.parametrize("attachment, message", [
    (("evil.exe", "application/x-msdownload", b"MZ"), "PDF, PNG, JPEG or plain text"),
    (("fake.pdf", "application/pdf", b"<html>"), "not the kind of file"),
    (("empty.txt", "text/plain", b""), "empty"),
])
def test_a_bad_attachment_refuses_the_whole_dispute(owed, org_a, now, attachment, message):
    with pytest.raises(ArrangementError, match=message):
        dispute_open(org=org_a, customer=owed["customer"], invoices=[owed["inv1"]], category="other",
                     amount_minor=None, message="See file", attachments=[attachment],
                     actor=debtor_actor(owed["customer"]), now=now)
    assert not Pause.objects.exists()
    assert not AuditEvent.objects.filter(verb="dispute.opened").exists()


def test_record_counts_and_open_arrangements_stay_in_their_organization(owed, org_a, org_b, debtor, make_invoice,
                                                                         now):
    customer = owed["customer"]
    actor = debtor_actor(customer)
    promise_make(org=org_a, customer=customer, invoices=[owed["inv2"]], pay_by=date(2026, 4, 10), actor=actor, now=now)
    dispute_open(org=org_a, customer=customer, invoices=[owed["inv1"]], category="quality", amount_minor=None,
                 message="Scratched", actor=actor, now=now)
    b = debtor(org_b, "B001")
    dispute_open(org=org_b, customer=b, invoices=[make_invoice(org_b, b, "B-1", "10.00", due=date(2026, 3, 1))],
                 category="other", amount_minor=None, message="?", actor=debtor_actor(b), now=now)
    assert customer_record_counts(org=org_a, customer_ids=[customer.pk, b.pk]) == {
        customer.pk: {"promises": 1, "broken_promises": 0, "disputes": 1, "open_disputes": 1},
        b.pk: {"promises": 0, "broken_promises": 0, "disputes": 0, "open_disputes": 0},
    }
    mine = open_arrangements(org=org_a, customer=customer)
    assert (len(mine.plans), len(mine.promises), len(mine.disputes), len(mine.settlements)) == (0, 1, 1, 0)
    with pytest.raises(ValueError):
        open_arrangements(org=org_a, customer=b)
