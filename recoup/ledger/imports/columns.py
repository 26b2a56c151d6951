"""The columns of each import kind, and guessing which of them a file's header means."""

from __future__ import annotations

import re

IGNORE = "-"

# column -> required? (see also ONE_OF: at least one column of each group)
COLUMNS: dict[str, dict[str, bool]] = {
    "customers": {
        "ref": False, "name": True, "kind": False, "email": False, "phone": False, "address": False,
        "country": False, "region": False, "timezone": False, "language": False, "credit_limit": False,
        "terms": False,
    },
    "invoices": {
        "number": True, "customer_ref": False, "customer_name": False, "customer_email": False,
        "issue_date": True, "due_date": False, "currency": False, "amount": True, "status": False,
        "paid": False, "balance": False, "paid_date": False, "terms": False, "po_number": False,
        "description": False,
    },
    "payments": {
        "date": True, "customer_ref": False, "customer_name": False, "amount": True, "currency": False,
        "method": False, "reference": False, "invoice_number": False,
    },
    "credit-notes": {
        "number": True, "customer_ref": False, "customer_name": False, "date": True, "amount": True,
        "currency": False, "invoice_number": False,
    },
}
KINDS = tuple(COLUMNS)
ONE_OF: dict[str, tuple[str, ...]] = {
    "invoices": ("customer_ref", "customer_name"),
    "payments": ("customer_ref", "customer_name"),
    "credit-notes": ("customer_ref", "customer_name"),
}
DATE_COLUMNS = ("issue_date", "due_date", "paid_date", "date")

# Header words that other tools use for our columns, for the web import's first guess.
_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {
        "ref": ("customer id", "customer number", "customer ref", "account number", "account reference", "account",
                "client id", "id"),
        "name": ("customer", "customer name", "client", "client name", "company", "company name", "organization",
                 "organisation", "contactname", "contact name", "display name", "legal name"),
        "email": ("email address", "e mail", "emailaddress", "emailid", "billing email"),
        "phone": ("telephone", "phone number", "telephone number", "tel", "phonenumber"),
        "address": ("billing address", "street", "address line 1", "address1"),
        "country": ("billing country",),
        "credit_limit": ("credit limit",),
        "terms": ("payment terms",),
    },
    "invoices": {
        "number": ("invoice number", "invoice #", "invoice no", "invoice", "num", "no", "document number",
                   "documentnumber", "invoicenumber", "inv no", "reference number"),
        "customer_ref": ("customer id", "customer ref", "account reference", "account number"),
        "customer_name": ("customer", "customer name", "client", "client name", "company", "company name", "name",
                          "contactname", "contact name", "bill to"),
        "customer_email": ("email", "email address", "emailaddress", "emailrecipient", "customer email"),
        "issue_date": ("date", "invoice date", "issue date", "date issued", "documentdate", "txn date",
                       "transaction date", "invoicedate"),
        "due_date": ("due", "due date", "duedate", "payment due"),
        "currency": ("currency code", "currencycode", "ccy"),
        "amount": ("total", "amount", "invoice total", "total amount", "grand total", "totalamount"),
        "balance": ("balance", "balance due", "open balance", "amount due", "outstanding", "invoiceamountdue",
                    "balancedueamount"),
        "paid": ("amount paid", "paid amount", "invoiceamountpaid", "amountpaidamount", "invoice paid"),
        "paid_date": ("date paid", "paid date", "last payment date", "payment date", "datepaid"),
        "status": ("invoice status", "state", "documentstatus"),
        "po_number": ("po", "po number", "purchase order", "purchaseorder", "order number"),
        "description": ("memo", "subject", "memo description"),
    },
    "payments": {
        "date": ("payment date", "date received", "date paid", "transaction date", "paid date"),
        "customer_ref": ("customer id", "customer ref", "account reference", "account number"),
        "customer_name": ("customer", "customer name", "client", "client name", "payer", "name", "company"),
        "amount": ("amount received", "payment amount", "total", "paid"),
        "currency": ("currency code", "currencycode"),
        "method": ("payment method", "payment type"),
        "reference": ("ref", "payment reference", "transaction id", "memo"),
        "invoice_number": ("invoice", "invoice #", "invoice no", "invoice number", "invoicenumber"),
    },
    "credit-notes": {
        "number": ("credit note number", "credit note", "credit note #", "creditnotenumber"),
        "customer_name": ("customer", "customer name", "client", "client name", "name"),
        "date": ("credit note date", "issue date"),
        "amount": ("total", "credit amount"),
        "invoice_number": ("invoice", "invoice #", "invoice number"),
    },
}


def normalize(name: str) -> str:
    """Header cell as compared: BOM, surrounding whitespace and a leading '*' (Xero's mark of a
    required column) removed, lower case."""
    return name.replace("\ufeff", "").strip().lstrip("*").strip().lower()


def _words(name: str) -> str:
    return re.sub(r"[^a-z0-9#]+", " ", normalize(name).lstrip("*")).strip()


def guess_column(kind: str, header: str) -> str | None:
    """Our column that a header cell most likely means, or None."""
    words = _words(header)
    if not words:
        return None
    if words.replace(" ", "_") in COLUMNS[kind]:
        return words.replace(" ", "_")
    for column, names in _SYNONYMS[kind].items():
        if words in names or words.replace(" ", "") in names:
            return column
    return None


def missing_required(kind: str, present: set[str]) -> list[str]:
    """Messages for the required columns (and one-of groups) that ``present`` lacks."""
    out = [f"required column {c!r} is missing" for c, required in COLUMNS[kind].items()
           if required and c not in present]
    group = ONE_OF.get(kind)
    if group and not present & set(group):
        out.append(f"one of the columns {' or '.join(repr(c) for c in group)} is required")
    return out
