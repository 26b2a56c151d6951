"""The daily check: plans and promises broken or kept, reminders, settlements; the policy resumes once."""

from __future__ import annotations

import io
import json
from datetime import date

from django.core.management import call_command

from recoup.arrangements.actions import debtor_actor, plan_propose
from recoup.arrangements.promise_actions import promise_make
from recoup.arrangements.check import arrangements_check
from recoup.arrangements.models import PlanStatus, PromiseStatus, SettlementStatus
from recoup.arrangements.selectors import customer_record_counts
from recoup.arrangements.settlement_actions import settlement_offer
from recoup.arrangements.tests.conftest import day
from recoup.audit.models import AuditEvent
from recoup.collections.cycle import cycle_run
from recoup.collections.models import Pause
from recoup.ledger.actions import payment_record
from recoup.ledger.models import InvoiceStatus
from recoup.messaging.models import Message, Task


def cycle_messages(org) -> list[tuple[str, str]]:
    return list(Message.objects.for_org(org).filter(source="cycle").order_by("id")
                .values_list("source_ref", "step_key"))


def pay(org, customer, on: date, minor: int, system):
    return payment_record(org=org, customer=customer, date=on, amount_minor=minor, currency="GBP", actor=system,
                          now=day(on))


def test_a_broken_plan_resumes_the_policy_exactly_once(owed, org_a, system):
    customer = owed["customer"]
    cycle_run(org=org_a, on=date(2026, 3, 4), now=day(date(2026, 3, 4)))
    assert cycle_messages(org_a) == [("2026-03-04:first-reminder#0", "first-reminder")]
    plan = plan_propose(org=org_a, customer=customer, invoices=[owed["inv1"], owed["inv2"]], instalments=2,
                        frequency="monthly", first_date=date(2026, 3, 20), actor=debtor_actor(customer),
                        now=day(date(2026, 3, 5)))
    assert plan.status == PlanStatus.ACTIVE
    # While the plan is kept: no reminder, no late fee, whatever step falls due.
    events = []
    # Cycles run on working days (the compliance gate keeps weekends quiet).
    for d in (date(2026, 3, 11), date(2026, 3, 17), date(2026, 3, 23), date(2026, 4, 10)):
        if d == date(2026, 3, 23):
            pay(org_a, customer, date(2026, 3, 20), 45000, system)  # instalment 1, on time
        cycle_run(org=org_a, on=d, now=day(d))
        events += [e["event"] for e in arrangements_check(org=org_a, on=d, now=day(d)).events]
    assert events == ["instalment_reminder"]  # 3 days before instalment 1
    assert len(cycle_messages(org_a)) == 1
    assert arrangements_check(org=org_a, on=date(2026, 4, 25), now=day(date(2026, 4, 25))).as_json()["events"] == []

    # Instalment 2 (due 04-20) is more than 5 grace days late from 04-26; checked on Monday 04-27 it breaks, once.
    result = arrangements_check(org=org_a, on=date(2026, 4, 27), now=day(date(2026, 4, 27)))
    assert [e["event"] for e in result.events] == ["plan_broken"]
    assert arrangements_check(org=org_a, on=date(2026, 4, 27), now=day(date(2026, 4, 27), 10)).events == []
    assert arrangements_check(org=org_a, on=date(2026, 4, 28), now=day(date(2026, 4, 28))).events == []
    plan.refresh_from_db()
    assert plan.status == PlanStatus.BROKEN
    assert list(plan.instalments.values_list("status", flat=True)) == ["paid", "missed"]
    assert not Pause.objects.filter(reason=f"plan #{plan.pk}", lifted_at__isnull=True).exists()
    assert AuditEvent.objects.filter(verb="plan.broken").count() == 1
    assert AuditEvent.objects.filter(verb="collections.pause_lifted").count() == 2
    # Both sides are told: the debtor by e-mail, the operator in the worklist.
    notice = Message.objects.for_org(org_a).get(source="arrangements", step_key="plan_broken")
    assert "INV-1, INV-2" in notice.body_text and "£450.00" in notice.body_text
    assert Task.objects.for_org(org_a).filter(text__contains="broken").count() == 1

    # The policy resumes: one catch-up message at the step due, then nothing more that day or the next.
    cycle_run(org=org_a, on=date(2026, 4, 27), now=day(date(2026, 4, 27)))
    cycle_run(org=org_a, on=date(2026, 4, 27), now=day(date(2026, 4, 27), 11))
    cycle_run(org=org_a, on=date(2026, 4, 28), now=day(date(2026, 4, 28)))
    assert cycle_messages(org_a) == [("2026-03-04:first-reminder#0", "first-reminder"),
                                     ("2026-04-27:last-notice#0", "last-notice")]


def test_a_broken_promise_resumes_the_policy_once_and_counts_on_the_record(owed, org_a, system):
    customer = owed["customer"]
    promise = promise_make(org=org_a, customer=customer, invoices=[owed["inv1"]], pay_by=date(2026, 3, 15),
                           actor=debtor_actor(customer), now=day(date(2026, 3, 2)))
    for d in (date(2026, 3, 4), date(2026, 3, 11), date(2026, 3, 20)):
        cycle_run(org=org_a, on=d, now=day(d))
        assert arrangements_check(org=org_a, on=d, now=day(d)).events == []
    assert cycle_messages(org_a) == [("2026-03-20:pre-due#0", "pre-due")]  # for INV-2 only: INV-1 is held
    pay(org_a, customer, date(2026, 3, 21), 10000, system)  # too little, too late
    result = arrangements_check(org=org_a, on=date(2026, 3, 23), now=day(date(2026, 3, 23)))
    assert [e["event"] for e in result.events] == ["promise_broken"]
    assert arrangements_check(org=org_a, on=date(2026, 3, 24), now=day(date(2026, 3, 24))).events == []
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.BROKEN
    assert customer_record_counts(org=org_a, customer_ids=[customer.pk])[customer.pk]["broken_promises"] == 1
    cycle_run(org=org_a, on=date(2026, 3, 23), now=day(date(2026, 3, 23)))
    cycle_run(org=org_a, on=date(2026, 3, 24), now=day(date(2026, 3, 24)))
    assert cycle_messages(org_a) == [("2026-03-20:pre-due#0", "pre-due"), ("2026-03-23:final-notice#0", "final-notice")]
    assert "INV-1" in Message.objects.for_org(org_a).filter(source="cycle").order_by("id").last().body_text


def test_a_promise_paid_in_time_is_kept_and_its_hold_lifted(owed, org_a, system):
    customer = owed["customer"]
    promise = promise_make(org=org_a, customer=customer, invoices=[owed["inv2"]], pay_by=date(2026, 4, 10),
                           amount_minor=20000, actor=debtor_actor(customer), now=day(date(2026, 3, 31)))
    payment_record(org=org_a, customer=customer, invoice=owed["inv2"], date=date(2026, 4, 8), amount_minor=20000,
                   currency="GBP", actor=system, now=day(date(2026, 4, 8)))
    result = arrangements_check(org=org_a, on=date(2026, 4, 9), now=day(date(2026, 4, 9)))
    assert [e["event"] for e in result.events] == ["promise_kept"]
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.KEPT
    assert not Pause.objects.filter(lifted_at__isnull=True).exists()


def test_instalment_reminders_go_once_a_few_days_before(owed, org_a, system):
    customer = owed["customer"]
    plan = plan_propose(org=org_a, customer=customer, invoices=[owed["inv2"]], instalments=3, frequency="weekly",
                        first_date=date(2026, 4, 10), actor=debtor_actor(customer), now=day(date(2026, 3, 31)))
    assert arrangements_check(org=org_a, on=date(2026, 4, 6), now=day(date(2026, 4, 6))).events == []
    first = arrangements_check(org=org_a, on=date(2026, 4, 7), now=day(date(2026, 4, 7)))
    again = arrangements_check(org=org_a, on=date(2026, 4, 8), now=day(date(2026, 4, 8)))
    assert [e["detail"] for e in first.events] == ["instalment 1 of 3 due 2026-04-10"]
    assert again.events == []
    message = Message.objects.for_org(org_a).get(source="arrangements")
    assert message.to_address == "c001@debtor.example"
    assert "£100.00 is due on 2026-04-10" in message.body_text
    assert plan.instalments.get(number=1).reminder == message


def test_a_plan_paid_in_full_completes(owed, org_a, system):
    customer = owed["customer"]
    plan = plan_propose(org=org_a, customer=customer, invoices=[owed["inv1"]], instalments=2, frequency="monthly",
                        first_date=date(2026, 4, 15), actor=debtor_actor(customer), now=day(date(2026, 3, 31)))
    pay(org_a, customer, date(2026, 4, 15), 30000, system)
    assert arrangements_check(org=org_a, on=date(2026, 4, 16), now=day(date(2026, 4, 16))).events == []
    # The last payment ends the plan at once (the ledger's settled hook); the day's check has nothing left.
    pay(org_a, customer, date(2026, 5, 14), 30000, system)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED
    assert not Pause.objects.filter(lifted_at__isnull=True).exists()
    assert arrangements_check(org=org_a, on=date(2026, 5, 14), now=day(date(2026, 5, 14))).events == []


def test_a_settlement_paid_in_time_writes_off_the_rest_and_makes_the_letter(owed, org_a, system):
    customer = owed["customer"]
    settlement = settlement_offer(org=org_a, customer=customer, invoices=[owed["inv1"]], amount_minor=40000,
                                  deadline=date(2026, 4, 15), reason="Hardship; goodwill", accepted=True,
                                  actor=system, now=day(date(2026, 3, 31)))
    assert Pause.objects.get(reason=f"settlement #{settlement.pk}").ends_on == date(2026, 4, 15)
    payment_record(org=org_a, customer=customer, invoice=owed["inv1"], date=date(2026, 4, 14), amount_minor=40000,
                   currency="GBP", actor=system, now=day(date(2026, 4, 14)))
    result = arrangements_check(org=org_a, on=date(2026, 4, 16), now=day(date(2026, 4, 16)))
    assert [e["event"] for e in result.events] == ["settlement_paid"]
    settlement.refresh_from_db()
    owed["inv1"].refresh_from_db()
    assert (settlement.status, settlement.written_off_minor) == (SettlementStatus.PAID, 20000)
    assert (owed["inv1"].open_minor, owed["inv1"].status) == (0, InvoiceStatus.WRITTEN_OFF)
    assert owed["inv1"].write_offs.get().reason == f"Settlement #{settlement.pk}: Hardship; goodwill"
    assert bytes(settlement.letter_pdf).startswith(b"%PDF-")
    assert arrangements_check(org=org_a, on=date(2026, 4, 17), now=day(date(2026, 4, 17))).events == []


def test_an_unpaid_settlement_lapses_after_its_deadline(owed, org_a, system):
    settlement = settlement_offer(org=org_a, customer=owed["customer"], invoices=[owed["inv2"]], amount_minor=20000,
                                  deadline=date(2026, 4, 15), reason="Quick settlement", actor=system,
                                  now=day(date(2026, 3, 31)))
    assert arrangements_check(org=org_a, on=date(2026, 4, 15), now=day(date(2026, 4, 15))).events == []
    result = arrangements_check(org=org_a, on=date(2026, 4, 16), now=day(date(2026, 4, 16)))
    assert [e["event"] for e in result.events] == ["settlement_lapsed"]
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.LAPSED
    owed["inv2"].refresh_from_db()
    assert owed["inv2"].open_minor == 30000


def test_the_command_checks_one_organization_and_leaves_the_other(owed, org_a, org_b, debtor, make_invoice):
    b = debtor(org_b, "B001")
    theirs = make_invoice(org_b, b, "B-1", "10.00", due=date(2026, 3, 1))
    promise_b = promise_make(org=org_b, customer=b, invoices=[theirs], pay_by=date(2026, 3, 10),
                             actor=debtor_actor(b), now=day(date(2026, 3, 2)))
    promise_a = promise_make(org=org_a, customer=owed["customer"], invoices=[owed["inv1"]], pay_by=date(2026, 3, 10),
                             actor=debtor_actor(owed["customer"]), now=day(date(2026, 3, 2)))
    out = io.StringIO()
    call_command("arrangements-check", "--org", "acme", "--date", "2026-03-20", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["date"] == "2026-03-20"
    assert [(e["event"], e["arrangement"]) for e in data["events"]] == [("promise_broken", f"promise #{promise_a.pk}")]
    promise_b.refresh_from_db()
    assert promise_b.status == PromiseStatus.OPEN
    text = io.StringIO()
    call_command("arrangements-check", "--org", "bolt", "--date", "2026-03-20", stdout=text)
    assert "promise_broken" in text.getvalue()


def test_a_proposal_left_undecided_holds_reminders_only_for_the_decision_window(owed, org_a, now):
    from recoup.arrangements.models import ArrangementSettings

    ArrangementSettings.objects.create(org=org_a, max_months=1, min_instalment_minor=100, max_balance_minor=10**8,
                                       updated_at=now)
    customer = owed["customer"]
    cycle_run(org=org_a, on=date(2026, 3, 4), now=day(date(2026, 3, 4)))
    plan = plan_propose(org=org_a, customer=customer, invoices=[owed["inv1"]], instalments=6, frequency="monthly",
                        first_date=date(2026, 3, 20), actor=debtor_actor(customer), now=day(date(2026, 3, 5)))
    assert plan.status == PlanStatus.PROPOSED
    cycle_run(org=org_a, on=date(2026, 3, 11), now=day(date(2026, 3, 11)))  # second reminder held
    cycle_run(org=org_a, on=date(2026, 3, 13), now=day(date(2026, 3, 13)))  # window over (03-12): caught up
    assert cycle_messages(org_a) == [("2026-03-04:first-reminder#0", "first-reminder"),
                                     ("2026-03-13:second-reminder#0", "second-reminder")]


def test_a_proposal_whose_invoices_were_settled_unseen_ends_at_the_next_check(owed, org_a, now):
    """Data from before the ledger's settled hook: the invoice is paid, its proposal still waits."""
    from recoup.arrangements.models import ArrangementSettings, PaymentPlan
    from recoup.ledger.models import Invoice

    ArrangementSettings.objects.create(org=org_a, max_months=1, min_instalment_minor=100, max_balance_minor=10**8,
                                       updated_at=now)
    customer = owed["customer"]
    plan = plan_propose(org=org_a, customer=customer, invoices=[owed["inv1"]], instalments=6, frequency="monthly",
                        first_date=date(2026, 4, 20), actor=debtor_actor(customer), now=now)
    Invoice.objects.filter(pk=owed["inv1"].pk).update(open_minor=0, status=InvoiceStatus.PAID)  # no hook ran

    result = arrangements_check(org=org_a, on=date(2026, 4, 1), now=day(date(2026, 4, 1)))
    assert result.counts["proposals_settled"] == 1
    assert PaymentPlan.objects.get(pk=plan.pk).status == PlanStatus.COMPLETED
    assert not Pause.objects.filter(invoice=owed["inv1"], lifted_at__isnull=True).exists()
    again = arrangements_check(org=org_a, on=date(2026, 4, 2), now=day(date(2026, 4, 2)))
    assert again.counts["proposals_settled"] == 0
