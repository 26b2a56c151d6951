"""Accounting exports: double-entry journals an accountant can import, and customer balances.

Each journal entry is two lines (a debit and a credit of the same amount) sharing an
``entry`` id; columns and accounts are documented in docs/api.md. Amounts are decimal text in
the entry's currency; nothing is converted between currencies.
"""

from __future__ import annotations

from datetime import date

from recoup.core.money import minor_to_text
from recoup.ledger.models import Charge, ChargeWaiver, CreditNote, Payment, WriteOff
from recoup.lib.spreadsheet import csv_text
from recoup.orgs.models import Organization
from recoup.reports.aging import aging

JOURNAL_COLUMNS = ["date", "journal", "entry", "account", "debit", "credit", "currency", "customer_ref",
                   "customer", "document", "description"]
BALANCE_COLUMNS = ["as_of", "customer_ref", "customer", "currency", "open_invoices", "credit_on_account", "balance"]
ACCOUNTS = {
    "receivable": "Accounts receivable", "bank": "Bank", "returns": "Sales returns and allowances",
    "fees": "Late fees and interest income", "bad_debt": "Bad debt expense",
}
JOURNAL_KINDS = ("payments", "credit-notes", "charges", "charge-waivers", "write-offs")


def _entries(org: Organization, kind: str, start: date, end: date):
    """(date, entry id, debit account, credit account, minor, currency, customer, document, description)."""
    if kind == "payments":
        for p in Payment.objects.for_org(org).filter(date__range=(start, end)).select_related("customer") \
                .order_by("date", "id"):
            yield (p.date, f"PAY-{p.pk}", "bank", "receivable", p.amount_minor, p.currency, p.customer,
                   p.reference, f"Payment ({p.get_method_display().lower()})" + (f" from {p.payer}" if p.payer else ""))
    elif kind == "credit-notes":
        for c in CreditNote.objects.for_org(org).filter(date__range=(start, end)).select_related("customer") \
                .order_by("date", "id"):
            yield (c.date, f"CN-{c.pk}", "returns", "receivable", c.amount_minor, c.currency, c.customer, c.number,
                   c.reason or f"Credit note {c.number}")
    elif kind == "charges":
        for ch in Charge.objects.for_org(org).filter(date__range=(start, end)) \
                .select_related("invoice__customer").order_by("date", "id"):
            yield (ch.date, f"CHG-{ch.pk}", "receivable", "fees", ch.amount_minor, ch.invoice.currency,
                   ch.invoice.customer, ch.invoice.number, ch.description or ch.get_kind_display())
    elif kind == "charge-waivers":
        # A waived fee or interest was booked as income: the waiver takes it back out of receivables.
        for w in ChargeWaiver.objects.for_org(org).filter(date__range=(start, end)) \
                .select_related("charge__invoice__customer").order_by("date", "id"):
            invoice = w.charge.invoice
            yield (w.date, f"CHW-{w.pk}", "fees", "receivable", w.amount_minor, invoice.currency, invoice.customer,
                   invoice.number, f"Waived ({w.charge.get_kind_display().lower()} of {w.charge.date}): {w.reason}")
    elif kind == "write-offs":
        for w in WriteOff.objects.for_org(org).filter(date__range=(start, end)) \
                .select_related("invoice__customer").order_by("date", "id"):
            yield (w.date, f"WO-{w.pk}", "bad_debt", "receivable", w.amount_minor, w.invoice.currency,
                   w.invoice.customer, w.invoice.number, f"Written off: {w.reason}")
    else:
        raise ValueError(f"journal kind {kind!r}: use one of {', '.join(JOURNAL_KINDS)}")


def journal_rows(*, org: Organization, kind: str, start: date, end: date) -> list[list[str]]:
    rows = []
    for on, entry, debit, credit, minor, currency, customer, document, text in _entries(org, kind, start, end):
        amount = minor_to_text(minor, currency)
        common = [currency, customer.ref, customer.name, document, text]
        rows.append([on.isoformat(), kind, entry, ACCOUNTS[debit], amount, "", *common])
        rows.append([on.isoformat(), kind, entry, ACCOUNTS[credit], "", amount, *common])
    return rows


def journal_csv(*, org: Organization, kind: str, start: date, end: date) -> str:
    return csv_text(JOURNAL_COLUMNS, journal_rows(org=org, kind=kind, start=start, end=end))


def balance_rows(*, org: Organization, as_of: date) -> list[list[str]]:
    report = aging(org=org, as_of=as_of, by="customer")
    return [[as_of.isoformat(), r.customer_ref, r.customer, r.currency,
             minor_to_text(sum(r.buckets_minor), r.currency), minor_to_text(r.credit_minor, r.currency),
             minor_to_text(r.total_minor, r.currency)] for r in report.rows]


def balances_csv(*, org: Organization, as_of: date) -> str:
    return csv_text(BALANCE_COLUMNS, balance_rows(org=org, as_of=as_of))
