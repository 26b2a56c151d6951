"""The demo's bank: for the last weeks, business customers' transfers reach the ledger through the
end-of-day bank statement (a camt.053 of the organization's account) and its reconciliation, as
they would for a business importing its statement every evening.

Each statement holds that day's transfers (the invoice number as reference, or the customer's
own remittance text for those who pay on account) and an outgoing supplier payment; the last
one also holds what a person has to look at: a payment from a slightly different company name
with no reference, a director paying part of an invoice from a personal account, and a VAT
repayment that is no customer's. Those wait in Bank › Review queue.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape

from recoup.banking.actions import statement_import
from recoup.banking.models import BankAccount
from recoup.core.money import minor_to_text
from recoup.demo.context import Demo
from recoup.demo.ledger_moves import is_transfer, move_amount
from recoup.demo.profiles import InvoicePlan, Move, MoveKind
from recoup.ledger.models import Invoice

SUPPLIERS = ["STROUD TIMBER SUPPLIES", "COTSWOLD IRONMONGERY", "SEVERN VALLEY BANK CHARGES", "FIVE VALLEYS FUEL",
             "HMRC PAYE", "GLOS TOOL HIRE"]


@dataclass(frozen=True)
class Line:
    amount_minor: int  # money in > 0
    name: str
    text: str
    e2e: str = "NOTPROVIDED"


def split(demo: Demo, items: list[InvoicePlan | Move]) -> tuple[list[InvoicePlan | Move], list[Move]]:
    """The day's movements for the ledger directly, and the payments that reach it through the bank statement
    (a business's transfer in the base currency, the invoice's only movement of the day, from the bank story on)."""
    if demo.day < demo.story.bank_from:
        return items, []
    moves = Counter(item.invoice_number for item in items if isinstance(item, Move))
    direct, statement = [], []
    for item in items:
        if isinstance(item, Move) and item.kind == MoveKind.PAYMENT and moves[item.invoice_number] == 1:
            invoice = demo.ledger.invoices[item.invoice_number]
            if invoice.currency == demo.org.base_currency and is_transfer(invoice.customer):
                statement.append(item)
                continue
        direct.append(item)
    return direct, statement


def import_day(demo: Demo, payments: list[Move]) -> None:
    """Import the day's statement (nothing before the bank story starts)."""
    if demo.day < demo.story.bank_from:
        return
    lines = []
    for move in payments:
        invoice = demo.ledger.invoice(move.invoice_number)
        amount = move_amount(move, invoice)
        if amount <= 0:
            continue
        customer = invoice.customer
        text = invoice.number if move.named else f"{customer.ref} REMITTANCE"
        lines.append(Line(amount + move.extra_minor, customer.legal_name.upper(), text,
                          f"{customer.ref}{demo.day:%m%d}"))
    rng = demo.rng("bank", demo.day)
    if demo.working_day():
        lines.append(Line(-rng.randint(8_000, 240_000), rng.choice(SUPPLIERS), f"INV {rng.randint(1000, 9999)}"))
    if demo.day == demo.today - timedelta(days=1):
        lines += _for_review(demo)
    if not lines:
        return
    account = BankAccount.objects.for_org(demo.org).get(iban=demo.org.bank_iban)
    opening = demo.bank_balance_minor
    demo.bank_balance_minor += sum(line.amount_minor for line in lines)
    data = camt053(iban=account.iban, currency=demo.org.base_currency, day=demo.day, opening_minor=opening,
                   closing_minor=demo.bank_balance_minor, lines=lines)
    statement_import(org=demo.org, file_name=f"statement-{demo.day.isoformat()}.xml", data=data, account=account,
                     actor=demo.collector, now=demo.at(18))


def _for_review(demo: Demo) -> list[Line]:
    """Credits the matching cannot be sure of, on open invoices of customers no scene uses."""
    open_invoices = [i for i in Invoice.objects.for_org(demo.org).filter(
        open_minor__gt=0, currency=demo.org.base_currency, customer__kind="business").select_related("customer")
        .order_by("due_date", "number") if not demo.busy(i.customer)]
    lines = [Line(demo.rng("vat", demo.day).randint(50_000, 400_000), "HMRC VAT", "VAT REPAYMENT")]
    if open_invoices:
        first = open_invoices[0]
        name = first.customer.legal_name.upper().replace(" LTD", "").replace(" PLC", "")
        lines.append(Line(first.open_minor, f"{name} (GLOS) LIMITED", "PAYMENT"))
    if len(open_invoices) > 1:
        second = open_invoices[-1]
        part = second.open_minor // 2
        if part > 0:
            lines.append(Line(part, "MR J PATEL", f"{second.number} PART PAYMENT"))
    return lines


def camt053(*, iban: str, currency: str, day: date, opening_minor: int, closing_minor: int,
            lines: list[Line]) -> bytes:
    """An end-of-day camt.053 statement of one account with its booked opening and closing balances."""
    def amount(minor: int) -> str:
        return minor_to_text(abs(minor), currency)

    def balance(code: str, minor: int) -> str:
        sign = "CRDT" if minor >= 0 else "DBIT"
        return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"{currency}\">{amount(minor)}</Amt>"
                f"<CdtDbtInd>{sign}</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>")

    entries = []
    for n, line in enumerate(lines, start=1):
        credit = line.amount_minor > 0
        party = "Dbtr" if credit else "Cdtr"
        entries.append(
            f"<Ntry><NtryRef>{n}</NtryRef><Amt Ccy=\"{currency}\">{amount(line.amount_minor)}</Amt>"
            f"<CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd><Sts>BOOK</Sts>"
            f"<BookgDt><Dt>{day.isoformat()}</Dt></BookgDt><ValDt><Dt>{day.isoformat()}</Dt></ValDt>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>{escape(line.e2e)}</EndToEndId></Refs>"
            f"<RltdPties><{party}><Nm>{escape(line.name)}</Nm></{party}></RltdPties>"
            f"<RmtInf><Ustrd>{escape(line.text)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>")
    statement_id = f"{day:%Y%m%d}-{iban[-4:]}"
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            f"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>"
            f"<GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>{day.isoformat()}T18:00:00</CreDtTm></GrpHdr>"
            f"<Stmt><Id>{statement_id}</Id><Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{currency}</Ccy></Acct>"
            f"{balance('OPBD', opening_minor)}{balance('CLBD', closing_minor)}{''.join(entries)}</Stmt>"
            f"</BkToCstmrStmt></Document>\n").encode()
