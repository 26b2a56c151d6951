"""Each open invoice's next reminder, and the collector's "send now", "snooze until" and "skip this step"."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from recoup.audit.models import AuditEvent
from recoup.collections.actions import pause_add, policy_load
from recoup.collections.models import DecisionStatus, Pause, StepDecision
from recoup.ledger.models import Contact
from recoup.messaging.models import Message

# Two steps: the first reminder 3 days after the due date, the second 90 days after.
POLICY = {"name": "two-steps", "steps": [
    {"key": "first-reminder", "name": "First reminder", "offset_days": 3, "channels": ["email"]},
    {"key": "second-reminder", "name": "Second reminder", "offset_days": 90, "channels": ["email"]},
]}


@pytest.fixture
def chased(org_a, ledger_a, system, now, frozen_clock):
    """Northwind (A-1 due 2026-01-31, overdue; A-2 due 2026-04-30) on the two-step policy, with an e-mail contact."""
    policy_load(org=org_a, data=POLICY, actor=system, now=now, make_default_for="")
    contact = Contact.objects.create(org=org_a, customer=ledger_a["customer"], name="Nora North",
                                     email="nora@northwind.example")
    return {**ledger_a, "contact": contact}


def post(client, org, name, invoice, **data):
    return client.post(reverse(name, args=[org.slug, invoice.pk]), data)


def test_the_invoice_page_shows_its_next_reminder_and_date(as_user, org_a, chased):
    page = as_user("viewer").get(reverse("invoice_detail", args=[org_a.slug, chased["old"].pk])).content.decode()
    # A-1's first reminder fell due on 2026-02-03 and was never sent: the next cycle (today) takes it.
    assert "First reminder</span>, <span class=\"next-step-date\">31 Mar 2026" in page
    later = as_user("viewer").get(reverse("invoice_detail", args=[org_a.slug, chased["new"].pk])).content.decode()
    assert "First reminder</span>, <span class=\"next-step-date\">3 May 2026" in later
    assert "Send now" not in page  # viewers see the step, not the controls


def test_the_customer_page_shows_each_open_invoices_next_reminder_with_its_controls(as_user, org_a, chased):
    page = as_user("collector").get(reverse("customer_detail", args=[org_a.slug, chased["customer"].pk]))
    body = page.content.decode()
    assert body.count("Send now") == 2 and body.count("Skip this step") == 2 and body.count("Snooze until") == 2
    assert "3 May 2026" in body and "31 Mar 2026" in body


def test_send_now_queues_the_steps_message_through_the_cycles_path_and_audits_it(as_user, org_a, chased):
    response = post(as_user("collector"), org_a, "invoice_step_send", chased["old"], step="first-reminder",
                    number=0, back="customer")
    assert response.status_code == 302
    assert response.url == reverse("customer_detail", args=[org_a.slug, chased["customer"].pk])
    message = Message.objects.get(org=org_a, customer=chased["customer"])
    assert message.to_address == "nora@northwind.example" and message.step_key == "first-reminder"
    assert message.status == "queued" and "A-1" in message.body_text
    decision = StepDecision.objects.get(invoice=chased["old"], step_key="first-reminder", number=0)
    assert decision.status == DecisionStatus.DUE and decision.message == message
    assert AuditEvent.objects.filter(org=org_a, verb="collections.step_sent_now").count() == 1
    # The step is taken: the invoice's next one is the second reminder, and sending again is refused.
    page = as_user("viewer").get(reverse("invoice_detail", args=[org_a.slug, chased["old"].pk])).content.decode()
    assert "Second reminder</span>, <span class=\"next-step-date\">1 May 2026" in page
    post(as_user("collector"), org_a, "invoice_step_send", chased["old"], step="first-reminder", number=0)
    assert Message.objects.filter(org=org_a).count() == 1


def test_send_now_respects_an_opt_out(as_user, org_a, chased):
    Contact.objects.filter(pk=chased["contact"].pk).update(opt_out_email=True)
    client = as_user("collector")
    response = post(client, org_a, "invoice_step_send", chased["old"], step="first-reminder", number=0)
    assert not Message.objects.filter(org=org_a, status="queued").exists()
    assert not StepDecision.objects.filter(invoice=chased["old"]).exists()  # the cycle still owes this step
    refused = AuditEvent.objects.get(org=org_a, verb="collections.step_send_refused")
    assert "no usable contact point for email" in refused.summary
    page = client.get(response.url).content.decode()
    assert "Not sent" in page


def test_send_now_respects_a_hold_on_the_customer(as_user, org_a, chased, system, now):
    pause_add(org=org_a, customer=chased["customer"], reason="Customer in administration", starts_on=date(2026, 3, 1),
              actor=system, now=now)
    post(as_user("collector"), org_a, "invoice_step_send", chased["old"], step="first-reminder", number=0)
    assert not Message.objects.filter(org=org_a).exclude(status__in=["cancelled"]).exists()
    assert not StepDecision.objects.filter(invoice=chased["old"]).exists()
    refused = AuditEvent.objects.get(org=org_a, verb="collections.step_send_refused")
    assert "administration" in refused.summary or "hold" in refused.summary.lower()


def test_skip_records_the_step_as_passed_over_and_shows_the_next_one(as_user, org_a, chased):
    post(as_user("collector"), org_a, "invoice_step_skip", chased["old"], step="first-reminder", number=0)
    decision = StepDecision.objects.get(invoice=chased["old"], step_key="first-reminder")
    assert decision.status == DecisionStatus.SUPERSEDED and "skipped by a-collector" in decision.reason
    assert not Message.objects.filter(org=org_a).exists()
    assert AuditEvent.objects.filter(org=org_a, verb="collections.step_skipped", subject_id=chased["old"].pk).exists()
    page = as_user("viewer").get(reverse("invoice_detail", args=[org_a.slug, chased["old"].pk])).content.decode()
    assert "Second reminder</span>, <span class=\"next-step-date\">1 May 2026" in page


def test_a_step_that_moved_since_the_page_was_shown_is_not_skipped(as_user, org_a, chased):
    post(as_user("collector"), org_a, "invoice_step_skip", chased["old"], step="second-reminder", number=0)
    assert not StepDecision.objects.filter(invoice=chased["old"]).exists()


def test_snooze_pauses_the_invoice_until_the_day_before_and_shows_the_hold(as_user, org_a, chased):
    post(as_user("collector"), org_a, "invoice_step_snooze", chased["old"], until="2026-04-15")
    pause = Pause.objects.get(org=org_a, invoice=chased["old"])
    assert (pause.starts_on, pause.ends_on) == (date(2026, 3, 31), date(2026, 4, 14))
    assert AuditEvent.objects.filter(org=org_a, verb="collections.paused").exists()
    page = as_user("viewer").get(reverse("invoice_detail", args=[org_a.slug, chased["old"].pk])).content.decode()
    assert "on hold: Snoozed until 2026-04-15" in page
    # Snoozed, the step cannot be sent now either: the gate holds the invoice.
    post(as_user("collector"), org_a, "invoice_step_send", chased["old"], step="first-reminder", number=0)
    assert not Message.objects.filter(org=org_a).exists()


def test_snooze_to_a_past_day_is_refused(as_user, org_a, chased):
    post(as_user("collector"), org_a, "invoice_step_snooze", chased["old"], until="2026-03-31")
    assert not Pause.objects.filter(org=org_a).exists()


@pytest.mark.parametrize("name,data", [("invoice_step_send", {"step": "first-reminder", "number": 0}),
                                       ("invoice_step_skip", {"step": "first-reminder", "number": 0}),
                                       ("invoice_step_snooze", {"until": "2026-04-15"})])
def test_viewers_cannot_use_the_step_controls_and_outsiders_cannot_see_the_invoice(as_user, org_a, chased, name,
                                                                                      data, client, members):
    assert post(as_user("viewer"), org_a, name, chased["old"], **data).status_code == 403
    client.force_login(members["outsider"])
    assert post(client, org_a, name, chased["old"], **data).status_code == 404
    assert not StepDecision.objects.exists() and not Pause.objects.exists() and not Message.objects.exists()
