"""What this app plugs into the layers below it (registered in ``apps.py``)."""

from __future__ import annotations

from datetime import datetime

from recoup.connections.apply import SYNCING
from recoup.connections.selectors import (
    BOOKS_CONTACT_FIELDS, BOOKS_CUSTOMER_FIELDS, books_contact_id, books_hold, customer_from_books, is_from_books,
)
from recoup.connections.sync import sync_org
from recoup.connections.writeback import writeback_run


# What to do instead, in the books, for each change Recoup refuses on an invoice from them.
INSTEAD = {
    "credit note": "issue the credit note in {label}, the next sync brings it",
    "void": "void it in {label}, the next sync brings it",
    "write-off": "write it off in {label} (a credit note there), the next sync brings it",
    "settlement": "a settlement ends in a write-off, made in {label}: agree it there, the next sync brings it",
}


def invoice_guard(invoice, what: str) -> str | None:
    """An invoice from the books is changed there: Recoup refuses to edit, void, credit or write it
    off (the sync itself, which brings the books' own changes, passes)."""
    if SYNCING.get() or invoice.pk is None:
        return None
    label = is_from_books(invoice.org_id, invoice.pk)
    if not label:
        return None
    instead = INSTEAD.get(what, "change it in {label}, the next sync brings the change")
    return f"came from {label}: {instead.format(label=label)}"


def customer_guard(customer, contact, fields: frozenset) -> tuple[str, str] | None:
    """The name of a customer from the books, and the e-mail address and phone number of the contact
    the sync keeps, are changed there (the sync passes); everything else is Recoup's own."""
    if SYNCING.get() or customer.pk is None:
        return None
    owned = [f for f in (BOOKS_CONTACT_FIELDS if contact is not None else BOOKS_CUSTOMER_FIELDS) if f in fields]
    if not owned:
        return None
    label = customer_from_books(customer.org_id, customer.pk)
    if not label or (contact is not None and contact.pk != books_contact_id(customer)):
        return None
    return owned[0], f"came from {label}: change it in {label}, the next sync brings the change"


def sync_before_cycle(org, now: datetime) -> None:
    writeback_run(now=now, org=org)  # payments Recoup knows of reach the books first
    sync_org(org=org, now=now)


def stale_books_hold(org, now: datetime) -> str | None:
    return books_hold(org, now)
