from datetime import date

import pytest

from recoup.audit.models import AuditEvent
from recoup.ledger.imports import import_csv
from recoup.ledger.models import Allocation, Contact, CreditNote, Customer, Invoice, Payment, PaymentTerms

CUSTOMERS = "ref,name,kind,email,phone,address,country,timezone,terms,credit_limit\n" \
    "C1,Alpha Ltd,business,ap@alpha.test,0123,1 High St,gb,Europe/London,Net 30,5000.00\n" \
    "C2,Bea Smith,consumer,,,,,,,\n"
INVOICES = "number,customer_ref,issue_date,due_date,amount,description\n" \
    "INV-1,C1,2026-01-01,2026-01-31,100.00,Goods\n" \
    "INV-2,C2,2026-01-10,,50.00,\n"


def run(org, kind, data, system, now, **kw):
    return import_csv(org=org, kind=kind, name=f"{kind}.csv", data=data, actor=system, now=now, **kw)


@pytest.fixture
def loaded(org_a, system, now):
    assert run(org_a, "customers", CUSTOMERS, system, now).ok
    assert run(org_a, "invoices", INVOICES, system, now).ok


def test_it_imports_customers_with_their_billing_contact(org_a, system, now):
    result = run(org_a, "customers", CUSTOMERS.encode("utf-8-sig"), system, now)
    assert result.ok and (result.rows, result.created) == (2, 2)
    alpha = Customer.objects.for_org(org_a).get(ref="C1")
    assert (alpha.legal_name, alpha.country, alpha.credit_limit_minor) == ("Alpha Ltd", "GB", 500000)
    assert alpha.default_terms == PaymentTerms.objects.for_org(org_a).get(name="Net 30")
    contact = Contact.objects.get(customer=alpha)
    assert (contact.email, contact.phone, contact.postal_address, contact.is_billing) == (
        "ap@alpha.test", "0123", "1 High St", True)
    assert not Contact.objects.filter(customer__ref="C2").exists()
    assert AuditEvent.objects.filter(org=org_a, verb="customer.created").count() == 2


def test_importing_the_same_files_twice_changes_nothing(org_a, system, now, loaded):
    events = AuditEvent.objects.count()
    again = [run(org_a, "customers", CUSTOMERS, system, now), run(org_a, "invoices", INVOICES, system, now)]
    assert [(r.created, r.updated, r.unchanged) for r in again] == [(0, 0, 2), (0, 0, 2)]
    assert AuditEvent.objects.count() == events


def test_an_invoice_without_due_date_takes_it_from_the_terms(org_a, loaded):
    assert Invoice.objects.for_org(org_a).get(number="INV-2").due_date == date(2026, 2, 9)


def test_it_updates_a_customer_and_an_unpaid_invoice(org_a, system, now, loaded):
    result = run(org_a, "customers", "ref,name,email\nC1,Alpha Group,new@alpha.test\n", system, now)
    assert (result.updated, result.created) == (1, 0)
    assert Customer.objects.get(ref="C1").legal_name == "Alpha Group"
    assert Contact.objects.get(customer__ref="C1").email == "new@alpha.test"
    result = run(org_a, "invoices", "number,customer_ref,issue_date,amount\nINV-2,C2,2026-01-10,75.50\n", system, now)
    inv = Invoice.objects.get(number="INV-2")
    assert result.updated == 1 and (inv.total_minor, inv.open_minor) == (7550, 7550)


def test_it_refuses_to_change_the_amount_of_an_invoice_with_payments(org_a, system, now, loaded):
    assert run(org_a, "payments", "date,customer_ref,amount\n2026-02-01,C1,10.00\n", system, now).ok
    result = run(org_a, "invoices", "number,customer_ref,issue_date,amount\nINV-1,C1,2026-01-01,120.00\n", system, now)
    assert [str(e) for e in result.errors] == [
        "invoices.csv:2:amount: invoice INV-1 is stored with amount 100.00 and already has payments, credits,"
        " charges or write-offs, so import will not change it (issue a credit note)"]
    assert Invoice.objects.get(number="INV-1").total_minor == 10000


def test_it_collects_every_error_and_stores_nothing(org_a, system, now, loaded):
    data = ("number,customer_ref,issue_date,due_date,currency,amount,terms\n"
            "INV-3,C1,2026-02-30,,GBP,10.00,\n"
            "INV-4,NOPE,2026-02-01,,GBP,10.001,\n"
            "INV-5,C1,2026-02-01,2026-01-01,ZZZ,1,Net 99\n"
            "INV-6,C1,2026-02-01,,GBP,1.00,\n"
            "INV-6,C1,2026-02-01,,GBP,1.00,\n")
    result = run(org_a, "invoices", data, system, now)
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "issue_date"), (3, "customer_ref"), (3, "amount"), (4, "due_date"), (4, "currency"), (4, "terms"),
        (6, "number"),
    ]
    assert "'2026-02-30' is not a date" in result.errors[0].message
    assert not Invoice.objects.filter(number__in=["INV-3", "INV-6"]).exists()
    assert result.created == 0


def test_it_refuses_unknown_columns_until_mapped(org_a, system, now):
    data = "Client Ref,name,Notes\nC9,Nine Ltd,hello\n"
    result = run(org_a, "customers", data, system, now)
    assert [(e.row, e.column) for e in result.errors] == [(1, "Client Ref"), (1, "Notes")]
    assert "--map" in result.errors[0].message and not Customer.objects.exists()
    result = run(org_a, "customers", data, system, now, mapping={"Client Ref": "ref", "notes": "-"})
    assert result.ok and Customer.objects.for_org(org_a).filter(ref="C9").exists()


def test_a_dry_run_reports_counts_and_stores_nothing(org_a, system, now):
    result = run(org_a, "customers", CUSTOMERS, system, now, dry_run=True)
    assert result.ok and result.dry_run and result.created == 2
    assert result.preview[0]["ref"] == "C1" and result.preview[1]["name"] == "Bea Smith"
    assert not Customer.objects.exists()


def test_payments_are_deduplicated_against_stored_rows_and_within_the_file(org_a, system, now, loaded):
    data = ("date,customer_ref,amount,method,reference,invoice_number\n"
            "2026-02-01,C1,30.00,bank transfer,TX1,\n"
            "2026-02-01,C1,30.00,bank transfer,TX1,\n"
            "2026-02-02,C2,50.00,card,TX2,INV-2\n")
    first = run(org_a, "payments", data, system, now)
    assert (first.created, first.unchanged) == (2, 1)
    second = run(org_a, "payments", data, system, now)
    assert (second.created, second.unchanged) == (0, 3)
    assert Payment.objects.for_org(org_a).count() == 2
    assert Invoice.objects.get(number="INV-2").open_minor == 0
    assert Invoice.objects.get(number="INV-1").open_minor == 7000


def test_credit_notes_upsert_by_number_and_refuse_changes(org_a, system, now, loaded):
    data = "number,customer_ref,date,amount,invoice_number\nCN-1,C1,2026-01-15,20.00,INV-1\n"
    assert run(org_a, "credit-notes", data, system, now).created == 1
    assert run(org_a, "credit-notes", data, system, now).unchanged == 1
    changed = run(org_a, "credit-notes", data.replace("20.00", "25.00"), system, now)
    assert [str(e) for e in changed.errors] == [
        "credit-notes.csv:2:number: credit note CN-1 already exists with another amount;"
        " a stored credit note is not changed by import"]
    assert CreditNote.objects.get(number="CN-1").amount_minor == 2000
    assert Allocation.objects.get(credit_note__number="CN-1").invoice.number == "INV-1"


def test_a_payment_naming_another_customers_invoice_is_refused(org_a, system, now, loaded):
    result = run(org_a, "payments", "date,customer_ref,amount,invoice_number\n2026-02-01,C1,5.00,INV-2\n", system, now)
    assert [e.column for e in result.errors] == ["invoice_number"]
    assert "belongs to customer C2" in result.errors[0].message


def test_an_import_into_another_organization_cannot_reach_its_customers_or_invoices(org_a, org_b, system, now, loaded):
    result = run(org_b, "invoices", "number,customer_ref,issue_date,amount\nB-1,C1,2026-01-01,10.00\n", system, now)
    assert [str(e) for e in result.errors] == ["invoices.csv:2:customer_ref: unknown customer 'C1' (import customers first)"]
    run(org_b, "customers", "ref,name\nC1,Bolt's own C1\n", system, now)
    result = run(org_b, "payments", "date,customer_ref,amount,invoice_number\n2026-02-01,C1,5.00,INV-1\n", system, now)
    assert [str(e) for e in result.errors] == ["payments.csv:2:invoice_number: unknown invoice 'INV-1'"]
    assert Customer.objects.get(org=org_a, ref="C1").legal_name == "Alpha Ltd"


def test_a_failure_while_writing_rolls_back_every_row(org_a, system, now, loaded, monkeypatch):
    from recoup.ledger.actions import LedgerError
    from recoup.ledger.imports import writes

    calls = []

    def flaky(**kw):
        calls.append(kw["plan"]["line"])
        if len(calls) == 2:
            raise LedgerError("disk on fire")
        writes.payment_create(**kw)

    monkeypatch.setitem(writes.WRITERS, "payments", flaky)
    data = "date,customer_ref,amount\n2026-02-01,C1,1.00\n2026-02-02,C1,2.00\n"
    result = run(org_a, "payments", data, system, now)
    assert [str(e) for e in result.errors] == ["payments.csv:3:: disk on fire"]
    assert not Payment.objects.exists()


def test_it_reports_bad_cells_of_customers(org_a, system, now):
    data = "ref,name,kind,country,timezone,email,terms\nC1,,vendor,GBR,Mars/Base,not-mail,Net 99\n"
    result = run(org_a, "customers", data, system, now)
    assert [e.column for e in result.errors] == ["name", "kind", "email", "country", "timezone", "terms"]


def test_amounts_respect_the_currency_decimals(org_a, system, now, loaded):
    data = "number,customer_ref,issue_date,currency,amount\nJ-1,C1,2026-01-01,JPY,100.5\nK-1,C1,2026-01-01,KWD,1.234\n"
    result = run(org_a, "invoices", data, system, now)
    assert [(e.row, e.column) for e in result.errors] == [(2, "amount")]
    assert "more decimals than JPY allows" in result.errors[0].message


def test_it_reports_a_file_that_is_not_csv_instead_of_crashing(org_a, system, now):
    from recoup.ledger.imports import import_csv
    from recoup.ledger.models import Customer

    result = import_csv(org=org_a, kind="customers", name="c.csv", data=b"ref,name\nC1,Acme Ltd\nC2,Bolt\x00Ltd\n",
                        actor=system, now=now)
    assert [str(e) for e in result.errors] == [
        "c.csv:3:: contains a NUL byte: is this a spreadsheet (.xlsx) rather than CSV?"]
    assert not Customer.objects.exists()
