"""Who may change an invoice once issued, or a customer's details: registries that higher apps fill.

The ledger imports no app above it. An app that owns some invoices (the connections app: an
invoice that came from Xero, QuickBooks or Stripe is the books' to change, never Recoup's)
registers a guard at start-up; every edit path of the ledger (the import's invoice update, the
API's PATCH and void, write-offs, credit notes) asks ``recoup.ledger.actions.check_invoice_editable``
first.

A guard takes the invoice and what is being done ("edit", "void", "write-off", "credit note",
"settlement") and answers None (allowed) or a sentence saying why not, e.g. "came from Xero:
change it in Xero, the next sync brings the change".

Customers likewise: ``customer_update``, ``contact_save`` and ``contact_delete`` ask the customer
guards about the fields they are about to change (a contact's removal is the field "delete"); a
guard answers None or (the field it refuses, why).
"""

from __future__ import annotations

from typing import Callable

from recoup.ledger.models import Contact, Customer, Invoice

InvoiceGuard = Callable[[Invoice, str], "str | None"]
CustomerGuard = Callable[[Customer, "Contact | None", frozenset], "tuple[str, str] | None"]

_GUARDS: list[InvoiceGuard] = []
_CUSTOMER_GUARDS: list[CustomerGuard] = []


def register_invoice_guard(guard: InvoiceGuard) -> None:
    """Add a guard (once: registering the same function twice keeps one)."""
    if guard not in _GUARDS:
        _GUARDS.append(guard)


def invoice_edit_refusal(invoice: Invoice, what: str) -> str | None:
    """The first guard's reason for refusing ``what`` on ``invoice``, or None when all allow it."""
    for guard in _GUARDS:
        reason = guard(invoice, what)
        if reason:
            return reason
    return None


def register_customer_guard(guard: CustomerGuard) -> None:
    """Add a guard of customers' details (once)."""
    if guard not in _CUSTOMER_GUARDS:
        _CUSTOMER_GUARDS.append(guard)


def customer_edit_refusal(customer: Customer, contact: Contact | None, fields: set[str]) -> tuple[str, str] | None:
    """The first guard's (field, reason) for refusing to change ``fields`` of ``customer`` (of its
    ``contact`` when given), or None when all allow it."""
    if not fields:
        return None
    for guard in _CUSTOMER_GUARDS:
        refused = guard(customer, contact, frozenset(fields))
        if refused:
            return refused
    return None
