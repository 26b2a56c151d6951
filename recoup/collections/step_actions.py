"""What a due step does besides its message: late fee, credit hold, escalation review.

Called by the cycle inside the customer's transaction, once per due decision, so the unique
decision row makes each action happen at most once per invoice and step occurrence.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Sum

from recoup.audit.actions import Actor
from recoup.core.policy import Step, StepAction
from recoup.core.terms import late_fee_minor
from recoup.ledger.actions import charge_add
from recoup.ledger.customer_actions import customer_update
from recoup.ledger.models import Charge, ChargeKind, Customer, CustomerStatus, Invoice
from recoup.messaging.actions import task_open
from recoup.messaging.models import Task, TaskKind, TaskStatus
from recoup.orgs.models import Organization

# The operator's review of an account that reached an escalation step.


def apply_step_action(*, org: Organization, customer: Customer, invoice_id: int, step: Step, on: date,
                      now: datetime, actor: Actor) -> None:
    """Carry out ``step.action`` for one invoice of ``customer`` decided due on ``on``."""
    if step.action == StepAction.LATE_FEE:
        _late_fee(org=org, invoice=Invoice.objects.for_org(org).get(pk=invoice_id), step=step, on=on, now=now,
                  actor=actor)
    elif step.action == StepAction.CREDIT_HOLD:
        if customer.status == CustomerStatus.ACTIVE:
            customer_update(org=org, customer=customer, status=CustomerStatus.CREDIT_HOLD, actor=actor, now=now,
                            via=f"collections step {step.key}")
    elif step.action == StepAction.ESCALATION_REVIEW:
        _escalation_review(org=org, customer=customer, step=step, now=now, actor=actor)
    # StepAction.INTEREST waits for the statutory interest rules (recoup.core.interest).


def _late_fee(*, org: Organization, invoice: Invoice, step: Step, on: date, now: datetime, actor: Actor) -> None:
    """Charge the late fee the invoice's agreed terms allow by ``on``, less fees already charged."""
    sums = Charge.objects.filter(invoice=invoice).values("kind").annotate(total=Sum("amount_minor"))
    by_kind = {row["kind"]: row["total"] for row in sums}
    # Fees are charged on the principal still open, not on earlier charges.
    principal = max(0, invoice.open_minor - sum(by_kind.values()))
    fee = late_fee_minor(principal_minor=principal, currency=invoice.currency, due_date=invoice.due_date,
                         as_of=on, terms=invoice.terms_as_agreed(),
                         already_charged_minor=by_kind.get(ChargeKind.LATE_FEE, 0))
    if fee > 0:
        charge_add(org=org, invoice=invoice, kind=ChargeKind.LATE_FEE, on=on, amount_minor=fee, actor=actor,
                   now=now, description=f"Late fee ({step.name})")


def _escalation_review(*, org: Organization, customer: Customer, step: Step, now: datetime, actor: Actor) -> None:
    kind = TaskKind.ESCALATION_REVIEW
    text = f"Escalation review: {customer.ref} ({customer.name}) reached \"{step.name}\"; decide what happens next."
    # One open review per customer and step, however many of its invoices reach the step.
    if Task.objects.for_org(org).filter(customer=customer, kind=kind, status=TaskStatus.OPEN, text=text).exists():
        return
    task_open(org=org, customer=customer, kind=kind, text=text, actor=actor, now=now)
