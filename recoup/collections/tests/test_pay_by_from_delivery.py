"""A final notice's "pay by" date counts from the day it is delivered (issue 21, item 2).

The cycle decides the step on Friday afternoon, after the debtor's window has closed; Monday
is a bank holiday in England, so the notice waits in the outbox until Tuesday morning. The
debtor gets the policy's seven days from Tuesday, not four.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from recoup.collections.actions import policy_load
from recoup.collections.cycle import cycle_run
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import Message

FINAL_ONLY = """\
name: final-only
steps:
  - {key: final-notice, name: Final notice, offset_days: 20, channels: [email]}
"""
FRIDAY = date(2026, 5, 1)  # Monday 2026-05-04 is the Early May bank holiday
FRIDAY_AFTERNOON = datetime(2026, 5, 1, 13, 0, tzinfo=timezone.utc)  # 14:00 in London: the window has closed
TUESDAY_MORNING = datetime(2026, 5, 5, 8, 0, tzinfo=timezone.utc)  # 09:00 in London: it opens again


@pytest.fixture
def final_notice_due(org_a, system, now, debtor, make_invoice):
    org_a.sender_email = "accounts@acme.example"
    org_a.save(update_fields=["sender_email"])
    policy_load(org=org_a, data=FINAL_ONLY, actor=system, now=now, make_default_for="")
    customer = debtor(org_a, "C9")
    make_invoice(org_a, customer, "INV-9", "381.04", issue=date(2026, 3, 12), due=date(2026, 4, 11))
    return customer


def test_a_final_notice_held_over_a_holiday_weekend_gives_seven_days_from_delivery(smtp, final_notice_due, org_a):
    cycle_run(org=org_a, on=FRIDAY, now=FRIDAY_AFTERNOON)
    message = Message.objects.get(source="cycle")
    assert (message.step_key, message.next_attempt_at) == ("final-notice", TUESDAY_MORNING)

    report = deliver_due(now=TUESDAY_MORNING)

    assert report.sent == 1
    (email,) = smtp.received
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert "Please pay the full amount by 12 May 2026." in text  # Tuesday 5 May + 7 days
    assert "12 May 2026" in html and "8 May 2026" not in text + html
    message.refresh_from_db()
    assert "12 May 2026" in message.body_text  # the record shows what the debtor read


def test_a_final_notice_delivered_the_day_it_is_decided_counts_from_that_day(smtp, final_notice_due, org_a):
    thursday_morning = datetime(2026, 4, 30, 8, 30, tzinfo=timezone.utc)  # 09:30 in London
    final_notice_due.invoices.update(due_date=date(2026, 4, 10))
    cycle_run(org=org_a, on=date(2026, 4, 30), now=thursday_morning)
    assert deliver_due(now=thursday_morning).sent == 1
    assert "by 7 May 2026." in smtp.received[0].get_body(("plain",)).get_content()


def test_a_preview_states_the_date_counted_from_the_day_shown(org_a, final_notice_due):
    from recoup.messaging.rendering import render_message

    rendered = render_message(org=org_a, customer=final_notice_due, invoices=list(final_notice_due.invoices.all()),
                              template="final-notice", channel="email", language=None, on=FRIDAY)
    assert "by 8 May 2026." in rendered.text


def test_the_statement_of_a_message_held_over_the_weekend_shows_the_payments_made_meanwhile(
        smtp, final_notice_due, org_a, make_invoice, system):
    import io

    from pypdf import PdfReader

    from recoup.ledger.actions import payment_record

    later = make_invoice(org_a, final_notice_due, "INV-10", "45.00", issue=date(2026, 4, 20), due=date(2026, 5, 20))
    cycle_run(org=org_a, on=FRIDAY, now=FRIDAY_AFTERNOON)  # the notice lists INV-9; the statement shows both
    saturday = datetime(2026, 5, 2, 10, 0, tzinfo=timezone.utc)
    payment_record(org=org_a, customer=final_notice_due, date=saturday.date(), amount_minor=4500, currency="GBP",
                   actor=system, now=saturday, invoice=later)  # INV-10 paid: the notice itself is unchanged

    assert deliver_due(now=TUESDAY_MORNING).sent == 1

    parts = {p.get_filename(): p.get_content() for p in smtp.received[0].iter_attachments()}
    assert set(parts) == {"statement-C9-2026-05-05.pdf"}
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(parts["statement-C9-2026-05-05.pdf"])).pages)
    assert "Balance due: £381.04" in text and "2 May 2026 payment" in text  # INV-10's payment is on it
