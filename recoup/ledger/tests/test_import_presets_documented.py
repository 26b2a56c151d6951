"""Presets built from documented export columns (no real file was available): QuickBooks Online,
Xero and Sage 50. The files here are written from those columns."""

from __future__ import annotations

from datetime import date

from recoup.ledger.imports import import_csv
from recoup.ledger.models import Contact, CreditNote, Customer, Invoice, Payment
from recoup.orgs.models import Organization


def run(org, kind, data, system, now, source):
    return import_csv(org=org, kind=kind, name=f"{source}-{kind}.csv", data=data, actor=system, now=now,
                      source=source)


def test_a_quickbooks_invoice_list_with_title_lines_reads_only_invoices_and_their_open_balance(org_b, system, now):
    data = ("Bolt Widgets Inc\nInvoice List\nAll Dates\n\n"
            "Date,Transaction Type,No.,Customer,Memo/Description,Due Date,Amount,Open Balance\n"
            "01/15/2026,Invoice,1001,Cool Cars,Brakes,02/14/2026,\"1,200.00\",\"1,200.00\"\n"
            "01/20/2026,Invoice,1002,Cool Cars,Tyres,02/19/2026,300.00,0.00\n"
            "01/22/2026,Credit Memo,1003,Cool Cars,Refund,01/22/2026,(50.00),(50.00)\n"
            "TOTAL,,,,,,\"$1,450.00\",\"$1,150.00\"\n")
    result = run(org_b, "invoices", data, system, now, "quickbooks")
    assert result.ok, result.errors
    assert (result.created, result.customers_created) == (2, 1)
    stored = {i.number: (i.issue_date, i.total_minor, i.open_minor) for i in Invoice.objects.for_org(org_b)}
    assert stored == {"1001": (date(2026, 1, 15), 120000, 120000), "1002": (date(2026, 1, 20), 30000, 0)}
    assert "not an invoice" in str(result.notes[0])


def test_a_quickbooks_customer_contact_list(org_b, system, now):
    data = ("Bolt Widgets Inc\nCustomer Contact List\n\nCustomer,Phone Numbers,Email,Full Name,Billing Address\n"
            "Cool Cars,555-0100,ap@coolcars.test,Grace Pello,\"65 Ocean Dr., Half Moon Bay, CA 94213\"\n")
    result = run(org_b, "customers", data, system, now, "quickbooks")
    assert result.ok and result.created == 1, result.errors
    contact = Contact.objects.get(customer__legal_name="Cool Cars")
    assert (contact.email, contact.postal_address) == ("ap@coolcars.test", "65 Ocean Dr., Half Moon Bay, CA 94213")


def test_a_xero_sales_invoice_export_in_a_day_first_organization(org_a, system, now):
    Organization.objects.filter(pk=org_a.pk).update(locale="en_GB")
    org_a.refresh_from_db()
    header = ("*ContactName,EmailAddress,POAddressLine1,*InvoiceNumber,Reference,*InvoiceDate,*DueDate,Total,"
              "InvoiceAmountPaid,InvoiceAmountDue,*Description,*Quantity,*UnitAmount,LineAmount,*AccountCode,"
              "*TaxType,Currency,Type,Status\n")
    data = header + (
        "Harbour Cafe,ap@harbour.test,9 Quay St,INV-0042,PO 7,03/02/2026,05/03/2026,240.00,40.00,200.00,Beans,2,"
        "100.00,200.00,200,20% (VAT on Income),GBP,Sales invoice,Awaiting Payment\n"
        "Harbour Cafe,ap@harbour.test,9 Quay St,INV-0042,PO 7,03/02/2026,05/03/2026,240.00,40.00,200.00,VAT,1,"
        "40.00,40.00,200,20% (VAT on Income),GBP,Sales invoice,Awaiting Payment\n"
        "Harbour Cafe,ap@harbour.test,9 Quay St,INV-0043,,13/02/2026,15/03/2026,60.00,0.00,60.00,Cups,1,60.00,"
        "60.00,200,20% (VAT on Income),GBP,Sales invoice,Draft\n"
        "Harbour Cafe,ap@harbour.test,9 Quay St,CN-0001,,14/02/2026,14/02/2026,-10.00,0.00,-10.00,Return,1,-10.00,"
        "-10.00,200,20% (VAT on Income),GBP,Sales credit note,Awaiting Payment\n")
    result = run(org_a, "invoices", data, system, now, "xero")
    assert result.ok, result.errors
    assert (result.created, result.skipped) == (1, 1)
    invoice = Invoice.objects.get(org=org_a)
    assert (invoice.number, invoice.issue_date, invoice.due_date, invoice.total_minor, invoice.open_minor,
            invoice.po_number) == ("INV-0042", date(2026, 2, 3), date(2026, 3, 5), 24000, 20000, "PO 7")
    assert Contact.objects.get(customer=invoice.customer).email == "ap@harbour.test"


def test_sage_50_audit_trail_rows_become_invoices_receipts_and_credits(org_a, system, now):
    Organization.objects.filter(pk=org_a.pk).update(locale="en_GB")
    org_a.refresh_from_db()
    customers = ("Account Reference,Account Name,Street 1,Street 2,Town,County,Post Code,Contact Name,"
                 "Telephone Number,E-mail,Credit Limit\n"
                 "HAR001,Harbour Cafe,9 Quay St,,Whitby,North Yorkshire,YO21 3PU,Ann,01947 600000,ap@harbour.test,"
                 "\"2,500.00\"\n")
    assert run(org_a, "customers", customers, system, now, "sage").ok
    assert Customer.objects.get(ref="HAR001").credit_limit_minor == 250000
    audit = ("Type,Account Reference,Nominal A/C Ref,Department Code,Date,Reference,Details,Net Amount,Tax Code,"
             "Tax Amount\n"
             "SI,HAR001,4000,0,14/01/2026,1001,Beans,100.00,T1,20.00\n"
             "SI,HAR001,4010,0,14/01/2026,1001,Delivery,10.00,T1,2.00\n"
             "SC,HAR001,4000,0,20/01/2026,CN7,Damaged,10.00,T1,2.00\n"
             "SR,HAR001,1200,0,28/01/2026,BACS,Payment,50.00,T9,0.00\n")
    assert run(org_a, "invoices", audit, system, now, "sage").created == 1
    assert run(org_a, "credit-notes", audit, system, now, "sage").created == 1
    assert run(org_a, "payments", audit, system, now, "sage").created == 1
    invoice = Invoice.objects.get(number="1001")
    assert (invoice.issue_date, invoice.total_minor, invoice.open_minor) == (date(2026, 1, 14), 13200, 13200 - 1200 - 5000)
    assert CreditNote.objects.get().amount_minor == 1200 and Payment.objects.get().date == date(2026, 1, 28)
