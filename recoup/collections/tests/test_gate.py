"""The gate with the database: the cycle and the manual send paths report its answer with the rule id."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

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


def send_any_time(org) -> None:
    """Widen the organization's send window to the whole day, every day: only the law's window counts."""
    org.send_window_start, org.send_window_end, org.send_window_weekdays = time(0), time(23, 59), "1234567"
    org.save(update_fields=["send_window_start", "send_window_end", "send_window_weekdays"])


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
    send_any_time(org_a)
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
                      now=datetime(2026, 3, 10, 11, 0, tzinfo=UTC), address=mine.contacts.get().email)
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
    assert "UK Breathing Space" in html and "GB.conc.contact-window" in html and "from 30 Apr 2026, " in html


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


def test_the_default_send_window_holds_a_reminder_until_nine_on_a_weekday_morning(five_step, debtor, make_invoice,
                                                                                 org_a, smtp):
    from recoup.messaging.delivery import deliver_due

    customer = debtor(org_a, "C001", kind="consumer")
    make_invoice(org_a, customer, "INV-1", "100.00", due=date(2026, 3, 4))
    # Saturday 07:00 in London: the law's window opens at 08:00, the organization's on Monday at 09:00.
    result = cycle_run(org=org_a, on=date(2026, 3, 7), now=at(date(2026, 3, 7), 7))
    assert [a.status for a in result.actions] == ["queued"]
    message = Message.objects.get()
    assert message.next_attempt_at == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    assert deliver_due(now=datetime(2026, 3, 9, 8, 59, tzinfo=UTC)).handled == 0
    assert deliver_due(now=datetime(2026, 3, 9, 9, 0, tzinfo=UTC)).sent == 1
    assert [m["to"] for m in smtp.received] == ["c001@debtor.example"]


def test_delivery_defers_a_reminder_found_after_the_send_window_closed(five_step, debtor, make_invoice, org_a):
    from recoup.messaging.delivery import deliver_due

    customer = debtor(org_a, "C001", kind="consumer")
    make_invoice(org_a, customer, "INV-1", "100.00", due=date(2026, 3, 1))
    cycle_run(org=org_a, on=date(2026, 3, 4), now=at(date(2026, 3, 4), 10))  # Wednesday 10:00: queued to go now
    # The worker was down until 12:30: inside the law's window (08:00-21:00), outside the send window.
    report = deliver_due(now=datetime(2026, 3, 4, 12, 30, tzinfo=UTC))
    assert (report.sent, report.deferred) == (0, 1)
    message = Message.objects.get()
    assert message.status == "queued" and message.next_attempt_at == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    assert "house.send-window" in message.last_error and "Mon-Fri 09:00-12:00" in message.last_error


def test_the_organizations_own_window_is_read_in_the_debtors_local_time(debtor, org_a):
    org_a.send_window_start, org_a.send_window_end, org_a.send_window_weekdays = time(14), time(16), "2"
    org_a.save(update_fields=["send_window_start", "send_window_end", "send_window_weekdays"])
    customer = debtor(org_a, "C001", kind="consumer", country="US", region="NY", timezone="America/New_York")
    answer = contact_gate(org=org_a, customer=customer, channel="email", step_key="first-reminder",
                          on=date(2026, 3, 10), now=datetime(2026, 3, 10, 12, 0, tzinfo=UTC),  # Tue 08:00 in NY
                          address=customer.contacts.get().email)
    assert (answer.verdict, answer.rule_id, answer.gate) == ("defer", "house.send-window", "contact_window")
    assert answer.until == datetime(2026, 3, 10, 18, 0, tzinfo=UTC)  # Tuesday 14:00 EDT
    assert "Tue 14:00-16:00" in answer.sentence
    after = contact_gate(org=org_a, customer=customer, channel="email", step_key="first-reminder",
                         on=date(2026, 3, 10), now=datetime(2026, 3, 10, 20, 0, tzinfo=UTC),
                         address=customer.contacts.get().email)
    assert after.until == datetime(2026, 3, 17, 18, 0, tzinfo=UTC)  # the next Tuesday


def test_an_operators_own_message_keeps_to_the_legal_window_only(debtor, org_a, system):
    customer = debtor(org_a, "C001", kind="consumer")
    contact = customer.contacts.get()
    afternoon = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # outside the send window, inside 08:00-21:00
    sent = message_send(org=org_a, customer=customer, channel="email", to_address=contact.email, subject="Hi",
                        body_text="...", actor=system, now=afternoon, contact=contact)
    assert sent.next_attempt_at == afternoon


def test_an_arrangement_notice_at_delivery_keeps_to_the_send_window(debtor, org_a, system):
    from recoup.collections.gate import message_gate
    from recoup.messaging.actions import message_queue

    customer = debtor(org_a, "C001", kind="consumer")
    afternoon = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    notice = message_queue(org=org_a, customer=customer, channel="email", to_address=customer.contacts.get().email,
                           subject="Your instalment", body_text="Due on Friday.", idempotency_key="plan:1:notice",
                           actor=system, now=afternoon, source="arrangements", step_key="instalment-due")
    manual = message_queue(org=org_a, customer=customer, channel="email", to_address=customer.contacts.get().email,
                           subject="Hello", body_text="...", idempotency_key="manual:1", actor=system, now=afternoon)
    answer = message_gate(notice, now=afternoon)
    assert (answer.verdict, answer.rule_id, answer.until) == (
        "defer", "house.send-window", datetime(2026, 3, 11, 9, 0, tzinfo=UTC))
    assert message_gate(manual, now=afternoon).allowed


def test_the_customer_page_names_the_send_window(debtor, org_a):
    from recoup.collections.gate import contact_explain

    customer = debtor(org_a, "C001", kind="consumer")
    customer.contacts.update(phone="+447700900123")
    gate = contact_explain(org=org_a, customer=customer, now=datetime(2026, 3, 10, 15, 0, tzinfo=UTC))
    assert gate["send_window"] == "Mon-Fri 09:00-12:00"
    by_channel = {c["channel"]: c for c in gate["channels"]}
    assert by_channel["email"]["rule_id"] == "house.send-window"
    assert by_channel["email"]["until_text"] == "11 Mar 2026, 09:00 GMT"
    assert by_channel["call"]["verdict"] == "allow"  # a person decides when to dial: the law's window only


def test_standing_facts_read_for_many_customers_give_the_gate_the_same_facts(debtor, make_invoice, org_a, system,
                                                                             now):
    """The cycle reads contacts, restrictions, employer e-mails and pauses for many customers at once:
    the gate's facts and answers are the same as when it reads them for one customer."""
    from recoup.collections.actions import pause_add
    from recoup.collections.cycle_send import contact_points
    from recoup.collections.gate import gate_facts, standing_facts
    from recoup.compliance.models import EmployerEmail
    from recoup.ledger.models import Contact
    from recoup.messaging.actions import contact_point_mark_unusable

    on = date(2026, 3, 4)
    busy, plain = debtor(org_a, "C001", kind="consumer"), debtor(org_a, "C002")
    work = Contact.objects.create(org=org_a, customer=busy, name="Work", email="pat@employer.example",
                                  phone="+442079460001", opt_out_sms=True, is_billing=True)
    EmployerEmail.objects.create(org=org_a, contact=work, address="pat@employer.example", created_at=now)
    contact_point_mark_unusable(org=org_a, contact=work, channel="call", address="+442079460001", reason="wrong",
                                actor=system, now=now)
    invoice = make_invoice(org_a, busy, "INV-1", "100.00", due=date(2026, 2, 1))
    pause_add(org=org_a, customer=busy, invoice=invoice, reason="Dispute: wrong amount", starts_on=date(2026, 3, 1),
              actor=system, now=now)
    pause_add(org=org_a, customer=busy, reason="Hardship", starts_on=date(2026, 3, 2), actor=system, now=now)
    restriction_set(org=org_a, customer=busy, kind="attorney", starts_on=date(2026, 3, 1), actor=system, now=now)
    restriction_set(org=org_a, customer=busy, kind="breathing_space", starts_on=date(2026, 3, 3), actor=system, now=now)

    standing = standing_facts(org=org_a, customer_ids=[busy.pk, plain.pk], on=on)
    for customer in (busy, plain):
        known = standing[customer.pk]
        contacts, unusable = contact_points(org=org_a, customer=customer)
        assert (list(known.contacts), set(known.unusable)) == (contacts, unusable)
        for channel, address in (("email", "pat@employer.example"), ("sms", "+442079460001"), ("letter", "")):
            asked = dict(org=org_a, customer=customer, on=on, now=at(on, 10), invoice_ids=[invoice.pk])
            assert gate_facts(**asked, standing=known) == gate_facts(**asked)
            asked = dict(org=org_a, customer=customer, channel=channel, step_key="final-notice", on=on,
                         now=at(on, 10), address=address, invoice_ids=[invoice.pk])
            assert contact_gate(**asked, standing=known) == contact_gate(**asked)
    facts = gate_facts(org=org_a, customer=busy, on=on, now=at(on, 10), invoice_ids=[invoice.pk],
                       standing=standing[busy.pk])
    assert len(facts.restrictions) == 2 and facts.disputes and facts.holds and facts.employer_emails
