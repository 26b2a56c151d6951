"""Validate the rows of an import file into plans, collecting every error.

A plan is a dict with ``action`` (create, update, unchanged or skip), ``line`` and
the cleaned values the writer needs. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from recoup.core.exported_values import DateReading, ValueProblem, marker_fits, read_amount, read_date
from recoup.core.money import minor_exponent, to_minor
from recoup.ledger.imports.context import Context
from recoup.ledger.models import Customer, CustomerKind, Invoice, PaymentMethod

_METHODS = {**{m.value: m.value for m in PaymentMethod}, **{m.label.lower(): m.value for m in PaymentMethod}}


@dataclass(frozen=True)
class Reading:
    """How this file's dates and amounts are read: decided once per file."""

    dates: DateReading
    decimal: str
    locale: str
    export: bool = False  # a tool's export (a preset), whose sign conventions are known


@lru_cache(maxsize=8)
def _countries(locale: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for loc in ("en", locale):
        for code, name in Locale.parse(loc).territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(name.lower(), code)
    return names


class Cells:
    """One row's cells with typed getters; problems go to ``errors`` as (column, message)."""

    def __init__(self, values: dict[str, Any], present: set[str], reading: Reading):
        self.values = values
        self.present = present
        self.reading = reading
        self.errors: list[tuple[str, str, int | None]] = []  # (column, message, line if not the row's)

    def err(self, column: str, message: str, line: int | None = None) -> None:
        self.errors.append((column, message, line))

    def text(self, column: str, required: bool = False, max_length: int | None = None) -> str:
        value = self.values.get(column, "")
        value = value.strip() if isinstance(value, str) else ""
        if required and not value:
            self.err(column, "is required")
        if max_length and len(value) > max_length:
            self.err(column, f"is longer than {max_length} characters")
        return value

    def date(self, column: str, required: bool = False, text: str | None = None,
             line: int | None = None) -> date | None:
        value = self.text(column, required) if text is None else text.strip()
        if not value:
            return None
        try:
            return read_date(value, self.reading.dates, self.reading.locale)
        except ValueProblem as exc:
            self.err(column, str(exc), line)
            return None

    def currency(self, default: str) -> str | None:
        value = self.text("currency").upper() or default
        try:
            minor_exponent(value)
        except ValueError as exc:
            self.err("currency", str(exc))
            return None
        return value

    def amount_minor(self, column: str, currency: str | None, required: bool = False, positive: bool = False,
                     text: str | None = None, signed: bool = False, line: int | None = None) -> int | None:
        """The cell as minor units of ``currency``; negative only when ``signed``."""
        value = self.text(column, required) if text is None else text.strip()
        if not value or currency is None:
            return None
        try:
            amount = read_amount(value, decimal=self.reading.decimal)
        except ValueProblem as exc:
            self.err(column, str(exc), line)
            return None
        if not marker_fits(amount.marker, currency, self.reading.locale):
            self.err(column, f"{value!r} is written in {amount.marker}, but the amount is in {currency}", line)
            return None
        try:
            minor = to_minor(amount.value, currency)
        except ValueError as exc:  # more decimals than the currency has, or absurdly large
            self.err(column, str(exc).replace(f"'{amount.value}'", repr(value)), line)
            return None
        if not signed and (minor < 0 or (positive and minor == 0)):
            self.err(column, f"{value!r} is {'negative' if minor < 0 else 'zero'}: it must be "
                             f"{'more than zero' if positive else 'zero or more'}", line)
            return None
        return minor

    def country(self) -> str:
        value = self.text("country")
        if not value or (len(value) == 2 and value.isalpha()):
            return value.upper()
        code = _countries(self.reading.locale).get(value.lower())
        if code is None:
            self.err("country", f"{value!r} is not a two-letter ISO 3166 code (e.g. GB) or a country name")
        return code or ""

    def customer(self, ctx: Context, *, create: bool = False) -> tuple[Customer | None, str]:
        """(customer, name of one to create): by ``customer_ref``, else by ``customer_name``."""
        ref = self.text("customer_ref")
        if ref or "customer_name" not in self.present:
            ref = self.text("customer_ref", required=True)
            found = ctx.customers.get(ref)
            if ref and found is None:
                self.err("customer_ref", f"unknown customer {ref!r} (import customers first)")
            return found, ""
        name = self.text("customer_name", required=True, max_length=200)
        if not name:
            return None, ""
        found_all = ctx.by_name(name)
        if len(found_all) > 1:
            self.err("customer_name", f"{len(found_all)} customers are named {name!r} (refs "
                                      f"{', '.join(c.ref for c in found_all)}): give customer_ref instead")
        elif found_all:
            return found_all[0], ""
        elif not create:
            self.err("customer_name", f"unknown customer {name!r} (import customers or invoices first)")
        elif name[:64] in ctx.customers:
            self.err("customer_name", f"a new customer would get the reference {name[:64]!r}, which is taken")
        elif ctx.new_customers.get(name[:64].lower(), name).lower() != name.lower():
            self.err("customer_name", f"{name!r} and {ctx.new_customers[name[:64].lower()]!r} would both be new "
                                      f"customers with the reference {name[:64]!r}: give customer_ref instead")
        else:
            return None, ctx.new_customers.setdefault(name[:64].lower(), name)
        return None, ""

    def invoice_of(self, ctx: Context, customer, currency: str | None) -> Invoice | None:
        number = self.text("invoice_number")
        if not number:
            return None
        invoice = ctx.invoices.get(number)
        if invoice is None:
            self.err("invoice_number", f"unknown invoice {number!r}")
        elif customer is not None and invoice.customer_id != customer.pk:
            self.err("invoice_number", f"invoice {number} belongs to customer {invoice.customer.ref}, not {customer.ref}")
        elif currency is not None and invoice.currency != currency:
            self.err("invoice_number", f"invoice {number} is in {invoice.currency}, not {currency}")
        return invoice


def once(seen: dict, key: str, line: int, cells: Cells, column: str) -> None:
    if key and key in seen:
        cells.err(column, f"{key!r} appears again (first on line {seen[key]})")
    seen.setdefault(key, line)


def changed(obj: Any, fields: dict[str, Any]) -> bool:
    return any(getattr(obj, k) != v for k, v in fields.items())


def customer_row(ctx: Context, cells: Cells, line: int, seen: dict) -> dict:
    p = cells.present
    name = cells.text("name", required=True, max_length=200)
    ref = cells.text("ref", max_length=64)
    if ref:
        existing = ctx.customers.get(ref)
    else:  # no ref: the customer of that name (ref or legal name), or a new one with the name as ref
        found = ctx.by_name(name) if name else []
        if len(found) > 1:
            cells.err("name", f"{len(found)} customers are named {name!r} (refs {', '.join(c.ref for c in found)}):"
                              " give each row its ref")
        existing = found[0] if len(found) == 1 else None
        ref = existing.ref if existing else name[:64]
        if existing is None and ref in ctx.customers:
            cells.err("name", f"a new customer would get the reference {ref!r}, which is taken: give it a ref")
    once(seen, ref, line, cells, "ref" if cells.text("ref") else "name")
    fields: dict[str, Any] = {"legal_name": name}
    if "kind" in p:
        fields["kind"] = cells.text("kind").lower() or CustomerKind.BUSINESS
        if fields["kind"] not in CustomerKind.values:
            cells.err("kind", f"{fields['kind']!r} is not business or consumer")
    if "country" in p:
        fields["country"] = cells.country()
    if "region" in p:
        fields["region"] = cells.text("region", max_length=10).upper()
    if "timezone" in p:
        fields["timezone"] = cells.text("timezone", max_length=64)
        try:
            if fields["timezone"]:
                ZoneInfo(fields["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            cells.err("timezone", f"{fields['timezone']!r} is not a known time zone (e.g. Europe/London)")
    if "language" in p:
        fields["language"] = cells.text("language", max_length=16)
    if "credit_limit" in p:
        fields["credit_limit_minor"] = cells.amount_minor("credit_limit", ctx.org.base_currency)
    if "terms" in p:
        terms_name = cells.text("terms")
        fields["default_terms"] = ctx.terms.get(terms_name.lower()) if terms_name else None
        if terms_name and fields["default_terms"] is None:
            cells.err("terms", f"unknown payment terms {terms_name!r} (known: "
                               f"{', '.join(t.name for t in ctx.terms.values())})")
    contact = {}
    if "email" in p:
        contact["email"] = cells.text("email", max_length=254)
        try:
            if contact["email"]:
                validate_email(contact["email"])
        except ValidationError:
            cells.err("email", f"{contact['email']!r} is not an e-mail address")
    if "phone" in p:
        contact["phone"] = cells.text("phone", max_length=32)
    if "address" in p:
        contact["postal_address"] = cells.text("address")
    if existing is None:
        action = "create"
    else:
        stored = ctx.contacts.get(existing.pk)
        contact_changed = (changed(stored, contact) if stored else any(contact.values()))
        action = "update" if changed(existing, fields) or contact_changed else "unchanged"
    return {"action": action, "line": line, "ref": ref, "fields": fields, "contact": contact, "existing": existing}


def payment_row(ctx: Context, cells: Cells, line: int, seen: dict) -> dict:
    on = cells.date("date", required=True)
    currency = cells.currency(ctx.org.base_currency)
    named = ctx.invoices.get(cells.text("invoice_number"))
    if named is not None and not cells.text("customer_ref") and not cells.text("customer_name"):
        customer = named.customer
    else:
        customer, _ = cells.customer(ctx)
    if named is not None and not cells.text("currency"):
        currency = named.currency  # an export's payment is in its invoice's currency
    amount = cells.amount_minor("amount", currency, required=True, positive=not cells.reading.export,
                                signed=cells.reading.export)
    if amount is not None and amount <= 0:  # a tool's export lists refunds and reversals as negative payments
        return {"action": "skip", "line": line, "note": f"{'a negative' if amount else 'a zero'} payment (a refund or"
                " reversal) is not imported: refund or reverse the payment in Recoup"}
    method_text = cells.text("method").lower()
    method = _METHODS.get(method_text or "bank_transfer")
    if method is None:
        cells.err("method", f"{method_text!r} is not one of {', '.join(PaymentMethod.values)}")
    reference = cells.text("reference", max_length=140)
    invoice = cells.invoice_of(ctx, customer, currency)
    if invoice is not None and on is not None and on < invoice.issue_date:
        cells.err("date", f"{on} is before invoice {invoice.number}'s issue date {invoice.issue_date}")
    key = (on, customer.pk if customer else None, amount, currency, reference)
    # Identical to a stored payment or to an earlier row of this file: the same payment again.
    action = "unchanged" if key in ctx.payment_keys or key in seen else "create"
    seen.setdefault(key, line)
    return {"action": action, "line": line, "date": on, "customer": customer, "currency": currency,
            "amount_minor": amount, "method": method, "reference": reference, "invoice": invoice}


def credit_note_row(ctx: Context, cells: Cells, line: int, seen: dict) -> dict:
    number = cells.text("number", required=True, max_length=64)
    once(seen, number, line, cells, "number")
    on = cells.date("date", required=True)
    customer, _ = cells.customer(ctx)
    currency = cells.currency(ctx.org.base_currency)
    amount = cells.amount_minor("amount", currency, required=True, signed=True)
    if amount is not None:
        amount = abs(amount)  # exports show credit notes as negatives as often as not: the size is the credit
        if amount == 0:
            cells.err("amount", "must not be zero")
    invoice = cells.invoice_of(ctx, customer, currency)
    existing = ctx.credit_notes.get(number)
    action = "create"
    if existing is not None and customer is not None:
        fields = {"customer_id": customer.pk, "date": on, "amount_minor": amount, "currency": currency,
                  "named_invoice_id": invoice.pk if invoice else None}
        differ = [k.removesuffix("_id").removesuffix("_minor") for k, v in fields.items() if getattr(existing, k) != v]
        if differ:
            cells.err("number", f"credit note {number} already exists with another {', '.join(differ)};"
                                " a stored credit note is not changed by import")
        action = "unchanged"
    return {"action": action, "line": line, "number": number, "date": on, "customer": customer,
            "currency": currency, "amount_minor": amount, "invoice": invoice}

