"""The demo's year of collections: who disputes, who gets a plan, who is escalated, and when.

Pure, seeded, no database. ``plan_story`` takes the ledger plan (``profiles.plan_demo``) and
picks the customers for the scenes a collections year has, then edits the plan so the money
agrees with the story: a disputed invoice is paid only after its dispute is settled, a plan's
invoices are paid by its instalments (written when they fall due, ``history``), an account
placed with an agency is paid only through the agency, and invoices the business would not
have issued to a placed customer are dropped (the rest renumbered, so numbers stay gapless).

What happens every day without a scene (reminders, calls and their outcomes, replies,
promises) follows from the cycle and from the plan's payments as ``history`` runs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from recoup.demo.profiles import Behaviour, CustomerPlan, DemoPlan, MoveKind, Move

HISTORY_DAYS = 365  # the business has used Recoup's collections for the last year
REVIEW_DAYS = 30  # the business second reminder has been in review mode this long
BANK_DAYS = 14  # bank statements have been imported daily this long


@dataclass(frozen=True)
class DisputeScene:
    customer_ref: str
    invoice: str
    category: str
    text: str
    opened_on: date  # through the portal, the day after the first reminder
    outcome: str  # "credit", "reject" or "open"
    closed_on: date | None = None
    credit_share: Decimal = Decimal("0")  # of the invoice total, for a credit


@dataclass(frozen=True)
class PlanScene:
    customer_ref: str
    on: date  # agreed on the phone
    invoices: tuple[str, ...]
    instalments: int
    first_date: date
    late_instalment: int  # this one is paid a few days late (within the grace days)


@dataclass(frozen=True)
class EscalationScene:
    customer_ref: str
    letter_on: date  # letter before action (final demand)
    placed_on: date  # no answer: placed with the agency
    collected_on: date  # the agency collects part of it
    collected_share: Decimal


@dataclass(frozen=True)
class Story:
    start: date  # the first day the daily cycle runs
    review_from: date
    bank_from: date
    disputes: tuple[DisputeScene, ...] = ()
    plan: PlanScene | None = None
    escalation: EscalationScene | None = None
    busy: frozenset[str] = frozenset()  # customers in a scene or with today's work: no improvised scenes
    todays: dict[str, str] = field(default_factory=dict)  # customer ref -> its role in today's work


_DISPUTES = [  # (outcome, due between so many days ago, category, what the debtor writes, credit share)
    ("credit", (110, 60), "quality", "The stair balustrade was not built to the agreed drawing: the spindles are "
                                     "120 mm apart instead of 95 mm. We will pay once this is put right.", "0.15"),
    ("reject", (95, 45), "wrong_amount", "The extra hours for the shopfront installation were never agreed with "
                                         "us. Please send a corrected invoice without them.", "0"),
    ("open", (30, 8), "quality", "Two of the internal doors were delivered warped and cannot be hung. We are "
                                 "holding payment until they are replaced.", "0"),
]


def _weekday(day: date) -> date:
    """The day itself, or the Monday after when it falls on a weekend (the office works weekdays)."""
    return day + timedelta(days=max(0, 7 - day.weekday())) if day.weekday() >= 5 else day


def settled_on(plan: DemoPlan) -> dict[str, date]:
    """The day each invoice is settled for good in the plan (paid in full, written off, fully credited)."""
    out: dict[str, date] = {}
    for m in sorted(plan.moves, key=lambda m: m.on):
        full = m.kind == MoveKind.WRITE_OFF or (m.kind in (MoveKind.PAYMENT, MoveKind.CREDIT_NOTE)
                                                and m.share in (None, Decimal("1")))
        if full:
            out.setdefault(m.invoice_number, m.on)
    return out


def plan_story(*, plan: DemoPlan, today: date, years: int, history_days: int = HISTORY_DAYS) -> Story:
    """Pick the scenes and make the plan agree with them (the plan is edited in place).

    ``history_days``: how many days before today the daily cycle has run (at most the ledger's
    ``years``); a scene that would not fit in them is left out."""
    start = today - timedelta(days=max(0, min(history_days, 365 * years)))
    todays = {i.customer_ref: plan.unpaid[i.number] for i in plan.invoices if i.number in plan.unpaid}
    busy = set(todays)
    escalation = _escalation(plan, start, today, busy)  # first: it may renumber invoices
    if escalation:
        busy.add(escalation.customer_ref)
    disputes = _disputes(plan, start, today, busy)
    busy |= {d.customer_ref for d in disputes}
    payment_plan = _payment_plan(plan, start, today, busy)
    if payment_plan:
        busy.add(payment_plan.customer_ref)
    return Story(start=start, review_from=max(start, today - timedelta(days=REVIEW_DAYS)),
                 bank_from=max(start, today - timedelta(days=BANK_DAYS)), disputes=tuple(disputes),
                 plan=payment_plan, escalation=escalation, busy=frozenset(busy), todays=todays)


def _candidates(plan: DemoPlan, busy: set[str], behaviours: tuple[Behaviour, ...]) -> list[CustomerPlan]:
    return [c for c in plan.customers if c.kind == "business" and c.country == "GB" and c.currencies == ("GBP",)
            and c.behaviour in behaviours and c.ref not in busy and not c.pays_on_account]


def _disputes(plan: DemoPlan, start: date, today: date, busy: set[str]) -> list[DisputeScene]:
    """Three customers dispute one invoice each: one is settled with a credit note, one rejected, one still open."""
    out: list[DisputeScene] = []
    pool = _candidates(plan, busy, (Behaviour.PROMPT, Behaviour.LATE))
    for outcome, (oldest, newest), category, text, share in _DISPUTES:
        window = [i for i in plan.invoices if today - timedelta(days=oldest) <= i.due_date <= today - timedelta(
            days=newest) and i.currency == "GBP" and i.due_date + timedelta(days=4) >= start]
        found = next(((c, i) for c in pool for i in window if i.customer_ref == c.ref), None)
        if found is None:
            continue
        c, inv = found
        pool.remove(c)
        opened = inv.due_date + timedelta(days=4)
        closed = _weekday(opened + timedelta(days=12 if outcome == "credit" else 14)) if outcome != "open" else None
        # Withheld until the dispute is settled; then the rest is paid a week or so later.
        plan.moves = [m for m in plan.moves if m.invoice_number != inv.number]
        if closed is not None and closed + timedelta(days=9) < today:
            plan.moves.append(Move(closed + timedelta(days=9), MoveKind.PAYMENT, inv.number))
        idx = plan.customers.index(c)
        plan.customers[idx] = replace(c, notes=f"Disputed invoice {inv.number}: {text}")
        out.append(DisputeScene(c.ref, inv.number, category, text, opened, outcome, closed, Decimal(share)))
    return out


def _open_on(plan: DemoPlan, ref: str, day: date, overdue_days: int) -> list[str]:
    settled = settled_on(plan)
    return [i.number for i in plan.invoices if i.customer_ref == ref and i.due_date < day - timedelta(
        days=overdue_days) and (i.number not in settled or settled[i.number] > day)]


def _payment_plan(plan: DemoPlan, start: date, today: date, busy: set[str]) -> PlanScene | None:
    """A slow payer agrees on the phone to clear its arrears in six monthly instalments, four months ago."""
    on = _weekday(today - timedelta(days=120))
    if on < start:
        return None
    pool = _candidates(plan, busy, (Behaviour.PARTIAL, Behaviour.LATE)) + _candidates(plan, busy, (Behaviour.CHRONIC,))
    for c in pool:
        numbers = _open_on(plan, c.ref, on, 14)
        if len(numbers) >= 2:
            chosen = set(numbers)
            plan.moves = [m for m in plan.moves if not (m.invoice_number in chosen and m.on > on)]
            return PlanScene(c.ref, on, tuple(numbers), 6, on + timedelta(days=14), late_instalment=3)
    return None


def _escalation(plan: DemoPlan, start: date, today: date, busy: set[str]) -> EscalationScene | None:
    """A payer who stopped paying gets a letter before action early in the year, does not answer, and is placed
    with an agency, which collects half of it some weeks later. A late payer is chosen first: the chronic ones
    keep their own story (promises broken, write-offs)."""
    letter_on = _weekday(start + timedelta(days=10))
    placed_on = _weekday(letter_on + timedelta(days=37))
    collected_on = _weekday(placed_on + timedelta(days=42))
    if collected_on >= today:
        return None
    pool = _candidates(plan, busy, (Behaviour.LATE,)) + _candidates(plan, busy, (Behaviour.CHRONIC,))
    for c in pool:
        numbers = _open_on(plan, c.ref, letter_on, 45)
        if not numbers:
            continue
        mine = {i.number for i in plan.invoices if i.customer_ref == c.ref}
        # Paid only through the agency from the letter on; no more work for them once placed.
        plan.moves = [m for m in plan.moves if not (m.invoice_number in mine and m.on >= letter_on)]
        dropped = {i.number for i in plan.invoices if i.customer_ref == c.ref and i.issue_date > placed_on}
        if dropped:
            _drop_invoices(plan, dropped)
        return EscalationScene(c.ref, letter_on, placed_on, collected_on, Decimal("0.5"))
    return None


def _drop_invoices(plan: DemoPlan, numbers: set[str]) -> None:
    """Remove invoices and renumber the rest in order, so the numbers have no gaps."""
    plan.invoices = [i for i in plan.invoices if i.number not in numbers]
    plan.moves = [m for m in plan.moves if m.invoice_number not in numbers]
    new = {inv.number: f"INV-{k}" for k, inv in enumerate(plan.invoices, start=10001)}
    plan.invoices = [replace(i, number=new[i.number]) for i in plan.invoices]
    plan.moves = [replace(m, invoice_number=new[m.invoice_number]) for m in plan.moves]
    plan.unpaid = {new[n]: role for n, role in plan.unpaid.items()}
