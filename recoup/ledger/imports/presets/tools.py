"""The column presets of the tools people export from (``recoup import KIND FILE --from TOOL``).

Each names the tool's column for each of our fields; columns a preset does not name are
left out. Where several names are given, the first one the file has is used (tools
rename columns between versions and report types). docs/import-formats.md lists them.
"""

from __future__ import annotations

from recoup.ledger.imports.presets.base import (
    Field, Source, chain, invoice_lines, named_customer, rows_where, summed, words,
)

_ADDRESS = "address"

FRESHBOOKS = (
    Source("freshbooks", "FreshBooks", "customers", (
        Field("name", ("Organization", "Company Name"), required=True),
        Field("_first", ("First Name",)), Field("_last", ("Last Name",)),
        Field("email", ("Email",)), Field("phone", ("Phone", "Business Phone")),
        Field(_ADDRESS, parts=("Street", "Street2", "City", "Province/State", "Postal Code")),
        Field("country", ("Country",)),
    ), reduce=named_customer(), relied_on="the real clients export (freshbooks_clients.csv)"),
    Source("freshbooks", "FreshBooks", "invoices", (
        Field("number", ("Invoice #", "Invoice Number"), required=True),
        Field("customer_name", ("Client Name", "Organization"), required=True),
        Field("issue_date", ("Date Issued", "Issue Date"), required=True),
        Field("due_date", ("Due Date",)),
        Field("status", ("Invoice Status", "Status"), required=True),
        Field("paid_date", ("Date Paid",)),
        Field("currency", ("Currency",)),
        Field("_line_total", ("Line Total",), required=True, label="line total (summed per invoice)"),
    ), reduce=invoice_lines(line_total="_line_total"),
        relied_on="the real \"Invoice Details\" export, one row per line (freshbooks_invoices.csv)"),
)

WAVE_CUSTOMERS = Source("wave", "Wave", "customers", (
    Field("ref", ("account_number",)),
    Field("name", ("customer_name",), required=True),
    Field("email", ("email",)), Field("phone", ("phone", "mobile")),
    Field(_ADDRESS, parts=("address_line_1", "address_line_2", "city", "province/state", "postal_code/zip_code")),
    Field("country", ("country",)),
), relied_on="the real customers export (wave_clients.csv)")

ZOHO = (
    Source("zoho", "Zoho Books", "invoices", (
        Field("number", ("Invoice Number",), required=True),
        Field("customer_name", ("Customer Name",), required=True),
        Field("issue_date", ("Invoice Date",), required=True),
        Field("due_date", ("Due Date",)),
        Field("status", ("Invoice Status",), required=True),
        Field("currency", ("Currency Code",)),
        Field("amount", ("Total",), required=True),
        Field("balance", ("Balance",)),
        Field("paid_date", ("Last Payment Date",)),
        Field("po_number", ("PurchaseOrder",)),
        Field("description", ("Subject",)),
    ), reduce=invoice_lines(), relied_on="the real invoice export, one row per line (zoho_invoices.csv)"),
    Source("zoho", "Zoho Books", "customers", (
        Field("ref", ("Customer ID", "Contact ID")),
        Field("name", ("Display Name", "Company Name", "Contact Name"), required=True),
        Field("email", ("EmailID", "Email")), Field("phone", ("Phone", "MobilePhone")),
        Field(_ADDRESS, parts=("Billing Address", "Billing Street2", "Billing City", "Billing State", "Billing Code")),
        Field("country", ("Billing Country",)),
    ), relied_on="the contacts export's documented columns (no real file here)"),
)


def _not_deleted(values: dict) -> bool:
    return words(values.get("_state", "")) != "deleted"


INVOICE2GO = Source("invoice2go", "Invoice2go", "invoices", (
    Field("number", ("DocumentNumber",), required=True),
    Field("customer_name", ("Name",), required=True),
    Field("customer_email", ("EmailRecipient",)),
    Field("issue_date", ("DocumentDate",), required=True),
    Field("status", ("DocumentStatus",), required=True),
    Field("currency", ("CurrencyCode",)),
    Field("amount", ("TotalAmount",), required=True),
    Field("balance", ("BalanceDueAmount",)),
    Field("paid", ("AmountPaidAmount",)),
    Field("paid_date", ("DatePaid",)),
    Field("_state", ("State",), label="record state (deleted rows are left out)"),
), reduce=rows_where(_not_deleted, dropped="a deleted document is not imported"),
    relied_on="the real invoice export (invoice2go_invoices.csv)")

INVOICENINJA = Source("invoiceninja", "Invoice Ninja", "payments", (
    Field("customer_name", ("Client",), required=True),
    Field("invoice_number", ("Invoice Number", "Invoice"), required=True),
    Field("amount", ("Amount",), required=True),
    Field("date", ("Date", "Payment Date"), required=True),
    Field("reference", ("Transaction Reference",)),
), header_anywhere=True, relied_on="the real v4 payments export, with its title lines (invoiceninja_v4_payments.csv)")

_NO_FILE = "documented columns; no real export was available, so check the first import's preview"


def _not_a_total(values: dict) -> bool:
    """Reports end with a TOTAL row."""
    return not any(isinstance(v, str) and words(v) == "total" for v in values.values())


def _invoice_rows(values: dict) -> bool:
    kind = words(values.get("_type", ""))
    return kind in ("", "invoice", "salesinvoice", "accrec") and _not_a_total(values)


QUICKBOOKS = (
    Source("quickbooks", "QuickBooks Online", "customers", (
        Field("name", ("Customer", "Name", "Display Name"), required=True),
        Field("email", ("Email",)), Field("phone", ("Phone Numbers", "Phone")),
        Field(_ADDRESS, ("Billing Address",)),
        Field("country", ("Country",)),
    ), rows_where(_not_a_total), header_anywhere=True,
        relied_on="the Customer Contact List report: " + _NO_FILE),
    Source("quickbooks", "QuickBooks Online", "invoices", (
        Field("number", ("No.", "Num", "Invoice no."), required=True),
        Field("customer_name", ("Customer", "Name", "Customer full name"), required=True),
        Field("issue_date", ("Date", "Invoice date", "Transaction date"), required=True),
        Field("due_date", ("Due Date", "Due date")),
        Field("amount", ("Amount", "Total"), required=True),
        Field("balance", ("Open Balance", "Balance")),
        Field("status", ("Status",)),
        Field("description", ("Memo/Description", "Memo")),
        Field("_type", ("Transaction Type", "Type"), label="transaction type (only invoices are read)"),
    ), rows_where(_invoice_rows, dropped="not an invoice (credit memos, payments: import them separately)"),
        header_anywhere=True, relied_on="the Invoice List report: " + _NO_FILE),
)

_XERO_ADDRESS = ("POAddressLine1", "POAddressLine2", "POAddressLine3", "POAddressLine4", "POCity", "PORegion",
                 "POPostalCode")

XERO = (
    Source("xero", "Xero", "customers", (
        Field("ref", ("AccountNumber",)),
        Field("name", ("ContactName",), required=True),
        Field("_first", ("FirstName",)), Field("_last", ("LastName",)),
        Field("email", ("EmailAddress",)), Field("phone", ("PhoneNumber", "MobileNumber")),
        Field(_ADDRESS, parts=_XERO_ADDRESS),
        Field("country", ("POCountry",)),
    ), reduce=named_customer(), relied_on="the contacts export: " + _NO_FILE),
    Source("xero", "Xero", "invoices", (
        Field("number", ("InvoiceNumber",), required=True),
        Field("customer_name", ("ContactName",), required=True),
        Field("customer_email", ("EmailAddress",)),
        Field("issue_date", ("InvoiceDate",), required=True),
        Field("due_date", ("DueDate",)),
        Field("amount", ("Total",), required=True),
        Field("paid", ("InvoiceAmountPaid",)),
        Field("balance", ("InvoiceAmountDue",)),
        Field("status", ("Status",)),
        Field("currency", ("Currency",)),
        Field("po_number", ("Reference",)),
        Field("_type", ("Type",), label="type (only sales invoices are read)"),
    ), reduce=rows_where(_invoice_rows, invoice_lines(), dropped="not a sales invoice"),
        relied_on="the sales invoice export, one row per line: " + _NO_FILE),
)


def _sage(types: tuple[str, ...]):
    return lambda values: words(values.get("_type", "")) in types


def _net_plus_tax():
    """Sage's audit trail has a row per nominal line: an invoice is the sum of its rows' net and tax."""
    return chain(summed("_line", ("_net", "_tax")), invoice_lines(line_total="_line", first_wins=("description",)))


_SAGE_TXN = (Field("_type", ("Type",), required=True, label="transaction type (SI, SC, SR, SA)"),
             Field("customer_ref", ("Account Reference", "A/C"), required=True),
             Field("date", ("Date",), required=True))

SAGE = (
    Source("sage", "Sage 50", "customers", (
        Field("ref", ("Account Reference", "A/C"), required=True),
        Field("name", ("Account Name", "Name"), required=True),
        Field("email", ("E-mail", "Email")), Field("phone", ("Telephone Number", "Telephone")),
        Field(_ADDRESS, parts=("Street 1", "Street 2", "Town", "County", "Post Code")),
        Field("credit_limit", ("Credit Limit",)),
    ), relied_on="the customer records export: " + _NO_FILE),
    Source("sage", "Sage 50", "invoices", (
        Field("_type", ("Type",), required=True, label="transaction type (only SI is read)"),
        Field("customer_ref", ("Account Reference", "A/C"), required=True),
        Field("issue_date", ("Date",), required=True),
        Field("number", ("Reference", "Ref"), required=True),
        Field("description", ("Details",)),
        Field("_net", ("Net Amount", "Net"), required=True, label="net amount (net + tax summed per invoice)"),
        Field("_tax", ("Tax Amount", "T/C Amount", "VAT"), label="tax amount"),
    ), reduce=rows_where(_sage(("si",)), _net_plus_tax(), dropped="not a sales invoice (SI)"),
        relied_on="the audit trail transactions CSV (Type, Account Reference, Date, Reference, Details, Net Amount, "
                  "Tax Amount): " + _NO_FILE),
    Source("sage", "Sage 50", "payments", _SAGE_TXN + (
        Field("reference", ("Reference", "Ref")),
        Field("amount", ("Net Amount", "Net"), required=True),
    ), reduce=rows_where(_sage(("sr", "sa")), dropped="not a sales receipt (SR) or payment on account (SA)"),
        relied_on="the audit trail transactions CSV: " + _NO_FILE),
    Source("sage", "Sage 50", "credit-notes", _SAGE_TXN + (
        Field("number", ("Reference", "Ref"), required=True),
        Field("_net", ("Net Amount", "Net"), required=True, label="net amount"),
        Field("_tax", ("Tax Amount", "T/C Amount", "VAT"), label="tax amount"),
    ), reduce=rows_where(_sage(("sc",)), _net_plus_tax(), dropped="not a sales credit (SC)"),
        relied_on="the audit trail transactions CSV: " + _NO_FILE),
)
