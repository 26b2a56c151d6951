"""Issue 11 acceptance: a charge paid in part, then the rest. After each step the ledger (the stored
balance and the principal/charges split), the statement PDF read back, and `recoup check` agree
to the cent, under either payment order."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from recoup.ledger.actions import charge_add, payment_record
from recoup.ledger.checks import check_ledger
from recoup.ledger.models import Invoice
from recoup.ledger.selectors import statement
from recoup.ledger.splits import invoice_parts
from recoup.reports.statement_pdf import render_statement_pdf

FEE_ON = date(2026, 3, 5)


def pdf_text(org, customer, as_of) -> str:
    pdf = render_statement_pdf(statement(org=org, customer=customer, as_of=as_of), org)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"[ \u00a0\u202f]+", " ", text)


def check_output() -> str:
    out = io.StringIO()
    call_command("check", stdout=out)
    return out.getvalue()


def assert_agree(org, invoice, *, principal: str, fee_open: str, owed: str, as_of: date) -> str:
    """The stored balance, the split, `recoup check` and the statement PDF all say the same."""
    invoice = Invoice.objects.get(pk=invoice.pk)
    parts = invoice_parts(invoice)
    [fee] = parts.charges
    cents = lambda text: int(text.replace(".", ""))  # noqa: E731 - amounts here have two decimals
    assert (parts.principal_open_minor, fee.open_minor, invoice.open_minor) == \
        (cents(principal), cents(fee_open), cents(owed))
    assert parts.principal_open_minor + fee.open_minor == invoice.open_minor
    assert check_ledger().ok and check_output().startswith("ledger OK")
    text = pdf_text(org, invoice.customer, as_of)
    assert f"Balance due: £{owed}" in text
    if invoice.open_minor:
        assert re.search(rf"INV-7 1 Jan 2026 31 Jan 2026 \d+ £{re.escape(owed)}", text), text
    if fee.open_minor:
        assert f"Principal £{principal}" in text, text
        part = f" (£40.00 charged, part settled)" if fee.open_minor != 4000 else ""
        assert f"Late fee of 5 Mar 2026{part} £{fee_open}" in text, text
    else:
        assert "Late fee of" not in text
    return text


@pytest.mark.parametrize("setting", ["", "principal_first"], ids=["by-law-charges-first", "principal-first"])
def test_a_late_fee_paid_in_part_then_in_full_agrees_everywhere(org_a, make_customer, make_invoice, system, now,
                                                              setting):
    org_a.payment_order = setting  # GB fixes no order: "" (as the law says) is charges first
    org_a.save()
    customer = make_customer(org_a, ref="C007", name="Marlow Joinery Ltd")
    invoice = make_invoice(org_a, customer, "INV-7", "500.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    charge_add(org=org_a, invoice=invoice, kind="late_fee", on=FEE_ON, amount_minor=4000, actor=system, now=now,
               description="Late fee")
    assert_agree(org_a, invoice, principal="500.00", fee_open="40.00", owed="540.00", as_of=FEE_ON)

    # A payment that settles 25.00 of the fee under the order in force.
    first = 2500 if setting == "" else 52500
    payment_record(org=org_a, customer=customer, date=date(2026, 3, 10), amount_minor=first, currency="GBP",
                   invoice=invoice, actor=system, now=now)
    if setting == "":
        assert_agree(org_a, invoice, principal="500.00", fee_open="15.00", owed="515.00", as_of=date(2026, 3, 10))
    else:
        assert_agree(org_a, invoice, principal="0.00", fee_open="15.00", owed="15.00", as_of=date(2026, 3, 10))

    # Then the rest of the fee.
    payment_record(org=org_a, customer=customer, date=date(2026, 3, 20), amount_minor=1500, currency="GBP",
                   invoice=invoice, actor=system, now=now)
    if setting == "":
        text = assert_agree(org_a, invoice, principal="500.00", fee_open="0.00", owed="500.00",
                            as_of=date(2026, 3, 20))
    else:
        text = assert_agree(org_a, invoice, principal="0.00", fee_open="0.00", owed="0.00", as_of=date(2026, 3, 20))
    # The statement's lines show both payments against the fee and the running balance.
    assert "Late fee" in text and "£15.00" in text
