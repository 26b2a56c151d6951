import io
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from recoup.ledger.actions import payment_record
from recoup.ledger.models import Contact
from recoup.ledger.selectors import statement
from recoup.reports.statement_pdf import render_statement_pdf


@pytest.fixture
def customer(org_a, make_customer, make_invoice, system, now):
    org_a.bank_name, org_a.bank_iban, org_a.address = "Northern Bank", "GB33BUKB20201555555555", "1 Mill Lane\nLeeds"
    org_a.save()
    c = make_customer(org_a, ref="C042", name="Harbour Cafe Ltd")
    Contact.objects.create(org=org_a, customer=c, name="Ann Harbour", postal_address="9 Quay St\nWhitby")
    make_invoice(org_a, c, "INV-1001", "250.00", issue=date(2026, 1, 5))
    make_invoice(org_a, c, "INV-1002", "80.00", issue=date(2026, 2, 5))
    payment_record(org=org_a, customer=c, date=date(2026, 2, 20), amount_minor=10000, currency="GBP",
                   reference="FP-77", actor=system, now=now)
    return c


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_pdf_shows_customer_lines_balance_open_invoices_and_how_to_pay(org_a, customer):
    st = statement(org=org_a, customer=customer, as_of=date(2026, 3, 31))
    pdf = render_statement_pdf(st, org_a)
    assert pdf.startswith(b"%PDF")
    text = text_of(pdf)
    assert "Harbour Cafe Ltd" in text and "Whitby" in text
    assert "INV-1001" in text and "FP-77" in text
    assert "£230.00" in text  # 250 + 80 - 100
    assert "GB33BUKB20201555555555" in text and "Acme Supplies Ltd" in text


def call(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("statement", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_the_command_prints_a_table_and_json(org_a, customer):
    table = call("C042", "--as-of", "2026-02-28")
    assert "INV-1001" in table and "230.00" in table and "FP-77" in table
    data = json.loads(call("C042", "--as-of", "2026-02-10", "--format", "json"))
    assert data["sections"][0]["closing_balance"] == "330.00"
    assert [ln["reference"] for ln in data["sections"][0]["lines"]] == ["INV-1001", "INV-1002"]


def test_the_command_writes_a_pdf_and_needs_an_output_for_it(org_a, customer, tmp_path):
    with pytest.raises(CommandError, match="--output"):
        call("C042", "--format", "pdf")
    target = tmp_path / "st.pdf"
    call("C042", "--as-of", "2026-03-31", "--format", "pdf", "--output", str(target))
    assert "INV-1002" in text_of(target.read_bytes())


def test_the_command_refuses_an_unknown_customer_and_another_orgs_customer(org_a, org_b, customer):
    with pytest.raises(CommandError, match="no customer 'C042' in bolt"):
        call("C042", "--org", "bolt")
    with pytest.raises(CommandError, match="several organizations"):
        call("C042")
