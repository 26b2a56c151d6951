"""What a sync leaves in the ledger, without ids or clock times, to compare two runs."""

from __future__ import annotations

from decimal import Decimal

from recoup.connections.models import RemoteLink
from recoup.ledger.models import Allocation, CreditNote, Customer, Invoice, Payment


def ledger_snapshot(org) -> dict:
    return {
        "customers": sorted(Customer.objects.for_org(org).values_list("ref", "legal_name")),
        "invoices": sorted(Invoice.objects.for_org(org).values_list(
            "number", "customer__ref", "currency", "total_minor", "tax_minor", "open_minor", "status", "due_date")),
        "payments": sorted(Payment.objects.for_org(org).values_list(
            "customer__ref", "date", "amount_minor", "unapplied_minor", "reference")),
        "credit_notes": sorted(CreditNote.objects.for_org(org).values_list("number", "amount_minor", "unapplied_minor")),
        "allocations": sorted(Allocation.objects.for_org(org).values_list("invoice__number", "amount_minor", "date")),
        "links": sorted(RemoteLink.objects.for_org(org).values_list("kind", "remote_id")),
    }


def open_by_customer(org) -> dict[str, Decimal]:
    """Recoup's open amount per customer (legal name), customers with nothing open left out."""
    out: dict[str, Decimal] = {}
    for inv in Invoice.objects.for_org(org).select_related("customer").filter(open_minor__gt=0):
        out[inv.customer.legal_name] = out.get(inv.customer.legal_name, Decimal(0)) + inv.open_amount
    return out
