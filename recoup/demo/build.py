"""Write the demo plan through the ledger actions, in date order, in one transaction.

Every ledger row goes through ``recoup.ledger.actions`` so balances and the
audit trail are exactly what real use would leave. Audit events carry the
date the movement happened (09:00 UTC that day, never after ``now``), so the
timeline reads like two years of history rather than one busy second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.demo.profiles import EXTRA_TERMS, CustomerPlan, DemoPlan, InvoicePlan, Move, MoveKind, plan_demo
from recoup.ledger import actions as ledger
from recoup.ledger.customer_actions import contact_save, customer_create
from recoup.ledger.models import Customer, Invoice, PaymentTerms
from recoup.orgs.actions import member_add, org_create
from recoup.orgs.models import Organization, Role

ORG_DETAILS = {
    "legal_name": "Oakline Joinery Ltd",
    "currency": "GBP",
    "country": "GB",
    "region": "GB-ENG",
    "timezone": "Europe/London",
    "locale": "en_GB",
    "address": "Unit 4, Tanner's Yard\n18 Mill Lane\nStroud\nGL5 3AB\nUnited Kingdom",
    "sender_email": "accounts@oakline-joinery.example",
    "sender_phone": "+44 1632 960100",
    "bank_name": "Severn Valley Bank",
    "bank_iban": "GB33BUKB20201555555555",
    "bank_bic": "BUKBGB22",
    "bank_account": "Sort code 20-20-15, account 55555555",
    "tax_id": "GB123456789",
}
USERS = [("owner", Role.OWNER), ("collector", Role.COLLECTOR), ("viewer", Role.VIEWER)]
# Same day: fees first, then the payment, then a credit note for what the payment left (discounts).
_ORDER = {MoveKind.CHARGE: 1, MoveKind.PAYMENT: 2, MoveKind.CREDIT_NOTE: 3, MoveKind.WRITE_OFF: 4}


class DemoError(ValueError):
    """The demo cannot be built here, with a message for the operator."""


@dataclass(frozen=True)
class DemoResult:
    org: Organization
    owner: str
    customers: int
    invoices: int


def _at(day: date, now: datetime) -> datetime:
    return min(datetime.combine(day, time(9), tzinfo=timezone.utc), now)


@transaction.atomic
def demo_build(*, today: date, now: datetime, password: str, seed: int = 1, customers: int = 60,
               years: int = 2, slug: str = "oakline") -> DemoResult:
    """Create the demo organization, its users and its ledger history up to ``today``."""
    if Organization.objects.filter(slug=slug).exists():
        raise DemoError(f"an organization with slug {slug!r} already exists; pick another with --slug")
    plan = plan_demo(seed=seed, customers=customers, years=years, today=today)
    actor = Actor.system("demo")
    start = _at(plan.invoices[0].issue_date if plan.invoices else today, now)
    details = {k: v for k, v in ORG_DETAILS.items() if k not in ("legal_name", "currency", "country")}
    org = org_create(slug=slug, legal_name=ORG_DETAILS["legal_name"], currency=ORG_DETAILS["currency"],
                     country=ORG_DETAILS["country"], actor=actor, now=start, **details)
    for username, role in USERS:
        member_add(org=org, username=username, role=role, actor=actor, now=now, password=password,
                   email=f"{username}@oakline-joinery.example")
    terms = {"Net 30": org.default_terms}
    for name, kw in EXTRA_TERMS.items():
        terms[name] = PaymentTerms.objects.create(org=org, name=name, **kw)
        audit.record(org=org, actor=actor, at=start, verb="terms.created", subject=terms[name],
                     summary=f"Payment terms {name} created")
    by_ref = {c.ref: _customer_create(org, c, terms, actor, start) for c in plan.customers}
    _write_history(org, plan, by_ref, actor, now)
    return DemoResult(org=org, owner=USERS[0][0], customers=len(by_ref), invoices=len(plan.invoices))


def _customer_create(org: Organization, c: CustomerPlan, terms: dict, actor: Actor, at: datetime) -> Customer:
    customer = customer_create(
        org=org, ref=c.ref, kind=c.kind, legal_name=c.legal_name, country=c.country, timezone=c.timezone,
        language=c.language, credit_limit_minor=c.credit_limit_minor,
        default_terms=terms[c.terms] if c.terms else None, notes=c.notes, actor=actor, now=at,
    )
    for p in c.contacts:
        contact_save(org=org, customer=customer, actor=actor, now=at, name=p.name, role=p.role, email=p.email,
                     phone=p.phone, preferred_channel=p.preferred_channel, is_billing=p.is_billing)
    return customer


def _write_history(org: Organization, plan: DemoPlan, by_ref: dict[str, Customer], actor: Actor,
                   now: datetime) -> None:
    events: list[tuple[date, int, int, InvoicePlan | Move]] = [
        (inv.issue_date, 0, k, inv) for k, inv in enumerate(plan.invoices)
    ]
    events += [(m.on, _ORDER[m.kind], k, m) for k, m in enumerate(plan.moves)]
    events.sort(key=lambda e: e[:3])
    invoices: dict[str, Invoice] = {}
    notes = 0
    for on, _, _, item in events:
        at = _at(on, now)
        if isinstance(item, InvoicePlan):
            invoices[item.number] = ledger.invoice_create(
                org=org, customer=by_ref[item.customer_ref], number=item.number, issue_date=item.issue_date,
                currency=item.currency, actor=actor, now=at, po_number=item.po_number,
                description=item.lines[0].description,
                lines=[ledger.LineInput(line.description, line.quantity, line.unit_price, line.tax_rate)
                       for line in item.lines],
            )
            continue
        invoice = invoices[item.invoice_number]
        invoice.open_minor = Invoice.objects.values_list("open_minor", flat=True).get(pk=invoice.pk)
        amount = _amount(item, invoice)
        if amount <= 0:
            continue
        if item.kind == MoveKind.PAYMENT:
            customer = invoice.customer
            ledger.payment_record(
                org=org, customer=customer, date=on, amount_minor=amount + item.extra_minor,
                currency=invoice.currency, actor=actor, now=at, invoice=invoice if item.named else None,
                method="card" if customer.kind == "consumer" else "bank_transfer",
                reference=invoice.number if item.named else f"{customer.ref} REMITTANCE", payer=customer.legal_name,
            )
        elif item.kind == MoveKind.CREDIT_NOTE:
            notes += 1
            ledger.credit_note_record(
                org=org, customer=invoice.customer, number=f"CN-{notes:04d}", date=on,
                amount_minor=amount, currency=invoice.currency, actor=actor, now=at, invoice=invoice,
                reason=item.text,
            )
        elif item.kind == MoveKind.CHARGE:
            ledger.charge_add(org=org, invoice=invoice, kind="late_fee", on=on, amount_minor=amount, actor=actor,
                              now=at, description=item.text)
        else:
            ledger.invoice_write_off(org=org, invoice=invoice, on=on, reason=item.text, actor=actor, now=at)


def _amount(move: Move, invoice: Invoice) -> int:
    """What the move is worth now: a fixed amount, a share of the total, or what is still open."""
    if invoice.open_minor <= 0:
        return 0
    if move.fixed_minor is not None:
        return move.fixed_minor
    if move.share is None:
        return invoice.open_minor
    share = int((Decimal(invoice.total_minor) * move.share).to_integral_value(ROUND_HALF_UP))
    return min(share, invoice.open_minor)
