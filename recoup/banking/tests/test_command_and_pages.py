"""The statement-import command and the banking pages, as an operator uses them."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from recoup.audit.models import AuditEvent
from recoup.banking.models import BankAccount, LineState, Statement, StatementLine
from recoup.banking.tests.builders import Entry, camt053, import_confirmed
from recoup.ledger.models import InvoiceStatus


def run(*args) -> str:
    out = StringIO()
    call_command("statement-import", *args, stdout=out)
    return out.getvalue()


def test_the_command_imports_reports_json_and_refuses_twice_nothing(org_a, shared_data, tmp_path):
    path = tmp_path / "camt.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("oca-test-camt053-txdtls.xml", "genkgo-camt053.v2.multi.statement.xml"):
            archive.writestr(name, (shared_data / "camt" / name).read_bytes())
    # Its accounts are not acme's (no Settings IBAN, no bank account yet): refused, naming them, until confirmed.
    with pytest.raises(CommandError, match=r"camt.zip: the statement is for accounts NL26 VAYB 8060 4768 90, "
                                           r"CH1111000000123456789, not one of Acme Supplies Ltd's accounts \(none yet\): "
                                           r"nothing imported; if the file is Acme Supplies Ltd's, run again with "
                                           r"--add-account"):
        run(str(path), "--org", "acme")
    assert not Statement.objects.for_org(org_a).exists() and not BankAccount.objects.for_org(org_a).exists()
    data = json.loads(run(str(path), "--org", "acme", "--format", "json", "--add-account"))
    assert [s["lines"] for s in data["statements"]] == [1, 1, 2] and data["lines"] == 4
    assert sorted(BankAccount.objects.for_org(org_a).values_list("iban", flat=True)) == [
        "CH1111000000123456789", "NL26VAYB8060476890"]
    assert AuditEvent.objects.filter(org=org_a, verb="bank.account_created").count() == 2
    again = json.loads(run(str(path), "--org", "acme", "--format", "json"))
    assert again["already_imported"] and again["lines"] == 0
    assert Statement.objects.for_org(org_a).count() == 3


def test_the_command_refuses_a_statement_that_does_not_balance(org_a, shared_data):
    with pytest.raises(CommandError, match=r"oca-test-camt053.zip/test-camt053_02.xml: line 7 .*does not balance"):
        run(str(shared_data / "camt/oca-test-camt053.zip"), "--org", "acme")
    assert not Statement.objects.for_org(org_a).exists()


def test_the_command_uses_a_profile_and_an_account(org_a, shared_data):
    text = run(str(shared_data / "csv/hledger_sample.fr.cp1252.csv"), "--org", "acme", "--account", "Caisse",
               "--profile", "fr-cp1252")
    assert "3 new line(s)" in text and "Caisse" in text


def test_the_command_names_the_file_and_place_of_a_broken_file(org_a, shared_data):
    with pytest.raises(CommandError, match=r"oca-test-wrong-file.940: line 1: ':9401:'"):
        run(str(shared_data / "mt940/oca-test-wrong-file.940"), "--org", "acme")
    assert not Statement.objects.for_org(org_a).exists()


def test_the_command_refuses_a_file_over_the_upload_limit(org_a, tmp_path, settings):
    settings.RECOUP_STATEMENT_MAX_UPLOAD_MB = 1
    path = tmp_path / "big.xml"
    path.write_bytes(b" " * (2**20 + 1))
    with pytest.raises(CommandError, match=r"big.xml: the file is 1.0 MB, more than the 1 MB one upload may be"):
        run(str(path), "--org", "acme")


@pytest.fixture
def signed_in(client, org_a, org_b, system, now):
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olivia", role="owner", password="pw-olivia-123", actor=system, now=now)
    client.login(username="olivia", password="pw-olivia-123")
    return client


def test_upload_review_confirm_and_undo_through_the_pages(signed_in, org_a, make_customer, make_invoice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    org_a.bank_iban = "GB33BUKB20201555555555"  # the builder's statements are of acme's own account
    org_a.save(update_fields=["bank_iban"])
    customer = make_customer(org_a, ref="C9", name="Tailspin Toys")
    invoice = make_invoice(org_a, customer, "INV-7001", "300.00", issue=date(2026, 1, 2), due=date(2026, 2, 1))
    data = camt053([Entry("100.00", date(2026, 4, 1), name="Someone", text="part of 7001")])
    page = signed_in.post("/o/acme/bank/", {"file": SimpleUploadedFile("s.xml", data)}, follow=True)
    assert b"1 line(s) imported, 0 matched automatically, 1 to review" in page.content
    review = signed_in.get("/o/acme/bank/review/")
    assert b"Confirm INV-7001" in review.content
    line = StatementLine.objects.for_org(org_a).get()
    candidate = line.candidates.get()
    signed_in.post(f"/o/acme/bank/lines/{line.pk}/confirm/", {"candidate": candidate.pk})
    invoice.refresh_from_db()
    assert invoice.open_minor == 20000
    signed_in.post(f"/o/acme/bank/lines/{line.pk}/undo/", {"next": f"/o/acme/bank/statements/{line.statement_id}/"})
    invoice.refresh_from_db()
    line.refresh_from_db()
    assert invoice.open_minor == 30000 and line.state == LineState.REVIEW
    signed_in.post(f"/o/acme/bank/lines/{line.pk}/confirm/", {"invoices": "INV-7001"})
    invoice.refresh_from_db()
    assert invoice.open_minor == 20000 and invoice.status == InvoiceStatus.OPEN


def test_a_broken_upload_shows_the_place_and_stores_nothing(signed_in, org_a, shared_data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    name = "ofxparse-fail_nice-decimal_error.ofx"
    page = signed_in.post("/o/acme/bank/", {"file": SimpleUploadedFile(name, (shared_data / "ofx" / name).read_bytes())})
    assert b"STMTTRN[1]/TRNAMT" in page.content and b"is not an amount" in page.content
    assert not Statement.objects.for_org(org_a).exists()


@pytest.mark.parametrize("member, words", [
    ("damaged", b"up.zip/s.xml: the file is damaged in the zip (Bad CRC-32 for file &#x27;s.xml&#x27;)"),
    ("nested", b"up.zip/inner.zip: a zip archive inside the zip"),
])
def test_a_damaged_or_nested_zip_upload_is_refused_on_the_page_and_nothing_is_kept(signed_in, org_a, member, words):
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile

    from recoup.banking.tests.test_uploads import STATEMENT, zipped

    if member == "nested":
        data = zipped(("inner.zip", zipped(("s.xml", STATEMENT))))
    else:
        damaged = bytearray(zipped(("s.xml", STATEMENT), method=zipfile.ZIP_STORED))
        damaged[bytes(damaged).index(b"Alpha")] = ord("B")
        data = bytes(damaged)
    uploads = settings.VAR_DIR / "uploads"
    before = sorted(uploads.rglob("*")) if uploads.exists() else []
    page = signed_in.post("/o/acme/bank/", {"file": SimpleUploadedFile("up.zip", data)})
    assert page.status_code == 200 and words in page.content
    assert not Statement.objects.for_org(org_a).exists()
    assert (sorted(uploads.rglob("*")) if uploads.exists() else []) == before  # a statement upload is never kept


def test_another_organizations_lines_are_not_found(signed_in, org_b, system, now):
    import_confirmed(org=org_b, file_name="b.xml", data=camt053([Entry("5.00", date(2026, 4, 1), currency="USD")],
                                                                currency="USD"), actor=system, now=now)
    line = StatementLine.objects.for_org(org_b).get()
    assert signed_in.post(f"/o/acme/bank/lines/{line.pk}/reject/").status_code == 404
    assert signed_in.get(f"/o/acme/bank/statements/{line.statement_id}/").status_code == 404
    assert signed_in.get("/o/bolt/bank/").status_code == 404
