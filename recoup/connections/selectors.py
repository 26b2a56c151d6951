"""Reads about connections: what an organization is connected to, whether its books are fresh
enough to chase on, where an invoice came from, and what was written back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from recoup.connections.queries import one
from recoup.connections.models import (
    BooksSettings, Connection, ConnectionStatus, LinkKind, RemoteLink, SyncRun, Writeback,
)
from recoup.connections.providers import provider_for
from recoup.ledger.models import Contact

DEFAULT_STALE_HOURS = 6
# A customer's details that the sync writes (``apply.py``): the books' to change, not Recoup's
# ("delete": removing the contact the sync keeps).
BOOKS_CUSTOMER_FIELDS = ("legal_name",)
BOOKS_CONTACT_FIELDS = ("email", "phone", "is_billing", "delete")


def connections_of(org) -> list[Connection]:
    return list(Connection.objects.for_org(org).order_by("provider"))


def stale_after(org) -> timedelta:
    hours = one(BooksSettings.objects.filter(org=org).values_list("stale_after_hours", flat=True))
    return timedelta(hours=hours or DEFAULT_STALE_HOURS)


def books_hold(org, now: datetime) -> str | None:
    """Why the cycle must not chase at ``now`` ("books not synced since ..."), or None.

    Every connection that should be syncing (connected, or broken and waiting to be reconnected)
    counts; the oldest last successful sync decides. An organization without one has no hold.
    """
    rows = list(Connection.objects.for_org(org).filter(status__in=[ConnectionStatus.ACTIVE, ConnectionStatus.BROKEN])
                .values_list("provider", "last_synced_at"))
    if not rows:
        return None
    limit = stale_after(org)
    for provider, last in sorted(rows, key=lambda r: (r[1] is not None, r[1])):
        label = dict(Connection._meta.get_field("provider").choices)[provider]
        if last is None:
            return f"books not synced since connecting ({label} has never synced)"
        if now - last > limit:
            return f"books not synced since {last:%Y-%m-%d %H:%M} UTC ({label}; the limit is " \
                   f"{int(limit.total_seconds() // 3600)} h)"
    return None


@dataclass(frozen=True)
class Origin:
    label: str
    number: str
    url: str


def _origin(org, kind: str, local_id: int) -> Origin | None:
    link = one(RemoteLink.objects.for_org(org).filter(kind=kind, local_id=local_id).select_related("connection"))
    if link is None:
        return None
    provider = provider_for(link.connection.provider)
    url = provider.invoice_url if kind == LinkKind.INVOICE else provider.customer_url
    return Origin(label=provider.label, number=link.number, url=url(link.remote_id))


def invoice_origin(org, invoice_id: int) -> Origin | None:
    """Where the invoice came from (its provider, number there and page there), or None."""
    return _origin(org, LinkKind.INVOICE, invoice_id)


def customer_origin(org, customer_id: int) -> Origin | None:
    """Where the customer came from, or None."""
    return _origin(org, LinkKind.CUSTOMER, customer_id)


def _from_books(org_id: int, kind: str, local_id: int) -> str | None:
    provider = one(RemoteLink.objects.filter(org_id=org_id, kind=kind, local_id=local_id)
                   .values_list("connection__provider", flat=True))
    return dict(Connection._meta.get_field("provider").choices)[provider] if provider else None


def is_from_books(org_id: int, invoice_id: int) -> str | None:
    """The provider's label when the invoice came from the books, else None."""
    return _from_books(org_id, LinkKind.INVOICE, invoice_id)


def customer_from_books(org_id: int, customer_id: int) -> str | None:
    """The provider's label when the customer came from the books, else None."""
    return _from_books(org_id, LinkKind.CUSTOMER, customer_id)


def books_contact_id(customer) -> int | None:
    """The contact whose e-mail address and phone number the sync keeps: the customer's first
    billing contact."""
    return Contact.objects.filter(org_id=customer.org_id, customer=customer, is_billing=True).order_by("pk") \
        .values_list("pk", flat=True).first()


def writebacks_for_invoice(org, invoice_id: int) -> list[Writeback]:
    return list(Writeback.objects.for_org(org).filter(invoice_id=invoice_id).select_related("connection"))


def last_runs(connection: Connection, limit: int = 10) -> list[SyncRun]:
    return list(SyncRun.objects.filter(connection=connection)[:limit])
