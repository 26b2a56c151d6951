"""Plans and promises end the moment the invoices they cover are settled, by whatever path.

Registered in ``apps.py`` as the ledger's ``invoices_settled`` hook, so a payment from a bank
statement, the portal's card payment, a sync from the books, a payment or credit note entered by
hand, credit applied or a write-off each close, in their own transaction, the proposed or active
plans and the open promises whose every invoice now has nothing left to pay. Money paid ends them
as the daily check would (a plan completed, a promise kept); invoices written off end them as
cancelled, since nobody kept anything. Their holds on the invoices are lifted and each ending is
one audit event on the customer's timeline.
"""

from __future__ import annotations

from datetime import datetime

from recoup.arrangements.actions import money_text, org_date, release
from recoup.arrangements.models import PaymentPlan, PlanStatus, Promise, PromiseStatus
from recoup.arrangements.selectors import OPEN_PLAN_STATUSES, paid_towards
from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.ledger.models import Invoice, InvoiceStatus
from recoup.orgs.models import Organization

CHUNK = 500


def _covering(model, org: Organization, statuses, invoice_ids: list[int]) -> list[int]:
    found: set[int] = set()
    for start in range(0, len(invoice_ids), CHUNK):
        found.update(model.objects.for_org(org).filter(status__in=statuses, invoices__in=invoice_ids[start:start + CHUNK])
                     .order_by().values_list("pk", flat=True))
    return sorted(found)


def _ending(invoices: list[Invoice]) -> tuple[bool, str]:
    """(whether money ended it, the sentence saying why) once every invoice is settled."""
    numbers = ", ".join(i.number for i in invoices)
    written_off = [i.number for i in invoices if i.status == InvoiceStatus.WRITTEN_OFF]
    if written_off:
        return False, f"{', '.join(written_off)} written off, nothing is left to pay on {numbers}"
    return True, f"nothing is left to pay on {numbers}"


def close_settled(org: Organization, invoice_ids: list[int], actor: Actor, now: datetime) -> int:
    """End the open plans and promises of ``org`` whose every invoice is settled; returns how many ended."""
    ended = 0
    for plan_id in _covering(PaymentPlan, org, OPEN_PLAN_STATUSES, invoice_ids):
        ended += _close_plan(org, plan_id, actor, now)
    for promise_id in _covering(Promise, org, (PromiseStatus.OPEN,), invoice_ids):
        ended += _close_promise(org, promise_id, actor, now)
    return ended


def _close_plan(org: Organization, plan_id: int, actor: Actor, now: datetime) -> int:
    plan = PaymentPlan.objects.select_for_update(no_key=True).select_related("customer").get(pk=plan_id)
    invoices = list(plan.invoices.order_by("due_date", "number"))
    if plan.status not in OPEN_PLAN_STATUSES or any(i.open_minor > 0 for i in invoices):
        return 0
    paid, why = _ending(invoices)
    was = plan.status  # "proposed" or "active"
    plan.status, plan.ended_on = (PlanStatus.COMPLETED if paid else PlanStatus.CANCELLED), org_date(org, now)
    if plan.decided_at is None:
        plan.decided_at, plan.decided_by = now, actor.label
    plan.save(update_fields=["status", "ended_on", "decided_at", "decided_by"])
    release(org=org, on=plan, actor=actor, now=now)
    verb = "plan.completed" if paid else "plan.cancelled"
    money = money_text(paid_towards(invoice_ids=[i.pk for i in invoices], since=plan.start_date), plan.currency)
    audit.record(org=org, actor=actor, at=now, verb=verb, subject=plan, customer=plan.customer,
                 summary=f"Payment plan #{plan.pk}, {was}, {plan.status}: {why} ({money} paid since it was made)")
    return 1


def _close_promise(org: Organization, promise_id: int, actor: Actor, now: datetime) -> int:
    promise = Promise.objects.select_for_update(no_key=True).select_related("customer").get(pk=promise_id)
    invoices = list(promise.invoices.order_by("due_date", "number"))
    if promise.status != PromiseStatus.OPEN or any(i.open_minor > 0 for i in invoices):
        return 0
    paid_ended, why = _ending(invoices)
    paid = paid_towards(invoice_ids=[i.pk for i in invoices], since=promise.made_on)
    promise.status = PromiseStatus.KEPT if paid_ended else PromiseStatus.CANCELLED
    promise.ended_on = org_date(org, now)
    promise.save(update_fields=["status", "ended_on"])
    release(org=org, on=promise, actor=actor, now=now)
    verb = "promise.kept" if paid_ended else "promise.cancelled"
    audit.record(org=org, actor=actor, at=now, verb=verb, subject=promise, customer=promise.customer,
                 summary=f"Promise #{promise.pk} {promise.status}: {why} ({money_text(paid, promise.currency)} paid)",
                 data={"paid_minor": paid})
    return 1
