"""Bad debts: write off (through the ledger), record a later recovery, and the yearly report for the
accountant (CSV: what was written off and recovered in the year, with the tax share of each)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.db import transaction
from django.db.models import Sum

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.core.money import minor_to_text
from recoup.escalation.actions import EscalationError, chosen_invoices, same_org
from recoup.escalation.models import WriteOffRecovery
from recoup.escalation.selectors import money_text
from recoup.ledger.actions import LedgerError, invoice_write_off
from recoup.ledger.models import Customer, Payment, WriteOff
from recoup.lib.spreadsheet import csv_text, dict_rows
from recoup.orgs.models import Organization


@transaction.atomic
def bad_debt_write_off(*, org: Organization, customer: Customer, on: date, reason: str, actor: Actor,
                       now: datetime) -> list[WriteOff]:
    """Write off every open invoice of ``customer`` as bad debt (all or none)."""
    same_org(org, customer)
    written = []
    for invoice in chosen_invoices(org=org, customer=customer, invoices=None):
        try:
            written.append(invoice_write_off(org=org, invoice=invoice, on=on, reason=reason, actor=actor, now=now))
        except LedgerError as exc:
            raise EscalationError(f"{invoice.number}: {exc}") from None
    return written


@transaction.atomic
def write_off_recover(*, org: Organization, write_off: WriteOff, on: date, amount_minor: int, actor: Actor,
                      now: datetime, payment: Payment | None = None, note: str = "") -> WriteOffRecovery:
    """Money received on an amount written off: at most what was written off, less earlier recoveries.

    Record the money itself with ``ledger.actions.payment_record`` (it stays as credit on
    account, since the invoice is closed) and name that payment here.
    """
    same_org(org, write_off, payment)
    if payment is not None and payment.customer_id != write_off.invoice.customer_id:
        raise EscalationError(f"payment {payment.pk} is not from {write_off.invoice.customer.ref}")
    if on < write_off.date:
        raise EscalationError(f"a recovery cannot be dated {on}, before the write-off ({write_off.date})")
    done = WriteOffRecovery.objects.filter(write_off=write_off).aggregate(s=Sum("amount_minor"))["s"] or 0
    left = write_off.amount_minor - done
    if not 0 < amount_minor <= left:
        raise EscalationError(f"amount: between 0 and {money_text(left, write_off.invoice.currency)} not yet recovered")
    row = WriteOffRecovery.objects.create(org=org, write_off=write_off, date=on, amount_minor=amount_minor,
                                          payment=payment, note=note[:500], created_at=now)
    audit.record(org=org, actor=actor, at=now, verb="write_off.recovered", subject=row,
                 customer=write_off.invoice.customer,
                 summary=f"{money_text(amount_minor, write_off.invoice.currency)} recovered of the amount written off "
                         f"on {write_off.invoice.number}")
    return row


BAD_DEBT_COLUMNS = ["type", "date", "customer_ref", "customer_name", "invoice_number", "invoice_date", "currency",
                    "amount", "tax_included", "reason"]


def _tax_share(amount_minor: int, tax_minor: int, total_minor: int) -> int:
    """The tax within an amount of an invoice, pro rata, rounded half up."""
    if total_minor <= 0 or tax_minor <= 0:
        return 0
    q, r = divmod(amount_minor * tax_minor, total_minor)
    return q + (1 if 2 * r >= total_minor else 0)


def bad_debt_report(*, org: Organization, year: int) -> tuple[list[dict[str, str]], dict[str, dict[str, int]]]:
    """Write-offs and recoveries dated in ``year``; totals per currency (written off, recovered, net)."""
    rows: list[tuple] = []
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"written_off": 0, "recovered": 0, "net": 0,
                                                             "tax_written_off": 0, "tax_recovered": 0})
    for w in WriteOff.objects.for_org(org).filter(date__year=year).select_related("invoice", "invoice__customer"):
        inv = w.invoice
        tax = _tax_share(w.amount_minor, inv.tax_minor, inv.total_minor)
        rows.append((w.date, w.pk, "write_off", inv, w.amount_minor, tax, w.reason))
        totals[inv.currency]["written_off"] += w.amount_minor
        totals[inv.currency]["tax_written_off"] += tax
    for r in (WriteOffRecovery.objects.for_org(org).filter(date__year=year)
              .select_related("write_off__invoice", "write_off__invoice__customer")):
        inv = r.write_off.invoice
        tax = _tax_share(r.amount_minor, inv.tax_minor, inv.total_minor)
        rows.append((r.date, r.pk, "recovery", inv, -r.amount_minor, -tax, r.note or "recovered"))
        totals[inv.currency]["recovered"] += r.amount_minor
        totals[inv.currency]["tax_recovered"] += tax
    for t in totals.values():
        t["net"] = t["written_off"] - t["recovered"]
    out = []
    for on, _, kind, inv, amount, tax, reason in sorted(rows, key=lambda r: (r[0], r[2] != "write_off", r[1])):
        out.append({"type": kind, "date": on.isoformat(), "customer_ref": inv.customer.ref,
                    "customer_name": inv.customer.legal_name, "invoice_number": inv.number,
                    "invoice_date": inv.issue_date.isoformat(), "currency": inv.currency,
                    "amount": minor_to_text(amount, inv.currency), "tax_included": minor_to_text(tax, inv.currency),
                    "reason": reason})
    return out, dict(totals)


def bad_debt_csv(*, org: Organization, year: int) -> bytes:
    """The yearly bad-debt report as CSV: one row per write-off and recovery (recoveries negative),
    then one total row per currency."""
    rows, totals = bad_debt_report(org=org, year=year)
    totals_rows = [{"type": "total", "date": str(year), "currency": cur, "amount": minor_to_text(t["net"], cur),
                    "tax_included": minor_to_text(t["tax_written_off"] - t["tax_recovered"], cur),
                    "reason": f"written off {minor_to_text(t['written_off'], cur)}, "
                              f"recovered {minor_to_text(t['recovered'], cur)}"} for cur, t in sorted(totals.items())]
    return csv_text(BAD_DEBT_COLUMNS, dict_rows(BAD_DEBT_COLUMNS, [*rows, *totals_rows])).encode("utf-8")
