"""Reads: what of an invoice is principal and what is charges, and what each still has open.

The ledger keeps allocations per invoice; ``recoup.core.charges.split`` says from the dated
rows how much of each went to the principal and to each charge. The order a payment follows
is the organization's ``payment_order``; where that is "" (as the law says), the
``payment_appropriation`` rule in force for the invoice's jurisdiction (the contract's,
``recoup.ledger.jurisdiction.contract_jurisdiction``) on its due date, else charges first.
See docs/ledger.md, "Principal and charges".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from recoup.core.charges import (
    ChargeIn, ChargeState, Order, OrderInForce, SettlementIn, SettlementKind, Split, order_in_force, split,
)
from recoup.core.rules import rules_in_force
from recoup.ledger.jurisdiction import contract_jurisdiction
from recoup.ledger.models import Allocation, Charge, ChargeWaiver, Invoice, WriteOff

_RANK = {SettlementKind.PAYMENT: 0, SettlementKind.CREDIT: 1, SettlementKind.WRITE_OFF: 2}


@dataclass(frozen=True)
class ChargeOpen:
    """One charge row with what settled it, what was waived (and why) and what is open."""

    charge: Charge
    state: ChargeState
    waivers: tuple[ChargeWaiver, ...]

    @property
    def settled_minor(self) -> int:
        return self.state.settled_minor

    @property
    def waived_minor(self) -> int:
        return self.state.waived_minor

    @property
    def open_minor(self) -> int:
        return self.state.open_minor


@dataclass(frozen=True)
class InvoiceParts:
    invoice: Invoice
    order: OrderInForce
    split: Split
    charges: tuple[ChargeOpen, ...]  # charged on or before the as-of date, oldest first

    @property
    def principal_open_minor(self) -> int:
        return self.split.principal_open_minor

    @property
    def open_charges(self) -> tuple[ChargeOpen, ...]:
        return tuple(c for c in self.charges if c.open_minor > 0)

    @property
    def waived_charges(self) -> tuple[ChargeOpen, ...]:
        return tuple(c for c in self.charges if c.waived_minor > 0)

    def charge(self, pk: int) -> ChargeOpen:
        for c in self.charges:
            if c.charge.pk == pk:
                return c
        raise KeyError(pk)


def payment_order(invoice: Invoice) -> OrderInForce:
    """The order a payment on ``invoice`` settles its principal and charges in, and why."""
    org, customer = invoice.org, invoice.customer
    if org.payment_order:
        return order_in_force(org.payment_order, None)
    jurisdiction = contract_jurisdiction(customer, org)
    rules = rules_in_force(jurisdiction, invoice.due_date, customer.kind) if jurisdiction else None
    return order_in_force("", rules)


def invoice_parts(invoice: Invoice, *, as_of: date | None = None, order: Order | None = None) -> InvoiceParts:
    """Split ``invoice`` into principal and charges as of ``as_of`` (None: everything recorded).

    Reads its charges (a caller's ``prefetch_related("charges")`` is used), their waivers,
    allocations and write-offs: three or four queries. ``order`` overrides the order in force.
    """
    charges = sorted(invoice.charges.all(), key=lambda c: (c.date, c.pk))
    waivers: dict[int, list[ChargeWaiver]] = {}
    if charges:
        for waiver in ChargeWaiver.objects.filter(charge__invoice=invoice).order_by("date", "pk"):
            waivers.setdefault(waiver.charge_id, []).append(waiver)
    settlements = [
        SettlementIn(key=("allocation", pk), kind=SettlementKind.PAYMENT if payment_id else SettlementKind.CREDIT,
                     on=on, amount_minor=minor)
        for pk, on, minor, payment_id in Allocation.objects.filter(invoice=invoice).order_by()
        .values_list("pk", "date", "amount_minor", "payment_id")
    ] + [
        SettlementIn(key=("write_off", pk), kind=SettlementKind.WRITE_OFF, on=on, amount_minor=minor)
        for pk, on, minor in WriteOff.objects.filter(invoice=invoice).order_by()
        .values_list("pk", "date", "amount_minor")
    ]
    settlements.sort(key=lambda s: (s.on, _RANK[s.kind], s.key[1]))
    in_force = OrderInForce(order, "given") if order is not None else payment_order(invoice)
    result = split(
        principal_minor=invoice.total_minor,
        charges=[ChargeIn(key=c.pk, kind=c.kind, on=c.date, amount_minor=c.amount_minor,
                          waivers=tuple((w.date, w.amount_minor) for w in waivers.get(c.pk, ())))
                 for c in charges],
        settlements=settlements, order=in_force.order, as_of=as_of,
    )
    by_pk = {c.pk: c for c in charges}
    rows = tuple(ChargeOpen(charge=by_pk[state.key], state=state,
                            waivers=tuple(w for w in waivers.get(state.key, ()) if as_of is None or w.date <= as_of))
                 for state in result.charges)
    return InvoiceParts(invoice=invoice, order=in_force, split=result, charges=rows)
