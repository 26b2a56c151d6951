"""E-invoices through the import page: check several files, then confirm."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recoup.ledger.models import Customer, Invoice


@pytest.fixture
def client_for(client, org_a, org_b, system, now):
    from recoup.orgs.actions import member_add

    def login(org, role):
        client.force_login(member_add(org=org, username=f"{org.slug}-{role}", role=role, actor=system, now=now).user)
        return client

    return login


def post(client, org, shared_data, *names):
    files = [SimpleUploadedFile(n.split("/")[-1], (shared_data / n).read_bytes()) for n in names]
    return client.post(reverse("import_upload", args=[org.slug]), {"einvoice": "1", "files": files})


def test_e_invoices_are_checked_then_imported_on_confirmation(client_for, org_a, org_b, shared_data, settings, tmp_path):
    settings.VAR_DIR, settings.MEDIA_ROOT = tmp_path, tmp_path / "media"
    client = client_for(org_a, "collector")
    assert "Import e-invoices" in client.get(reverse("import_upload", args=[org_a.slug])).content.decode()
    page = post(client, org_a, shared_data, "facturx/validXRechnung.pdf", "facturx/corrupt-factur-x-waytoosmall.pdf")
    html = page.content.decode()
    assert "RE-20190610/507" in html and "571.04 EUR" in html
    assert "corrupt-factur-x-waytoosmall.pdf:byte 0:file: not a readable PDF" in html
    assert not Invoice.objects.exists()  # a dry run so far
    token = client.session["recoup_einvoice_import"]["files"][0][0]
    done = client.post(reverse("import_confirm", args=[org_a.slug]), {"einvoice": token}).content.decode()
    assert "1 imported, 0 already there, 1 refused" in done
    invoice = Invoice.objects.for_org(org_a).get()
    assert invoice.number == "RE-20190610/507" and invoice.pdf
    assert not Invoice.objects.for_org(org_b).exists() and not Customer.objects.for_org(org_b).exists()
    assert not list((tmp_path / "uploads").iterdir())


def test_a_forged_confirmation_imports_nothing(client_for, org_a):
    client = client_for(org_a, "owner")
    page = client.post(reverse("import_confirm", args=[org_a.slug]), {"einvoice": "x.einvoice"}, follow=True)
    assert "no longer waiting" in page.content.decode() and not Invoice.objects.exists()


def test_a_viewer_cannot_import_e_invoices(client_for, org_a, shared_data):
    assert post(client_for(org_a, "viewer"), org_a, shared_data, "facturx/validXRechnung.pdf").status_code == 403
    assert not Invoice.objects.exists()
