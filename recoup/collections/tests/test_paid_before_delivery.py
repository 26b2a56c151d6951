"""Delivery reads the ledger as it is when a message leaves (issue 21, item 1).

A reminder queued by the cycle waits in the outbox for the debtor's window; the money arrives
meanwhile. A message whose invoices are all paid, credited, written off or placed is withdrawn;
one whose invoices are partly paid is withdrawn too, and the cycle decides afresh on what is
still open. The same for SMS, and for letters until their batch is posted.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from recoup.audit.models import AuditEvent
from recoup.collections.actions import policy_load
from recoup.collections.cycle import cycle_run
from recoup.collections.models import StepDecision
from recoup.collections.tests.conftest import at
from recoup.ledger.actions import credit_note_record, invoice_write_off, payment_record
from recoup.ledger.models import Contact, Invoice
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import Message, MessageStatus
from recoup.messaging.tests.conftest import twilio_server  # noqa: F401

DUE = date(2026, 3, 2)
THURSDAY = date(2026, 3, 5)  # the first reminder (+3) is due; the cycle runs at 07:00, the window opens at 09:00


@pytest.fixture
def owed(five_step, debtor, make_invoice, org_a):
    """C1 and C2 each owe one invoice of 100.00 due on Monday 2026-03-02."""
    c1, c2 = debtor(org_a, "C1"), debtor(org_a, "C2")
    make_invoice(org_a, c1, "INV-1", "100.00", issue=date(2026, 2, 1), due=DUE)
    make_invoice(org_a, c2, "INV-2", "100.00", issue=date(2026, 2, 1), due=DUE)
    return c1


def _pay(org, customer, number, minor, when, actor):
    invoice = Invoice.objects.get(org=org, number=number)
    payment_record(org=org, customer=customer, date=when.date(), amount_minor=minor, currency=invoice.currency,
                   actor=actor, now=when, invoice=invoice)


SETTLE = {
    "paid": lambda org, c, inv, when, actor: _pay(org, c, inv.number, inv.open_minor, when, actor),
    "credited": lambda org, c, inv, when, actor: credit_note_record(
        org=org, customer=c, number="CN-1", date=when.date(), amount_minor=inv.open_minor, currency=inv.currency,
        actor=actor, now=when, invoice=inv, reason="goods returned"),
    "written off": lambda org, c, inv, when, actor: invoice_write_off(
        org=org, invoice=inv, on=when.date(), reason="not worth chasing", actor=actor, now=when),
}


@pytest.mark.parametrize("how", SETTLE)
def test_a_reminder_for_an_invoice_settled_after_queueing_never_reaches_the_debtor(smtp, owed, org_a, system, how):
    cycle_run(org=org_a, on=THURSDAY, now=at(THURSDAY, 7))  # both reminders wait for the 09:00 window
    assert Message.objects.filter(source="cycle", status=MessageStatus.QUEUED).count() == 2
    SETTLE[how](org_a, owed, Invoice.objects.get(number="INV-1"), at(THURSDAY, 8), system)

    report = deliver_due(now=at(THURSDAY, 9))

    assert [m["To"] for m in smtp.received] == ["c2@debtor.example"]  # C1 got nothing
    assert (report.sent, report.withdrawn) == (1, 1)
    withdrawn = Message.objects.get(customer=owed, source="cycle")
    assert withdrawn.status == MessageStatus.CANCELLED and withdrawn.sent_at is None
    assert "withdrawn, settled" in withdrawn.last_error and "INV-1" in withdrawn.last_error
    event = AuditEvent.objects.get(verb="message.withdrawn")
    assert (event.data["why"], list(event.data["invoices"])) == ("settled", ["INV-1"])
    # Nothing more is sent to C1 on later days: the invoice is no longer open.
    cycle_run(org=org_a, on=THURSDAY + timedelta(days=1), now=at(THURSDAY + timedelta(days=1), 7))
    deliver_due(now=at(THURSDAY + timedelta(days=1), 9))
    assert [m["To"] for m in smtp.received] == ["c2@debtor.example"]


def test_a_part_paid_reminder_is_withdrawn_and_the_next_cycle_asks_for_what_is_still_open(smtp, owed, org_a,
                                                                                          system):
    cycle_run(org=org_a, on=THURSDAY, now=at(THURSDAY, 7))
    _pay(org_a, owed, "INV-1", 4000, at(THURSDAY, 8), system)  # 40.00 of 100.00

    report = deliver_due(now=at(THURSDAY, 9))

    assert [m["To"] for m in smtp.received] == ["c2@debtor.example"]
    assert (report.sent, report.withdrawn) == (1, 1)
    event = AuditEvent.objects.get(verb="message.withdrawn")
    assert event.data["why"] == "part-settled"
    assert event.data["invoices"]["INV-1"]["asked"] == 10000 and event.data["invoices"]["INV-1"]["open"] == 6000
    assert event.data["decisions_forgotten"] >= 1  # the cycle decides the step afresh
    assert not StepDecision.objects.filter(customer=owed, step_key="first-reminder").exists()

    friday = THURSDAY + timedelta(days=1)
    cycle_run(org=org_a, on=friday, now=at(friday, 7))
    deliver_due(now=at(friday, 9))
    to_c1 = [m for m in smtp.received if m["To"] == "c1@debtor.example"]
    assert len(to_c1) == 1
    body = to_c1[0].get_body(("plain",)).get_content()
    assert "60.00" in body and "100.00" not in body


def test_a_reminder_paid_in_part_on_one_invoice_of_two_is_withdrawn(smtp, owed, org_a, system, make_invoice):
    make_invoice(org_a, owed, "INV-3", "50.00", issue=date(2026, 2, 1), due=DUE)
    cycle_run(org=org_a, on=THURSDAY, now=at(THURSDAY, 7))
    (message,) = Message.objects.filter(customer=owed, source="cycle")
    _pay(org_a, owed, "INV-3", 5000, at(THURSDAY, 8), system)  # INV-3 paid, INV-1 still open

    deliver_due(now=at(THURSDAY, 9))

    assert [m["To"] for m in smtp.received] == ["c2@debtor.example"]
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED and "part-settled" in message.last_error
    assert sorted(message.asks.values_list("invoice__number", "open_minor")) == [("INV-1", 10000), ("INV-3", 5000)]


def test_a_reminder_still_owed_in_full_goes_as_queued(smtp, owed, org_a, system):
    cycle_run(org=org_a, on=THURSDAY, now=at(THURSDAY, 7))
    _pay(org_a, Invoice.objects.get(number="INV-2").customer, "INV-2", 1000, at(THURSDAY, 8), system)
    report = deliver_due(now=at(THURSDAY, 9))
    assert [m["To"] for m in smtp.received] == ["c1@debtor.example"]
    assert (report.sent, report.withdrawn) == (1, 1)


ONE_CHANNEL = """\
name: one-channel
steps:
  - {{key: first-reminder, name: First reminder, offset_days: 3, channels: [{channel}], template: {template}}}
"""


@pytest.fixture
def twilio(twilio_server, settings):  # noqa: F811
    settings.RECOUP_SMS_URL = (f"twilio://AC123:secret@+15005550006"
                               f"?base=http://127.0.0.1:{twilio_server.server_address[1]}")
    return twilio_server


@pytest.fixture
def chased_by(org_a, system, now, debtor, make_invoice):
    """``chased_by(channel)``: C5 owes INV-5 (80.00) under a one-step policy on ``channel``."""
    def make(channel):
        template = "final-notice" if channel == "letter" else "first-reminder"  # the letters there are
        policy_load(org=org_a, data=ONE_CHANNEL.format(channel=channel, template=template), actor=system, now=now,
                    make_default_for="")
        customer = debtor(org_a, "C5", email=None)
        Contact.objects.create(org=org_a, customer=customer, name="Accounts", phone="+447700900555",
                               postal_address="5 Mill Lane\nLeeds\nLS1 5AA", is_billing=True)
        make_invoice(org_a, customer, "INV-5", "80.00", issue=date(2026, 2, 1), due=DUE)
        return customer

    return make


def test_an_sms_for_a_paid_invoice_never_reaches_the_provider(twilio, chased_by, org_a, system):
    customer = chased_by("sms")
    cycle_run(org=org_a, on=THURSDAY, now=at(THURSDAY, 7))
    (sms,) = Message.objects.filter(source="cycle", channel="sms")
    _pay(org_a, customer, "INV-5", 8000, at(THURSDAY, 8), system)

    report = deliver_due(now=at(THURSDAY, 9))

    assert twilio.requests == []  # the SMS provider was never called
    assert (report.sent, report.withdrawn) == (0, 1)
    sms.refresh_from_db()
    assert sms.status == MessageStatus.CANCELLED and "settled" in sms.last_error


def test_a_letter_for_a_paid_invoice_never_joins_the_print_batch(chased_by, org_a, system):
    from recoup.messaging.models import LetterBatch

    customer = chased_by("letter")
    cycle_run(org=org_a, on=THURSDAY, now=at(THURSDAY, 7))
    _pay(org_a, customer, "INV-5", 8000, at(THURSDAY, 8), system)

    report = deliver_due(now=at(THURSDAY, 9))

    assert Message.objects.get(source="cycle").status == MessageStatus.CANCELLED
    assert not LetterBatch.objects.exists() or not LetterBatch.objects.get().letters.exists()
    assert report.withdrawn == 1


def _batched_letter(chased_by, org_a):
    from recoup.messaging.models import LetterBatch

    customer = chased_by("letter")
    cycle_run(org=org_a, on=THURSDAY, now=at(THURSDAY, 7))
    deliver_due(now=at(THURSDAY, 9))  # the letter joins the day's print batch
    letter = Message.objects.get(source="cycle", channel="letter")
    assert letter.status == MessageStatus.BATCHED
    return customer, letter, LetterBatch.objects.get()


def test_a_batched_letter_paid_before_the_batch_is_posted_is_not_posted(chased_by, org_a, system):
    from recoup.messaging.actions import letter_batch_mark_posted

    customer, letter, batch = _batched_letter(chased_by, org_a)
    _pay(org_a, customer, "INV-5", 8000, at(THURSDAY, 11), system)

    letter_batch_mark_posted(org=org_a, batch=batch, actor=system, now=at(THURSDAY, 16))

    letter.refresh_from_db()
    assert (letter.status, letter.sent_at, letter.batch_id) == (MessageStatus.CANCELLED, None, None)
    assert AuditEvent.objects.filter(verb="message.withdrawn", subject_id=letter.pk).exists()


def test_the_print_file_of_an_open_batch_leaves_out_a_letter_paid_since(chased_by, org_a, system):
    from recoup.messaging.letter_pdf import letters_to_print

    customer, letter, batch = _batched_letter(chased_by, org_a)
    assert letters_to_print(batch) == [letter]
    _pay(org_a, customer, "INV-5", 8000, at(THURSDAY, 11), system)
    assert letters_to_print(batch) == []


def test_an_instalment_reminder_paid_before_it_leaves_is_withdrawn(smtp, owed, org_a, system):
    from recoup.arrangements.actions import debtor_actor, plan_propose
    from recoup.arrangements.check import arrangements_check

    invoice = Invoice.objects.get(number="INV-1")
    plan_propose(org=org_a, customer=owed, invoices=[invoice], instalments=2, frequency="weekly",
                 first_date=date(2026, 4, 10), actor=debtor_actor(owed), now=at(date(2026, 3, 31), 9))
    arrangements_check(org=org_a, on=date(2026, 4, 7), now=at(date(2026, 4, 7), 6))  # queued before the window
    (reminder,) = Message.objects.filter(source="arrangements")
    assert "£50.00 is due on 2026-04-10" in reminder.body_text
    _pay(org_a, owed, "INV-1", 5000, at(date(2026, 4, 7), 7), system)  # the instalment, paid early

    deliver_due(now=at(date(2026, 4, 7), 9))

    assert smtp.received == []
    reminder.refresh_from_db()
    assert reminder.status == MessageStatus.CANCELLED and "part-settled" in reminder.last_error


def test_a_reminder_for_an_account_placed_with_an_agency_since_is_not_delivered(smtp, owed, org_a, system):
    from recoup.escalation.placement_actions import agency_save, placement_create
    from recoup.messaging.still_owed import ledger_overtaken

    cycle_run(org=org_a, on=THURSDAY, now=at(THURSDAY, 7))
    agency = agency_save(org=org_a, name="North Recoveries", commission_percent=Decimal("20"), actor=system,
                         now=at(THURSDAY, 8))
    placement_create(org=org_a, agency=agency, customer=owed, on=THURSDAY, actor=system, now=at(THURSDAY, 8))
    message = Message.objects.get(customer=owed, source="cycle")

    # The ledger check counts placed invoices as no longer the business's to ask for (the placement's
    # pause also stops the gate: the message is cancelled either way).
    overtook = ledger_overtaken(message)
    assert overtook.why == "settled" and overtook.invoices["INV-1"]["state"] == "placed with North Recoveries"
    deliver_due(now=at(THURSDAY, 9))
    assert [m["To"] for m in smtp.received] == ["c2@debtor.example"]
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED
