"""Imports through the web: a dry run with preview and errors, then a confirmed import."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recoup.ledger.models import Customer

GOOD = b"ref,name,email\nC100,Harbour Foods,ap@harbour.example\nC101,Quay Stores,\n"
BAD = b"ref,name,kind\nC100,Harbour Foods,business\nC101,,wholesale\n"


def upload(client, org, data: bytes, kind="customers", name="customers.csv"):
    return client.post(reverse("import_upload", args=[org.slug]),
                       {"kind": kind, "file": SimpleUploadedFile(name, data, content_type="text/csv")})


def test_a_file_with_errors_shows_every_error_and_stores_nothing(as_user, org_a, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client = as_user("collector")
    page = upload(client, org_a, BAD).content.decode()
    assert "customers.csv:3:name:" in page
    assert "customers.csv:3:kind:" in page
    assert "Harbour Foods" in page  # the preview
    assert 'name="token"' not in page  # nothing to confirm
    assert not Customer.objects.for_org(org_a).exists()
    assert not list((tmp_path / "uploads").iterdir())


def test_a_good_file_is_previewed_then_imported_on_confirmation(as_user, org_a, org_b, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client = as_user("collector")
    page = upload(client, org_a, GOOD)
    assert "2 to create" in page.content.decode()
    assert not Customer.objects.exists()  # a dry run so far
    token = client.session["recoup_import"]["token"]
    assert (tmp_path / "uploads" / token).read_bytes() == GOOD
    response = client.post(reverse("import_confirm", args=[org_a.slug]), {"token": token})
    assert response.status_code == 302
    assert sorted(Customer.objects.for_org(org_a).values_list("ref", flat=True)) == ["C100", "C101"]
    assert not Customer.objects.for_org(org_b).exists()
    assert not (tmp_path / "uploads" / token).exists()
    assert "2 created" in client.get(response["Location"]).content.decode()


def test_a_confirmation_without_a_waiting_upload_imports_nothing(as_user, org_a):
    client = as_user("owner")
    response = client.post(reverse("import_confirm", args=[org_a.slug]), {"token": "forged.csv"}, follow=True)
    assert "no longer waiting" in response.content.decode()
    assert not Customer.objects.exists()


def test_a_viewer_cannot_import(as_user, org_a):
    assert upload(as_user("viewer"), org_a, GOOD).status_code == 403
    assert not Customer.objects.exists()
