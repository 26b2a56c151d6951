"""Validate the rows of an import file into plans, collecting every error.

A plan is a dict with ``action`` (create, update or unchanged), ``line`` and
the cleaned values the writer needs. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from recoup.core.money import minor_exponent, parse_amount, to_minor
from recoup.core.terms import due_date as terms_due_date
from recoup.ledger.actions import effective_terms
from recoup.ledger.models import CustomerKind, Invoice, PaymentMethod
from recoup.ledger.imports.context import Context

_METHODS = {**{m.value: m.value for m in PaymentMethod}, **{m.label.lower(): m.value for m in PaymentMethod}}


class Cells:
    """One row's cells with typed getters; problems go to ``errors`` as (column, message)."""

    def __init__(self, values: dict[str, str], present: set[str]):
        self.values = values
        self.present = present
        self.errors: list[tuple[str, str]] = []

    def err(self, column: str, message: str) -> None:
        self.errors.append((column, message))

    def text(self, column: str, required: bool = False, max_length: int | None = None) -> str:
        value = self.values.get(column, "").strip()
        if required and not value:
            self.err(column, "is required")
        if max_length and len(value) > max_length:
            self.err(column, f"is longer than {max_length} characters")
        return value

    def date(self, column: str, required: bool = False) -> date | None:
        value = self.text(column, required)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.err(column, f"{value!r} is not a date (use YYYY-MM-DD)")
            return None

    def currency(self, default: str) -> str | None:
        value = self.text("currency").upper() or default
        try:
            minor_exponent(value)
        except ValueError as exc:
            self.err("currency", str(exc))
            return None
        return value

    def amount_minor(self, column: str, currency: str | None, required: bool = False,
                     positive: bool = False) -> int | None:
        value = self.text(column, required)
        if not value or currency is None:
            return None
        try:
            amount = parse_amount(value, currency)
        except ValueError as exc:
            self.err(column, str(exc))
            return None
        if amount < 0 or (positive and amount == 0):
            self.err(column, f"{value!r} must be {'more than zero' if positive else 'zero or more'}")
            return None
        return to_minor(amount, currency)

    def customer(self, ctx: Context, column: str = "customer_ref"):
        ref = self.text(column, required=True)
        found = ctx.customers.get(ref)
        if ref and found is None:
            self.err(column, f"unknown customer {ref!r} (import customers first)")
        return found

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


def _once(seen: dict[str, int], key: str, line: int, cells: Cells, column: str) -> None:
    if key and key in seen:
        cells.err(column, f"{key!r} appears again (first on line {seen[key]})")
    seen.setdefault(key, line)


def _changed(obj: Any, fields: dict[str, Any]) -> bool:
    return any(getattr(obj, k) != v for k, v in fields.items())


def customer_row(ctx: Context, cells: Cells, line: int, seen: dict) -> dict:
    ref = cells.text("ref", required=True, max_length=64)
    _once(seen, ref, line, cells, "ref")
    fields: dict[str, Any] = {"legal_name": cells.text("name", required=True, max_length=200)}
    p = cells.present
    if "kind" in p:
        fields["kind"] = cells.text("kind").lower() or CustomerKind.BUSINESS
        if fields["kind"] not in CustomerKind.values:
            cells.err("kind", f"{fields['kind']!r} is not business or consumer")
    if "country" in p:
        fields["country"] = cells.text("country").upper()
        if fields["country"] and not (len(fields["country"]) == 2 and fields["country"].isalpha()):
            cells.err("country", f"{fields['country']!r} is not a two-letter ISO 3166 code (e.g. GB)")
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
        name = cells.text("terms")
        fields["default_terms"] = ctx.terms.get(name.lower()) if name else None
        if name and fields["default_terms"] is None:
            cells.err("terms", f"unknown payment terms {name!r} (known: {', '.join(t.name for t in ctx.terms.values())})")
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
    existing = ctx.customers.get(ref)
    if existing is None:
        action = "create"
    else:
        stored = ctx.contacts.get(existing.pk)
        contact_changed = (_changed(stored, contact) if stored else any(contact.values()))
        action = "update" if _changed(existing, fields) or contact_changed else "unchanged"
    return {"action": action, "line": line, "ref": ref, "fields": fields, "contact": contact, "existing": existing}


def invoice_row(ctx: Context, cells: Cells, line: int, seen: dict) -> dict:
    number = cells.text("number", required=True, max_length=64)
    _once(seen, number, line, cells, "number")
    customer = cells.customer(ctx)
    currency = cells.currency(ctx.org.base_currency)
    amount = cells.amount_minor("amount", currency, required=True)
    issue = cells.date("issue_date", required=True)
    due = cells.date("due_date")
    terms_name = cells.text("terms")
    terms = ctx.terms.get(terms_name.lower()) if terms_name else None
    if terms_name and terms is None:
        cells.err("terms", f"unknown payment terms {terms_name!r} (known: {', '.join(t.name for t in ctx.terms.values())})")
    plan = {"line": line, "number": number, "customer": customer, "currency": currency, "amount_minor": amount,
            "issue_date": issue, "terms": terms, "po_number": cells.text("po_number", max_length=64),
            "description": cells.text("description", max_length=500)}
    if customer is None or issue is None:
        return plan
    chosen, agreed = effective_terms(org=ctx.org, customer=customer, terms=terms)
    plan["due_date"] = due = due or terms_due_date(issue, agreed)
    plan["chosen_terms"], plan["agreed"] = chosen, agreed
    if due < issue:
        cells.err("due_date", f"due date {due} is before issue date {issue}")
    existing = ctx.invoices.get(number)
    plan["existing"] = existing
    if existing is None:
        plan["action"] = "create"
        return plan
    if existing.customer_id != customer.pk:
        cells.err("customer_ref", f"invoice {number} already exists for customer {existing.customer.ref}")
    if currency and existing.currency != currency:
        cells.err("currency", f"invoice {number} already exists in {existing.currency}")
    if amount is not None and amount != existing.total_minor and existing.has_moves:
        cells.err("amount", f"invoice {number} is stored with amount {existing.total} and already has payments,"
                            " credits, charges or write-offs, so import will not change it (issue a credit note)")
    fields = {"issue_date": issue, "due_date": due, "total_minor": amount, "po_number": plan["po_number"],
              "description": plan["description"], "terms_id": chosen.pk if chosen else None}
    plan["action"] = "update" if _changed(existing, fields) else "unchanged"
    return plan


def payment_row(ctx: Context, cells: Cells, line: int, seen: dict) -> dict:
    on = cells.date("date", required=True)
    customer = cells.customer(ctx)
    currency = cells.currency(ctx.org.base_currency)
    amount = cells.amount_minor("amount", currency, required=True, positive=True)
    method_text = cells.text("method").lower()
    method = _METHODS.get(method_text or "bank_transfer")
    if method is None:
        cells.err("method", f"{method_text!r} is not one of {', '.join(PaymentMethod.values)}")
    reference = cells.text("reference", max_length=140)
    invoice = cells.invoice_of(ctx, customer, currency)
    key = (on, customer.pk if customer else None, amount, currency, reference)
    # Identical to a stored payment or to an earlier row of this file: the same payment again.
    action = "unchanged" if key in ctx.payment_keys or key in seen else "create"
    seen.setdefault(key, line)
    return {"action": action, "line": line, "date": on, "customer": customer, "currency": currency,
            "amount_minor": amount, "method": method, "reference": reference, "invoice": invoice}


def credit_note_row(ctx: Context, cells: Cells, line: int, seen: dict) -> dict:
    number = cells.text("number", required=True, max_length=64)
    _once(seen, number, line, cells, "number")
    on = cells.date("date", required=True)
    customer = cells.customer(ctx)
    currency = cells.currency(ctx.org.base_currency)
    amount = cells.amount_minor("amount", currency, required=True, positive=True)
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


CHECKERS: dict[str, Callable[[Context, Cells, int, dict], dict]] = {
    "customers": customer_row, "invoices": invoice_row, "payments": payment_row, "credit-notes": credit_note_row,
}
