"""The gate with the database: the cycle and the manual send paths report its answer with the rule id."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from recoup.audit.models import AuditEvent
from recoup.collections.cycle import cycle_run
from recoup.collections.gate import contact_gate
from recoup.collections.models import StepDecision
from recoup.collections.tests.conftest import at
from recoup.compliance.actions import restriction_set
from recoup.messaging.actions import ContactRefused, call_log_outcome, call_task_open, message_send
from recoup.messaging.models import Message

pytestmark = pytest.mark.django_db
UTC = timezone.utc


def test_a_restricted_customer_gets_nothing_and_the_cycle_says_which_rule(five_step, debtor, make_invoice, org_a,
                                                                         system, now):
    customer = debtor(org_a, "C001")
    make_invoice(org_a, customer, "INV-1", "100.00", due=date(2026, 3, 1))
    restriction_set(org=org_a, customer=customer, kind="attorney", starts_on=date(2026, 3, 1), actor=system, now=now,
                    note="Smith & Co, ref 42")
    result = cycle_run(org=org_a, on=date(2026, 3, 4), now=at(date(2026, 3, 4), 10))
    [action] = result.as_json()["actions"]
    assert action["status"] == "blocked" and "[house.attorney]" in action["reason"]
    assert "attorney" in StepDecision.objects.get(status="due").reason and not Message.objects.exists()


def test_a_message_decided_before_the_window_opens_is_queued_for_the_opening(five_step, debtor, make_invoice, org_a):
    customer = debtor(org_a, "C001", kind="consumer")
    make_invoice(org_a, customer, "INV-1", "100.00", due=date(2026, 3, 1))
    result = cycle_run(org=org_a, on=date(2026, 3, 4), now=at(date(2026, 3, 4), 5))  # 05:00 in London
    assert [a.status for a in result.actions] == ["queued"]
    assert Message.objects.get().next_attempt_at == datetime(2026, 3, 4, 8, 0, tzinfo=UTC)


def test_the_next_days_message_replaces_one_still_waiting_without_stepping_down(five_step, debtor, make_invoice, org_a):
    customer = debtor(org_a, "C001")  # a business: business hours on working days
    make_invoice(org_a, customer, "INV-1", "100.00", due=date(2026, 3, 4))
    make_invoice(org_a, customer, "INV-2", "100.00", due=date(2026, 3, 11))
    cycle_run(org=org_a, on=date(2026, 3, 7), now=at(date(2026, 3, 7), 8))  # Saturday: first reminder, INV-1
    cycle_run(org=org_a, on=date(2026, 3, 9), now=at(date(2026, 3, 9), 7))  # Monday 07:00: pre-due note, INV-2
    # One message goes when the window opens, at the more advanced of the two steps, listing both.
    assert sorted(Message.objects.values_list("step_key", "status")) == [
        ("first-reminder", "cancelled"), ("first-reminder", "queued")]
    waiting = Message.objects.get(status="queued")
    assert "INV-1" in waiting.body_text and "INV-2" in waiting.body_text


def test_a_legal_step_on_a_time_barred_debt_is_blocked(debtor, make_invoice, org_a, system, now):
    from recoup.collections.actions import policy_load

    policy_load(org=org_a, actor=system, now=now, make_default_for="", data={
        "name": "lba", "steps": [{"key": "letter-before-action", "name": "Letter before action", "offset_days": 30,
                                  "channels": ["letter"], "template": "letter-before-action"}]})
    customer = debtor(org_a, "C001")
    customer.contacts.update(postal_address="1 Old Road\nLeeds")
    make_invoice(org_a, customer, "INV-OLD", "100.00", issue=date(2018, 12, 1), due=date(2019, 1, 1))
    result = cycle_run(org=org_a, on=date(2026, 3, 4), now=at(date(2026, 3, 4), 10))
    [action] = result.actions
    assert action.status == "blocked" and "GB.conc.statute-barred" in action.reason


def test_manual_contacts_pass_the_same_gate(debtor, make_invoice, org_a, system):
    from recoup.collections.actions import pause_add

    customer = debtor(org_a, "C001", kind="consumer")
    contact = customer.contacts.get()
    contact.phone = "+447700900123"
    contact.save()
    invoice = make_invoice(org_a, customer, "INV-1", "100.00", due=date(2026, 3, 1))
    noon = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    with pytest.raises(ContactRefused, match="house.third-party"):
        message_send(org=org_a, customer=customer, channel="email", to_address="boss@employer.example",
                     subject="Your debt", body_text="...", actor=system, now=noon)
    night = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)
    waiting = message_send(org=org_a, customer=customer, channel="email", to_address=contact.email, subject="Hi",
                           body_text="...", actor=system, now=night, contact=contact)
    assert waiting.next_attempt_at == datetime(2026, 3, 11, 8, 0, tzinfo=UTC)
    pause_add(org=org_a, customer=customer, invoice=invoice, reason="Dispute #7: never delivered",
              starts_on=date(2026, 3, 10), actor=system, now=noon)
    with pytest.raises(ContactRefused, match="never delivered"):
        message_send(org=org_a, customer=customer, channel="email", to_address=contact.email, subject="Pay",
                     body_text="...", actor=system, now=noon, contact=contact, invoice_ids=[invoice.pk])
    assert AuditEvent.objects.filter(verb="contact.refused").count() == 2


def test_call_tasks_stop_for_a_week_after_a_conversation(debtor, org_a, system):
    customer = debtor(org_a, "C001", kind="consumer")
    contact = customer.contacts.get()
    contact.phone = "+447700900123"
    contact.save()
    noon = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    call = call_task_open(org=org_a, customer=customer, contact=contact, actor=system, now=noon)
    Message.objects.filter(pk=call.pk).update(status="open")
    call.refresh_from_db()
    call_log_outcome(org=org_a, message=call, outcome="reached", note="will pay Friday", actor=system, now=noon)
    with pytest.raises(ContactRefused, match="GB.house.call-frequency") as refused:
        call_task_open(org=org_a, customer=customer, contact=contact, actor=system, now=noon + timedelta(days=2))
    assert refused.value.answer.until == noon + timedelta(days=7)


def test_the_gate_reads_only_its_own_organization(debtor, make_invoice, org_a, org_b, system, now):
    mine, theirs = debtor(org_a, "C001"), debtor(org_b, "C001")
    restriction_set(org=org_b, customer=theirs, kind="insolvency", starts_on=date(2026, 1, 1), actor=system, now=now)
    ok = contact_gate(org=org_a, customer=mine, channel="email", step_key="first-reminder", on=date(2026, 3, 10),
                      now=datetime(2026, 3, 10, 12, 0, tzinfo=UTC), address=mine.contacts.get().email)
    assert ok.allowed
    refused = contact_gate(org=org_b, customer=theirs, channel="email", step_key="first-reminder",
                           on=date(2026, 3, 10), now=datetime(2026, 3, 10, 18, 0, tzinfo=UTC))
    assert refused.rule_id == "house.insolvency"


def test_the_customer_page_explanation_names_restrictions_rules_and_the_next_contact(debtor, org_a, system):
    from django.template.loader import render_to_string

    from recoup.collections.gate import contact_explain

    customer = debtor(org_a, "C001", kind="consumer")
    restriction_set(org=org_a, customer=customer, kind="breathing_space", starts_on=date(2026, 3, 1), actor=system,
                    now=datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    gate = contact_explain(org=org_a, customer=customer, now=datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    email = next(c for c in gate["channels"] if c["channel"] == "email")
    assert (email["verdict"], email["rule_id"]) == ("defer", "GB.breathing-space")
    assert email["until"].date() == date(2026, 4, 30)
    html = render_to_string("compliance/_gate.html", {"gate": gate})
    assert "UK Breathing Space" in html and "GB.conc.contact-window" in html and "2026-04-30" in html


def test_a_california_letter_about_a_time_barred_consumer_debt_carries_the_disclosure(org_b, debtor, make_invoice,
                                                                                    system, now):
    from recoup.collections.actions import policy_load

    policy_load(org=org_b, actor=system, now=now, make_default_for="", data={
        "name": "letters", "steps": [{"key": "final-notice", "name": "Final notice", "offset_days": 30,
                                      "channels": ["letter"], "template": "final-notice"}]})
    customer = debtor(org_b, "C001", kind="consumer", country="US", region="CA")
    customer.contacts.update(postal_address="1 Ocean Ave\nSanta Monica CA")
    make_invoice(org_b, customer, "INV-OLD", "100.00", issue=date(2020, 12, 1), due=date(2021, 1, 1))
    result = cycle_run(org=org_b, on=date(2026, 3, 4), now=datetime(2026, 3, 4, 18, 0, tzinfo=UTC))
    assert [a.status for a in result.actions] == ["queued"]
    text = Message.objects.get().body_text
    assert "you will not be sued for it" in text and "Bolt Widgets Inc may continue to report" in text
