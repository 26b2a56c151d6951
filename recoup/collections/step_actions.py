"""What a due step does besides its message: late fee, statutory interest, credit hold, escalation review.

Called by the cycle inside the customer's transaction, once per due decision, so the unique
decision row makes each action happen at most once per invoice and step occurrence.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Sum

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.core.interest import statutory_charges
from recoup.core.policy import Step, StepAction
from recoup.core.rules import rules_in_force
from recoup.core.terms import late_fee_minor
from recoup.ledger.actions import charge_add
from recoup.ledger.customer_actions import customer_update
from recoup.ledger.models import Charge, ChargeKind, Customer, CustomerStatus, Invoice
from recoup.ledger.splits import invoice_parts
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
    elif step.action == StepAction.INTEREST:
        _interest(org=org, customer=customer, invoice=Invoice.objects.for_org(org).get(pk=invoice_id), step=step,
                  on=on, now=now, actor=actor)


# How the statutory charges are stored: interest as interest, the fixed sums as "other" charges
# whose description starts with the calculator's label (so what was charged before is known).
STATUTORY_KINDS = {"interest": ChargeKind.INTEREST, "compensation": ChargeKind.OTHER,
                   "collection_costs": ChargeKind.OTHER}
LABELS = {"compensation": "Fixed compensation", "collection_costs": "Statutory collection costs"}


def _interest(*, org: Organization, customer: Customer, invoice: Invoice, step: Step, on: date, now: datetime,
              actor: Actor) -> str | None:
    """Add the statutory interest and fixed sums owed on ``invoice`` by ``on`` (recoup.core.interest),
    less what was charged before (waived amounts count as charged: they are not charged again), with
    interest on the principal still open day by day (``recoup.ledger.splits``), so it stops when the
    principal is paid and running the step again charges nothing twice. Returns why nothing may be
    charged (also written to the customer's timeline), or None. Never guesses a rate; never a
    business-only charge on a consumer."""
    from recoup.compliance.models import ContactRestriction, RestrictionKind
    from recoup.compliance.selectors import contract_jurisdiction, rate_book

    jurisdiction = contract_jurisdiction(customer, org)
    breathing = ContactRestriction.objects.for_org(org).filter(
        customer=customer, kind=RestrictionKind.BREATHING_SPACE, lifted_at__isnull=True, starts_on__lte=on).exclude(
        ends_on__lt=on).exists()
    done = {"interest": 0, "compensation": 0, "collection_costs": 0}
    for kind, description, amount in Charge.objects.filter(invoice=invoice).values_list("kind", "description",
                                                                                         "amount_minor"):
        if kind == ChargeKind.INTEREST:
            done["interest"] += amount
        for key, label in LABELS.items():
            if kind == ChargeKind.OTHER and description.startswith(label):
                done[key] += amount
    # Interest runs on the principal only: what settled charges (under the payment order in force)
    # leaves the principal accruing; what settled the principal stops it from the next day.
    principal_paid = list(invoice_parts(invoice, as_of=on).split.principal_reductions)
    result = statutory_charges(jurisdiction, customer.kind, invoice.total_minor, invoice.currency, invoice.due_date,
                               on, rate_book(org), done, part_payments=principal_paid, breathing_space=breathing)
    blocked = result.blocked
    if blocked is None and customer.kind == "consumer" and jurisdiction:
        # Belt and braces: every rule used must be one for consumer debts.
        rules = rules_in_force(jurisdiction, invoice.due_date, "consumer")
        wrong = [c.rule_id for c in result.charges
                 if c.rule_id not in rules or rules[c.rule_id].applies_to == "business"]
        if wrong:
            blocked = f"consumer debt: {', '.join(wrong)} is for business debts only"
    if blocked is not None:
        audit.record(org=org, actor=actor, at=now, verb="charges.blocked", subject=invoice, customer=customer,
                     summary=f"{invoice.number}: no interest charged ({step.name}): {blocked}"[:500],
                     data={"step": step.key, "reason": blocked, "rule_ids": list(result.rule_ids)})
        return blocked
    for charge in result.charges:
        charge_add(org=org, invoice=invoice, kind=STATUTORY_KINDS[charge.kind], on=on, amount_minor=charge.amount_minor,
                   actor=actor, now=now, description=charge.description)
    return None


def _late_fee(*, org: Organization, invoice: Invoice, step: Step, on: date, now: datetime, actor: Actor) -> None:
    """Charge the late fee the invoice's agreed terms allow by ``on``, less fees already charged (waived
    ones included: a waived fee is not charged again)."""
    charged = Charge.objects.filter(invoice=invoice, kind=ChargeKind.LATE_FEE).aggregate(s=Sum("amount_minor"))["s"]
    # Fees are charged on the principal still open on ``on`` (recoup.ledger.splits), not on earlier charges.
    principal = invoice_parts(invoice, as_of=on).principal_open_minor
    fee = late_fee_minor(principal_minor=principal, currency=invoice.currency, due_date=invoice.due_date,
                         as_of=on, terms=invoice.terms_as_agreed(), already_charged_minor=charged or 0)
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
