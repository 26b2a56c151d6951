"""One Xero organisation's books inside the fake: the records and Xero's rules for changing them.

Records are kept in Xero's own JSON shape (``Invoice``, ``Contact``, ``Payment``, ...),
amounts as ``Decimal``; keys starting with ``_`` are the fake's bookkeeping and never
leave it. Every change stamps ``UpdatedDateUTC`` with the ``now`` it is given (so it
shows in the next ``If-Modified-Since`` read) and queues a webhook event.

Rules followed (Xero's documentation of invoices, payments, credit notes, overpayments):
a DRAFT or SUBMITTED invoice can be DELETED, an AUTHORISED one VOIDED only while nothing
is paid, credited or allocated against it; a payment needs an AUTHORISED invoice and no
more than its AmountDue; an invoice with nothing due is PAID on the date that settled it;
deleting a payment reopens the invoice. ``BooksError`` carries Xero's validation message.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
EDITABLE = {"DRAFT", "SUBMITTED"}


class BooksError(Exception):
    """A change Xero would refuse (400 ValidationException), with Xero's message."""

    def __init__(self, message: str, *, record_id: str = "", kind: str = ""):
        super().__init__(message)
        self.record_id, self.kind = record_id, kind


def msdate(day: date) -> str:
    stamp = datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()
    return f"/Date({int(stamp * 1000)}+0000)/"


def msdatetime(moment: datetime) -> str:
    return f"/Date({int(moment.timestamp() * 1000)}+0000)/"


def parse_date(value: object, field_name: str) -> date:
    """Xero takes ``2026-03-31``, ``2026-03-31T00:00:00`` or ``/Date(ms+0000)/``."""
    text = str(value or "")
    if text.startswith("/Date("):
        millis = int(text[6:].split("+")[0].split("-")[0].rstrip(")/"))
        return datetime.fromtimestamp(millis / 1000, tz=timezone.utc).date()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise BooksError(f"{field_name} {text!r} is not a valid date") from None


def money(value: object, field_name: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise BooksError(f"{field_name} {value!r} is not a number") from None
    if not amount.is_finite():
        raise BooksError(f"{field_name} {value!r} is not a number")
    return amount.quantize(CENT, ROUND_HALF_UP)


def public(record: dict) -> dict:
    """The record as Xero sends it: the fake's own keys removed, nested records too."""
    out = {}
    for key, value in record.items():
        if key.startswith("_"):
            continue
        if isinstance(value, dict):
            value = public(value)
        elif isinstance(value, list):
            value = [public(v) if isinstance(v, dict) else v for v in value]
        out[key] = value
    return out


@dataclass
class Event:
    category: str  # INVOICE, CONTACT, CREDITNOTE
    kind: str  # CREATE, UPDATE
    resource_id: str
    at: datetime


@dataclass
class Books:
    tenant_id: str
    name: str
    currency: str = "NZD"
    short_code: str = ""
    contacts: dict[str, dict] = field(default_factory=dict)
    invoices: dict[str, dict] = field(default_factory=dict)
    credit_notes: dict[str, dict] = field(default_factory=dict)
    payments: dict[str, dict] = field(default_factory=dict)
    overpayments: dict[str, dict] = field(default_factory=dict)
    prepayments: dict[str, dict] = field(default_factory=dict)
    accounts: list[dict] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    _numbers: dict[str, int] = field(default_factory=dict)
    _accrec_numbers: set[str] = field(default_factory=set)

    # -- helpers ------------------------------------------------------------------------------

    def _touch(self, record: dict, now: datetime, category: str | None, kind: str, rid: str) -> None:
        record["UpdatedDateUTC"] = msdatetime(now)
        record["_updated"] = now
        if category:
            self.events.append(Event(category, kind, rid, now))

    def _next_number(self, prefix: str) -> str:
        self._numbers[prefix] = self._numbers.get(prefix, 0) + 1
        return f"{prefix}-{self._numbers[prefix]:04d}"

    def _contact_ref(self, given: object, now: datetime) -> dict:
        given = given if isinstance(given, dict) else {}
        if given.get("ContactID"):
            contact = self.contacts.get(str(given["ContactID"]))
            if contact is None:
                raise BooksError(f"Contact {given['ContactID']} does not exist")
        elif given.get("Name"):
            contact = next((c for c in self.contacts.values() if c["Name"] == given["Name"]), None)
            contact = contact or self.put_contact({"Name": given["Name"]}, now)
        else:
            raise BooksError("A Contact must be specified with a ContactID or a Name")
        return {"ContactID": contact["ContactID"], "Name": contact["Name"]}

    def account(self, given: object) -> dict:
        given = given if isinstance(given, dict) else {}
        for acc in self.accounts:
            if given.get("AccountID") == acc["AccountID"] or (given.get("Code") and given.get("Code") == acc["Code"]):
                if acc["Type"] != "BANK" and not acc.get("EnablePaymentsToAccount"):
                    raise BooksError(f"Account {acc['Code']} is not a bank account and does not accept payments")
                return acc
        raise BooksError("Account code or AccountID must be a valid bank account")

    # -- contacts -----------------------------------------------------------------------------

    def put_contact(self, data: dict, now: datetime) -> dict:
        contact_id = str(data.get("ContactID") or "")
        existing = self.contacts.get(contact_id)
        if contact_id and existing is None:
            raise BooksError(f"Contact {contact_id} does not exist")
        if existing is None and not data.get("Name"):
            raise BooksError("The contact name must be specified", kind="Contact")
        record = dict(existing) if existing else {"ContactID": str(uuid.uuid4()), "ContactStatus": "ACTIVE", "Addresses": [],
                              "Phones": [], "IsSupplier": False, "IsCustomer": False, "HasAttachments": False}
        for key in ("Name", "FirstName", "LastName", "EmailAddress", "ContactNumber", "AccountNumber",
                    "TaxNumber", "Addresses", "Phones", "DefaultCurrency", "ContactStatus", "CompanyNumber"):
            if key in data:
                record[key] = data[key]
        if record["ContactStatus"] not in ("ACTIVE", "ARCHIVED", "GDPRREQUEST"):
            raise BooksError(f"ContactStatus {record['ContactStatus']!r} is not valid")
        self.contacts[record["ContactID"]] = record
        self._touch(record, now, "CONTACT", "UPDATE" if existing else "CREATE", record["ContactID"])
        return record

    # -- invoices and credit notes ------------------------------------------------------------

    def _lines(self, lines: object, amount_types: str) -> tuple[list[dict], Decimal, Decimal]:
        if not isinstance(lines, list):
            raise BooksError("LineItems must be a list")
        out, sub, tax = [], Decimal(0), Decimal(0)
        for i, line in enumerate(lines, 1):
            quantity = Decimal(str(line.get("Quantity", 1)))
            unit = Decimal(str(line.get("UnitAmount", 0)))
            amount = money(line["LineAmount"], f"LineItems[{i}].LineAmount") if "LineAmount" in line \
                else money(quantity * unit, f"LineItems[{i}]")
            line_tax = money(line.get("TaxAmount", 0), f"LineItems[{i}].TaxAmount") if amount_types != "NoTax" \
                else Decimal("0.00")
            out.append({"LineItemID": str(uuid.uuid4()), "Description": str(line.get("Description", "")),
                        "Quantity": quantity, "UnitAmount": unit, "AccountCode": str(line.get("AccountCode", "200")),
                        "TaxType": str(line.get("TaxType", "NONE")), "TaxAmount": line_tax, "LineAmount": amount})
            sub += amount if amount_types != "Inclusive" else amount - line_tax
            tax += line_tax
        return out, sub, tax

    def _document(self, data: dict, now: datetime, *, kind: str, existing: dict | None) -> dict:
        """The fields invoices and credit notes share, checked and totalled."""
        record = copy.deepcopy(existing) if existing else {
            "Payments": [], "CreditNotes": [], "Prepayments": [], "Overpayments": [],
            "AmountPaid": Decimal("0.00"), "AmountCredited": Decimal("0.00"), "Status": "DRAFT",
            "LineAmountTypes": "Exclusive", "CurrencyRate": Decimal(1), "CurrencyCode": self.currency,
            "Reference": "", "HasAttachments": False, "SentToContact": False, "IsDiscounted": False,
            "HasErrors": False}
        changes = set(data) - {"Status", "InvoiceID", "CreditNoteID", "InvoiceNumber", "CreditNoteNumber"}
        if existing and existing["Status"] not in EDITABLE | {"AUTHORISED"} and changes:
            raise BooksError(f"This {kind} cannot be edited: its status is {existing['Status']}",
                             record_id=existing.get("InvoiceID") or existing.get("CreditNoteID", ""))
        if "Contact" in data or existing is None:
            record["Contact"] = self._contact_ref(data.get("Contact"), now)
        for key in ("Reference", "CurrencyCode", "LineAmountTypes", "Url", "BrandingThemeID", "SentToContact"):
            if key in data:
                record[key] = data[key]
        for key in ("Date", "DueDate"):
            if data.get(key):
                day = parse_date(data[key], key)
                record[key], record[f"{key}String"], record[f"_{key}"] = msdate(day), f"{day}T00:00:00", day
        if "Date" not in record:
            day = now.date()
            record["Date"], record["DateString"], record["_Date"] = msdate(day), f"{day}T00:00:00", day
        if "LineItems" in data or existing is None:
            if existing and (existing["AmountPaid"] or existing["AmountCredited"]):
                raise BooksError(f"The line items of a {kind} with payments or credits cannot be changed")
            lines, sub, tax = self._lines(data.get("LineItems", []), record["LineAmountTypes"])
            record.update(LineItems=lines, SubTotal=sub, TotalTax=tax, Total=sub + tax)
        return record

    def _set_status(self, record: dict, wanted: str, kind: str, rid: str) -> None:
        current = record["Status"]
        if wanted == current:
            return
        allowed = {"DRAFT": {"SUBMITTED", "AUTHORISED", "DELETED"}, "SUBMITTED": {"DRAFT", "AUTHORISED", "DELETED"},
                   "AUTHORISED": {"VOIDED"}}.get(current, set())
        if wanted not in allowed:
            raise BooksError(f"A {kind} with status {current} cannot be changed to {wanted}", record_id=rid)
        if wanted == "VOIDED" and (record.get("AmountPaid") or record.get("AmountCredited")
                                   or record.get("Allocations")):
            raise BooksError(f"This {kind} cannot be voided: it has payments or allocations", record_id=rid)
        if wanted == "AUTHORISED" and kind == "invoice" and "_DueDate" not in record:
            raise BooksError("Due Date is required for an AUTHORISED invoice", record_id=rid)
        record["Status"] = wanted

    def put_invoice(self, data: dict, now: datetime) -> dict:
        invoice_id = str(data.get("InvoiceID") or "")
        existing = self.invoices.get(invoice_id)
        if invoice_id and existing is None:
            raise BooksError(f"Invoice {invoice_id} does not exist", record_id=invoice_id)
        if existing is None and data.get("Type") not in ("ACCREC", "ACCPAY"):
            raise BooksError("Invoice Type must be ACCREC or ACCPAY")
        record = self._document(data, now, kind="invoice", existing=existing)
        if existing is None:
            record.update(Type=data["Type"], InvoiceID=str(uuid.uuid4()))
            number = data.get("InvoiceNumber") or (self._next_number("INV") if data["Type"] == "ACCREC" else "")
            if data["Type"] == "ACCREC" and number in self._accrec_numbers:
                raise BooksError(f"Invoice # {number} must be unique")
            record["InvoiceNumber"] = number
        self._set_status(record, data.get("Status", record["Status"]), "invoice", record["InvoiceID"])
        self._settle(record, now)
        self.invoices[record["InvoiceID"]] = record
        if record["Type"] == "ACCREC":
            self._accrec_numbers.add(record["InvoiceNumber"])
        self._touch(record, now, "INVOICE", "UPDATE" if existing else "CREATE", record["InvoiceID"])
        return record

    def _settle(self, invoice: dict, now: datetime, on: date | None = None) -> None:
        """AmountDue from Total, payments and credits; PAID when nothing is due."""
        due = invoice["Total"] - invoice["AmountPaid"] - invoice["AmountCredited"]
        invoice["AmountDue"] = due
        if invoice["Status"] == "AUTHORISED" and due == 0 and invoice["Total"] > 0:
            invoice["Status"] = "PAID"
            paid_on = on or now.date()
            invoice["FullyPaidOnDate"], invoice["_FullyPaidOnDate"] = msdate(paid_on), paid_on
        elif invoice["Status"] == "PAID" and due > 0:
            invoice["Status"] = "AUTHORISED"
            invoice.pop("FullyPaidOnDate", None)

    def put_credit_note(self, data: dict, now: datetime) -> dict:
        note_id = str(data.get("CreditNoteID") or "")
        existing = self.credit_notes.get(note_id)
        if note_id and existing is None:
            raise BooksError(f"Credit note {note_id} does not exist", record_id=note_id)
        if existing is None and data.get("Type") not in ("ACCRECCREDIT", "ACCPAYCREDIT"):
            raise BooksError("Credit note Type must be ACCRECCREDIT or ACCPAYCREDIT")
        record = self._document(data, now, kind="credit note", existing=existing)
        for key in ("Payments", "CreditNotes", "Prepayments", "Overpayments", "AmountPaid", "AmountCredited",
                    "IsDiscounted", "HasErrors"):
            record.pop(key, None)
        if existing is None:
            record.update(Type=data["Type"], CreditNoteID=str(uuid.uuid4()), Allocations=[],
                          CreditNoteNumber=data.get("CreditNoteNumber") or self._next_number("CN"))
        self._set_status(record, data.get("Status", record["Status"]), "credit note", record["CreditNoteID"])
        record["RemainingCredit"] = record["Total"] - sum((a["Amount"] for a in record["Allocations"]), Decimal(0))
        if record["Status"] == "AUTHORISED" and record["RemainingCredit"] == 0 and record["Total"] > 0:
            record["Status"] = "PAID"
        self.credit_notes[record["CreditNoteID"]] = record
        self._touch(record, now, "CREDITNOTE", "UPDATE" if existing else "CREATE", record["CreditNoteID"])
        return record

    # -- payments -----------------------------------------------------------------------------

    def _invoice_for(self, given: object) -> dict:
        given = given if isinstance(given, dict) else {}
        invoice = self.invoices.get(str(given.get("InvoiceID") or ""))
        if invoice is None and given.get("InvoiceNumber"):
            invoice = next((i for i in self.invoices.values() if i["InvoiceNumber"] == given["InvoiceNumber"]), None)
        if invoice is None:
            raise BooksError("Invoice could not be found (give Invoice.InvoiceID or Invoice.InvoiceNumber)")
        return invoice

    def put_payment(self, data: dict, now: datetime) -> dict:
        invoice = self._invoice_for(data.get("Invoice"))
        if invoice["Status"] != "AUTHORISED":
            raise BooksError(f"Payment can only be made against an AUTHORISED invoice; this one is "
                             f"{invoice['Status']}", record_id=invoice["InvoiceID"])
        amount = money(data.get("Amount"), "Amount")
        if amount <= 0:
            raise BooksError("Payment amount must be greater than zero")
        if amount > invoice["AmountDue"]:
            raise BooksError("Payment amount exceeds the amount outstanding on this document",
                             record_id=invoice["InvoiceID"])
        account = self.account(data.get("Account"))
        day = parse_date(data.get("Date"), "Date")
        payment = {"PaymentID": str(uuid.uuid4()), "Date": msdate(day), "_Date": day, "Amount": amount,
                   "Reference": str(data.get("Reference", "")), "CurrencyRate": Decimal(1),
                   "PaymentType": "ACCRECPAYMENT" if invoice["Type"] == "ACCREC" else "ACCPAYPAYMENT",
                   "Status": "AUTHORISED", "IsReconciled": False, "HasAccount": True, "HasValidationErrors": False,
                   "Account": {"AccountID": account["AccountID"], "Code": account["Code"]},
                   "Invoice": {"InvoiceID": invoice["InvoiceID"], "InvoiceNumber": invoice["InvoiceNumber"],
                               "Type": invoice["Type"], "Contact": dict(invoice["Contact"]),
                               "CurrencyCode": invoice["CurrencyCode"]}}
        self.payments[payment["PaymentID"]] = payment
        self._touch(payment, now, None, "CREATE", payment["PaymentID"])
        invoice["AmountPaid"] += amount
        invoice["Payments"].append({"PaymentID": payment["PaymentID"], "Date": payment["Date"], "Amount": amount,
                                    "Reference": payment["Reference"], "CurrencyRate": Decimal(1),
                                    "HasAccount": True, "HasValidationErrors": False})
        self._settle(invoice, now, day)
        self._touch(invoice, now, "INVOICE", "UPDATE", invoice["InvoiceID"])
        return payment

    def delete_payment(self, payment_id: str, now: datetime) -> dict:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise BooksError(f"Payment {payment_id} does not exist", record_id=payment_id)
        if payment["Status"] == "DELETED":
            raise BooksError("This payment has already been deleted", record_id=payment_id)
        payment["Status"] = "DELETED"
        self._touch(payment, now, None, "UPDATE", payment_id)
        invoice = self.invoices[payment["Invoice"]["InvoiceID"]]
        invoice["AmountPaid"] -= payment["Amount"]
        invoice["Payments"] = [p for p in invoice["Payments"] if p["PaymentID"] != payment_id]
        self._settle(invoice, now)
        self._touch(invoice, now, "INVOICE", "UPDATE", invoice["InvoiceID"])
        return payment

    # -- credits against invoices -------------------------------------------------------------

    def allocate(self, source: dict, kind: str, data: dict, now: datetime) -> dict:
        """Allocate part of a credit note, overpayment or prepayment to an invoice."""
        invoice = self._invoice_for(data.get("Invoice"))
        amount = money(data.get("Amount"), "Amount")
        if source["Status"] != "AUTHORISED":
            raise BooksError(f"Only an AUTHORISED {kind} can be allocated; this one is {source['Status']}")
        if invoice["Status"] != "AUTHORISED":
            raise BooksError(f"The invoice must be AUTHORISED to take an allocation; it is {invoice['Status']}",
                             record_id=invoice["InvoiceID"])
        if amount <= 0 or amount > source["RemainingCredit"] or amount > invoice["AmountDue"]:
            raise BooksError("The allocation amount must be more than zero and no more than the remaining credit "
                             "and the amount due")
        day = parse_date(data.get("Date") or now.date().isoformat(), "Date")
        allocation = {"AllocationID": str(uuid.uuid4()), "Amount": amount, "Date": msdate(day),
                      "Invoice": {"InvoiceID": invoice["InvoiceID"], "InvoiceNumber": invoice["InvoiceNumber"]}}
        source["Allocations"].append(allocation)
        source["RemainingCredit"] -= amount
        if source["RemainingCredit"] == 0:
            source["Status"] = "PAID"
        id_key = {"credit note": "CreditNoteID", "overpayment": "OverpaymentID", "prepayment": "PrepaymentID"}[kind]
        self._touch(source, now, "CREDITNOTE" if kind == "credit note" else None, "UPDATE", source[id_key])
        if kind == "credit note":
            invoice["AmountCredited"] += amount
            invoice["CreditNotes"].append({"CreditNoteID": source["CreditNoteID"], "AppliedAmount": amount,
                                           "CreditNoteNumber": source["CreditNoteNumber"], "Date": msdate(day),
                                           "Total": source["Total"]})
        else:
            invoice["AmountPaid"] += amount
            invoice["Overpayments" if kind == "overpayment" else "Prepayments"].append(
                {id_key: source[id_key], "AppliedAmount": amount, "Date": msdate(day), "Total": source["Total"]})
        self._settle(invoice, now, day)
        self._touch(invoice, now, "INVOICE", "UPDATE", invoice["InvoiceID"])
        return allocation

    def receive_money(self, data: dict, now: datetime) -> dict:
        """A RECEIVE-OVERPAYMENT or RECEIVE-PREPAYMENT bank transaction and the credit it leaves."""
        kind = data.get("Type")
        if kind not in ("RECEIVE-OVERPAYMENT", "RECEIVE-PREPAYMENT"):
            raise BooksError("The fake takes bank transactions of Type RECEIVE-OVERPAYMENT or RECEIVE-PREPAYMENT only")
        account = self.account(data.get("BankAccount"))
        amount_types = data.get("LineAmountTypes", "NoTax" if kind == "RECEIVE-OVERPAYMENT" else "Exclusive")
        lines, sub, tax = self._lines(data.get("LineItems", []), amount_types)
        day = parse_date(data.get("Date") or now.date().isoformat(), "Date")
        which = "Overpayment" if kind == "RECEIVE-OVERPAYMENT" else "Prepayment"
        credit = {f"{which}ID": str(uuid.uuid4()), "Type": kind, "Contact": self._contact_ref(data.get("Contact"), now),
                  "Date": msdate(day), "Status": "AUTHORISED", "LineAmountTypes": amount_types, "LineItems": lines,
                  "SubTotal": sub, "TotalTax": tax, "Total": sub + tax, "RemainingCredit": sub + tax,
                  "CurrencyCode": data.get("CurrencyCode", self.currency), "CurrencyRate": Decimal(1),
                  "Allocations": [], "Payments": [], "HasAttachments": False, "Reference": data.get("Reference", "")}
        (self.overpayments if which == "Overpayment" else self.prepayments)[credit[f"{which}ID"]] = credit
        self._touch(credit, now, None, "CREATE", credit[f"{which}ID"])
        return {"BankTransactionID": str(uuid.uuid4()), "Type": kind, "Status": "AUTHORISED",
                "Contact": credit["Contact"], "Date": credit["Date"], "LineItems": lines, "SubTotal": sub,
                "TotalTax": tax, "Total": sub + tax, "BankAccount": {"AccountID": account["AccountID"],
                                                                     "Code": account["Code"]},
                f"{which}ID": credit[f"{which}ID"], "IsReconciled": False, "CurrencyCode": credit["CurrencyCode"],
                "UpdatedDateUTC": msdatetime(now)}
