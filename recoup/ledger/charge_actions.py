"""Use cases that change charges after they were added: waiving one, with a reason.

A waiver is its own ledger row (``ChargeWaiver``): the charge stays as it was charged, the
invoice's open balance falls by the waiver, and the charge no longer shows as owed.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.core.money import minor_with_code
from recoup.ledger.actions import LedgerError, refresh_invoice
from recoup.ledger.hooks import invoices_settled
from recoup.ledger.models import Charge, ChargeWaiver, Customer
from recoup.ledger.splits import invoice_parts
from recoup.orgs.models import Organization, check_same_org


@transaction.atomic
def charge_waive(*, org: Organization, charge: Charge, on: date, reason: str, actor: Actor, now: datetime,
                 amount_minor: int | None = None) -> ChargeWaiver:
    """Waive part or all (the default) of what ``charge`` still has open.

    Raises:
        LedgerError naming the field: no reason; dated before the charge; an amount not above
        zero or above what the charge still has open (after every payment recorded on its
        invoice, under the payment order in force); a charge with nothing open.
    """
    check_same_org(org, charge, error=LedgerError)
    invoice = charge.invoice
    # The same lock as every allocation on this customer's invoices, so what is open stays true.
    Customer.objects.select_for_update(no_key=True).get(pk=invoice.customer_id)
    invoice.refresh_from_db()
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError("reason: a waiver needs a reason")
    if on < charge.date:
        raise LedgerError(f"date: a waiver cannot be dated {on}, before the charge ({charge.date})")
    open_minor = invoice_parts(invoice).charge(charge.pk).open_minor
    currency = invoice.currency
    if open_minor <= 0:
        raise LedgerError(f"amount: nothing left to waive; the {charge.get_kind_display().lower()} of {charge.date} "
                          "is paid or waived")
    amount = open_minor if amount_minor is None else amount_minor
    if amount <= 0 or amount > open_minor:
        raise LedgerError(f"amount: a waiver must be more than zero and at most the "
                          f"{minor_with_code(open_minor, currency)} still open on this charge")
    waiver = ChargeWaiver.objects.create(org=org, charge=charge, date=on, amount_minor=amount, reason=reason[:500])
    refresh_invoice(invoice)
    audit.record(
        org=org, actor=actor, at=now, verb="charge.waived", subject=charge, customer=invoice.customer,
        summary=f"{minor_with_code(amount, currency)} of the {charge.get_kind_display().lower()} of {charge.date} "
                f"on {invoice.number} waived: {reason}"[:500],
        data={"waiver": waiver.pk, "amount_minor": amount, "date": on.isoformat(), "open_before": open_minor,
              "reason": reason},
    )
    invoices_settled(org=org, invoice_ids=[invoice.pk], actor=actor, now=now)
    return waiver
