"""Uploaded files: script content is refused or handed out only as a download, never from a public URL."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recoup.ledger.models import Invoice
from recoup.orgs.actions import member_add

HTML = b"<html><script>alert(document.cookie)</script></html>"


@pytest.fixture
def collector(org_a, system, now, client):
    user = member_add(org=org_a, username="cole", role="collector", actor=system, now=now).user
    client.force_login(user)
    return client


def test_an_invoice_document_with_script_content_is_refused(collector, org_a, make_customer, make_invoice,
                                                             settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invoice = make_invoice(org_a, make_customer(org_a), "A-1", "10.00")
    url = reverse("invoice_pdf", args=[org_a.slug, invoice.pk])
    page = collector.post(url, {"pdf": SimpleUploadedFile("invoice.pdf", HTML, "application/pdf")}, follow=True)
    assert "must be a PDF" in page.content.decode()
    assert not Invoice.objects.get(pk=invoice.pk).pdf and not any(tmp_path.rglob("*"))


def test_uploaded_files_have_no_public_url(collector, org_a, make_customer, make_invoice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invoice = make_invoice(org_a, make_customer(org_a), "A-1", "10.00")
    collector.post(reverse("invoice_pdf", args=[org_a.slug, invoice.pk]),
                   {"pdf": SimpleUploadedFile("x.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    name = Invoice.objects.get(pk=invoice.pk).pdf.name
    assert name and collector.get(f"/media/{name}").status_code == 404
    from django.test import Client
    assert Client().get(reverse("invoice_pdf", args=[org_a.slug, invoice.pk])).status_code == 302


def test_a_debtors_dispute_attachment_is_served_as_a_download(collector, org_a, make_customer, make_invoice,
                                                               system, now):
    from recoup.arrangements.actions import dispute_open

    customer = make_customer(org_a)
    invoice = make_invoice(org_a, customer, "A-1", "10.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    dispute = dispute_open(org=org_a, customer=customer, invoices=[invoice], category="other", amount_minor=None,
                           message="see file", attachments=[("note.txt", "text/plain", HTML)], actor=system, now=now)
    attachment = dispute.attachments.get()
    response = collector.get(reverse("arrangements_dispute_attachment", args=[org_a.slug, dispute.pk, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response["Content-Security-Policy"]
