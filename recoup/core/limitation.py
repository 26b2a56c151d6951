"""Limitation dates: the last day a debt can be sued on, and the warnings before it.

The ``limitation`` rules in force on the due date say how long, from which
event and what restarts the clock (``recoup/rules/*.yaml``):

- ``starts: due_date``: the period runs from the due date; the last day to sue
  is the same calendar day ``years`` later (29 February becomes 28 February).
  Counting from the due date (not the day after) makes the debt time-barred
  one day early at worst: the safe side for a gate that forbids legal threats.
- ``starts: end_of_year`` (DE): the period runs from the end of the year the
  claim fell due, so the last day is 31 December ``years`` later.
- ``restarted_by``: a part payment, a written acknowledgment or (NL) a written
  demand made while the period runs starts a new period of the same length
  from that day. Once a debt is time-barred nothing revives it (GB Limitation
  Act 1980 s.29(7); BGB 212 and 214; Code civil 2240; BW 3:317-318).

The basis of the debt (written, oral, open_book, sale, services) picks among
rules: a rule naming the basis wins over one for ``any``. With no basis given,
the shortest period applies and the result says it was assumed.

No Django, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from recoup.core.rules import Limitation as LimitationParams
from recoup.core.rules import Rule, RuleSet, by_topic, rules_in_force

EVENT_KINDS = ("part_payment", "written_acknowledgment", "written_demand")
BASES = ("written", "oral", "open_book", "sale", "services")


@dataclass(frozen=True)
class Event:
    kind: str  # one of EVENT_KINDS
    on: date


@dataclass(frozen=True)
class LimitationDate:
    jurisdiction: str
    rule: Rule
    basis: str | None
    assumed: bool  # True when no basis was given and the shortest period was taken
    started_by: Event | None  # None: the due date
    start: date
    last_day: date  # the last day a claim can be brought
    warning_days: tuple[int, ...]

    @property
    def years(self) -> int:
        return self.rule.parameters.years

    @property
    def barred_from(self) -> date:
        return self.last_day + timedelta(days=1)

    @property
    def warnings(self) -> tuple[tuple[int, date], ...]:
        """(days before, date) for each warning, earliest first."""
        return tuple((n, self.last_day - timedelta(days=n)) for n in sorted(self.warning_days, reverse=True))

    def is_barred(self, on: date) -> bool:
        return on > self.last_day

    def days_left(self, on: date) -> int:
        return (self.last_day - on).days

    def status(self, on: date) -> str:
        """"barred", "warning_30", "warning_90" (the tightest warning reached) or "running"."""
        if self.is_barred(on):
            return "barred"
        reached = [n for n, day in self.warnings if on >= day]
        return f"warning_{min(reached)}" if reached else "running"

    def explain(self, on: date) -> str:
        what = self.started_by.kind.replace("_", " ") if self.started_by else "due date"
        text = (f"{self.years} years from the {what} of {self.start.isoformat()}"
                f"{' (end of that year)' if self.rule.parameters.starts == 'end_of_year' and not self.started_by else ''}: "
                f"last day to sue {self.last_day.isoformat()}")
        if self.assumed:
            text += f" (assumed {(self.basis or 'unknown').replace('_', ' ')}: the shortest period; set the basis if it differs)"
        if self.is_barred(on):
            return f"Time-barred since {self.barred_from.isoformat()}. " + text
        return text

    def as_json(self, on: date) -> dict[str, Any]:
        return {"jurisdiction": self.jurisdiction, "rule": self.rule.id, "years": self.years,
                "basis": self.basis, "assumed": self.assumed,
                "started_by": self.started_by.kind if self.started_by else "due_date",
                "start": self.start.isoformat(), "last_day": self.last_day.isoformat(),
                "barred_from": self.barred_from.isoformat(), "status": self.status(on),
                "days_left": self.days_left(on),
                "warnings": [{"days_before": n, "on": d.isoformat()} for n, d in self.warnings],
                "source": self.rule.source.title}


def _candidates(rules: list[Rule], basis: str | None) -> tuple[list[Rule], bool]:
    if basis is not None:
        exact = [r for r in rules if basis in r.parameters.bases]
        if exact:
            return exact, False
        general = [r for r in rules if "any" in r.parameters.bases]
        if general:
            return general, False
    return rules, len(rules) > 1


def limitation_date(*, jurisdiction: str, debt_kind: str, due: date, basis: str | None = None,
                    events: Iterable[Event] = (), ruleset: RuleSet | None = None) -> LimitationDate | None:
    """When a debt due on ``due`` becomes time-barred, given the events since.

    Args: basis: "written", "oral", "open_book", "sale", "services" or None
        (unknown: the shortest period, flagged ``assumed``); events: part
        payments, written acknowledgments and written demands, in any order.
    Returns: the limitation date, or None where no limitation rule is known
        (e.g. US federal: limitation is state law).
    Raises: ValueError for an unknown basis or event kind.
    """
    if basis is not None and basis not in BASES:
        raise ValueError(f"basis must be one of {', '.join(BASES)}, not {basis!r}")
    events = sorted(events, key=lambda e: e.on)
    for e in events:
        if e.kind not in EVENT_KINDS:
            raise ValueError(f"event kind must be one of {', '.join(EVENT_KINDS)}, not {e.kind!r}")
    in_force = rules_in_force(jurisdiction, due, debt_kind, ruleset=ruleset)
    rules = by_topic(in_force, "limitation")
    if not rules:
        return None
    candidates, assumed = _candidates(rules, basis)
    rule = min(candidates, key=lambda r: r.parameters.years)
    p: LimitationParams = rule.parameters
    if p.starts == "end_of_year":
        last_day = date(due.year + p.years, 12, 31)
    else:
        last_day = due + relativedelta(years=p.years)
    start, started_by = due, None
    for e in events:
        if e.kind in p.restarted_by and due <= e.on <= last_day:
            restarted = e.on + relativedelta(years=p.years)
            if restarted > last_day:
                last_day, start, started_by = restarted, e.on, e
    if basis is None and assumed:
        basis = _shortest_basis(rule)
    warnings = by_topic(in_force, "limitation_warning")
    days = tuple(warnings[-1].parameters.days_before) if warnings else (90, 30)
    return LimitationDate(jurisdiction=jurisdiction, rule=rule, basis=basis, assumed=assumed, started_by=started_by,
                          start=start, last_day=last_day, warning_days=days)


def _shortest_basis(rule: Rule) -> str | None:
    named = [b for b in rule.parameters.bases if b != "any"]
    return named[0] if named else None
