"""Reads of the ledger: balances and customer statements.

Every function takes the organization and refuses rows of another one.
Amounts come back as Decimal in major units, quantized to the currency.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from recoup.core.money import from_minor
from recoup.ledger.actions import LedgerError
from recoup.ledger.models import Allocation, Charge, ChargeWaiver, CreditNote, Customer, Invoice, Payment, WriteOff
from recoup.ledger.splits import invoice_parts
from recoup.orgs.models import Organization

# Same-day movements: what was owed first, then what reduced it (as recoup.core.charges counts them).
_KIND_ORDER = {"invoice": 0, "charge": 1, "waiver": 2, "payment": 3, "credit_note": 4, "write_off": 5}


def invoice_currencies(org: Organization) -> set[str]:
    """Every currency ``org`` has invoiced in. One index seek per currency (index ``invoice_org_currency``)
    instead of a DISTINCT over every invoice: a handful of queries whatever the ledger's size."""
    found: set[str] = set()
    invoices = Invoice.objects.for_org(org).order_by("currency").values_list("currency", flat=True)
    while (nxt := invoices.filter(currency__gt=max(found, default="")).first()) is not None:
        found.add(nxt)
    return found


def _check(org: Organization, customer: Customer) -> None:
    if customer.org_id != org.pk:
        raise LedgerError(f"customer {customer.ref} does not belong to {org.slug}")


def balances_by_customer(*, org: Organization, customer_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """Open balance per customer and currency now: open invoices minus unapplied credit.

    Three grouped queries whatever the number of customers.
    Returns: {customer id: {currency: Decimal}}, only non-zero balances.
    """
    minor: dict[tuple[int, str], int] = defaultdict(int)
    sources = ((Invoice, "open_minor", 1), (Payment, "unapplied_minor", -1), (CreditNote, "unapplied_minor", -1))
    for model, column, sign in sources:
        rows = (model.objects.for_org(org).filter(customer_id__in=customer_ids).exclude(**{column: 0})
                .values_list("customer_id", "currency").annotate(s=Sum(column)).order_by())
        for customer_id, cur, s in rows:
            minor[(customer_id, cur)] += sign * int(s)
    out: dict[int, dict[str, Decimal]] = {}
    for (customer_id, cur), v in sorted(minor.items()):
        if v:
            out.setdefault(customer_id, {})[cur] = from_minor(v, cur)
    return out


def customer_balances(*, org: Organization, customer: Customer) -> dict[str, Decimal]:
    """Open balance per currency now: open invoices minus unapplied credit.

    Returns: {currency: Decimal}, only currencies with a non-zero balance.
    """
    _check(org, customer)
    return balances_by_customer(org=org, customer_ids=[customer.pk]).get(customer.pk, {})


@dataclass(frozen=True)
class StatementLine:
    date: date
    kind: str  # invoice | payment | credit_note | charge | waiver | write_off
    reference: str
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal  # running balance after this line


@dataclass(frozen=True)
class OpenCharge:
    """A charge on an open invoice as of the statement's date: what is still owed, what was waived."""

    kind: str  # late_fee | interest | other
    label: str  # "Late fee", "Interest", "Other charge"
    date: date
    description: str
    amount: Decimal
    open_amount: Decimal
    waived_amount: Decimal


@dataclass(frozen=True)
class OpenInvoice:
    number: str
    issue_date: date
    due_date: date
    days_overdue: int
    open_amount: Decimal
    principal_open: Decimal  # open_amount = principal_open + the open charges (less money ahead, rarely)
    charges: list[OpenCharge] = field(default_factory=list)  # still owed, oldest first
    waived: list[OpenCharge] = field(default_factory=list)  # charges given up in part or whole


@dataclass(frozen=True)
class StatementSection:
    currency: str
    opening_balance: Decimal
    closing_balance: Decimal
    lines: list[StatementLine] = field(default_factory=list)
    open_invoices: list[OpenInvoice] = field(default_factory=list)


@dataclass(frozen=True)
class Statement:
    customer: Customer
    as_of: date
    sections: list[StatementSection]

    def as_json(self) -> dict[str, Any]:
        """JSON-safe dict; amounts as decimal strings, dates ISO 8601."""
        return {
            "customer_ref": self.customer.ref,
            "customer": self.customer.name,
            "as_of": self.as_of.isoformat(),
            "sections": [
                {
                    "currency": s.currency,
                    "opening_balance": str(s.opening_balance),
                    "closing_balance": str(s.closing_balance),
                    "lines": [
                        {"date": ln.date.isoformat(), "kind": ln.kind, "reference": ln.reference,
                         "description": ln.description, "debit": str(ln.debit), "credit": str(ln.credit),
                         "balance": str(ln.balance)}
                        for ln in s.lines
                    ],
                    "open_invoices": [
                        {"number": o.number, "issue_date": o.issue_date.isoformat(),
                         "due_date": o.due_date.isoformat(), "days_overdue": o.days_overdue,
                         "open_amount": str(o.open_amount), "principal_open": str(o.principal_open),
                         "charges": [_charge_json(c) for c in o.charges],
                         "waived": [_charge_json(c) for c in o.waived]}
                        for o in s.open_invoices
                    ],
                }
                for s in self.sections
            ],
        }


def _charge_json(c: OpenCharge) -> dict[str, str]:
    return {"kind": c.kind, "date": c.date.isoformat(), "description": c.description, "amount": str(c.amount),
            "open_amount": str(c.open_amount), "waived_amount": str(c.waived_amount)}


def _movements(org: Organization, customer: Customer, as_of: date) -> list[tuple]:
    """(date, kind, reference, description, currency, signed minor) for every movement <= as_of."""
    out: list[tuple] = []
    invoices = Invoice.objects.for_org(org).filter(customer=customer, issue_date__lte=as_of)
    for inv in invoices:
        out.append((inv.issue_date, "invoice", inv.number, inv.description or f"Invoice {inv.number}",
                    inv.currency, inv.total_minor))
    for ch in Charge.objects.for_org(org).filter(invoice__customer=customer, date__lte=as_of).select_related("invoice"):
        out.append((ch.date, "charge", ch.invoice.number, ch.description or ch.get_kind_display(),
                    ch.invoice.currency, ch.amount_minor))
    waivers = (ChargeWaiver.objects.for_org(org).filter(charge__invoice__customer=customer, date__lte=as_of)
               .select_related("charge__invoice"))
    for w in waivers:
        out.append((w.date, "waiver", w.charge.invoice.number,
                    f"{w.charge.get_kind_display()} of {w.charge.date.isoformat()} waived: {w.reason}",
                    w.charge.invoice.currency, -w.amount_minor))
    for p in Payment.objects.for_org(org).filter(customer=customer, date__lte=as_of):
        out.append((p.date, "payment", p.reference, f"Payment ({p.get_method_display().lower()})",
                    p.currency, -p.amount_minor))
    for cn in CreditNote.objects.for_org(org).filter(customer=customer, date__lte=as_of):
        out.append((cn.date, "credit_note", cn.number, cn.reason or f"Credit note {cn.number}",
                    cn.currency, -cn.amount_minor))
    for wo in WriteOff.objects.for_org(org).filter(invoice__customer=customer, date__lte=as_of).select_related("invoice"):
        out.append((wo.date, "write_off", wo.invoice.number, f"Written off: {wo.reason}",
                    wo.invoice.currency, -wo.amount_minor))
    out.sort(key=lambda m: (m[0], _KIND_ORDER[m[1]], m[2]))
    return out


def _open_invoices(org: Organization, customer: Customer, as_of: date) -> dict[str, list[OpenInvoice]]:
    """Invoices with a non-zero balance as of the date, oldest due first, per currency."""
    later: dict[int, int] = defaultdict(int)
    undo = ((Allocation, "invoice", 1), (WriteOff, "invoice", 1), (ChargeWaiver, "charge__invoice", 1),
            (Charge, "invoice", -1))
    for model, link, sign in undo:
        rows = (model.objects.for_org(org).filter(**{f"{link}__customer": customer, "date__gt": as_of})
                .values_list(f"{link}_id").annotate(s=Sum("amount_minor")).order_by())
        for invoice_id, s in rows:
            later[invoice_id] += sign * s
    out: dict[str, list[OpenInvoice]] = defaultdict(list)
    invoices = (Invoice.objects.for_org(org).filter(customer=customer, issue_date__lte=as_of)
                .select_related("org", "customer").prefetch_related("charges")
                .order_by("due_date", "issue_date", "number"))
    for inv in invoices:
        open_minor = inv.open_minor + later.get(inv.pk, 0)
        if open_minor:
            out[inv.currency].append(_open_invoice(inv, open_minor, as_of))
    return out


def _open_invoice(inv: Invoice, open_minor: int, as_of: date) -> OpenInvoice:
    """One open invoice with its principal and its charges as of the date (``recoup.ledger.splits``)."""
    cur = inv.currency
    principal, charges, waived = open_minor, [], []
    if any(c.date <= as_of for c in inv.charges.all()):
        parts = invoice_parts(inv, as_of=as_of)
        principal = parts.principal_open_minor
        for row in parts.charges:
            c = row.charge
            item = OpenCharge(kind=c.kind, label=c.get_kind_display(), date=c.date, description=c.description,
                              amount=from_minor(c.amount_minor, cur), open_amount=from_minor(row.open_minor, cur),
                              waived_amount=from_minor(row.waived_minor, cur))
            if row.open_minor > 0:
                charges.append(item)
            if row.waived_minor > 0:
                waived.append(item)
    return OpenInvoice(number=inv.number, issue_date=inv.issue_date, due_date=inv.due_date,
                       days_overdue=max(0, (as_of - inv.due_date).days), open_amount=from_minor(open_minor, cur),
                       principal_open=from_minor(principal, cur), charges=charges, waived=waived)


def statement(*, org: Organization, customer: Customer, as_of: date, since: date | None = None) -> Statement:
    """A customer's statement as of a date: one section per currency.

    Lines are every invoice, charge, charge waiver, payment, credit note and write-off dated
    on or before ``as_of`` with a running balance (debits raise it). With
    ``since``, earlier movements are folded into the opening balance. The
    closing balance equals the aging report's total for the customer and
    currency as of the same date. Each open invoice shows its principal and each
    charge still open (kind, date, amount open), and the charges waived.
    """
    _check(org, customer)
    moves = _movements(org, customer, as_of)
    open_by_currency = _open_invoices(org, customer, as_of)
    currencies = sorted({m[4] for m in moves} | set(open_by_currency))
    sections = []
    for cur in currencies:
        balance = 0
        opening = 0
        lines = []
        for on, kind, ref, desc, mcur, minor in moves:
            if mcur != cur:
                continue
            balance += minor
            if since is not None and on < since:
                opening = balance
                continue
            lines.append(StatementLine(
                date=on, kind=kind, reference=ref, description=desc,
                debit=from_minor(max(minor, 0), cur), credit=from_minor(max(-minor, 0), cur),
                balance=from_minor(balance, cur),
            ))
        sections.append(StatementSection(
            currency=cur, opening_balance=from_minor(opening, cur), closing_balance=from_minor(balance, cur),
            lines=lines, open_invoices=open_by_currency.get(cur, []),
        ))
    return Statement(customer=customer, as_of=as_of, sections=sections)
