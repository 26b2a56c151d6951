"""Agencies and placements: hand accounts over, stop Recoup's own contact, take them back, and
record what the agency collected and kept, so the net recovery is known."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.collections.actions import pause_add, pause_lift
from recoup.escalation.actions import EscalationError, chosen_invoices, lock_customer, not_while_waiting, same_org
from recoup.escalation.models import Agency, AgencyCollection, FileFormat, Placement, PlacementStatus
from recoup.escalation.selectors import live_placement, money_text
from recoup.ledger.actions import LedgerError, payment_record
from recoup.ledger.models import Customer
from recoup.orgs.models import Organization


@transaction.atomic
def agency_save(*, org: Organization, name: str, commission_percent: Decimal, actor: Actor, now: datetime,
                file_format: str = FileFormat.CSV, contact_name: str = "", email: str = "", phone: str = "",
                address: str = "", agency: Agency | None = None) -> Agency:
    """Create an agency, or update ``agency``."""
    same_org(org, agency)
    name = name.strip()
    if not name:
        raise EscalationError("name: an agency needs a name")
    if not Decimal(0) <= commission_percent <= Decimal(100):
        raise EscalationError("commission_percent: between 0 and 100")
    if file_format not in FileFormat.values:
        raise EscalationError(f"file_format: one of {', '.join(FileFormat.values)}")
    clash = Agency.objects.for_org(org).filter(name=name).exclude(pk=agency.pk if agency else None)
    if clash.exists():
        raise EscalationError(f"name: an agency named {name} exists already")
    created = agency is None
    agency = agency or Agency(org=org, created_at=now)
    agency.name, agency.commission_percent, agency.file_format = name, commission_percent, file_format
    agency.contact_name, agency.email, agency.phone, agency.address = contact_name, email, phone, address
    agency.save()
    audit.record(org=org, actor=actor, at=now, verb="agency.created" if created else "agency.updated", subject=agency,
                 summary=f"Agency {name} {'added' if created else 'updated'} ({commission_percent} % commission)")
    return agency


@transaction.atomic
def placement_create(*, org: Organization, agency: Agency, customer: Customer, on: date, actor: Actor,
                     now: datetime) -> Placement:
    """Place a customer's open invoices with ``agency``: Recoup stops contacting the customer
    (a pause with no end, reason "placed with AGENCY") until the placement is recalled."""
    same_org(org, agency, customer)
    customer = lock_customer(customer)
    if not agency.active:
        raise EscalationError(f"agency {agency} is not active")
    if live_placement(org=org, customer=customer) is not None:
        raise EscalationError(f"{customer.ref} is already placed with an agency")
    not_while_waiting(org=org, customer=customer, on=on, what=f"place {customer.ref} with an agency")
    invoices = chosen_invoices(org=org, customer=customer, invoices=None)
    total = sum(inv.open_minor for inv in invoices)
    pause = pause_add(org=org, customer=customer, reason=f"placed with {agency.name}", starts_on=on, actor=actor,
                      now=now)
    placement = Placement.objects.create(org=org, agency=agency, customer=customer, currency=invoices[0].currency,
                                         placed_minor=total, placed_on=on, pause=pause, created_by=actor.label,
                                         created_at=now)
    placement.invoices.set(invoices)
    audit.record(org=org, actor=actor, at=now, verb="placement.created", subject=placement, customer=customer,
                 summary=f"{customer.ref} placed with {agency.name}: {money_text(total, placement.currency)} on "
                         f"{', '.join(i.number for i in invoices)}",
                 data={"agency": agency.name, "invoices": [i.number for i in invoices], "placed_minor": total})
    return placement


@transaction.atomic
def placement_end(*, org: Organization, placement: Placement, on: date, reason: str, actor: Actor, now: datetime,
                  recall: bool = True) -> Placement:
    """Recall the account from the agency (or record that the agency closed it): Recoup's own
    collection resumes (the pause is lifted)."""
    same_org(org, placement)
    placement = Placement.objects.select_for_update(no_key=True).get(pk=placement.pk)
    if placement.status != PlacementStatus.PLACED:
        raise EscalationError(f"placement #{placement.pk} is already {placement.get_status_display().lower()}")
    if not reason.strip():
        raise EscalationError("reason: say why the account comes back")
    placement.status = PlacementStatus.RECALLED if recall else PlacementStatus.CLOSED
    placement.ended_on, placement.end_reason = on, reason.strip()[:500]
    placement.save(update_fields=["status", "ended_on", "end_reason"])
    if placement.pause is not None:
        pause_lift(org=org, pause=placement.pause, actor=actor, now=now)
    audit.record(org=org, actor=actor, at=now, verb="placement.recalled" if recall else "placement.closed",
                 subject=placement, customer=placement.customer,
                 summary=f"{placement.customer.ref} {'recalled from' if recall else 'closed by'} {placement.agency}: "
                         f"{placement.end_reason}")
    return placement


def commission_minor(amount_minor: int, percent: Decimal) -> int:
    """The agency's fee on an amount, rounded half up to the minor unit."""
    return int((Decimal(amount_minor) * percent / Decimal(100)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@transaction.atomic
def agency_collection_record(*, org: Organization, placement: Placement, on: date, amount_minor: int, actor: Actor,
                             now: datetime, fee_minor: int | None = None, note: str = "",
                             record_payment: bool = True) -> AgencyCollection:
    """Record money the agency collected from the debtor and its fee (default: its commission).

    With ``record_payment`` the gross amount is recorded in the ledger as the debtor's payment,
    so the invoices' balances fall; the fee is the agency's cost, not the debtor's credit.
    """
    same_org(org, placement)
    if amount_minor <= 0:
        raise EscalationError("amount: more than zero")
    fee = commission_minor(amount_minor, placement.agency.commission_percent) if fee_minor is None else fee_minor
    if not 0 <= fee <= amount_minor:
        raise EscalationError("fee: between zero and the amount collected")
    payment = None
    if record_payment:
        try:
            payment = payment_record(org=org, customer=placement.customer, date=on, amount_minor=amount_minor,
                                     currency=placement.currency, actor=actor, now=now, method="other",
                                     reference=f"collected by {placement.agency.name} (placement #{placement.pk})",
                                     payer=placement.agency.name)
        except LedgerError as exc:
            raise EscalationError(str(exc)) from None
    row = AgencyCollection.objects.create(org=org, placement=placement, date=on, amount_minor=amount_minor,
                                          fee_minor=fee, payment=payment, note=note[:500], created_at=now)
    cur = placement.currency
    audit.record(org=org, actor=actor, at=now, verb="placement.collected", subject=row, customer=placement.customer,
                 summary=f"{placement.agency} collected {money_text(amount_minor, cur)} from {placement.customer.ref}, "
                         f"fee {money_text(fee, cur)}, net {money_text(amount_minor - fee, cur)}")
    return row


def place_accounts(*, org: Organization, agency: Agency, customers: Sequence[Customer], on: date, actor: Actor,
                   now: datetime) -> list[Placement]:
    """Place several customers at once: all or none."""
    with transaction.atomic():
        placements = []
        for customer in customers:
            try:
                placements.append(placement_create(org=org, agency=agency, customer=customer, on=on, actor=actor,
                                                   now=now))
            except EscalationError as exc:
                raise EscalationError(f"{customer.ref}: {exc}") from None
        return placements
