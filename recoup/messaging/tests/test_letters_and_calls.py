"""Letters go into the day's print batch (one PDF, address in the window); calls into the call queue."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from recoup.messaging.actions import MessagingError, call_log_outcome, letter_batch_mark_posted, message_cancel
from recoup.messaging.delivery import deliver_due
from recoup.messaging.letter_pdf import letter_batch_pdf
from recoup.messaging.models import LetterBatch, LetterBatchStatus, MessageStatus
from recoup.messaging.selectors import contact_point_usable, open_calls

MM = 72 / 25.4  # PDF points per millimetre


def letter(queue, org, customer, key, address, **kw):
    return queue(org, customer, key, channel="letter", to_address=address, subject="Overdue invoices", **kw,
                 body_html=f"<html><body><h1>Overdue invoices</h1><p>Letter {key}.</p></body></html>")


def text_positions(page) -> list[tuple[str, float, float]]:
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():  # the text origin in page space: the text matrix through the current matrix
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((text.strip(), x, y))

    page.extract_text(visitor_text=visit)
    return found


def test_letters_go_into_one_batch_pdf_with_each_address_in_the_din_window(org_a, customer_a, make_customer,
                                                                         queue, now):
    other = make_customer(org_a, ref="C002", name="Second Customer")
    letter(queue, org_a, customer_a, "l1", customer_a.billing.postal_address)
    letter(queue, org_a, other, "l2", "Sam Second\n9 Side Street\nYork\nYO1 7HH", contact=None)

    deliver_due(now=now)

    batch = LetterBatch.objects.for_org(org_a).get()
    assert batch.date == now.date() and batch.letters.filter(status=MessageStatus.BATCHED).count() == 2
    reader = PdfReader(io.BytesIO(letter_batch_pdf(batch)))
    assert len(reader.pages) == 2
    height = float(reader.pages[0].mediabox.height)
    assert round(height / MM) == 297  # A4
    for page, first_line in zip(reader.pages, ["Pat Payer", "Sam Second"]):
        [(x, y)] = [(x, y) for text, x, y in text_positions(page) if text.startswith(first_line)]
        # DIN 5008 form B: the address zone is 20-105 mm from the left, 62.7-90 mm from the top.
        assert 19.9 * MM <= x <= 105 * MM
        assert 62.7 * MM <= height - y <= 90 * MM
        assert "Overdue invoices" in page.extract_text()


def test_us_letters_put_the_address_in_a_number_10_window(org_b, make_customer, queue, now):
    customer = make_customer(org_b, ref="U1", name="US Buyer")
    letter(queue, org_b, customer, "l1", "Jo Buyer\n1 Main St\nSpringfield, IL 62701", contact=None)
    deliver_due(now=now)

    page = PdfReader(io.BytesIO(letter_batch_pdf(LetterBatch.objects.for_org(org_b).get()))).pages[0]
    height = float(page.mediabox.height)
    [(x, y)] = [(x, y) for text, x, y in text_positions(page) if text.startswith("Jo Buyer")]
    assert round(height) == 792  # US Letter
    assert 0.875 * 72 <= x <= 4.875 * 72 and 2 * 72 <= height - y <= 3.125 * 72


def test_posting_a_batch_freezes_its_pdf_and_marks_its_letters_posted(org_a, customer_a, queue, system, now):
    first = letter(queue, org_a, customer_a, "l1", customer_a.billing.postal_address)
    deliver_due(now=now)
    batch = LetterBatch.objects.for_org(org_a).get()

    letter_batch_mark_posted(org=org_a, batch=batch, actor=system, now=now)
    late = letter(queue, org_a, customer_a, "l2", customer_a.billing.postal_address)
    deliver_due(now=now)

    batch.refresh_from_db()
    first.refresh_from_db()
    late.refresh_from_db()
    assert batch.status == LetterBatchStatus.POSTED and first.status == MessageStatus.POSTED
    assert len(PdfReader(io.BytesIO(letter_batch_pdf(batch))).pages) == 1
    assert late.batch != batch and late.status == MessageStatus.BATCHED  # a new open batch the same day
    with pytest.raises(MessagingError, match="already posted"):
        letter_batch_mark_posted(org=org_a, batch=batch, actor=system, now=now)


def test_a_letter_cancelled_before_posting_leaves_the_batch(org_a, customer_a, queue, system, now):
    kept = letter(queue, org_a, customer_a, "l1", customer_a.billing.postal_address)
    dropped = letter(queue, org_a, customer_a, "l2", "Old Address\n1 Gone Road")
    deliver_due(now=now)

    message_cancel(org=org_a, message=dropped, reason="address wrong", actor=system, now=now)

    batch = LetterBatch.objects.for_org(org_a).get()
    assert list(batch.letters.values_list("pk", flat=True)) == [kept.pk]
    assert len(PdfReader(io.BytesIO(letter_batch_pdf(batch))).pages) == 1


def test_a_call_waits_in_the_queue_until_its_outcome_is_logged(org_a, org_b, customer_a, queue, system, now):
    call = queue(org_a, customer_a, "c1", channel="call", to_address="+447700900123",
                 body_text="Ask about INV-1.")
    deliver_due(now=now)
    assert list(open_calls(org=org_a)) == [call] and list(open_calls(org=org_b)) == []

    call_log_outcome(org=org_a, message=call, outcome="promise_to_pay", note="pays Friday", actor=system, now=now)

    call.refresh_from_db()
    assert call.status == MessageStatus.DONE and call.call_outcome == "promise_to_pay"
    assert list(open_calls(org=org_a)) == []
    with pytest.raises(MessagingError, match="not open"):
        call_log_outcome(org=org_a, message=call, outcome="reached", note="", actor=system, now=now)


def test_a_wrong_number_makes_the_phone_unusable(org_a, customer_a, queue, system, now):
    call = queue(org_a, customer_a, "c1", channel="call", to_address="+447700900123", body_text="Call.")
    deliver_due(now=now)

    call_log_outcome(org=org_a, message=call, outcome="wrong_number", note="", actor=system, now=now)

    for channel in ("call", "sms"):
        assert not contact_point_usable(org=org_a, contact=customer_a.billing, channel=channel,
                                        address="+447700900123")


def test_it_refuses_an_unknown_call_outcome_or_another_orgs_call(org_a, org_b, customer_a, queue, system, now):
    call = queue(org_a, customer_a, "c1", channel="call", to_address="+447700900123", body_text="Call.")
    deliver_due(now=now)
    with pytest.raises(MessagingError, match="outcome"):
        call_log_outcome(org=org_a, message=call, outcome="shouted", note="", actor=system, now=now)
    with pytest.raises(MessagingError, match="does not belong"):
        call_log_outcome(org=org_b, message=call, outcome="reached", note="", actor=system, now=now)
