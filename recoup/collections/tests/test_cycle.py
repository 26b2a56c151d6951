"""The daily cycle: decided once, caught up once, one consolidated message per customer."""

from __future__ import annotations

import io
import json
from datetime import date

from django.core.management import call_command

from recoup.audit.models import AuditEvent
from recoup.collections.actions import pause_add, pause_lift
from recoup.collections.cycle import cycle_run
from recoup.collections.gate import GateAnswer
from recoup.collections.models import CycleRun, StepDecision
from recoup.collections.tests.conftest import at
from recoup.ledger.actions import invoice_write_off, payment_record
from recoup.messaging.models import Message


def decisions(invoice) -> list[tuple[str, int, str, str]]:
    return list(StepDecision.objects.filter(invoice=invoice).order_by("id")
                .values_list("step_key", "number", "status", "outcome"))


def test_running_twice_for_a_date_decides_and_sends_once(five_step, debtor, make_invoice, org_a):
    customer = debtor(org_a, "C001")
    invoice = make_invoice(org_a, customer, "INV-1", "100.00", due=date(2026, 3, 1))
    first = cycle_run(org=org_a, on=date(2026, 3, 4), now=at(date(2026, 3, 4)))
    again = cycle_run(org=org_a, on=date(2026, 3, 4), now=at(date(2026, 3, 4), 9))
    assert first.as_json() == {"date": "2026-03-04", "actions": [
        {"customer_ref": "C001", "invoices": ["INV-1"], "step": "first-reminder", "channel": "email",
         "status": "queued", "reason": None}]}
    assert again.as_json() == {"date": "2026-03-04", "actions": []}
    assert Message.objects.for_org(org_a).count() == 1
    assert decisions(invoice) == [("pre-due", 0, "superseded", ""), ("first-reminder", 0, "due", "queued")]


def test_catching_up_five_missed_days_sends_the_most_advanced_step_once(five_step, debtor, make_invoice, org_a):
    customer = debtor(org_a, "C001")
    invoice = make_invoice(org_a, customer, "INV-1", "100.00", due=date(2026, 3, 1))
    cycle_run(org=org_a, on=date(2026, 3, 4), now=at(date(2026, 3, 4)))  # first reminder
    # No run from 03-05 to 03-10; second reminder (+10) and nothing else fell due on 03-11.
    for day in range(11, 16):
        cycle_run(org=org_a, on=date(2026, 3, day), now=at(date(2026, 3, day)))
    steps = list(Message.objects.for_org(org_a).order_by("id").values_list("step_key", "source_ref"))
    assert steps == [("first-reminder", "2026-03-04:first-reminder#0"),
                     ("second-reminder", "2026-03-11:second-reminder#0")]
    # Missing the final notice's day and the last notice's: one message, the last notice.
    result = cycle_run(org=org_a, on=date(2026, 4, 5), now=at(date(2026, 4, 5)))
    assert [(a["step"], a["status"]) for a in result.as_json()["actions"]] == [("last-notice", "queued")]
    assert Message.objects.for_org(org_a).count() == 3
    assert decisions(invoice)[-2:] == [("final-notice", 0, "superseded", ""), ("last-notice", 0, "due", "queued")]


def test_three_overdue_invoices_at_different_steps_get_one_email_listing_all(five_step, debtor, make_invoice,
                                                                             org_a):
    customer = debtor(org_a, "C001")
    on = date(2026, 3, 30)
    make_invoice(org_a, customer, "INV-3", "30.00", due=date(2026, 4, 2))   # pre-due today
    make_invoice(org_a, customer, "INV-2", "20.00", due=date(2026, 3, 27))  # first reminder today
    make_invoice(org_a, customer, "INV-1", "10.00", due=date(2026, 3, 20))  # second reminder today
    result = cycle_run(org=org_a, on=on, now=at(on))
    assert result.as_json()["actions"] == [
        {"customer_ref": "C001", "invoices": ["INV-1", "INV-2", "INV-3"], "step": "second-reminder",
         "channel": "email", "status": "queued", "reason": None}]
    message = Message.objects.for_org(org_a).get()
    assert message.to_address == "c001@debtor.example"
    for number in ("INV-1", "INV-2", "INV-3"):
        assert number in message.body_text and number in message.body_html
    due = StepDecision.objects.filter(status="due").order_by("invoice__number")
    assert [(d.invoice.number, d.step_key, d.message_id) for d in due] == [
        ("INV-1", "second-reminder", message.pk), ("INV-2", "first-reminder", message.pk),
        ("INV-3", "pre-due", message.pk)]


def test_nothing_for_paid_written_off_or_paused_invoices(five_step, debtor, make_invoice, org_a, system, now):
    customer = debtor(org_a, "C001")
    paid = make_invoice(org_a, customer, "INV-PAID", "10.00", due=date(2026, 3, 1))
    payment_record(org=org_a, customer=customer, date=date(2026, 3, 2), amount_minor=1000, currency="GBP",
                   actor=system, now=now, invoice=paid)
    gone = make_invoice(org_a, customer, "INV-GONE", "20.00", due=date(2026, 3, 1))
    invoice_write_off(org=org_a, invoice=gone, on=date(2026, 3, 2), reason="insolvent", actor=system, now=now)
    held = make_invoice(org_a, customer, "INV-HELD", "30.00", due=date(2026, 3, 1))
    pause_add(org=org_a, customer=customer, invoice=held, reason="disputed delivery", starts_on=date(2026, 3, 1),
              actor=system, now=now)
    other = debtor(org_a, "C002")
    make_invoice(org_a, other, "INV-OTHER", "40.00", due=date(2026, 3, 1))
    pause = pause_add(org=org_a, customer=other, reason="payment plan agreed", starts_on=date(2026, 3, 1),
                      actor=system, now=now)

    for day in (4, 11):
        assert cycle_run(org=org_a, on=date(2026, 3, day), now=at(date(2026, 3, day))).actions == []
    assert not StepDecision.objects.exists() and not Message.objects.exists()

    # Lifted: the customer's one missed step is caught up once, and only for its own invoice.
    pause_lift(org=org_a, pause=pause, actor=system, now=at(date(2026, 3, 12)))
    result = cycle_run(org=org_a, on=date(2026, 3, 12), now=at(date(2026, 3, 12)))
    assert [(a.customer_ref, a.invoices, a.step) for a in result.actions] == [
        ("C002", ("INV-OTHER",), "second-reminder")]


def test_a_pause_with_an_end_date_holds_through_that_day(five_step, debtor, make_invoice, org_a, system, now):
    customer = debtor(org_a, "C001")
    make_invoice(org_a, customer, "INV-1", "10.00", due=date(2026, 3, 1))
    pause_add(org=org_a, customer=customer, reason="on holiday", starts_on=date(2026, 3, 2),
              ends_on=date(2026, 3, 5), actor=system, now=now)
    assert cycle_run(org=org_a, on=date(2026, 3, 5), now=at(date(2026, 3, 5))).actions == []
    assert [a.step for a in cycle_run(org=org_a, on=date(2026, 3, 6), now=at(date(2026, 3, 6))).actions] == \
        ["first-reminder"]


def test_a_customer_without_a_usable_contact_is_blocked_with_the_reason(five_step, debtor, make_invoice, org_a):
    customer = debtor(org_a, "C001", email=None)
    invoice = make_invoice(org_a, customer, "INV-1", "10.00", due=date(2026, 3, 1))
    result = cycle_run(org=org_a, on=date(2026, 3, 4), now=at(date(2026, 3, 4)))
    assert result.as_json()["actions"] == [
        {"customer_ref": "C001", "invoices": ["INV-1"], "step": "first-reminder", "channel": "email",
         "status": "blocked", "reason": "no usable contact point for email"}]
    assert not Message.objects.exists()
    assert decisions(invoice)[-1] == ("first-reminder", 0, "due", "blocked")


def test_each_channel_of_the_step_gets_one_message_and_an_opted_out_one_is_blocked(
        org_a, debtor, make_invoice, system, now):
    from recoup.collections.actions import policy_load
    from recoup.ledger.models import Contact

    policy_load(org=org_a, actor=system, now=now, make_default_for="", data={
        "name": "two-channels", "steps": [{"key": "second-reminder", "name": "Reminder", "offset_days": 14,
                                           "channels": ["email", "sms"]}]})
    customer = debtor(org_a, "C001")
    Contact.objects.filter(customer=customer).update(opt_out_email=True, phone="+447700900123")
    make_invoice(org_a, customer, "INV-1", "10.00", due=date(2026, 3, 1))
    result = cycle_run(org=org_a, on=date(2026, 3, 15), now=at(date(2026, 3, 15)))
    assert [(a.channel, a.status, a.reason) for a in result.actions] == [
        ("email", "blocked", "no usable contact point for email"), ("sms", "queued", None)]
    assert Message.objects.get().to_address == "+447700900123"


def test_a_deferring_gate_leaves_the_step_for_the_next_run(five_step, debtor, make_invoice, org_a, monkeypatch):
    customer = debtor(org_a, "C001")
    make_invoice(org_a, customer, "INV-1", "10.00", due=date(2026, 3, 1))
    monkeypatch.setattr("recoup.collections.cycle_send.contact_gate",
                        lambda **kw: GateAnswer("defer", "outside contact hours"))
    result = cycle_run(org=org_a, on=date(2026, 3, 4), now=at(date(2026, 3, 4)))
    assert [(a.status, a.reason) for a in result.actions] == [("deferred", "outside contact hours")]
    assert not StepDecision.objects.exists() and not Message.objects.exists()
    monkeypatch.undo()
    result = cycle_run(org=org_a, on=date(2026, 3, 5), now=at(date(2026, 3, 5)))
    assert [(a.step, a.status) for a in result.actions] == [("first-reminder", "queued")]


def test_dry_run_reports_what_the_real_run_then_does_and_writes_nothing(five_step, debtor, make_invoice, org_a):
    for ref in ("C001", "C002"):
        make_invoice(org_a, debtor(org_a, ref), f"INV-{ref}", "10.00", due=date(2026, 3, 1))
    before = (AuditEvent.objects.count(), CycleRun.objects.count())
    dry = cycle_run(org=org_a, on=date(2026, 3, 4), now=at(date(2026, 3, 4)), dry_run=True)
    assert (AuditEvent.objects.count(), CycleRun.objects.count()) == before
    assert not StepDecision.objects.exists() and not Message.objects.exists()
    real = cycle_run(org=org_a, on=date(2026, 3, 4), now=at(date(2026, 3, 4)))
    assert dry.as_json() == real.as_json() and len(real.actions) == 2


def test_the_cycle_installs_the_default_policies_for_an_organization_without_one(org_a, debtor, make_invoice):
    make_invoice(org_a, debtor(org_a, "C001"), "INV-1", "10.00", due=date(2026, 3, 1))
    result = cycle_run(org=org_a, on=date(2026, 3, 4), now=at(date(2026, 3, 4)))
    assert [(a.step, a.status) for a in result.actions] == [("first-reminder", "queued")]


def test_the_command_prints_json_and_runs_every_organization_without_org(five_step, debtor, make_invoice, org_a,
                                                                        org_b):
    make_invoice(org_a, debtor(org_a, "C001"), "INV-1", "10.00", due=date(2026, 3, 1))
    out = io.StringIO()
    call_command("cycle", "--date", "2026-03-04", "--org", "acme", "--format", "json", "--dry-run", stdout=out)
    assert json.loads(out.getvalue())["actions"][0]["invoices"] == ["INV-1"]
    out = io.StringIO()
    call_command("cycle", "--date", "2026-03-04", "--format", "json", stdout=out)
    assert [(r["org"], len(r["actions"])) for r in json.loads(out.getvalue())] == [("acme", 1), ("bolt", 0)]
    out = io.StringIO()
    call_command("cycle", "--date", "2026-03-04", "--org", "acme", stdout=out)
    assert "Cycle of acme for 2026-03-04" in out.getvalue()


def test_one_organizations_cycle_never_touches_the_others_invoices(five_step, debtor, make_invoice, org_a, org_b):
    make_invoice(org_b, debtor(org_b, "C001"), "INV-B", "10.00", due=date(2026, 3, 1))
    assert cycle_run(org=org_a, on=date(2026, 3, 4), now=at(date(2026, 3, 4))).actions == []
    assert not StepDecision.objects.exists()


def test_fetching_costs_the_same_few_queries_for_ten_or_thirty_invoices(five_step, debtor, make_invoice, org_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_a_quiet_day(count: int, prefix: str) -> int:
        for i in range(count):
            make_invoice(org_a, debtor(org_a, f"{prefix}{i:03}"), f"{prefix}-{i:03}", "10.00", due=date(2026, 3, 10))
        with CaptureQueriesContext(connection) as ctx:
            # 03-04: every invoice is open and within the horizon, but no step is due yet.
            assert cycle_run(org=org_a, on=date(2026, 3, 4), now=at(date(2026, 3, 4)), full=True).actions == []
        return len(ctx.captured_queries)

    cycle_run(org=org_a, on=date(2026, 3, 1), now=at(date(2026, 3, 1)))  # stores the schedule's epoch
    assert queries_for_a_quiet_day(10, "A") == queries_for_a_quiet_day(30, "B")


def test_the_timeline_says_what_was_decided_in_words_not_rule_ids(five_step, debtor, make_invoice, org_a):
    customer = debtor(org_a, "C001")
    make_invoice(org_a, customer, "INV-1", "100.00", due=date(2026, 3, 1))
    cycle_run(org=org_a, on=date(2026, 3, 4), now=at(date(2026, 3, 4)))
    event = AuditEvent.objects.for_org(org_a).get(verb="collections.decided")
    assert event.summary == ("C001: INV-1 “Friendly note” passed over (a later step caught up); "
                             "INV-1 “First reminder” due")
    # The rule ids stay in the data, for machines.
    assert event.data["decisions"] == [["INV-1", "pre-due", 0, "superseded"], ["INV-1", "first-reminder", 0, "due"]]
