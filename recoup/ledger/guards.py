"""Who may change an invoice once issued: a registry that higher apps fill.

The ledger imports no app above it. An app that owns some invoices (the connections app: an
invoice that came from Xero, QuickBooks or Stripe is the books' to change, never Recoup's)
registers a guard at start-up; every edit path of the ledger (the import's invoice update, the
API's PATCH and void, write-offs) asks ``recoup.ledger.actions.check_invoice_editable`` first.

A guard takes the invoice and what is being done ("edit", "void", "write-off") and answers
None (allowed) or a sentence saying why not, e.g. "came from Xero: change it there".
"""

from __future__ import annotations

from typing import Callable

from recoup.ledger.models import Invoice

InvoiceGuard = Callable[[Invoice, str], "str | None"]

_GUARDS: list[InvoiceGuard] = []


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
