"""Validate one invoice row: its customer (found, or to be created from the name), its
status in the exporting tool, and what the export says was paid.

- Drafts and void invoices are not debts: they are skipped, with a note.
- What was paid comes from the export's dated payments (Wave), else its balance (open
  amount), else its amount paid, else the status (paid: all of it; sent, overdue...:
  nothing). The invoice is then stored with the export's open amount: a new invoice gets
  one payment per dated payment (or one payment of what was paid, dated the export's
  payment date, else the issue date); a stored one gets a payment of what the export
  shows paid beyond what Recoup already has on it (never less).
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from recoup.core.terms import due_date as terms_due_date
from recoup.ledger.actions import effective_terms
from recoup.ledger.imports.context import Context
from recoup.ledger.imports.rows import Cells, changed, once
from recoup.ledger.models import Customer


class Standing(StrEnum):
    DRAFT = "draft"
    VOID = "void"
    OPEN = "open"
    PARTIAL = "partial"
    PAID = "paid"


# Status words of the tools, compared as lower-case letters and digits.
STATUSES: dict[str, Standing] = {
    **dict.fromkeys(("draft", "unsent", "notsent", "pendingapproval", "awaitingapproval", "submitted", "approved"),
                    Standing.DRAFT),
    **dict.fromkeys(("void", "voided", "cancelled", "canceled", "deleted", "writtenoff"), Standing.VOID),
    **dict.fromkeys(("paid", "autopaid", "closed", "fullypaid", "settled"), Standing.PAID),
    **dict.fromkeys(("partial", "partiallypaid", "partpaid", "partlypaid"), Standing.PARTIAL),
    **dict.fromkeys(("", "open", "sent", "viewed", "overdue", "unpaid", "due", "outstanding", "awaitingpayment",
                     "authorised", "authorized", "disputed", "retry", "failed", "pending", "emailed", "printed",
                     "issued", "posted"), Standing.OPEN),
}


def standing_of(status: str) -> Standing | None:
    return STATUSES.get("".join(c for c in status.lower() if c.isalnum()))


def _skip(plan: dict, ctx: Context, number: str, status: str) -> dict:
    stored = ctx.invoices.get(number)
    plan["action"] = "skip"
    plan["note"] = (f"invoice {number} is stored, but the export says {status!r}: not changed by import (credit or "
                    "write it off in Recoup if it is no longer owed)" if stored else
                    f"{status!r}: a draft or void invoice is not a debt, not imported")
    return plan


def _paid(cells: Cells, plan: dict, amount: int | None) -> int | None:
    """What the export says was paid on the invoice, in minor units (None: unknown or refused)."""
    currency, standing = plan["currency"], plan["standing"]
    dated = cells.values.get("payments") or []
    paid = cells.amount_minor("paid", currency)
    balance = cells.amount_minor("balance", currency)
    if amount is None:
        return None
    if dated:
        plan["payments"] = []
        for line, text_date, text_amount in dated:
            on = cells.date("paid_date", text=text_date, line=line)
            minor = cells.amount_minor("paid", currency, text=text_amount, positive=True, line=line)
            if on is not None and minor is not None:
                plan["payments"].append((on, minor))
        return sum(m for _, m in plan["payments"])
    if balance is not None and paid is not None and paid + balance != amount:
        cells.err("balance", f"paid {cells.text('paid')} and balance {cells.text('balance')} do not add up to "
                             f"the amount {cells.text('amount')}")
        return None
    if balance is not None:
        if balance > amount:
            cells.err("balance", f"{cells.text('balance')!r} is more than the invoice's amount {cells.text('amount')}")
            return None
        return amount - balance
    if paid is not None:
        if paid > amount:
            cells.err("paid", f"{cells.text('paid')!r} is more than the invoice's amount {cells.text('amount')}")
            return None
        return paid
    if standing == Standing.PARTIAL:
        cells.err("status", f"{cells.text('status')!r} says part of it was paid, but the file has no paid or "
                            "balance column, so the open amount is unknown")
        return None
    return amount if standing == Standing.PAID else 0


def _payment_dates(cells: Cells, plan: dict, paid: int, settled: int, note) -> None:
    """Turn what was paid beyond ``settled`` into dated payments on ``plan``."""
    if "payments" in plan:  # dated in the export: the ones beyond what is stored
        left, kept = settled, []
        for on, minor in sorted(plan["payments"]):
            take = min(left, minor)
            left -= take
            if minor - take:
                kept.append((on, minor - take))
        plan["payments"] = kept
        return
    on = cells.date("paid_date") or plan["issue_date"]
    if not cells.text("paid_date") and paid > settled:
        note("no payment date in the export: the payment is dated the issue date")
    plan["payments"] = [(on, paid - settled)] if paid > settled else []


def invoice_row(ctx: Context, cells: Cells, line: int, seen: dict) -> dict:
    number = cells.text("number", required=True, max_length=64)
    once(seen, number, line, cells, "number")
    status = cells.text("status")
    standing = standing_of(status)
    plan = {"line": line, "number": number, "standing": standing, "notes": []}
    if standing is None:
        cells.err("status", f"{status!r} is not a status we know (draft, sent, viewed, overdue, partial, paid, "
                            "void ...)")
        return plan
    if standing in (Standing.DRAFT, Standing.VOID):
        return _skip(plan, ctx, number, status)
    customer, new_name = cells.customer(ctx, create=True)
    currency = cells.currency(ctx.org.base_currency)
    amount = cells.amount_minor("amount", currency, required=True, signed=True)
    if amount is not None and amount < 0:
        cells.err("amount", f"{cells.text('amount')!r} is negative: an invoice amount must be zero or more"
                            " (import a credit as a credit note)")
        amount = None
    issue = cells.date("issue_date", required=True)
    due = cells.date("due_date")
    terms_name = cells.text("terms")
    terms = ctx.terms.get(terms_name.lower()) if terms_name else None
    if terms_name and terms is None:
        cells.err("terms", f"unknown payment terms {terms_name!r} (known: {', '.join(t.name for t in ctx.terms.values())})")
    email = cells.text("customer_email", max_length=254)
    if email and new_name:
        try:
            validate_email(email)
        except ValidationError:
            cells.err("customer_email", f"{email!r} is not an e-mail address")
    plan |= {"customer": customer, "currency": currency, "amount_minor": amount, "issue_date": issue,
             "terms": terms, "po_number": cells.text("po_number", max_length=64),
             "description": cells.text("description", max_length=500),
             "new_customer": (new_name, email) if new_name else None}
    paid = _paid(cells, plan, amount)
    if (customer is None and not new_name) or issue is None:
        return plan
    chosen, agreed = effective_terms(org=ctx.org, customer=customer or Customer(org=ctx.org), terms=terms)
    plan["due_date"] = due = due or terms_due_date(issue, agreed)
    plan["chosen_terms"], plan["agreed"] = chosen, agreed
    if due < issue:
        cells.err("due_date", f"due date {due} is before issue date {issue}")
    existing = ctx.invoices.get(number)
    plan["existing"] = existing
    if existing is None:
        plan["action"] = "create"
        if paid:
            _payment_dates(cells, plan, paid, 0, plan["notes"].append)
        _check_payment_dates(cells, plan, issue)
        return plan
    if customer is None or existing.customer_id != customer.pk:
        cells.err("customer_name" if new_name or not cells.text("customer_ref") else "customer_ref",
                  f"invoice {number} already exists for customer {existing.customer.ref}")
    if currency and existing.currency != currency:
        cells.err("currency", f"invoice {number} already exists in {existing.currency}")
    if amount is not None and amount != existing.total_minor and existing.has_moves:
        cells.err("amount", f"invoice {number} is stored with amount {existing.total} and already has payments,"
                            " credits, charges or write-offs, so import will not change it (issue a credit note)")
    fields = {"issue_date": issue, "due_date": due, "total_minor": amount, "po_number": plan["po_number"],
              "description": plan["description"], "terms_id": chosen.pk if chosen else None}
    if paid:
        _payment_dates(cells, plan, paid, existing.settled, plan["notes"].append)
        _check_payment_dates(cells, plan, issue)
    plan["fields_changed"] = changed(existing, fields)
    plan["action"] = "update" if plan["fields_changed"] or plan.get("payments") else "unchanged"
    return plan


def _check_payment_dates(cells: Cells, plan: dict, issue) -> None:
    for on, _ in plan.get("payments", []):
        if on < issue:
            cells.err("paid_date", f"paid on {on}, before the issue date {issue}")
            return
