"""What this app plugs into the layers below it (registered in ``apps.py``)."""

from __future__ import annotations

from datetime import datetime

from recoup.connections.apply import SYNCING
from recoup.connections.selectors import books_hold, is_from_books
from recoup.connections.sync import sync_org
from recoup.connections.writeback import writeback_run


def invoice_guard(invoice, what: str) -> str | None:
    """An invoice from the books is changed there: Recoup refuses to edit, void or write it off
    (the sync itself, which brings the books' own changes, passes)."""
    if SYNCING.get() or invoice.pk is None:
        return None
    label = is_from_books(invoice.org_id, invoice.pk)
    return f"came from {label}: change it there, the next sync brings the change" if label else None


def sync_before_cycle(org, now: datetime) -> None:
    writeback_run(now=now, org=org)  # payments Recoup knows of reach the books first
    sync_org(org=org, now=now)


def stale_books_hold(org, now: datetime) -> str | None:
    return books_hold(org, now)
