"""Keeping the invoice document as sent: a real Factur-X PDF from the shared data."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from recoup.audit.models import AuditEvent



@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def real_pdf(shared_data) -> bytes:
    return (shared_data / "facturx" / "EN16931_Einfach.pdf").read_bytes()


def url(org, invoice):
    return f"/o/{org.slug}/invoices/{invoice.pk}/document.pdf"


def test_a_collector_attaches_the_pdf_and_any_member_downloads_it(org_a, ledger_a, as_user, real_pdf):
    invoice = ledger_a["old"]
    response = as_user("collector").post(url(org_a, invoice), {"pdf": SimpleUploadedFile("a1.pdf", real_pdf)})
    assert response.status_code == 302

    viewer = as_user("viewer")
    download = viewer.get(url(org_a, invoice))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == real_pdf
    assert 'filename="A-1.pdf"' in download["Content-Disposition"]
    assert AuditEvent.objects.filter(org=org_a, verb="invoice.pdf_attached").count() == 1
    assert "Invoice A-1 as sent" in viewer.get(f"/o/{org_a.slug}/invoices/{invoice.pk}/").content.decode()


def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_kept(org_a, ledger_a, as_user, shared_data):
    invoice = ledger_a["old"]
    csv = (shared_data / "csv" / "invoicely_invoices.csv").read_bytes()
    response = as_user("collector").post(url(org_a, invoice), {"pdf": SimpleUploadedFile("inv.csv", csv)}, follow=True)
    assert "inv.csv: the invoice document must be a PDF file" in response.content.decode()
    invoice.refresh_from_db()
    assert not invoice.pdf
    assert as_user("collector").get(url(org_a, invoice)).status_code == 404


def test_viewers_cannot_attach_and_other_organizations_cannot_see(org_a, ledger_a, ledger_b, as_user, real_pdf):
    invoice = ledger_a["old"]
    assert as_user("viewer").post(url(org_a, invoice), {"pdf": SimpleUploadedFile("a.pdf", real_pdf)}).status_code == 403
    as_user("owner").post(url(org_a, invoice), {"pdf": SimpleUploadedFile("a.pdf", real_pdf)})
    outsider = as_user("outsider")
    assert outsider.get(url(org_a, invoice)).status_code == 404
    # An id of org_a's invoice under org_b's slug is not found either.
    assert outsider.get(f"/o/bolt/invoices/{invoice.pk}/document.pdf").status_code == 404
    assert outsider.post(f"/o/bolt/invoices/{invoice.pk}/document.pdf",
                         {"pdf": SimpleUploadedFile("x.pdf", real_pdf)}).status_code == 404
