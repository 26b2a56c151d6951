"""Imports through the web: upload, the column mapping, a dry run with every error on its cell, then a
confirmed import; uploads stay within their limit and do not outlive their use."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recoup.audit.models import AuditEvent
from recoup.ledger.models import Customer, ImportMapping, Invoice

GOOD = b"ref,name,email\nC100,Harbour Foods,ap@harbour.example\nC101,Quay Stores,\n"
BAD = b"ref,name,kind\nC100,Harbour Foods,business\nC101,,wholesale\n"


def upload(client, org, data: bytes, kind="customers", name="customers.csv", source=""):
    return client.post(reverse("import_upload", args=[org.slug]),
                       {"kind": kind, "source": source, "file": SimpleUploadedFile(name, data, content_type="text/csv")})


def check(client, org, **chosen):
    """Post the mapping page as guessed, with ``chosen`` (column index -> field) changed."""
    page = client.get(reverse("import_mapping", args=[org.slug]))
    form = page.context["form"]
    data = {name: field.initial for name, field in form.fields.items()}
    data.update({f"col_{i}": v for i, v in ((int(k[1:]), v) for k, v in chosen.items())})
    data["date_order"] = data.get("date_order") or ""
    return client.post(reverse("import_mapping", args=[org.slug]), data)


def test_a_file_with_errors_shows_every_error_on_its_cell_and_stores_nothing(as_user, org_a, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client = as_user("collector")
    assert upload(client, org_a, BAD).status_code == 302
    page = check(client, org_a).content.decode()
    assert "customers.csv:3:name:" in page and "customers.csv:3:kind:" in page
    assert "Harbour Foods" in page  # the preview
    assert page.count('class="cell-error"') == 2 and "is not business or consumer" in page
    assert 'name="token"' not in page  # nothing to confirm
    assert not Customer.objects.for_org(org_a).exists()


def test_a_good_file_is_mapped_previewed_then_imported_on_confirmation(as_user, org_a, org_b, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client = as_user("collector")
    response = upload(client, org_a, GOOD)
    assert response["Location"] == reverse("import_mapping", args=[org_a.slug])
    page = check(client, org_a)
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


def test_the_mapping_is_guessed_shown_and_kept_per_organization_and_source(as_user, org_a, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client = as_user("collector")
    data = b"Customer,Invoice #,Invoice Date,Total,Notes\nHarbour Foods,A-1,2026-01-05,10.00,x\n"
    upload(client, org_a, data, kind="invoices", name="invoices.csv")
    form = client.get(reverse("import_mapping", args=[org_a.slug])).context["form"]
    assert [form.fields[f"col_{i}"].initial for i in range(5)] == ["customer_name", "number", "issue_date", "amount",
                                                                   "-"]
    page = check(client, org_a, c4="description").content.decode()
    assert "1 to create" in page and "1 new customer" in page
    saved = ImportMapping.objects.get(org=org_a, source="", kind="invoices")
    assert saved.columns["notes"] == "description"
    assert AuditEvent.objects.filter(org=org_a, verb="import.mapping_saved").exists()
    upload(client, org_a, data, kind="invoices", name="again.csv")
    form = client.get(reverse("import_mapping", args=[org_a.slug])).context["form"]
    assert form.fields["col_4"].initial == "description"


def test_a_tools_export_is_mapped_by_its_preset(as_user, org_a, settings, tmp_path, shared_data):
    settings.VAR_DIR = tmp_path
    client = as_user("collector")
    data = (shared_data / "csv" / "wave_invoices.csv").read_bytes()
    upload(client, org_a, data, kind="invoices", name="wave.csv", source="wave")
    form = client.get(reverse("import_mapping", args=[org_a.slug])).context["form"]
    assert form.fields["col_12"].label == "Invoice Number" and form.fields["col_12"].initial == "number"
    page = check(client, org_a).content.decode()
    assert "3 to create" in page and "3 new customers" in page


def test_a_tool_without_a_preset_for_the_kind_is_refused_on_the_form(as_user, org_a, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    page = upload(as_user("collector"), org_a, GOOD, kind="payments", source="zoho").content.decode()
    assert "Zoho Books&#x27;s preset reads invoices, customers, not payments" in page


def test_an_upload_over_the_limit_is_refused_and_not_kept(as_user, org_a, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.RECOUP_IMPORT_MAX_BYTES = 1000
    client = as_user("collector")
    response = upload(client, org_a, b"ref,name\n" + b"C1,Harbour Foods\n" * 100)
    assert response.status_code == 413
    assert "larger than 0.001 MB, the most one import takes" in response.content.decode()
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())
    assert "recoup_import" not in client.session


def test_abandoned_uploads_are_swept_when_the_next_one_arrives(as_user, org_a, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    old = tmp_path / "uploads" / "abandonedabandonedabandoned.csv"
    old.parent.mkdir()
    old.write_bytes(GOOD)
    hours_ago = time.time() - timedelta(hours=settings.RECOUP_UPLOAD_MAX_AGE_HOURS + 1).total_seconds()
    os.utime(old, (hours_ago, hours_ago))
    client = as_user("collector")
    upload(client, org_a, GOOD)
    first = client.session["recoup_import"]["token"]
    assert not old.exists() and (tmp_path / "uploads" / first).exists()
    upload(client, org_a, GOOD)  # the session's previous upload goes too
    assert not (tmp_path / "uploads" / first).exists()


def test_a_confirmation_without_a_waiting_upload_imports_nothing(as_user, org_a):
    client = as_user("owner")
    response = client.post(reverse("import_confirm", args=[org_a.slug]), {"token": "forged.csv"}, follow=True)
    assert "no longer waiting" in response.content.decode()
    assert not Customer.objects.exists()


def test_a_viewer_cannot_import(as_user, org_a):
    assert upload(as_user("viewer"), org_a, GOOD).status_code == 403
    assert not Customer.objects.exists()
    assert not Invoice.objects.exists()


def test_recoup_uploads_sweep_removes_only_old_uploads(settings, tmp_path):
    import io

    from django.core.management import call_command

    settings.VAR_DIR = tmp_path
    folder = tmp_path / "uploads"
    folder.mkdir()
    old, fresh = folder / "oldoldoldoldoldoldoldold.csv", folder / "newnewnewnewnewnewnewnew.csv"
    for path in (old, fresh):
        path.write_bytes(GOOD)
    two_days_ago = time.time() - 48 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    out = io.StringIO()
    call_command("uploads-sweep", stdout=out)
    assert out.getvalue() == "removed 1 abandoned upload older than 24 hours\n"
    assert not old.exists() and fresh.exists()
