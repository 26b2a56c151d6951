"""Promises to pay: a date by which the debtor says the invoices (or part of them) will be paid;
reminders wait until then plus the grace days. Same rules as ``actions`` (one transaction, the
organization checked, one audit event, the invoices held through the cycle's pauses, the operator
told when the debtor acted in the portal)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from django.db import transaction

from recoup.arrangements.actions import (
    ArrangementError, covered_invoices, hold, lock_row, money_text, notify_operator, org_date, release, source_of,
)
from recoup.arrangements.models import PlanStatus, Promise, PromiseStatus, Source
from recoup.arrangements.selectors import busy_invoice_ids, plans_covering, settings_for
from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.ledger.models import Customer, Invoice
from recoup.orgs.models import Organization, check_same_org


@transaction.atomic
def promise_make(*, org: Organization, customer: Customer, invoices: Sequence[Invoice], pay_by: date,
                 amount_minor: int | None = None, actor: Actor, now: datetime) -> Promise:
    """A promise to pay the invoices (or ``amount_minor`` of them) by ``pay_by``: reminders wait
    until ``pay_by`` plus the grace days."""
    today = org_date(org, now)
    customer = lock_row(Customer, customer)
    invs, currency = covered_invoices(org=org, customer=customer, invoices=invoices)
    settings = settings_for(org)
    if pay_by < today:
        raise ArrangementError("The date cannot be in the past.")
    latest = today + timedelta(days=settings.promise_horizon_days)
    if pay_by > latest:
        raise ArrangementError(f"Please choose a date no later than {latest.isoformat()}.")
    busy = busy_invoice_ids(org=org, invoice_ids=[i.pk for i in invs], kind="promise")
    for inv in invs:
        if inv.pk in busy:
            raise ArrangementError(f"Invoice {inv.number} already has a promise to pay ({busy[inv.pk]}).")
    # A plan already says when the invoice is paid: a promise beside it would hold it twice, on other dates.
    planned = plans_covering(org=org, invoice_ids=[i.pk for i in invs])
    for inv in invs:
        if inv.pk in planned:
            plan = planned[inv.pk]
            if plan.status == PlanStatus.PROPOSED:
                raise ArrangementError(f"Invoice {inv.number} is in a payment plan awaiting a decision (plan #{plan.pk}): "
                                       "please wait for the answer to that plan before promising a date.")
            raise ArrangementError(f"Invoice {inv.number} is in a payment plan (plan #{plan.pk}): "
                                   "its instalments say when it is paid.")
    open_total = sum(inv.open_minor for inv in invs)
    amount = open_total if amount_minor is None else amount_minor
    if not 0 < amount <= open_total:
        raise ArrangementError(f"The amount must be more than zero and at most {money_text(open_total, currency)}.")
    promise = Promise.objects.create(org=org, customer=customer, currency=currency, amount_minor=amount,
                                     pay_by=pay_by, made_on=today, grace_days=settings.grace_days,
                                     source=source_of(actor), created_by=actor.label, created_at=now)
    promise.invoices.set(invs)
    hold(org=org, customer=customer, invoices=invs, label=f"promise #{promise.pk}", starts_on=today,
         ends_on=pay_by + timedelta(days=settings.grace_days), actor=actor, now=now, on=promise)
    numbers = ", ".join(inv.number for inv in invs)
    summary = f"Promise #{promise.pk} to pay {money_text(amount, currency)} of {numbers} by {pay_by}"
    audit.record(org=org, actor=actor, at=now, verb="promise.made", subject=promise, customer=customer,
                 summary=summary, data={"invoices": [i.number for i in invs], "pay_by": pay_by.isoformat(),
                                        "amount_minor": amount})
    if promise.source == Source.PORTAL:
        notify_operator(org=org, customer=customer, actor=actor, now=now, text=f"{customer.ref}: {summary}.",
                        about=promise)
    return promise


@transaction.atomic
def promise_cancel(*, org: Organization, promise: Promise, reason: str, actor: Actor, now: datetime) -> Promise:
    """Withdraw an open promise (taken in error, replaced by a plan); reminders resume."""
    check_same_org(org, promise, error=ArrangementError)
    promise = lock_row(Promise, promise)
    if promise.status != PromiseStatus.OPEN:
        raise ArrangementError(f"Promise #{promise.pk} is {promise.get_status_display().lower()}.")
    promise.status, promise.ended_on = PromiseStatus.CANCELLED, org_date(org, now)
    promise.save(update_fields=["status", "ended_on"])
    release(org=org, on=promise, actor=actor, now=now)
    audit.record(org=org, actor=actor, at=now, verb="promise.cancelled", subject=promise, customer=promise.customer,
                 summary=f"Promise #{promise.pk} cancelled: {reason.strip() or 'no reason given'}")
    return promise
