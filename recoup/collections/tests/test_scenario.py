"""Forty days of collections against a real SMTP server (aiosmtpd on localhost).

A five-step policy (-3, +3, +10, +20, +30 days), three customers, payments arriving
midway; every day the cycle runs and `recoup deliver` drains the outbox. The test states
exactly which e-mails arrive on which day, each one consolidated per customer, and that
nothing is sent for an invoice once it is paid.
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, timedelta

from django.core.management import call_command

from recoup.collections.cycle import cycle_run
from recoup.collections.tests.conftest import at
from recoup.ledger.actions import payment_record
from recoup.messaging.models import Message

START, DAYS = date(2026, 3, 1), 40

# day -> {recipient: (step, invoices listed)}. The debtors are businesses: nothing goes out on a
# weekend or a bank holiday; what falls due then waits for the next working morning.
EXPECTED = {
    "2026-03-02": {"alpha": ("pre-due", ["INV-A1"])},
    "2026-03-03": {"gamma": ("pre-due", ["INV-G1"])},
    "2026-03-05": {"beta": ("pre-due", ["INV-B1"])},
    # A1's first reminder fell due on Sunday 03-08 and waited; on Monday A2's note before its due
    # date joins it: one e-mail at the more advanced step, listing both.
    "2026-03-09": {"alpha": ("first-reminder", ["INV-A1", "INV-A2"]), "gamma": ("first-reminder", ["INV-G1"])},
    "2026-03-11": {"beta": ("first-reminder", ["INV-B1"])},
    # A1's second reminder and A2's first fall on Sunday 03-15: one e-mail, on Monday.
    "2026-03-16": {"alpha": ("second-reminder", ["INV-A1", "INV-A2"]), "gamma": ("second-reminder", ["INV-G1"])},
    "2026-03-17": {"gamma": ("pre-due", ["INV-G1", "INV-G2"])},
    "2026-03-18": {"beta": ("second-reminder", ["INV-B1"])},
    # Beta pays in full on 03-19 and hears nothing more; Alpha pays A1 on 03-20.
    "2026-03-23": {"alpha": ("second-reminder", ["INV-A2"]), "gamma": ("first-reminder", ["INV-G1", "INV-G2"])},
    "2026-03-26": {"gamma": ("final-notice", ["INV-G1", "INV-G2"])},
    "2026-03-30": {"gamma": ("second-reminder", ["INV-G1", "INV-G2"])},
    "2026-04-01": {"alpha": ("final-notice", ["INV-A2"])},
    # Due on Sunday 04-05; Monday 04-06 is Easter Monday, a bank holiday in England.
    "2026-04-07": {"gamma": ("last-notice", ["INV-G1", "INV-G2"])},
    "2026-04-09": {"gamma": ("final-notice", ["INV-G1", "INV-G2"])},
}
ALL_INVOICES = ("INV-A1", "INV-A2", "INV-B1", "INV-G1", "INV-G2")


def test_forty_days_of_reminders_arrive_as_the_policy_says(smtp, five_step, debtor, make_invoice, org_a, system):
    alpha, beta, gamma = (debtor(org_a, ref, email=f"{name}@debtor.example")
                          for ref, name in (("C001", "alpha"), ("C002", "beta"), ("C003", "gamma")))
    a1 = make_invoice(org_a, alpha, "INV-A1", "100.00", issue=date(2026, 2, 1), due=date(2026, 3, 5))
    make_invoice(org_a, alpha, "INV-A2", "50.00", issue=date(2026, 2, 1), due=date(2026, 3, 12))
    make_invoice(org_a, beta, "INV-B1", "75.00", issue=date(2026, 2, 1), due=date(2026, 3, 8))
    make_invoice(org_a, gamma, "INV-G1", "20.00", issue=date(2026, 2, 1), due=date(2026, 3, 6))
    make_invoice(org_a, gamma, "INV-G2", "30.00", issue=date(2026, 2, 1), due=date(2026, 3, 20))
    payments = {date(2026, 3, 19): (beta, 7500, None), date(2026, 3, 20): (alpha, 10000, a1)}

    arrived: dict[str, dict[str, tuple[str, list[str]]]] = {}
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        if day in payments:
            customer, minor, invoice = payments[day]
            payment_record(org=org_a, customer=customer, date=day, amount_minor=minor, currency="GBP",
                           actor=system, now=at(day, 7), invoice=invoice)
        before = len(smtp.received)
        cycle_run(org=org_a, on=day, now=at(day, 8))
        call_command("deliver", "--now", at(day, 9).isoformat(), stdout=io.StringIO())
        today = defaultdict(list)
        for mail in smtp.received[before:]:
            today[mail["To"].split("@")[0]].append(mail)
        if today:
            arrived[day.isoformat()] = {who: _read(mails) for who, mails in today.items()}

    assert arrived == EXPECTED
    # Every message went, but the one replaced while it waited for Monday (03-09).
    assert list(Message.objects.for_org(org_a).exclude(status="sent").values_list("status", "step_key")) == [
        ("cancelled", "first-reminder")]


def _read(mails) -> tuple[str, list[str]]:
    assert len(mails) == 1, "one consolidated e-mail per customer and day"
    mail = mails[0]
    step = Message.objects.get(message_id=mail["Message-ID"]).step_key
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    listed = [number for number in ALL_INVOICES if number in text]
    assert listed == [number for number in ALL_INVOICES if number in html]
    return step, listed
