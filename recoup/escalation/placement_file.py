"""The placement file handed to an agency: one CSV row per invoice placed (columns in
docs/escalation.md). The amounts of a customer's rows sum to what was placed."""

from __future__ import annotations

from datetime import date

from recoup.arrangements.models import OPEN_DISPUTE_STATUSES, Dispute
from recoup.compliance.selectors import limitation_for_invoice
from recoup.core.money import minor_to_text
from recoup.escalation.models import FileFormat, Placement
from recoup.ledger.models import Allocation, Contact, Payment
from recoup.lib.spreadsheet import csv_text, dict_rows
from recoup.messaging.models import Message

COLUMNS = [
    "placement_id", "placed_on", "agency", "customer_ref", "debtor_name", "debtor_kind", "contact_name", "email",
    "phone", "postal_address", "country", "invoice_number", "issue_date", "due_date", "days_overdue", "currency",
    "invoice_total", "paid", "amount_placed", "last_payment_date", "last_contact_date", "disputed",
    "limitation_last_day", "evidence_pack",
]


def pack_filename(placement: Placement) -> str:
    return f"evidence-{placement.customer.ref}-placement-{placement.pk}.pdf"


def placement_rows(placements: list[Placement], *, on: date) -> list[dict[str, str]]:
    rows = []
    for placement in placements:
        customer, org = placement.customer, placement.org
        contact = (Contact.objects.for_org(org).filter(customer=customer).order_by("-is_billing", "name", "id").first())
        last_payment = (Payment.objects.for_org(org).filter(customer=customer).order_by("-date")
                        .values_list("date", flat=True).first())
        last_contact = (Message.objects.for_org(org).filter(customer=customer).exclude(status="cancelled")
                        .order_by("-created_at").values_list("created_at", flat=True).first())
        disputed = set(Dispute.objects.for_org(org).filter(customer=customer, status__in=OPEN_DISPUTE_STATUSES)
                       .values_list("invoices__number", flat=True))
        for inv in placement.invoices.order_by("due_date", "number"):
            paid = sum(Allocation.objects.filter(invoice=inv).values_list("amount_minor", flat=True))
            lim = limitation_for_invoice(inv, on=on)
            cur = inv.currency
            rows.append({
                "placement_id": str(placement.pk), "placed_on": placement.placed_on.isoformat(),
                "agency": placement.agency.name, "customer_ref": customer.ref, "debtor_name": customer.legal_name,
                "debtor_kind": customer.kind, "contact_name": contact.name if contact else "",
                "email": contact.email if contact else "", "phone": contact.phone if contact else "",
                "postal_address": " / ".join(ln.strip() for ln in (contact.postal_address if contact else "")
                                             .splitlines() if ln.strip()),
                "country": customer.country or org.country, "invoice_number": inv.number,
                "issue_date": inv.issue_date.isoformat(), "due_date": inv.due_date.isoformat(),
                "days_overdue": str(max(0, (placement.placed_on - inv.due_date).days)), "currency": cur,
                "invoice_total": minor_to_text(inv.total_minor, cur), "paid": minor_to_text(paid, cur),
                "amount_placed": minor_to_text(inv.open_minor, cur),
                "last_payment_date": last_payment.isoformat() if last_payment else "",
                "last_contact_date": last_contact.date().isoformat() if last_contact else "",
                "disputed": "yes" if inv.number in disputed else "no",
                "limitation_last_day": lim.last_day.isoformat() if lim else "",
                "evidence_pack": pack_filename(placement),
            })
    return rows


def placement_csv(placements: list[Placement], *, on: date, file_format: str = FileFormat.CSV) -> bytes:
    """The placement file in the agency's format (UTF-8; semicolons and decimal commas for
    ``csv_semicolon``)."""
    rows = placement_rows(placements, on=on)
    semicolon = file_format == FileFormat.CSV_SEMICOLON
    amounts = ("invoice_total", "paid", "amount_placed")
    if semicolon:
        rows = [{k: (v.replace(".", ",") if k in amounts else v) for k, v in row.items()} for row in rows]
    return csv_text(COLUMNS, dict_rows(COLUMNS, rows), delimiter=";" if semicolon else ",").encode("utf-8")
