"""Channel fallback: a step whose channel fails for good goes on its next channel (issue 11).

The SMTP peer (aiosmtpd) refuses one address with a 550; the same step then goes by SMS
through the fake Twilio API, and the customer's log shows both attempts.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from recoup.collections.actions import policy_load
from recoup.collections.cycle import cycle_run
from recoup.ledger.models import Contact
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import ContactPointStatus, Message, MessageStatus, Task, TaskKind
from recoup.messaging.tests.conftest import twilio_server  # noqa: F401

POLICY = """\
name: with-fallback
steps:
  - {key: first-reminder, name: First reminder, offset_days: 3, channels: [email], fallback: [sms, letter]}
"""
DUE = date(2026, 3, 2)  # a Monday
CYCLE_DAY = date(2026, 3, 5)  # Thursday: the first reminder is due
MORNING = datetime(2026, 3, 5, 10, 0, tzinfo=timezone.utc)  # 10:00 in London


@pytest.fixture
def twilio(twilio_server, settings):  # noqa: F811
    settings.RECOUP_SMS_URL = (f"twilio://AC123:secret@+15005550006"
                               f"?base=http://127.0.0.1:{twilio_server.server_address[1]}")
    return twilio_server


@pytest.fixture
def chased(org_a, system, now, debtor, make_invoice):
    org_a.sender_email = "accounts@acme.example"
    org_a.save(update_fields=["sender_email"])
    policy_load(org=org_a, data=POLICY, actor=system, now=now, make_default_for="")
    customer = debtor(org_a, "C7", email=None)
    Contact.objects.create(org=org_a, customer=customer, name="Accounts", email="gone@debtor.example",
                           phone="+447700900555", is_billing=True)
    make_invoice(org_a, customer, "INV-7", "250.00", issue=date(2026, 2, 1), due=DUE)
    return customer


def _log(customer):
    return list(Message.objects.filter(customer=customer).order_by("id"))


def test_a_hard_bounce_sends_the_same_step_by_sms_and_the_log_shows_both(smtp, twilio, chased, org_a):
    smtp.refuse["gone@debtor.example"] = "550 5.1.1 No such user"
    cycle_run(org=org_a, on=CYCLE_DAY, now=MORNING)
    report = deliver_due(now=MORNING)  # the bounce queues the SMS, and the same run delivers it
    assert (report.failed, report.sent) == (1, 1) and smtp.received == []

    email, sms = _log(chased)
    assert (email.channel, email.status, email.step_key) == ("email", MessageStatus.FAILED, "first-reminder")
    assert "550" in email.last_error
    assert (sms.channel, sms.status, sms.step_key, sms.replaces_id) == (
        "sms", MessageStatus.SENT, "first-reminder", email.pk)
    assert sms.source_ref == email.source_ref and "INV-7" in sms.body_text
    assert ContactPointStatus.objects.filter(contact__customer=chased, channel="email").exists()
    assert [r["form"]["To"] for r in twilio.requests] == ["+447700900555"]
    assert "INV-7" in twilio.requests[0]["form"]["Body"]
    assert [(m.channel, m.status) for m in _log(chased)] == [("email", "failed"), ("sms", "sent")]

    # The next day's cycle does not send the step again on any channel.
    cycle_run(org=org_a, on=date(2026, 3, 6), now=datetime(2026, 3, 6, 10, 0, tzinfo=timezone.utc))
    assert deliver_due(now=datetime(2026, 3, 6, 10, 0, tzinfo=timezone.utc)).handled == 0
    assert len(_log(chased)) == 2


def test_with_no_channel_left_the_operator_is_asked_for_a_contact_point(smtp, chased, org_a):
    Contact.objects.filter(customer=chased).update(phone="")
    smtp.refuse["gone@debtor.example"] = "550 5.1.1 No such user"
    cycle_run(org=org_a, on=CYCLE_DAY, now=MORNING)
    deliver_due(now=MORNING)

    assert [(m.channel, m.status) for m in _log(chased)] == [("email", "failed")]
    task = Task.objects.get(customer=chased, kind=TaskKind.CONTACT_NEEDED)
    assert "First reminder" in task.text and "email, sms, letter" in task.text


def test_a_customer_without_an_e_mail_address_gets_the_step_by_sms_at_once(twilio, chased, org_a):
    Contact.objects.filter(customer=chased).update(email="")
    result = cycle_run(org=org_a, on=CYCLE_DAY, now=MORNING)

    assert [(a.channel, a.status) for a in result.actions] == [("email", "blocked"), ("sms", "queued")]
    assert result.actions[0].reason == "no usable contact point for email"
    assert deliver_due(now=MORNING).sent == 1
    assert len(twilio.requests) == 1


def test_a_returned_letter_hands_the_step_to_the_next_channel(chased, org_a, system):
    from recoup.messaging.actions import letter_batch_mark_posted, letter_mark_returned

    letter_first = POLICY.replace("with-fallback", "letter-first").replace(
        "channels: [email], fallback: [sms, letter]",
        "channels: [letter], fallback: [email], template: final-notice")
    policy_load(org=org_a, data=letter_first, actor=system, now=MORNING, make_default_for="")
    Contact.objects.filter(customer=chased).update(postal_address="1 Old Street\nLeeds")
    cycle_run(org=org_a, on=CYCLE_DAY, now=MORNING)
    deliver_due(now=MORNING)
    letter = Message.objects.get(customer=chased, channel="letter")
    letter_batch_mark_posted(org=org_a, batch=letter.batch, actor=system, now=MORNING)

    letter_mark_returned(org=org_a, message=letter, reason="addressee unknown", actor=system, now=MORNING)

    letter.refresh_from_db()
    assert letter.status == MessageStatus.FAILED and "addressee unknown" in letter.last_error
    email = Message.objects.get(customer=chased, channel="email")
    assert email.replaces_id == letter.pk and email.status == MessageStatus.QUEUED


def test_a_wrong_number_on_a_call_step_sends_the_step_by_its_next_channel(chased, org_a, system):
    from recoup.messaging.actions import call_log_outcome

    call_first = POLICY.replace("with-fallback", "call-first").replace(
        "channels: [email], fallback: [sms, letter]", "channels: [call], fallback: [email], template: final-notice")
    policy_load(org=org_a, data=call_first, actor=system, now=MORNING, make_default_for="")
    cycle_run(org=org_a, on=CYCLE_DAY, now=MORNING)
    deliver_due(now=MORNING)
    call = Message.objects.get(customer=chased, channel="call")
    assert call.status == MessageStatus.OPEN

    call_log_outcome(org=org_a, message=call, outcome="wrong_number", note="", actor=system, now=MORNING)

    email = Message.objects.get(customer=chased, channel="email")
    assert (email.replaces_id, email.step_key, email.status) == (call.pk, "first-reminder", MessageStatus.QUEUED)
