"""Many customers and invoices at once leave the ledger and its audit trail exactly as the
one-by-one actions do (``customer_create`` + ``contact_save``, ``invoice_create``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from recoup.audit.models import AuditEvent
from recoup.audit.selectors import chain_verify
from recoup.ledger.actions import LedgerError, LineInput, invoice_create
from recoup.ledger.bulk_actions import NewInvoice, invoices_create_many
from recoup.ledger.checks import check_ledger
from recoup.ledger.customer_actions import (
    CustomerInputError, NewCustomer, contact_check, contact_save, customer_create, customers_create_many,
)
from recoup.ledger.models import Contact, Customer, Invoice, InvoiceLine, PaymentTerms
from recoup.ledger.terms_actions import terms_create

CUSTOMERS = [
    NewCustomer("C1", "Alpha Ltd", contact={"name": "Alpha Ltd", "email": "ap@alpha.example", "is_billing": True}),
    NewCustomer("C2", "Bravo plc ", fields={"country": "GB", "language": "en"}),
    NewCustomer("C3", "Charlie", contact={"name": "Charlie", "phone": "+44 20 7946 0000", "is_billing": True}),
]


def _invoices(customers: dict[str, Customer], own_terms: PaymentTerms) -> list[NewInvoice]:
    one = [LineInput(description="Goods", quantity=Decimal(2), unit_price=Decimal("50.00"), tax_rate=Decimal(20))]
    stated = [LineInput(description="As billed", quantity=Decimal(1), unit_price=Decimal("10.00"), net_minor=1000,
                        tax_minor=175),
              LineInput(description="Freight", quantity=Decimal(3), unit_price=Decimal("1.333333"))]
    return [
        NewInvoice(customers["C1"], "INV-1", date(2026, 1, 5), "GBP", one, due_date=date(2026, 2, 4)),
        NewInvoice(customers["C1"], "INV-2", date(2026, 1, 9), "GBP", stated),  # the customer's terms
        NewInvoice(customers["C2"], "INV-3", date(2026, 1, 31), "GBP", one),  # the organization's terms
        NewInvoice(customers["C2"], "INV-4", date(2026, 2, 2), "EUR", stated, terms=own_terms, po_number="PO-9",
                   description="from Xero"),
        NewInvoice(customers["C3"], "INV-5", date(2026, 2, 3), "GBP",
                   [LineInput(description="Free sample", quantity=Decimal(1), unit_price=Decimal(0))]),
    ]


def _terms(org, system, now):
    org_terms = terms_create(org=org, actor=system, now=now, name="Net 14", net_days=14)
    org.default_terms = org_terms
    org.save(update_fields=["default_terms"])
    eom = terms_create(org=org, actor=system, now=now, name="30 EOM", net_days=30, end_of_month=True)
    own = terms_create(org=org, actor=system, now=now, name="Net 7", net_days=7)
    return eom, own


def _by_hand(org, system, now) -> None:
    eom, own = _terms(org, system, now)
    customers = {}
    for item in CUSTOMERS:
        customers[item.ref] = customer_create(org=org, ref=item.ref, legal_name=item.legal_name, actor=system,
                                              now=now, via="Xero", **item.fields)
        if item.contact:
            contact_save(org=org, customer=customers[item.ref], actor=system, now=now, via="Xero", **item.contact)
    Customer.objects.filter(pk=customers["C1"].pk).update(default_terms=eom)
    customers = {c.ref: c for c in Customer.objects.for_org(org)}
    for item in _invoices(customers, own):
        invoice_create(org=org, customer=item.customer, number=item.number, issue_date=item.issue_date,
                       currency=item.currency, lines=item.lines, due_date=item.due_date, terms=item.terms,
                       po_number=item.po_number, description=item.description, actor=system, now=now)


def _at_once(org, system, now) -> None:
    eom, own = _terms(org, system, now)
    customers_create_many(org=org, items=CUSTOMERS, actor=system, now=now, via="Xero")
    Customer.objects.for_org(org).filter(ref="C1").update(default_terms=eom)
    customers = {c.ref: c for c in Customer.objects.for_org(org)}
    invoices_create_many(org=org, items=_invoices(customers, own), actor=system, now=now)


def _ledger(org) -> list:
    customers = list(Customer.objects.for_org(org).order_by("pk").values_list(
        "ref", "kind", "legal_name", "display_name", "country", "region", "timezone", "language",
        "credit_limit_minor", "default_terms__name", "status", "notes"))
    contacts = list(Contact.objects.for_org(org).order_by("pk").values_list(
        "customer__ref", "name", "role", "email", "phone", "postal_address", "preferred_channel", "opt_out_email",
        "opt_out_sms", "opt_out_letter", "opt_out_phone", "is_billing"))
    invoices = list(Invoice.objects.for_org(org).order_by("pk").values_list(
        "customer__ref", "number", "issue_date", "due_date", "currency", "net_minor", "tax_minor", "total_minor",
        "open_minor", "status", "terms__name", "agreed_terms", "po_number", "description"))
    lines = list(InvoiceLine.objects.filter(invoice__org=org).order_by("invoice_id", "position").values_list(
        "invoice__number", "position", "description", "quantity", "unit_price", "tax_rate", "net_minor", "tax_minor"))
    return [customers, contacts, invoices, lines]


def _events(org) -> list:
    """The audit trail with each subject and customer named by what it is in this organization."""
    names = {("customer", pk): ref for pk, ref in Customer.objects.for_org(org).values_list("pk", "ref")}
    names |= {("invoice", pk): n for pk, n in Invoice.objects.for_org(org).values_list("pk", "number")}
    names |= {("contact", pk): f"{ref}/{n}" for pk, ref, n in
              Contact.objects.for_org(org).values_list("pk", "customer__ref", "name")}
    names |= {("paymentterms", pk): n for pk, n in PaymentTerms.objects.for_org(org).values_list("pk", "name")}
    return [(verb, names.get((kind, subject), kind), names.get(("customer", customer)), summary, data, actor)
            for verb, kind, subject, customer, summary, data, actor in AuditEvent.objects.for_org(org).order_by("seq")
            .values_list("verb", "subject_type", "subject_id", "customer_id", "summary", "data", "actor_label")
            if verb != "org.created"]


def test_customers_and_invoices_at_once_are_row_for_row_the_one_by_one_ledger(org_a, org_b, system, now):
    _by_hand(org_a, system, now)
    _at_once(org_b, system, now)
    one_by_one, at_once = _ledger(org_a), _ledger(org_b)
    assert at_once == one_by_one
    assert [row[1:3] + row[8:10] for row in at_once[2]] == [
        ("INV-1", date(2026, 1, 5), 12000, "open"), ("INV-2", date(2026, 1, 9), 1575, "open"),
        ("INV-3", date(2026, 1, 31), 12000, "open"), ("INV-4", date(2026, 2, 2), 1575, "open"),
        ("INV-5", date(2026, 2, 3), 0, "paid")]
    assert [row[3] for row in at_once[2]] == [date(2026, 2, 4), date(2026, 3, 2), date(2026, 2, 14),
                                              date(2026, 2, 9), date(2026, 2, 17)]  # own, EOM, org's, Net 7, org's
    assert _events(org_b) == _events(org_a)
    assert [e[0] for e in _events(org_b)][-10:] == ["customer.created", "contact.added", "customer.created",
                                                    "customer.created", "contact.added"] + ["invoice.created"] * 5
    assert chain_verify(org_b).ok and check_ledger(org=org_b).ok


def test_a_number_already_used_or_repeated_stops_the_whole_batch(org_a, make_customer, make_invoice, system, now):
    customer = make_customer(org_a, "C1")
    make_invoice(org_a, customer, "INV-1", "10.00")
    line = [LineInput(description="x", quantity=Decimal(1), unit_price=Decimal(5))]
    with pytest.raises(LedgerError, match="invoice INV-1 already exists"):
        invoices_create_many(org=org_a, actor=system, now=now, items=[
            NewInvoice(customer, "INV-2", date(2026, 1, 1), "GBP", line),
            NewInvoice(customer, "INV-1", date(2026, 1, 1), "GBP", line)])
    with pytest.raises(LedgerError, match="invoice INV-3 already exists"):
        invoices_create_many(org=org_a, actor=system, now=now, items=[
            NewInvoice(customer, "INV-3", date(2026, 1, 1), "GBP", line),
            NewInvoice(customer, "INV-3", date(2026, 1, 1), "GBP", line)])
    with pytest.raises(LedgerError, match="INV-4: due date 2025-12-31 is before issue date 2026-01-01"):
        invoices_create_many(org=org_a, actor=system, now=now, items=[
            NewInvoice(customer, "INV-4", date(2026, 1, 1), "GBP", line, due_date=date(2025, 12, 31))])
    assert list(Invoice.objects.for_org(org_a).values_list("number", flat=True)) == ["INV-1"]


def test_another_organizations_customer_is_refused(org_a, org_b, make_customer, system, now):
    theirs = make_customer(org_b, "X1")
    with pytest.raises(LedgerError, match="does not belong to acme"):
        invoices_create_many(org=org_a, actor=system, now=now, items=[NewInvoice(
            theirs, "INV-1", date(2026, 1, 1), "GBP", [LineInput(description="x", quantity=Decimal(1),
                                                                 unit_price=Decimal(5))])])
    assert not Invoice.objects.exists()


def test_a_bad_customer_or_contact_stops_the_whole_batch_naming_it(org_a, make_customer, system, now):
    make_customer(org_a, "C1")
    for items, field, message in [
        ([NewCustomer("C9", "Nine"), NewCustomer("C1", "One again")], "ref", "customer C1: customer reference C1 is already used"),
        ([NewCustomer("C9", "Nine"), NewCustomer("C9", "Nine again")], "ref", "customer C9: customer reference C9"),
        ([NewCustomer("C8", "Eight", contact={"name": "E", "email": "not an address"})], "email",
         "customer C8: 'not an address' is not an e-mail address"),
        ([NewCustomer("C7", " ")], "legal_name", "customer C7: a customer needs a legal name"),
    ]:
        with pytest.raises(CustomerInputError, match=message) as refused:
            customers_create_many(org=org_a, items=items, actor=system, now=now)
        assert refused.value.field == field
    assert list(Customer.objects.for_org(org_a).values_list("ref", flat=True)) == ["C1"]
    assert not Contact.objects.exists()


def test_contact_check_refuses_what_contact_save_refuses():
    contact_check(name="A", email="a@example.com", phone="+44 1")
    with pytest.raises(CustomerInputError, match="not an e-mail address"):
        contact_check(name="A", email="nope")


CREDITS = [("INV-1", "CN-1", 4000), ("INV-1", "CN-2", 6000),  # credited in full, nothing paid: credited
           ("INV-2", "CN-3", 2500),  # part: open
           ("INV-3", "CN-4", 6000),  # the rest after a payment: paid
           ("INV-4", "CN-5", 1000)]  # after a part write-off: the full rule


def _credit_book(org, make_customer, make_invoice, system, now):
    from recoup.ledger.actions import invoice_write_off, payment_record

    a, b = make_customer(org, ref="A"), make_customer(org, ref="B")
    invoices = {n: make_invoice(org, c, n, amount, due=date(2026, 2, 1), currency="GBP")
                for n, c, amount in [("INV-1", a, "100.00"), ("INV-2", a, "50.00"), ("INV-3", b, "80.00"),
                                     ("INV-4", b, "30.00")]}
    payment_record(org=org, customer=b, date=date(2026, 2, 1), amount_minor=2000, currency="GBP",
                   invoice=invoices["INV-3"], actor=system, now=now)
    invoice_write_off(org=org, invoice=invoices["INV-4"], amount_minor=2000, on=date(2026, 3, 1), reason="goodwill",
                      actor=system, now=now)
    return {n: Invoice.objects.get(pk=i.pk) for n, i in invoices.items()}


def _credit_state(org):
    from recoup.ledger.models import Allocation, CreditNote

    return (sorted(Invoice.objects.for_org(org).values_list("number", "open_minor", "status")),
            sorted(CreditNote.objects.for_org(org).values_list("number", "customer__ref", "date", "amount_minor",
                                                               "named_invoice__number", "reason",
                                                               "unapplied_minor")),
            sorted(Allocation.objects.for_org(org).filter(credit_note__isnull=False).values_list(
                "invoice__number", "credit_note__number", "amount_minor", "date")))


def test_credit_notes_at_once_leave_the_ledger_as_one_by_one(org_a, org_b, make_customer, make_invoice, system, now):
    from recoup.ledger.actions import credit_note_record
    from recoup.ledger.bulk_actions import NamedCredit, credit_notes_record_named

    at_once = _credit_book(org_a, make_customer, make_invoice, system, now)
    credit_notes_record_named(org=org_a, actor=system, now=now, items=[
        NamedCredit(invoice=at_once[n], number=cn, date=date(2026, 3, 5), amount_minor=m, reason="from Xero")
        for n, cn, m in CREDITS])
    single = _credit_book(org_b, make_customer, make_invoice, system, now)
    for n, cn, m in CREDITS:
        invoice = Invoice.objects.get(pk=single[n].pk)
        credit_note_record(org=org_b, customer=invoice.customer, number=cn, date=date(2026, 3, 5), amount_minor=m,
                           currency=invoice.currency, invoice=invoice, reason="from Xero", actor=system, now=now)
    assert _credit_state(org_a) == _credit_state(org_b)
    assert _credit_state(org_a)[0] == [("INV-1", 0, "credited"), ("INV-2", 2500, "open"), ("INV-3", 0, "paid"),
                                       ("INV-4", 0, "written_off")]
    issued = [[e for e in _events(org) if e[0] == "credit_note.issued"] for org in (org_a, org_b)]
    assert issued[0] == issued[1] and len(issued[0]) == 5
    assert check_ledger(org=org_a).ok and chain_verify(org_a).ok


def test_a_credit_larger_than_what_is_open_or_a_number_used_stops_the_batch(org_a, make_customer, make_invoice,
                                                                            system, now):
    from recoup.ledger.bulk_actions import NamedCredit, credit_notes_record_named
    from recoup.ledger.models import CreditNote

    invoices = _credit_book(org_a, make_customer, make_invoice, system, now)
    for items, message in [
        ([NamedCredit(invoices["INV-2"], "CN-1", date(2026, 3, 5), 3000),
          NamedCredit(invoices["INV-2"], "CN-2", date(2026, 3, 5), 3000)],
         "CN-2: 30.00 GBP is more than the 20.00 GBP still open on invoice INV-2"),
        ([NamedCredit(invoices["INV-2"], "CN-1", date(2026, 3, 5), 100),
          NamedCredit(invoices["INV-1"], "CN-1", date(2026, 3, 5), 100)], "credit note CN-1 already exists"),
    ]:
        with pytest.raises(LedgerError, match=message):
            credit_notes_record_named(org=org_a, items=items, actor=system, now=now)
    assert not CreditNote.objects.exists()
