"""Wave's exports of invoices: the "Account Transactions" journal, or the invoice list.

The journal has a row per posting. An invoice is the Accounts Receivable row with a
positive amount (the debit) carrying its number and customer; a payment is an Accounts
Receivable row with a negative amount (a credit, "Invoice Payment") on the same invoice
number, dated by its transaction date. Income, tax and cash rows repeat the same money
and are left out. The invoice list (one row per invoice with Invoice Total, Invoice Paid
and Last Payment Date) is read like any other export.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from recoup.ledger.imports.presets.base import Field, Reduce, Row, Source, _amount, invoice_lines, words

_RECEIVABLE = ("accountsreceivable",)


def _receivable(values: dict) -> bool:
    return words(values.get("_account", "")) in _RECEIVABLE or words(values.get("_account_type", "")).startswith(
        "systemreceivable")


def _journal(rows: Iterable[Row], ctx: Reduce) -> Iterator[Row]:
    invoices: dict[str, tuple[int, dict]] = {}
    payments: dict[str, list[tuple[int, str, str]]] = {}
    for line, values in rows:
        if not _receivable(values):
            continue
        number = values.get("number", "").strip()
        amount = _amount(values.get("_signed", ""), ctx, line, "_signed")
        if amount is None:
            continue
        if not number:
            ctx.note(line, "a receivable posting with no invoice number (e.g. a payment on account) is not imported")
            continue
        if amount >= 0:
            if number in invoices:
                first_line, first = invoices[number]
                first["amount"] = str(Decimal(first["amount"]) + amount)
            else:
                invoices[number] = (line, {k: v for k, v in values.items() if not k.startswith("_")}
                                    | {"amount": str(amount)})
        else:
            payments.setdefault(number, []).append((line, values.get("issue_date", ""), str(-amount)))
    for number, (line, values) in invoices.items():
        values["payments"] = payments.pop(number, [])
        yield line, values
    for number, paid in payments.items():
        ctx.error(paid[0][0], "number", f"a payment on invoice {number}, which is not in this export")


def _reduce(rows: Iterable[Row], ctx: Reduce) -> Iterator[Row]:
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    def again() -> Iterator[Row]:
        yield first
        yield from rows
    if "_signed" in first[1]:
        yield from _journal(again(), ctx)
    else:
        yield from invoice_lines()(again(), ctx)


WAVE_INVOICES = Source(
    "wave", "Wave", "invoices",
    (
        Field("number", ("Invoice Number",), required=True),
        Field("customer_name", ("Customer", "Customer Name"), required=True),
        Field("issue_date", ("Transaction Date", "Invoice Date"), required=True),
        Field("due_date", ("Due Date",)),
        Field("currency", ("Currency",)),
        Field("_account", ("Account Name",), label="journal: account name"),
        Field("_account_type", ("Account Type",), label="journal: account type"),
        Field("_signed", ("Amount (One column)",), label="journal: signed amount"),
        Field("amount", ("Invoice Total",)),
        Field("paid", ("Invoice Paid",)),
        Field("paid_date", ("Last Payment Date",)),
    ),
    reduce=_reduce,
    relied_on="the real \"Account Transactions\" export (wave_invoices.csv); the invoice-list columns "
              "(Invoice Total, Invoice Paid, Last Payment Date) from Invoice Ninja's Wave importer",
)
