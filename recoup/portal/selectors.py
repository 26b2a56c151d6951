"""Reads for the portal: who a link belongs to, and what that customer may see (only theirs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from recoup.ledger.models import CreditNote, Customer, Invoice, InvoiceStatus, Payment
from recoup.orgs.models import Organization
from recoup.portal.actions import key_hash
from recoup.portal.models import PortalPreference, PortalToken


@dataclass(frozen=True)
class PortalAccess:
    """A valid link: the organization and customer every portal query is scoped to."""

    org: Organization
    customer: Customer
    token: PortalToken
    secret: str


def token_lookup(*, secret: str, now: datetime) -> PortalAccess | None:
    """The access a link's secret gives, or None when it is unknown, expired or revoked."""
    token = (PortalToken.objects.select_related("org", "customer").filter(key_hash=key_hash(secret))
             .first())
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if token.customer.org_id != token.org_id:  # belt and braces: never another organization's customer
        return None
    return PortalAccess(org=token.org, customer=token.customer, token=token, secret=secret)


def open_invoices(access: PortalAccess) -> list[Invoice]:
    return list(Invoice.objects.for_org(access.org)
                .filter(customer=access.customer, status=InvoiceStatus.OPEN, open_minor__gt=0)
                .order_by("due_date", "number"))


def customer_invoice(access: PortalAccess, invoice_id: int) -> Invoice | None:
    """One of this customer's invoices, or None (another customer's id is simply not found)."""
    return Invoice.objects.for_org(access.org).filter(customer=access.customer, pk=invoice_id).first()


def invoices_by_ids(access: PortalAccess, ids: list[int]) -> list[Invoice]:
    return list(Invoice.objects.for_org(access.org).filter(customer=access.customer, pk__in=ids,
                                                          status=InvoiceStatus.OPEN, open_minor__gt=0)
                .order_by("due_date", "number"))


def credits(access: PortalAccess) -> list[tuple[str, object]]:
    """Money on account not yet applied: ("payment", Payment) and ("credit_note", CreditNote) rows."""
    payments = Payment.objects.for_org(access.org).filter(customer=access.customer, unapplied_minor__gt=0)
    notes = CreditNote.objects.for_org(access.org).filter(customer=access.customer, unapplied_minor__gt=0)
    return [("payment", p) for p in payments] + [("credit_note", n) for n in notes]


def preference(access: PortalAccess) -> PortalPreference | None:
    return PortalPreference.objects.for_org(access.org).filter(customer=access.customer).first()
