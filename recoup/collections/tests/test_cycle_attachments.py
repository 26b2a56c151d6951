"""A reminder e-mail carries the statement and the invoices' PDFs as sent."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from recoup.collections.cycle import cycle_run
from recoup.collections.tests.conftest import at
from recoup.ledger.document_actions import invoice_attach_pdf
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import Message


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_email_carries_the_statement_and_the_invoice_pdf_once_even_when_resent(
        smtp, five_step, debtor, make_invoice, org_a, system, now, shared_data):
    customer = debtor(org_a, "C001")
    invoice = make_invoice(org_a, customer, "INV-1", "120.00", issue=date(2026, 2, 1), due=date(2026, 3, 1))
    make_invoice(org_a, customer, "INV-2", "30.00", issue=date(2026, 2, 5), due=date(2026, 3, 2))
    factur_x = (shared_data / "facturx" / "EN16931_Einfach.pdf").read_bytes()
    invoice_attach_pdf(org=org_a, invoice=invoice, data=factur_x, actor=system, now=now)

    cycle_run(org=org_a, on=date(2026, 3, 11), now=at(date(2026, 3, 11)))
    deliver_due(now=at(date(2026, 3, 11), 9))

    [mail] = smtp.received
    parts = {p.get_filename(): p.get_content() for p in mail.iter_attachments()}
    assert set(parts) == {"INV-1.pdf", "statement-C001-2026-03-11.pdf"}
    assert parts["INV-1.pdf"] == factur_x
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(parts["statement-C001-2026-03-11.pdf"])).pages)
    assert "C001 Trading Ltd" in text and "INV-1" in text and "INV-2" in text and "150.00" in text

    # A resend (e.g. after a crash) sends the stored statement, not a second one.
    message = Message.objects.get()
    Message.objects.filter(pk=message.pk).update(status="queued", next_attempt_at=message.created_at)
    assert deliver_due(now=at(date(2026, 3, 12), 9)).sent == 1
    assert message.attachments.count() == 2
    assert {p.get_filename() for p in smtp.received[1].iter_attachments()} == set(parts)
