"""What the ledger tells apps above it: a registry of hooks called when invoices become settled.

The ledger imports no app above it. An app whose records end when an invoice has nothing left to
pay (the arrangements app: a plan or promise covering only settled invoices is done) registers a
hook at start-up. Every ledger action that can lower an open balance (a payment, a batch of named
payments from a bank statement or the books, a credit note, credit applied, a write-off, a charge
waived, an import's update) calls ``invoices_settled`` with the invoices it touched, inside its own
transaction, so what the hook writes commits or rolls back with the money.

A hook takes the organization, the ids of the invoices now settled (open balance zero or less),
who acted and when: ``hook(org, invoice_ids, actor, now)``. It must be idempotent: it may hear of
an invoice that was settled before.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Iterable

from recoup.audit.actions import Actor
from recoup.ledger.models import Invoice
from recoup.orgs.models import Organization

SettledHook = Callable[[Organization, list[int], Actor, datetime], None]

_SETTLED: list[SettledHook] = []
CHUNK = 500


def register_invoices_settled(hook: SettledHook) -> None:
    """Add a hook (once: registering the same function twice keeps one)."""
    if hook not in _SETTLED:
        _SETTLED.append(hook)


def invoices_settled(*, org: Organization, invoice_ids: Iterable[int], actor: Actor, now: datetime) -> list[int]:
    """Tell every hook which of ``invoice_ids`` (of ``org``) have nothing left to pay now; returns those ids."""
    ids = sorted(set(invoice_ids))
    if not _SETTLED or not ids:
        return []
    settled: list[int] = []
    for start in range(0, len(ids), CHUNK):
        settled += Invoice.objects.for_org(org).filter(pk__in=ids[start:start + CHUNK], open_minor__lte=0) \
            .order_by().values_list("pk", flat=True)
    if settled:
        settled.sort()
        for hook in _SETTLED:
            hook(org, settled, actor, now)
    return settled
