"""Write the ledger plan's invoices and movements through the ledger actions, one at a time.

Every ledger row goes through ``recoup.ledger.actions`` so balances and the audit trail are
exactly what real use would leave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from recoup.audit.actions import Actor
from recoup.demo.profiles import InvoicePlan, Move, MoveKind
from recoup.ledger import actions as ledger
from recoup.ledger.models import Customer, Invoice
from recoup.orgs.models import Organization

# Same day: invoices first, then fees, the payment, a credit note for what the payment left (discounts).
ORDER = {MoveKind.CHARGE: 1, MoveKind.PAYMENT: 2, MoveKind.CREDIT_NOTE: 3, MoveKind.WRITE_OFF: 4}


def dated(invoices: list[InvoicePlan], moves: list[Move]) -> list[tuple[date, InvoicePlan | Move]]:
    """Every invoice and movement with its day, in the order they are written."""
    events: list[tuple[date, int, int, InvoicePlan | Move]] = [
        (inv.issue_date, 0, k, inv) for k, inv in enumerate(invoices)]
    events += [(m.on, ORDER[m.kind], k, m) for k, m in enumerate(moves)]
    events.sort(key=lambda e: e[:3])
    return [(on, item) for on, _, _, item in events]


def is_transfer(customer: Customer) -> bool:
    return customer.kind != "consumer"


@dataclass
class LedgerWriter:
    org: Organization
    customers: dict[str, Customer]
    actor: Actor
    invoices: dict[str, Invoice] = field(default_factory=dict)
    notes: int = 0  # credit notes numbered so far

    def invoice(self, number: str) -> Invoice:
        """The invoice with its balance as stored now."""
        invoice = self.invoices[number]
        invoice.refresh_from_db(fields=["open_minor", "status"])
        return invoice

    def next_credit_note(self) -> str:
        self.notes += 1
        return f"CN-{self.notes:04d}"

    def write(self, item: InvoicePlan | Move, on: date, at: datetime) -> None:
        if isinstance(item, InvoicePlan):
            self.invoices[item.number] = ledger.invoice_create(
                org=self.org, customer=self.customers[item.customer_ref], number=item.number,
                issue_date=item.issue_date, currency=item.currency, actor=self.actor, now=at,
                po_number=item.po_number, description=item.lines[0].description,
                lines=[ledger.LineInput(line.description, line.quantity, line.unit_price, line.tax_rate)
                       for line in item.lines],
            )
            return
        invoice = self.invoice(item.invoice_number)
        amount = move_amount(item, invoice)
        if amount <= 0:
            return
        if item.kind == MoveKind.PAYMENT:
            customer = invoice.customer
            ledger.payment_record(
                org=self.org, customer=customer, date=on, amount_minor=amount + item.extra_minor,
                currency=invoice.currency, actor=self.actor, now=at, invoice=invoice if item.named else None,
                method="bank_transfer" if is_transfer(customer) else "card",
                reference=invoice.number if item.named else f"{customer.ref} REMITTANCE", payer=customer.legal_name,
            )
        elif item.kind == MoveKind.CREDIT_NOTE:
            ledger.credit_note_record(
                org=self.org, customer=invoice.customer, number=self.next_credit_note(), date=on,
                amount_minor=amount, currency=invoice.currency, actor=self.actor, now=at, invoice=invoice,
                reason=item.text,
            )
        elif item.kind == MoveKind.CHARGE:
            ledger.charge_add(org=self.org, invoice=invoice, kind="late_fee", on=on, amount_minor=amount,
                              actor=self.actor, now=at, description=item.text)
        else:
            ledger.invoice_write_off(org=self.org, invoice=invoice, on=on, reason=item.text, actor=self.actor,
                                     now=at)


def move_amount(move: Move, invoice: Invoice) -> int:
    """What the move is worth now: a fixed amount, a share of the total, or what is still open."""
    if invoice.open_minor <= 0:
        return 0
    if move.fixed_minor is not None:
        return move.fixed_minor
    if move.share is None:
        return invoice.open_minor
    share = int((Decimal(invoice.total_minor) * move.share).to_integral_value(ROUND_HALF_UP))
    return min(share, invoice.open_minor)
