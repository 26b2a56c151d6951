"""A debtor's data: the whole export (JSON, PDF), erasure that keeps the accounts, refusal while a debt is open."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from recoup.audit.models import AuditEvent
from recoup.audit.selectors import chain_verify
from recoup.ledger.actions import invoice_write_off
from recoup.ledger.models import Contact, Invoice
from recoup.ops.debtor import DataRightsError, debtor_erase, debtor_export, debtor_export_pdf


@pytest.fixture
def debtor(org_a, make_customer, make_invoice):
    customer = make_customer(org_a, "C001", "Dana Debtor", notes="prefers mornings")
    Contact.objects.create(org=org_a, customer=customer, name="Dana Debtor", email="dana@example.test",
                           phone="+44 20 7946 0000", postal_address="1 High Street")
    make_invoice(org_a, customer, "A-1", "90.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    return customer


def test_export_holds_the_customer_contacts_invoices_and_history(org_a, org_b, debtor, make_customer):
    make_customer(org_b, "C001", "Someone Else")
    data = debtor_export(org=org_a, customer=debtor)
    assert data["customer"]["legal_name"] == "Dana Debtor"
    assert data["records"]["ledger.contact"][0]["email"] == "dana@example.test"
    assert [i["number"] for i in data["records"]["ledger.invoice"]] == ["A-1"]
    assert data["records"]["ledger.invoiceline"], "rows one step further out are included"
    assert any(e["verb"] == "invoice.created" for e in data["audit_events"])
    assert "Someone Else" not in json.dumps(data)
    with pytest.raises(DataRightsError):
        debtor_export(org=org_b, customer=debtor)


def test_export_as_pdf(org_a, debtor, now):
    pdf = debtor_export_pdf(org=org_a, customer=debtor, now=now)
    assert pdf.startswith(b"%PDF-")


def test_erasure_is_refused_while_a_debt_is_open_and_the_refusal_logged(org_a, debtor, system, now):
    result = debtor_erase(org=org_a, customer=debtor, reason="e-mail of 2026-03-30", actor=system, now=now)
    assert not result.erased and "A-1" in result.reason
    debtor.refresh_from_db()
    assert debtor.legal_name == "Dana Debtor"
    assert AuditEvent.objects.for_org(org_a).get(verb="customer.erasure_refused").data["request"] == "e-mail of 2026-03-30"


def test_erasure_anonymizes_the_person_and_keeps_the_accounts(org_a, debtor, system, now):
    invoice = Invoice.objects.for_org(org_a).get(number="A-1")
    invoice_write_off(org=org_a, invoice=invoice, on=date(2026, 3, 1), reason="uncollectable", amount_minor=None,
                      actor=system, now=now)
    out = io.StringIO()
    call_command("debtor", "erase", "C001", "--org", "acme", "--reason", "letter of 2026-03-30", stdout=out)
    debtor.refresh_from_db()
    contact = Contact.objects.get(customer=debtor)
    assert debtor.legal_name == "Erased customer C001" and debtor.notes == ""
    assert (contact.name, contact.email, contact.phone, contact.postal_address) == ("[erased]", "", "", "")
    assert contact.opt_out_email and contact.opt_out_letter
    invoice.refresh_from_db()
    assert invoice.total_minor == 9000, "the invoice stays for the tax records"
    assert AuditEvent.objects.for_org(org_a).filter(verb="customer.erased").exists()
    assert chain_verify(org_a).ok
    assert "Dana" not in json.dumps({k: v for k, v in debtor_export(org=org_a, customer=debtor).items()
                                     if k != "audit_events"})


def test_the_command_needs_a_reason_and_a_known_customer(org_a, debtor):
    with pytest.raises(CommandError, match="no customer"):
        call_command("debtor", "export", "NOPE", "--org", "acme")
    with pytest.raises(CommandError, match="say why"):
        call_command("debtor", "erase", "C001", "--org", "acme")
