"""Court and ADR cases: open one, record its dated steps (hearings, deadlines, enforcement, costs),
its outcome, and remind the operator of the dates coming up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.compliance.selectors import contract_jurisdiction
from recoup.escalation.actions import EscalationError, chosen_invoices, lock_customer, not_while_waiting, same_org
from recoup.escalation.models import Case, CaseEvent, CaseEventKind, CaseOutcome, Forum
from recoup.escalation.selectors import amount_owed, money_text, upcoming_case_dates
from recoup.ledger.models import Customer, Invoice
from recoup.messaging.actions import task_open
from recoup.messaging.models import TaskKind
from recoup.orgs.models import Organization


@transaction.atomic
def case_open(*, org: Organization, customer: Customer, forum: str, filing_date: date, actor: Actor, now: datetime,
              invoices: Sequence[Invoice] | None = None, claim_minor: int | None = None, court: str = "",
              case_number: str = "", note: str = "") -> Case:
    """Record a claim filed (or a referral to mediation or arbitration); the claim defaults to
    the open balance with statutory interest to the filing date."""
    same_org(org, customer)
    customer = lock_customer(customer)
    if forum not in Forum.values:
        raise EscalationError(f"forum: one of {', '.join(Forum.values)}")
    not_while_waiting(org=org, customer=customer, on=filing_date, what="file a claim")
    invs = chosen_invoices(org=org, customer=customer, invoices=invoices)
    owed = amount_owed(org=org, customer=customer, on=filing_date, invoices=invs)
    claim = owed.total_minor if claim_minor is None else claim_minor
    if claim <= 0:
        raise EscalationError("claim: more than zero")
    jurisdiction = contract_jurisdiction(customer, org) or ""
    case = Case.objects.create(org=org, customer=customer, forum=forum, jurisdiction=jurisdiction, court=court.strip(),
                               case_number=case_number.strip(), filing_date=filing_date, currency=owed.currency,
                               claim_minor=claim, note=note, created_by=actor.label, created_at=now)
    case.invoices.set(invs)
    audit.record(org=org, actor=actor, at=now, verb="case.opened", subject=case, customer=customer,
                 summary=f"{case.get_forum_display()} claim for {money_text(claim, case.currency)} against "
                         f"{customer.ref} filed {filing_date.isoformat()}"
                         + (f" ({case_number})" if case_number else ""))
    return case


@transaction.atomic
def case_event_add(*, org: Organization, case: Case, kind: str, on: date, description: str, actor: Actor,
                   now: datetime, cost_minor: int = 0) -> CaseEvent:
    """A hearing date, a deadline, an enforcement step, a cost paid (court fee, bailiff) or a note."""
    same_org(org, case)
    if kind not in CaseEventKind.values:
        raise EscalationError(f"kind: one of {', '.join(CaseEventKind.values)}")
    if not description.strip():
        raise EscalationError("description: say what happens")
    if cost_minor < 0:
        raise EscalationError("cost: not negative")
    event = CaseEvent.objects.create(org=org, case=case, kind=kind, on=on, description=description.strip()[:500],
                                     cost_minor=cost_minor, created_at=now)
    cost = f", cost {money_text(cost_minor, case.currency)}" if cost_minor else ""
    audit.record(org=org, actor=actor, at=now, verb="case.event_added", subject=event, customer=case.customer,
                 summary=f"{case}: {event.get_kind_display().lower()} on {on.isoformat()}: {event.description}{cost}")
    return event


@transaction.atomic
def case_conclude(*, org: Organization, case: Case, outcome: str, on: date, actor: Actor, now: datetime,
                  judgment_minor: int = 0, judgment_interest_minor: int = 0) -> Case:
    same_org(org, case)
    if outcome not in CaseOutcome.values or outcome == CaseOutcome.PENDING:
        raise EscalationError(f"outcome: one of {', '.join(v for v in CaseOutcome.values if v != 'pending')}")
    if judgment_minor < 0 or judgment_interest_minor < 0:
        raise EscalationError("judgment: not negative")
    case.outcome, case.outcome_on = outcome, on
    case.judgment_minor, case.judgment_interest_minor = judgment_minor, judgment_interest_minor
    case.save(update_fields=["outcome", "outcome_on", "judgment_minor", "judgment_interest_minor"])
    audit.record(org=org, actor=actor, at=now, verb="case.concluded", subject=case, customer=case.customer,
                 summary=f"{case}: {case.get_outcome_display().lower()} on {on.isoformat()}"
                         + (f", judgment {money_text(judgment_minor, case.currency)} + interest "
                            f"{money_text(judgment_interest_minor, case.currency)}" if judgment_minor else ""))
    return case


def case_reminders(*, org: Organization, on: date, now: datetime, actor: Actor, days: int = 7) -> int:
    """Open a worklist task for each hearing, deadline or enforcement step within ``days`` that
    has not been reminded of yet; returns how many."""
    opened = 0
    for event in upcoming_case_dates(org=org, today=on, days=days).filter(reminded_at__isnull=True):
        with transaction.atomic():
            if not CaseEvent.objects.filter(pk=event.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue  # another run got there first
            task_open(org=org, customer=event.case.customer, kind=TaskKind.REVIEW, actor=actor, now=now,
                      text=f"{event.case}: {event.get_kind_display().lower()} on {event.on.isoformat()} "
                           f"({(event.on - on).days} days): {event.description}")
            opened += 1
    return opened


def case_costs_minor(case: Case) -> int:
    return sum(case.events.values_list("cost_minor", flat=True))

