"""The operator's hand on one invoice's next step: send it now, snooze the invoice, skip the step.

Each acts on the step ``next_steps`` shows (the caller passes the step it showed; a step that
moved meanwhile is refused, so nobody sends or skips what they did not see). "Send now" takes
the cycle's own path: the decision row (unique per invoice, step and occurrence, so the cycle
never takes it again), the step's action, then ``send_plans``, which asks the compliance gate
for every channel: quiet hours, caps, holds, disputes and opt-outs still apply. When no channel
may go, nothing is kept and the gate's answer is written to the audit trail. Snoozing is an
invoice pause ending the day before the chosen day; skipping records the occurrence as
superseded, so the cycle moves on to the step after it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.collections.actions import CollectionsError, pause_add
from recoup.collections.chase import chase_forget
from recoup.collections.cycle_send import SendOutcome, send_plans
from recoup.collections.models import DecisionStatus, Outcome, Pause, Policy, StepDecision
from recoup.collections.next_steps import NextStep, next_steps
from recoup.collections.selectors import active_pauses, core_policy
from recoup.collections.step_actions import apply_step_action
from recoup.core.policy import Decision, InvoiceFacts, plan_customer
from recoup.ledger.models import Invoice
from recoup.orgs.models import Organization, check_same_org


class StepNotSent(CollectionsError):
    """No channel of the step may go now; ``outcomes`` says why for each."""

    def __init__(self, message: str, outcomes: list[SendOutcome]):
        super().__init__(message)
        self.outcomes = outcomes


def _current_step(org: Organization, invoice: Invoice, on: date, step_key: str, number: int) -> NextStep:
    check_same_org(org, invoice, error=CollectionsError)
    step = next_steps(org=org, customer_ids=[invoice.customer_id], today=on).get(invoice.pk)
    if step is None:
        raise CollectionsError(f"invoice {invoice.number} has no step left to take")
    if (step.step_key, step.number) != (step_key, number):
        raise CollectionsError(f"invoice {invoice.number}: the next step is now “{step.label}”; look again")
    return step


@transaction.atomic
def step_skip(*, org: Organization, invoice: Invoice, step_key: str, number: int, on: date, actor: Actor,
              now: datetime) -> StepDecision:
    """Record the invoice's next step as passed over: the cycle takes the one after it."""
    step = _current_step(org, invoice, on, step_key, number)
    try:
        with transaction.atomic():
            decision = StepDecision.objects.create(
                org=org, invoice=invoice, customer_id=invoice.customer_id, policy_id=step.policy_id,
                step_key=step.step_key, number=step.number, decided_on=on, status=DecisionStatus.SUPERSEDED,
                outcome=Outcome.NONE, reason=f"skipped by {actor.label}"[:500])
    except IntegrityError:
        raise CollectionsError(f"invoice {invoice.number}: “{step.label}” was decided meanwhile") from None
    chase_forget(customer=invoice.customer)
    audit.record(org=org, actor=actor, at=now, verb="collections.step_skipped", subject=invoice,
                 customer=invoice.customer, summary=f"{invoice.number}: step “{step.label}” skipped",
                 data={"step": step.step_key, "number": step.number, "date": on.isoformat()})
    return decision


def step_snooze(*, org: Organization, invoice: Invoice, until: date, on: date, actor: Actor, now: datetime) -> Pause:
    """No step for ``invoice`` before ``until``: a pause of the invoice from ``on`` through the day before."""
    check_same_org(org, invoice, error=CollectionsError)
    if until <= on:
        raise CollectionsError(f"until: snooze to a day after today ({on}), not {until}")
    return pause_add(org=org, customer=invoice.customer, invoice=invoice, reason=f"Snoozed until {until}",
                     starts_on=on, ends_on=until - timedelta(days=1), actor=actor, now=now)


def _invoice_facts(org: Organization, customer_id: int, on: date) -> list[InvoiceFacts]:
    paused = set(active_pauses(org=org, on=on).filter(customer_id=customer_id, invoice__isnull=False)
                 .values_list("invoice_id", flat=True))
    rows = Invoice.objects.for_org(org).filter(customer_id=customer_id, open_minor__gt=0).order_by() \
        .values_list("id", "number", "due_date", "open_minor", "currency")
    return [InvoiceFacts(id=i, number=n, due_date=d, open_minor=o, currency=c, paused=i in paused)
            for i, n, d, o, c in rows]


def step_send_now(*, org: Organization, invoice: Invoice, step_key: str, number: int, on: date, actor: Actor,
                  now: datetime) -> list[SendOutcome]:
    """Take the invoice's next step today, as the cycle would: decide it, carry out its action and
    queue its message (or a draft, in review mode) through the gate. Raises ``StepNotSent`` (after
    recording the gate's answer) when no channel may go; nothing else is kept then."""
    step = _current_step(org, invoice, on, step_key, number)
    customer = invoice.customer
    policy = core_policy(Policy.objects.for_org(org).get(pk=step.policy_id))
    try:
        with transaction.atomic():
            outcomes = _send(org, invoice, step, policy, on, now, actor)
    except StepNotSent as refused:
        reasons = "; ".join(f"{o.channel}: {o.reason}" for o in refused.outcomes)
        audit.record(org=org, actor=actor, at=now, verb="collections.step_send_refused", subject=invoice,
                     customer=customer, summary=f"{invoice.number}: “{step.label}” not sent now: {reasons}"[:500],
                     data={"step": step.step_key, "number": step.number,
                           "outcomes": [[o.channel, str(o.status), o.reason] for o in refused.outcomes]})
        raise
    chase_forget(customer=customer)
    return outcomes


def _send(org: Organization, invoice: Invoice, step: NextStep, policy, on: date, now: datetime,
          actor: Actor) -> list[SendOutcome]:
    customer = invoice.customer
    try:
        with transaction.atomic():
            StepDecision.objects.create(org=org, invoice=invoice, customer=customer, policy_id=step.policy_id,
                                        step_key=step.step_key, number=step.number, decided_on=on,
                                        status=DecisionStatus.DUE)
    except IntegrityError:
        raise CollectionsError(f"invoice {invoice.number}: “{step.label}” was decided meanwhile") from None
    apply_step_action(org=org, customer=customer, invoice_id=invoice.pk, step=policy.step(step.step_key), on=on,
                      now=now, actor=actor)
    decision = Decision(invoice_id=invoice.pk, step_key=step.step_key, number=step.number,
                        status=DecisionStatus.DUE)
    plans = plan_customer(policy=policy, decisions=[decision], invoices=_invoice_facts(org, customer.pk, on), on=on)
    outcomes = send_plans(org=org, customer=customer, plans=plans, policy=policy, on=on, now=now, actor=actor)
    sent = [o for o in outcomes if o.status in (Outcome.QUEUED, Outcome.DRAFT)]
    if not sent:
        raise StepNotSent(f"invoice {invoice.number}: “{step.label}” cannot go now: "
                          + "; ".join(f"{o.channel}: {o.reason}" for o in outcomes), outcomes)
    reasons = "; ".join(f"{o.channel}: {o.reason}" for o in outcomes if o.reason)
    StepDecision.objects.filter(invoice=invoice, step_key=step.step_key, number=step.number).update(
        outcome=sent[0].status, reason=reasons[:500], message=sent[0].message)
    audit.record(org=org, actor=actor, at=now, verb="collections.step_sent_now", subject=invoice, customer=customer,
                 summary=f"{invoice.number}: “{step.label}” sent now ("
                         + ", ".join(f"{o.channel} {o.status}" for o in sent) + ")",
                 data={"step": step.step_key, "number": step.number,
                       "outcomes": [[o.channel, str(o.status), o.reason] for o in outcomes]})
    return outcomes
