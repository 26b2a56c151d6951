"""The daily collections cycle: fetch, decide, act.

``cycle_run`` loads the day's facts in a few queries (``cycle_facts``), lets the core decide
each invoice (``decide_invoice``) and fold a customer's decisions into one message
(``plan_customer``), then acts for each customer in a savepoint of its own, ``ACT_CHUNK``
customers per transaction: it records the decisions (unique per invoice, step and occurrence),
applies the step's action, renders and queues the message. A decision already recorded by
another run (a unique violation) rolls that customer back and moves on, so two cycles at once
decide and send each step at most once.
Afterwards it stores, per invoice, the next day it has anything to decide (``chase``), so
an ordinary day reads only the customers with something due.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable

from django.db import IntegrityError, transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.collections.actions import policies_install_defaults
from recoup.collections.chase import chase_save
from recoup.collections.cycle_facts import CustomerWork, CycleFacts, fetch_cycle_facts
from recoup.collections.cycle_send import send_plans
from recoup.collections.gate import StandingFacts, standing_facts
from recoup.collections.hooks import cycle_hold
from recoup.collections.models import CycleRun, DecisionStatus, InvoiceChase, Outcome, Policy, StepDecision
from recoup.collections.review import drafts_expire
from recoup.collections.step_actions import apply_step_action
from recoup.core.money import minor_exponent
from recoup.core.policy import (
    Decision, MessagePlan, Policy as CorePolicy, StepAction, decide_invoice, next_look, overdue_changes_on, plan_customer,
)
from recoup.ledger.models import Customer, Invoice
from recoup.messaging.template_store import wordings_read_once
from recoup.orgs.models import Organization

ACTOR = Actor.system("recoup cycle")
CHASE_BATCH = 2000  # schedule rows written together
ACT_CHUNK = 100  # customers decided, read ahead for and acted for in one transaction
CUSTOMER_ACTIONS = (StepAction.CREDIT_HOLD, StepAction.ESCALATION_REVIEW)
CHARGE_ACTIONS = (StepAction.LATE_FEE, StepAction.INTEREST)


@dataclass(frozen=True)
class CycleAction:
    """What the cycle did (or would do) for one customer."""

    customer_ref: str
    invoices: tuple[str, ...]
    step: str
    channel: str
    status: str  # queued, draft (review mode), deferred or blocked
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"customer_ref": self.customer_ref, "invoices": list(self.invoices), "step": self.step,
                "channel": self.channel, "status": self.status, "reason": self.reason}


@dataclass
class CycleResult:
    date: date
    dry_run: bool
    actions: list[CycleAction] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    run_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "actions": [a.as_json() for a in self.actions]}


class _DecidedElsewhere(Exception):
    """Another run recorded one of this customer's decisions first."""


class _Deferred(Exception):
    def __init__(self, actions: list[CycleAction]):
        super().__init__(actions[0].reason)
        self.actions = actions


def cycle_run(*, org: Organization, on: date, now: datetime, dry_run: bool = False, full: bool = False) -> CycleResult:
    """Run the collections cycle of ``org`` for the day ``on``.

    Args:
        dry_run: decide and act exactly as for real inside one transaction, then roll it
            back: the result says what would happen and the database is left unchanged.
        full: look at every customer with open invoices, not only those the stored schedule
            says have something due (the outcome is the same; it costs a full read).
    Returns:
        The actions per customer (see ``CycleResult.as_json``) and counts.
    """
    # Every message of the run is worded as the organization's templates stood when it began (one read).
    with wordings_read_once():
        if not dry_run:
            return _run(org=org, on=on, now=now, dry_run=False, full=full)
        with transaction.atomic():
            result = _run(org=org, on=on, now=now, dry_run=True, full=full)
            transaction.set_rollback(True)
        return result


def cycle_start(*, org: Organization, on: date, now: datetime, dry_run: bool = False) -> tuple[CycleRun, Counter]:
    """The run's beginning, once per run however many parts act for it: the default policies when the
    organization has none, the ``CycleRun`` row, and drafts left unapproved too long given back (their
    steps are decided afresh, today). Returns the run and its counts so far."""
    if not Policy.objects.for_org(org).exists():
        policies_install_defaults(org=org, actor=ACTOR, now=now)
    run = CycleRun.objects.create(org=org, date=on, started_at=now, dry_run=dry_run)
    counts: Counter = Counter()
    expired = drafts_expire(org=org, now=now, actor=ACTOR)
    if expired:
        counts["drafts_expired"] = expired
    return run, counts


def _run(*, org: Organization, on: date, now: datetime, dry_run: bool, full: bool) -> CycleResult:
    run, counts = cycle_start(org=org, on=on, now=now, dry_run=dry_run)
    facts = fetch_cycle_facts(org=org, on=on, full=full)
    result = CycleResult(date=on, dry_run=dry_run, run_id=run.pk, counts=counts)
    # A hold (the books not synced lately: collections/hooks.py) defers every step of the day.
    held = cycle_hold(org, now)
    cycle_act(org=org, on=on, now=now, run=run, facts=facts, result=result, held=held)
    run.finished_at = now
    run.counts = dict(counts)
    run.save(update_fields=["finished_at", "counts"])
    cycle_ran_record(org=org, run=run, now=now, counts=counts, held=held)
    return result


def cycle_ran_record(*, org: Organization, run: CycleRun, now: datetime, counts: Counter, held: str | None) -> None:
    """The run's one ``cycle.ran`` audit event, with the day's counts."""
    audit.record(org=org, actor=ACTOR, at=now, verb="cycle.ran", subject=run,
                 summary=f"Collections cycle for {run.date}{' (dry run)' if run.dry_run else ''}: "
                         f"{counts['queued']} queued, {counts['draft']} drafts for review, "
                         f"{counts['blocked']} blocked, {counts['deferred']} deferred"
                         + (f" ({held})" if held else ""),
                 data={"date": run.date.isoformat(), "counts": dict(counts), **({"held": held} if held else {})})


def cycle_act(*, org: Organization, on: date, now: datetime, run: CycleRun, facts: CycleFacts, result: CycleResult,
              held: str | None, chunk_done: Callable[[list[InvoiceChase]], None] | None = None) -> None:
    """Decide and act for every customer of ``facts``, ``ACT_CHUNK`` customers per transaction, adding to
    ``result`` (actions, counts) and storing the schedule (``chase``) of the customers whose decisions
    committed. ``chunk_done``: called inside each chunk's transaction, just before it commits, with the
    schedule rows of that chunk; it stores them itself (a part of a split day: the chunk's decisions,
    schedule and counts commit together, so a part run again reads only the customers not done yet)."""
    counts = result.counts
    chase: list[InvoiceChase] = []
    for chunk, ahead in _decided_ahead(org, facts, on, now):
        # Several customers per transaction (one commit, one append to the audit chain), each in a
        # savepoint of its own: a customer decided elsewhere or deferred is rolled back alone.
        with transaction.atomic(), audit.batch():
            for work, policy, decisions, plans in chunk:
                counts["customers"] += 1
                if policy is None:
                    counts["without_policy"] += 1
                    chase += _chase_rows(work, None, [], on, facts.epoch)
                    continue
                if not decisions:
                    chase += _chase_rows(work, policy, [], on, facts.epoch)
                    continue
                if held:
                    # Nothing decided, nothing rescheduled: the same steps come back on the next run.
                    actions = [CycleAction(customer_ref=work.ref, invoices=tuple(
                        i.number for i in work.invoices if i.id in plans[0].invoice_ids) if plans else (),
                        step=decisions[0].step_key, channel="", status=str(Outcome.DEFERRED), reason=held)]
                    result.actions += actions
                    counts["deferred"] += 1
                    continue
                try:
                    with transaction.atomic():
                        actions = _act(org=org, work=work, policy=policy, decisions=decisions, plans=plans, on=on,
                                       now=now, run=run, ahead=ahead)
                except _DecidedElsewhere:
                    counts["decided_elsewhere"] += 1
                    continue
                except _Deferred as deferred:
                    # Nothing was decided: the stale rows that brought us here bring us back tomorrow.
                    actions = deferred.actions
                else:
                    chase += _chase_rows(work, policy, decisions, on, facts.epoch)
                counts["decisions"] += len(decisions)
                result.actions += actions
                counts.update(action.status for action in actions)
            if chunk_done is not None:
                chunk_done(chase)
                chase = []
        if len(chase) >= CHASE_BATCH:
            chase_save(chase)
            chase.clear()
    chase_save(chase)


@dataclass(frozen=True)
class _Ahead:
    """What was read ahead for a chunk of acting customers before any of them acts: the Customer rows,
    the gate's facts (``gate.standing_facts``) and the invoices their messages list, with charges."""

    customers: dict[int, Customer]
    standing: dict[int, StandingFacts]
    invoices: dict[int, Invoice]


def _decided_ahead(org: Organization, facts: CycleFacts, on: date, now: datetime):
    """Chunks of ``ACT_CHUNK`` customers, each customer with its policy, decisions and message plans,
    and what was read ahead for the ones that act, in a few queries per chunk. Acting for one customer
    changes nothing read ahead for another; what acting changes for the customer itself (its messages,
    the charges a step adds) is read again by the code that acts."""
    for start in range(0, len(facts.customers), ACT_CHUNK):
        chunk = []
        for work in facts.customers[start:start + ACT_CHUNK]:
            policy = facts.policies[work.policy_id] if work.policy_id is not None else None
            decisions = _decide(policy, work, on) if policy is not None else []
            plans = plan_customer(policy=policy, decisions=decisions, invoices=work.invoices, on=on) \
                if decisions else []
            chunk.append((work, policy, decisions, plans))
        acting = [work.id for work, _, decisions, _ in chunk if decisions]
        listed = [i for *_, plans in chunk if plans for i in plans[0].invoice_ids]
        yield chunk, _Ahead(
            customers=Customer.objects.for_org(org).in_bulk(acting) if acting else {},
            standing=standing_facts(org=org, customer_ids=acting, on=on, now=now),
            invoices=Invoice.objects.for_org(org).prefetch_related("charges").in_bulk(listed)
            if listed else {})


def _decide(policy: CorePolicy, work: CustomerWork, on: date) -> list[Decision]:
    decisions: list[Decision] = []
    if work.facts.paused:
        return decisions
    for invoice in work.invoices:
        decisions += decide_invoice(policy=policy, invoice=invoice, customer=work.facts, on=on,
                                    decided=frozenset(work.decided.get(invoice.id, ())), calendar=work.calendar,
                                    minor_exponent=minor_exponent(invoice.currency))
    return decisions


def _chase_rows(work: CustomerWork, policy: CorePolicy | None, decisions: list[Decision], on: date,
                epoch: int) -> list[InvoiceChase]:
    """The stored schedule of one customer's invoices after today's (committed) decisions."""
    made: dict[int, set[tuple[str, int]]] = {}
    for d in decisions:
        made.setdefault(d.invoice_id, set()).add((d.step_key, d.number))
    grows_on = overdue_changes_on(work.invoices, on)
    rows = []
    for invoice in work.invoices:
        if policy is None:
            next_on = None  # a policy assigned later changes the epoch or forgets this customer
        elif work.facts.paused:
            next_on = work.pause_ends
        elif invoice.paused:
            next_on = work.invoice_pause_ends.get(invoice.id)
        else:
            decided = frozenset(work.decided.get(invoice.id, set()) | made.get(invoice.id, set()))
            next_on = next_look(policy=policy, invoice=invoice, on=on, decided=decided, calendar=work.calendar,
                                overdue_changes_on=grows_on)
        rows.append(InvoiceChase(invoice_id=invoice.id, customer_id=work.id, next_on=next_on, epoch=epoch,
                                 due_date=invoice.due_date, open_minor=invoice.open_minor, kind=work.kind,
                                 country=work.country, region=work.region))
    return rows


def _act(*, org: Organization, work: CustomerWork, policy: CorePolicy, decisions: list[Decision],
         plans: list[MessagePlan], on: date, now: datetime, run: CycleRun, ahead: _Ahead) -> list[CycleAction]:
    """Record, act and queue for one customer; runs inside that customer's transaction."""
    rows = [StepDecision(org=org, invoice_id=d.invoice_id, customer_id=work.id, policy_id=work.policy_id,
                         step_key=d.step_key, number=d.number, decided_on=on, status=d.status, cycle_run=run)
            for d in decisions]
    try:
        # No savepoint of its own: the customer's, around this, is rolled back on the way out.
        StepDecision.objects.bulk_create(rows)
    except IntegrityError:
        raise _DecidedElsewhere() from None
    customer = ahead.customers.get(work.id) or Customer.objects.for_org(org).get(pk=work.id)
    numbers = {i.id: i.number for i in work.invoices}
    due = [d for d in decisions if d.status == DecisionStatus.DUE]
    acted_for_customer: set[str] = set()
    charged = False
    for decision in due:
        step = policy.step(decision.step_key)
        if step.action in CUSTOMER_ACTIONS:
            # A credit hold or a review is about the account: once per step, however many invoices reach it.
            if step.key in acted_for_customer:
                continue
            acted_for_customer.add(step.key)
        apply_step_action(org=org, customer=customer, invoice_id=decision.invoice_id, step=step, on=on, now=now,
                          actor=ACTOR)
        charged = charged or step.action in CHARGE_ACTIONS
    audit.record(org=org, actor=ACTOR, at=now, verb="collections.decided", subject=customer, customer=customer,
                 summary=f"{customer.ref}: " + "; ".join(
                     _decision_words(numbers[d.invoice_id], policy, d) for d in decisions),
                 data={"date": on.isoformat(), "run": run.pk,
                       "decisions": [[numbers[d.invoice_id], d.step_key, d.number, d.status] for d in decisions]})
    if not plans:
        return []
    step = policy.step(plans[0].step_key)
    # A fee or interest just added is listed: the invoices are read again with their charges.
    invoices = None if charged else [ahead.invoices[i] for i in plans[0].invoice_ids]
    outcomes = send_plans(org=org, customer=customer, plans=plans, policy=policy, on=on, now=now, actor=ACTOR,
                          standing=ahead.standing.get(work.id), invoices=invoices)
    listed = tuple(numbers[i] for i in plans[0].invoice_ids)
    actions = [CycleAction(customer_ref=customer.ref, invoices=listed, step=step.key, channel=o.channel,
                           status=str(o.status), reason=o.reason) for o in outcomes]
    if all(o.status == Outcome.DEFERRED for o in outcomes):
        # Not decided after all: the step is tried again on the next run.
        raise _Deferred(actions)
    queued = [o for o in outcomes if o.status in (Outcome.QUEUED, Outcome.DRAFT)]
    first = queued[0] if queued else outcomes[0]
    reasons = "; ".join(f"{o.channel}: {o.reason}" for o in outcomes if o.reason)
    StepDecision.objects.filter(cycle_run=run, customer_id=work.id, status=DecisionStatus.DUE).update(
        outcome=first.status, reason=reasons, message=first.message)
    return actions


def _decision_words(number: str, policy, decision) -> str:
    """One decision for people: "INV-7 “Second reminder” due" or "INV-7 “Before due” passed over (a later
    step caught up)"; a repeat says which ("repeat 2"). The step's key and number stay in the event's data."""
    name = policy.step(decision.step_key).name if policy.has_step(decision.step_key) else decision.step_key
    repeat = f" (repeat {decision.number})" if decision.number else ""
    outcome = "due" if decision.status == DecisionStatus.DUE else "passed over (a later step caught up)"
    return f"{number} “{name}”{repeat} {outcome}"
