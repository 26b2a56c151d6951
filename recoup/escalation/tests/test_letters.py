"""Letters before action: the Letter of Claim's enclosures, the 30-day hold on the cycle, the
print batch, and the letter for other jurisdictions and for time-barred debts."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from recoup.collections.cycle import cycle_run
from recoup.collections.models import Pause
from recoup.escalation.actions import EscalationError, letter_before_action_send
from recoup.escalation.models import LetterBeforeAction, LetterKind
from recoup.escalation.tests.conftest import at
from recoup.messaging.models import Message

WEEKLY = """\
name: weekly-chase
steps:
  - {key: chase, name: Weekly reminder, offset_days: 3, channels: [email], repeat_every_days: 7, repeat_max: 40,
     template: first-reminder}
"""
SENT_ON = date(2026, 3, 2)


@pytest.fixture
def debtor(org_a, make_customer, make_invoice, system, now):
    from recoup.collections.actions import policy_load
    from recoup.ledger.models import Contact

    org_a.sender_email, org_a.address = "accounts@acme.example", "1 High Street\nLondon EC1A 1AA"
    org_a.save()
    policy_load(org=org_a, data=WEEKLY, actor=system, now=now, make_default_for="")
    customer = make_customer(org_a, ref="P001", name="Jamie Rivers", kind="consumer", country="GB")
    Contact.objects.create(org=org_a, customer=customer, name="Jamie Rivers", email="jamie@rivers.example",
                           postal_address="7 Mill Lane\nLeeds LS1 4AB")
    make_invoice(org_a, customer, "INV-7", "640.00", issue=date(2026, 1, 2), due=date(2026, 2, 1))
    return customer


def cycle_messages(org) -> int:
    return Message.objects.for_org(org).filter(source="cycle").exclude(status="cancelled").count()


def test_a_letter_of_claim_is_refused_without_both_enclosures(debtor, org_a, system):
    for enclosures in (["information_sheet"], ["reply_form"], []):
        with pytest.raises(EscalationError, match="cannot be sent without its enclosures"):
            letter_before_action_send(org=org_a, customer=debtor, on=SENT_ON, actor=system, now=at(SENT_ON),
                                      enclosures=enclosures)
    assert not LetterBeforeAction.objects.exists()
    assert not Message.objects.filter(channel="letter").exists()
    assert not Pause.objects.exists()


def test_the_letter_of_claim_goes_to_the_print_batch_with_its_enclosures(debtor, org_a, system):
    from recoup.messaging.delivery import deliver_due
    from recoup.messaging.letter_pdf import letter_batch_pdf

    lba = letter_before_action_send(org=org_a, customer=debtor, on=SENT_ON, actor=system, now=at(SENT_ON))
    assert lba.kind == LetterKind.EW_LETTER_OF_CLAIM and lba.number == 1
    assert lba.deadline == SENT_ON + timedelta(days=30) and lba.enclosures == ["information_sheet", "reply_form"]
    letter = lba.message
    assert letter.channel == "letter" and letter.source == "escalation"
    assert [a.filename for a in letter.attachments.all()] == ["letter-before-action-1.pdf"]
    for words in ("Letter of Claim", "Information Sheet", "Reply Form", "Pre-Action Protocol for Debt Claims",
                  "1 April 2026", "£640.00"):
        assert words in letter.body_html, words
    deliver_due(now=at(SENT_ON, 11))
    letter.refresh_from_db()
    assert letter.status == "batched"
    printed = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(letter_batch_pdf(letter.batch))).pages)
    assert "Letter of Claim" in printed and "Reply Form" in printed and "Information Sheet" in printed
    assert "7 Mill Lane" in printed


def test_the_cycle_does_not_escalate_until_the_30_days_have_passed(debtor, org_a, system):
    cycle_run(org=org_a, on=SENT_ON, now=at(SENT_ON, 7))
    before = cycle_messages(org_a)
    assert before == 1  # the weekly reminder of that day
    lba = letter_before_action_send(org=org_a, customer=debtor, on=SENT_ON, actor=system, now=at(SENT_ON, 9))
    pause = Pause.objects.get(customer=debtor)
    assert (pause.reason, pause.starts_on, pause.ends_on) == ("letter before action #1", SENT_ON, lba.deadline)
    day = SENT_ON + timedelta(days=1)
    while day <= lba.deadline:
        cycle_run(org=org_a, on=day, now=at(day, 7))
        day += timedelta(days=1)
    assert cycle_messages(org_a) == before  # nothing for 30 days, the deadline included
    with pytest.raises(EscalationError, match="response period"):
        letter_before_action_send(org=org_a, customer=debtor, on=lba.deadline, actor=system, now=at(lba.deadline))
    after = lba.deadline + timedelta(days=1)
    cycle_run(org=org_a, on=after, now=at(after, 7))
    assert cycle_messages(org_a) == before + 1  # the policy resumes, once


def test_a_us_debt_gets_a_final_demand_and_a_time_barred_one_says_it_will_not_be_sued(org_b, make_customer,
                                                                                       make_invoice, system):
    from recoup.ledger.models import Contact

    customer = make_customer(org_b, ref="U1", name="Sam Ortiz", kind="consumer", country="US", region="CA")
    Contact.objects.create(org=org_b, customer=customer, name="Sam Ortiz", postal_address="9 Elm St\nFresno CA 93721")
    fresh = make_invoice(org_b, customer, "B-1", "300.00", issue=date(2026, 1, 2), due=date(2026, 2, 1))
    old = make_invoice(org_b, customer, "B-0", "90.00", issue=date(2019, 1, 2), due=date(2019, 2, 1))
    with pytest.raises(EscalationError, match="time-barred"):
        letter_before_action_send(org=org_b, customer=customer, on=SENT_ON, actor=system, now=at(SENT_ON, 18))
    demand = letter_before_action_send(org=org_b, customer=customer, on=SENT_ON, actor=system, now=at(SENT_ON, 18),
                                       invoices=[fresh])
    assert demand.kind == LetterKind.FINAL_DEMAND and demand.deadline == SENT_ON + timedelta(days=30)
    assert "Final demand" in demand.message.body_html and "court" in demand.message.body_html
    later = demand.deadline + timedelta(days=1)
    notice = letter_before_action_send(org=org_b, customer=customer, on=later, actor=system, now=at(later, 18),
                                       invoices=[old])
    assert notice.kind == LetterKind.TIME_BARRED_NOTICE
    html = notice.message.body_html
    assert "The law limits how long you can be sued on a debt. Because of the age of your debt, we will not sue you" \
           " for it." in html
    assert "court" not in html


def test_another_organizations_customer_gets_no_letter(debtor, org_b, system):
    with pytest.raises(EscalationError):
        letter_before_action_send(org=org_b, customer=debtor, on=SENT_ON, actor=system, now=at(SENT_ON))
