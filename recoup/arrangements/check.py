"""The daily check of arrangements (``recoup arrangements-check --date D``).

For the day ``on``: a proposed plan whose invoices are all settled ends (as
``arrangements.settled`` ends it the moment they are, when the ledger's hook tells); an active plan whose payments are all in is completed; one with a payment
missed by more than the grace days is broken (its holds are lifted, so the policy resumes at
the step it stood at, and both sides are told); reminders go out a few days before each
instalment. An open promise is kept once the promised amount is in by its date plus grace,
else broken after that. A settlement paid by its deadline is settled (the rest written off,
the letter made); past its deadline unpaid, it lapses.

Each arrangement moves in its own transaction under a row lock and only from the state it
was read in, so running the check twice, or in two processes, moves each one once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q, Sum

from recoup.arrangements.actions import ArrangementError, money_text, notify_operator, release
from recoup.arrangements.models import (
    ArrangementSettings, Instalment, InstalmentStatus, PaymentPlan, PlanStatus, Promise, PromiseStatus, Settlement,
    SettlementStatus,
)
from recoup.arrangements.notices import money, send_notice
from recoup.arrangements.selectors import disputes_past_sla, paid_towards, plan_schedule, settings_for
from recoup.arrangements.settled import close_settled
from recoup.arrangements.settlement_actions import settlement_lapse, settlement_paid_minor, settlement_settle
from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.core.instalments import Scheduled, plan_progress
from recoup.orgs.models import Organization

ACTOR = Actor.system("recoup arrangements-check")


@dataclass
class CheckResult:
    date: date
    events: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    def add(self, kind: str, what: object, customer_ref: str, detail: str = "") -> None:
        self.events.append({"event": kind, "arrangement": str(what), "customer_ref": customer_ref, "detail": detail})
        self.counts[kind] += 1

    def as_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "counts": dict(self.counts), "events": self.events}


def arrangements_check(*, org: Organization, on: date, now: datetime) -> CheckResult:
    """Move ``org``'s plans, promises and settlements on as of ``on`` (see the module)."""
    settings = settings_for(org)
    result = CheckResult(date=on)
    # A proposal whose invoices were settled without the ledger's hook telling (before it existed)
    # ends as the hook would end it; active plans and promises are moved on below.
    settled = list(PaymentPlan.objects.for_org(org).filter(status=PlanStatus.PROPOSED, invoices__open_minor__lte=0)
                   .values_list("invoices", flat=True))
    if settled:
        result.counts["proposals_settled"] += close_settled(org, settled, ACTOR, now)
    for plan_id in _plans_with_work(org=org, settings=settings, on=on):
        _check_plan(org=org, plan_id=plan_id, settings=settings, on=on, now=now, result=result)
    for promise_id in _promises_with_work(org=org, on=on):
        _check_promise(org=org, promise_id=promise_id, on=on, now=now, result=result)
    open_settlements = Settlement.objects.for_org(org).filter(
        status__in=(SettlementStatus.OFFERED, SettlementStatus.ACCEPTED, SettlementStatus.PROPOSED))
    for settlement in open_settlements:
        _check_settlement(org=org, settlement=settlement, on=on, now=now, result=result)
    late = disputes_past_sla(org=org, today=on, sla_days=settings.dispute_sla_days)
    result.counts["disputes_past_sla"] = late.count()
    return result


def _plans_with_work(*, org: Organization, settings: ArrangementSettings, on: date) -> list[int]:
    """Active plans with something to do today, found without locks in three queries; each is
    then re-read under its lock. A quiet day costs no transaction per plan."""
    plans = (PaymentPlan.objects.for_org(org).filter(status=PlanStatus.ACTIVE)
             .annotate(paid=Sum("invoices__allocations__amount_minor",
                                filter=Q(invoices__allocations__date__gte=F("start_date"))))
             .prefetch_related("instalments"))
    open_left = dict(PaymentPlan.objects.for_org(org).filter(status=PlanStatus.ACTIVE)
                     .annotate(left=Sum("invoices__open_minor")).values_list("pk", "left"))
    ahead = timedelta(days=settings.reminder_days_before)
    work = []
    for plan in plans:
        instalments = list(plan.instalments.all())
        progress = plan_progress(schedule=[Scheduled(i.number, i.due_date, i.amount_minor) for i in instalments],
                                 paid_minor=plan.paid or 0, today=on, grace_days=settings.grace_days)
        statuses = [InstalmentStatus.PAID if ok else InstalmentStatus.MISSED if i.number in progress.missed
                    else InstalmentStatus.DUE for i, ok in zip(instalments, progress.covered)]
        remind = any(not ok and not i.reminder_id and i.due_date - ahead <= on <= i.due_date
                     for i, ok in zip(instalments, progress.covered))
        if (progress.completed or progress.broken or remind or (open_left.get(plan.pk) or 0) <= 0
                or statuses != [i.status for i in instalments]):
            work.append(plan.pk)
    return work


@transaction.atomic
def _check_plan(*, org: Organization, plan_id: int, settings: ArrangementSettings, on: date, now: datetime,
                result: CheckResult) -> None:
    plan = PaymentPlan.objects.select_for_update(no_key=True).select_related("customer").get(pk=plan_id)
    if plan.status != PlanStatus.ACTIVE:
        return
    invoices = list(plan.invoices.order_by("due_date", "number"))
    schedule = plan_schedule(plan)
    paid = paid_towards(invoice_ids=[i.pk for i in invoices], since=plan.start_date)
    progress = plan_progress(schedule=schedule, paid_minor=paid, today=on, grace_days=settings.grace_days)
    instalments = list(plan.instalments.all())
    before = {i.pk: i.status for i in instalments}
    for inst, covered in zip(instalments, progress.covered):
        inst.status = (InstalmentStatus.PAID if covered else
                       InstalmentStatus.MISSED if inst.number in progress.missed else InstalmentStatus.DUE)
    changed = [i for i in instalments if i.status != before[i.pk]]
    if changed:
        Instalment.objects.bulk_update(changed, ["status"])
    numbers = ", ".join(i.number for i in invoices)
    if progress.completed or all(i.open_minor <= 0 for i in invoices):
        _plan_finish(org, plan, PlanStatus.COMPLETED, on, now,
                     f"Payment plan #{plan.pk} completed: {money_text(paid, plan.currency)} paid")
        result.add("plan_completed", plan, plan.customer.ref)
        return
    if progress.broken:
        missed = next(i for i in instalments if i.number == progress.missed[0])
        label = "the down payment" if missed.number == 0 else f"instalment {missed.number}"
        open_left = sum(i.open_minor for i in invoices)
        summary = (f"Payment plan #{plan.pk} broken: {label} of {money_text(missed.amount_minor, plan.currency)} "
                   f"due {missed.due_date} not paid within {settings.grace_days} days; reminders resume")
        _plan_finish(org, plan, PlanStatus.BROKEN, on, now, summary)
        message = send_notice(org=org, customer=plan.customer, template="plan_broken", key=f"plan:{plan.pk}:broken",
                              ref=f"plan #{plan.pk}", on=on, actor=ACTOR, now=now, context={
                                  "label": label, "due": missed.due_date.isoformat(), "numbers": numbers,
                                  "open": money(org, open_left, plan.currency)}, asks=invoices)
        told = "the debtor was told by e-mail" if message else "no e-mail contact: please tell the debtor"
        notify_operator(org=org, customer=plan.customer, actor=ACTOR, now=now,
                        text=f"{plan.customer.ref}: {summary} ({told}).")
        result.add("plan_broken", plan, plan.customer.ref, summary)
        return
    for inst, covered in zip(instalments, progress.covered):
        if covered or inst.reminder_id or not (inst.due_date - timedelta(days=settings.reminder_days_before)
                                               <= on <= inst.due_date):
            continue
        label = "the down payment" if inst.number == 0 else f"instalment {inst.number} of {plan.instalment_count}"
        message = send_notice(org=org, customer=plan.customer, template="instalment_reminder",
                              key=f"plan:{plan.pk}:instalment:{inst.number}:reminder", ref=f"plan #{plan.pk}",
                              on=on, actor=ACTOR, now=now, context={
                                  "label": label, "amount": money(org, inst.amount_minor, plan.currency),
                                  "due": inst.due_date.isoformat(), "numbers": numbers,
                                  "bank": bool(org.bank_iban or org.bank_account)}, asks=invoices)
        if message is not None:
            Instalment.objects.filter(pk=inst.pk).update(reminder=message)
            result.add("instalment_reminder", plan, plan.customer.ref, f"{label} due {inst.due_date}")


def _plan_finish(org: Organization, plan: PaymentPlan, status: str, on: date, now: datetime, summary: str) -> None:
    plan.status, plan.ended_on = status, on
    plan.save(update_fields=["status", "ended_on"])
    release(org=org, on=plan, actor=ACTOR, now=now)
    audit.record(org=org, actor=ACTOR, at=now, verb=f"plan.{status}", subject=plan, customer=plan.customer,
                 summary=summary)


def _promises_with_work(*, org: Organization, on: date) -> list[int]:
    """Open promises that may be kept (money came in, or nothing is left to pay) or are past their last day."""
    rows = Promise.objects.for_org(org).filter(status=PromiseStatus.OPEN)
    paid = dict(rows.annotate(paid=Sum("invoices__allocations__amount_minor",
                                       filter=Q(invoices__allocations__date__gte=F("made_on"))))
                .values_list("pk", "paid"))
    left = dict(rows.annotate(left=Sum("invoices__open_minor")).values_list("pk", "left"))
    return [pk for pk, amount, pay_by, grace in rows.values_list("pk", "amount_minor", "pay_by", "grace_days")
            if (paid.get(pk) or 0) >= amount or (left.get(pk) or 0) <= 0 or on > pay_by + timedelta(days=grace)]


@transaction.atomic
def _check_promise(*, org: Organization, promise_id: int, on: date, now: datetime, result: CheckResult) -> None:
    promise = Promise.objects.select_for_update(no_key=True).select_related("customer").get(pk=promise_id)
    if promise.status != PromiseStatus.OPEN:
        return
    invoices = list(promise.invoices.all())
    last_day = promise.pay_by + timedelta(days=promise.grace_days)
    paid = paid_towards(invoice_ids=[i.pk for i in invoices], since=promise.made_on, until=last_day)
    if paid >= promise.amount_minor or all(i.open_minor <= 0 for i in invoices):
        status, summary = PromiseStatus.KEPT, f"Promise #{promise.pk} kept: {money_text(paid, promise.currency)} paid"
    elif on > last_day:
        status = PromiseStatus.BROKEN
        summary = (f"Promise #{promise.pk} broken: {money_text(promise.amount_minor, promise.currency)} promised by "
                   f"{promise.pay_by}, {money_text(paid, promise.currency)} paid; reminders resume")
    else:
        return
    promise.status, promise.ended_on = status, on
    promise.save(update_fields=["status", "ended_on"])
    release(org=org, on=promise, actor=ACTOR, now=now)
    audit.record(org=org, actor=ACTOR, at=now, verb=f"promise.{status}", subject=promise, customer=promise.customer,
                 summary=summary, data={"paid_minor": paid})
    if status == PromiseStatus.BROKEN:
        notify_operator(org=org, customer=promise.customer, actor=ACTOR, now=now,
                        text=f"{promise.customer.ref}: {summary}.", about=promise)
    result.add(f"promise_{status}", promise, promise.customer.ref, summary)


def _check_settlement(*, org: Organization, settlement: Settlement, on: date, now: datetime,
                      result: CheckResult) -> None:
    ref = settlement.customer.ref
    try:
        if settlement.status != SettlementStatus.PROPOSED and \
                settlement_paid_minor(settlement) >= settlement.amount_minor:
            settlement_settle(org=org, settlement=settlement, on=on, actor=ACTOR, now=now)
            result.add("settlement_paid", settlement, ref)
        elif on > settlement.deadline:
            settlement_lapse(org=org, settlement=settlement, on=on, actor=ACTOR, now=now)
            result.add("settlement_lapsed", settlement, ref)
    except ArrangementError:
        pass  # moved on by another run since it was listed
