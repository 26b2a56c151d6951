"""Statutory interest, fixed compensation and collection costs on a late debt.

Simple interest on actual days / 365 (also in leap years): the interest days
of a debt due on D and paid (or looked at) on P are the days after D up to and
including P, so their number is P - D. Each period of constant principal and
rate gets ``principal x rate x days / 365`` exactly (fractions, no rounding);
the sum is rounded once, half up, to the currency's minor unit. A debt paid on
or before its due date owes nothing.

What applies comes from the rules in force (``recoup.core.rules``) on the first
day of interest, and the reference rates from a ``RateBook`` passed in:

- ``statutory_interest`` with ``reference: fixed_previous_half_year_end`` (GB):
  the rate in force on 31 December (interest starting January to June) or
  30 June (July to December) before interest starts, plus points, for the
  debt's whole life;
- ``statutory_interest`` with ``reference: half_year_start`` (EU, DE, FR, NL):
  the rate in force on 1 January / 1 July of each half-year, plus points; a debt
  spanning 1 January or 1 July is split there;
- ``legal_interest`` (US-CA): the contract's rate if given, else the rule's;
- ``compensation``: a fixed sum per invoice from the band of the principal,
  owed once the debt is late;
- ``collection_costs`` (NL consumers): the statutory scale, owed only when the
  debt is still unpaid after the letter's 14 days.

No Django, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from recoup.core.money import D, from_minor, minor_exponent, minor_to_text, to_minor
from recoup.core.rules import (
    CollectionCosts,
    Compensation,
    LegalInterest,
    RateBook,
    RateMissing,
    Rule,
    RuleSet,
    StatutoryInterest,
    by_topic,
    rules_in_force,
)

__all__ = ["InterestError", "Period", "InterestResult", "ChargeToAdd", "StatutoryCharges", "calculate",
           "statutory_charges", "RateMissing", "round_half_up"]


class InterestError(ValueError):
    """Input the calculator cannot work with (negative principal, unknown debt kind...)."""


@dataclass(frozen=True)
class Period:
    """Days of constant principal and rate."""

    start: date  # first interest day
    end: date  # last interest day, inclusive
    principal_minor: int
    rate: Decimal  # percent a year
    basis: str  # how the rate was found, e.g. "ECB rate 2.15 % on 2025-07-01 + 8"
    interest: Fraction  # exact, in minor units

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def interest_shown_minor(self) -> int:
        """The period's interest rounded half up to the minor unit, for display only: the result's
        ``interest_minor`` rounds the exact sum once, so shown periods may differ from it by a cent."""
        return round_half_up(self.interest)


@dataclass(frozen=True)
class InterestResult:
    jurisdiction: str
    debt_kind: str
    currency: str
    principal_minor: int
    due: date
    until: date
    periods: tuple[Period, ...] = ()
    interest_minor: int = 0
    compensation_minor: int = 0
    collection_costs_minor: int = 0
    rule_ids: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        return max(0, (self.until - self.due).days)

    @property
    def total_minor(self) -> int:
        """Interest + compensation + collection costs (the principal not included)."""
        return self.interest_minor + self.compensation_minor + self.collection_costs_minor

    def as_json(self) -> dict[str, Any]:
        c = self.currency
        exp = minor_exponent(c)
        return {
            "jurisdiction": self.jurisdiction, "debtor": self.debt_kind, "currency": c,
            "principal": minor_to_text(self.principal_minor, c), "due": self.due.isoformat(),
            "until": self.until.isoformat(), "days": self.days,
            "periods": [{"from": p.start.isoformat(), "to": p.end.isoformat(), "days": p.days,
                         "principal": minor_to_text(p.principal_minor, c), "rate": _percent(p.rate), "basis": p.basis,
                         "interest": f"{Decimal(p.interest.numerator) / Decimal(p.interest.denominator) / (10 ** exp):.6f}"}
                        for p in self.periods],
            "interest": minor_to_text(self.interest_minor, c),
            "compensation": minor_to_text(self.compensation_minor, c),
            "collection_costs": minor_to_text(self.collection_costs_minor, c),
            "total": minor_to_text(self.total_minor, c),
            "rules": list(self.rule_ids), "notes": list(self.notes),
        }


def round_half_up(value: Fraction) -> int:
    """The nearest integer, halves away from zero (values here are never negative)."""
    sign = -1 if value < 0 else 1
    return sign * int((abs(value) + Fraction(1, 2)) // 1)


def _half_year_start(d: date) -> date:
    return date(d.year, 1 if d.month <= 6 else 7, 1)


def _next_half_year(d: date) -> date:
    return date(d.year, 7, 1) if d.month <= 6 else date(d.year + 1, 1, 1)


def _previous_half_year_end(d: date) -> date:
    return date(d.year - 1, 12, 31) if d.month <= 6 else date(d.year, 6, 30)


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _segments(start: date, end: date, principal_minor: int, part_payments: Sequence[tuple[date, int]],
              split_half_years: bool) -> list[tuple[date, date, int]]:
    """Split [start, end] where the principal changes (the day after a payment) or a half-year begins."""
    cuts: dict[date, int] = {}
    for on, amount in sorted(part_payments):
        if amount < 0:
            raise InterestError("a part payment must not be negative")
        cuts[on + timedelta(days=1)] = cuts.get(on + timedelta(days=1), 0) + amount
    balance = principal_minor - sum(a for on, a in cuts.items() if on <= start)
    pieces, day = [], start
    while day <= end:
        stop = end
        nxt = min([d for d in cuts if d > day], default=None)
        if nxt is not None:
            stop = min(stop, nxt - timedelta(days=1))
        if split_half_years:
            stop = min(stop, _next_half_year(day) - timedelta(days=1))
        if balance > 0:
            pieces.append((day, stop, balance))
        day = stop + timedelta(days=1)
        balance -= cuts.get(day, 0)
    return pieces


def _interest_periods(rule: Rule, *, principal_minor: int, start: date, end: date, rates: RateBook,
                      part_payments: Sequence[tuple[date, int]], contract_rate: Decimal | None,
                      notes: list[str]) -> list[Period]:
    p = rule.parameters
    if isinstance(p, LegalInterest):
        if contract_rate is not None and p.contract_rate_first:
            rate, basis = contract_rate, f"contract rate {_percent(contract_rate)} %"
        else:
            rate, basis = p.percent, f"legal rate {_percent(p.percent)} % (no contract rate given)"
        segments = _segments(start, end, principal_minor, part_payments, split_half_years=False)
        return [_period(s, e, b, rate, basis) for s, e, b in segments]
    assert isinstance(p, StatutoryInterest)
    label = rates.series[p.series].label if p.series in rates.series else p.series
    fixed = p.reference == "fixed_previous_half_year_end"
    if fixed:
        ref = _previous_half_year_end(start)
        base = rates.rate_on(p.series, ref)
    periods = []
    for s, e, b in _segments(start, end, principal_minor, part_payments, split_half_years=not fixed):
        if not fixed:
            ref = _half_year_start(s)
            base = rates.rate_on(p.series, ref)
        rate = base + p.points
        if rate < 0:
            notes.append(f"{label} {_percent(base)} % + {_percent(p.points)} is below zero: no interest then")
            rate = D(0)
        periods.append(_period(s, e, b, rate, f"{label} {_percent(base)} % on {ref.isoformat()} + {_percent(p.points)}"))
    return periods


def _period(start: date, end: date, principal_minor: int, rate: Decimal, basis: str) -> Period:
    days = (end - start).days + 1
    return Period(start=start, end=end, principal_minor=principal_minor, rate=rate, basis=basis,
                  interest=Fraction(principal_minor) * Fraction(rate) * days / 36500)


def _compensation_minor(p: Compensation, principal_minor: int, currency: str) -> int:
    amount = from_minor(principal_minor, currency)
    band = [b for b in p.bands if amount >= b.from_amount][-1]
    return to_minor(band.amount, currency)


def _collection_costs_minor(p: CollectionCosts, principal_minor: int, currency: str) -> int:
    amount = Fraction(from_minor(principal_minor, currency))
    owed, lower = Fraction(0), Fraction(0)
    for bracket in p.brackets:
        upper = Fraction(bracket.up_to) if bracket.up_to is not None else None
        if amount <= lower:
            break
        part = (min(amount, upper) if upper is not None else amount) - lower
        owed += part * Fraction(bracket.percent) / 100
        if upper is None:
            break
        lower = upper
    owed = min(max(owed, Fraction(p.minimum)), Fraction(p.maximum))
    return round_half_up(owed * 10 ** minor_exponent(currency))


def calculate(*, jurisdiction: str, debt_kind: str, principal_minor: int, currency: str, due: date, until: date,
              rates: RateBook, contract_rate: Decimal | None = None,
              part_payments: Sequence[tuple[date, int]] = (), letter_on: date | None = None,
              ruleset: RuleSet | None = None) -> InterestResult:
    """Interest, compensation and collection costs owed on a debt from ``due`` to ``until``.

    Args: jurisdiction: "GB", "EU", "DE", "FR", "NL", "US-CA", ...; debt_kind:
        "business" or "consumer"; principal_minor: the debt in minor units;
        until: the payment date, or the as-of date for an unpaid debt;
        rates: the reference rates; contract_rate: the agreed yearly rate in
        percent (US-CA); part_payments: (date, minor units) paid before
        ``until``, each reducing the principal from the next day; letter_on:
        the day the debtor received the 14-day letter (NL consumers).
    Returns: the breakdown; nothing owed when ``until`` is not after ``due``.
    Raises: RateMissing when a reference rate is not known; InterestError for
        impossible input; KeyError for an unknown jurisdiction.
    """
    if isinstance(principal_minor, bool) or not isinstance(principal_minor, int) or principal_minor < 0:
        raise InterestError("the principal must be a whole number of minor units, 0 or more")
    if contract_rate is not None and not (0 <= contract_rate <= 100):
        raise InterestError("the contract rate must be between 0 and 100 percent")
    minor_exponent(currency)
    result = InterestResult(jurisdiction=jurisdiction, debt_kind=debt_kind, currency=currency,
                            principal_minor=principal_minor, due=due, until=until)
    start = due + timedelta(days=1)
    rules = rules_in_force(jurisdiction, start, debt_kind, ruleset=ruleset)
    if until <= due or principal_minor == 0:
        return result
    notes: list[str] = []
    used: list[str] = []
    periods: list[Period] = []
    interest_rules = by_topic(rules, "statutory_interest") + by_topic(rules, "legal_interest")
    if interest_rules:
        rule = interest_rules[0]
        periods = _interest_periods(rule, principal_minor=principal_minor, start=start, end=until, rates=rates,
                                    part_payments=part_payments, contract_rate=contract_rate, notes=notes)
        used.append(rule.id)
    compensation = 0
    for rule in by_topic(rules, "compensation")[:1]:
        if rule.parameters.currency != currency:
            notes.append(f"{rule.id}: the fixed sum is in {rule.parameters.currency}, the debt in {currency}; "
                         "not added")
        else:
            compensation = _compensation_minor(rule.parameters, principal_minor, currency)
            used.append(rule.id)
    costs = 0
    for rule in by_topic(rules, "collection_costs")[:1]:
        p = rule.parameters
        if p.currency != currency:
            notes.append(f"{rule.id}: the scale is in {p.currency}, the debt in {currency}; not added")
        elif letter_on is None:
            notes.append(f"{rule.id}: collection costs need a letter giving {p.letter_days} days to pay first")
        elif until <= letter_on + timedelta(days=p.letter_days):
            notes.append(f"{rule.id}: the {p.letter_days} days after the letter of {letter_on} have not passed")
        else:
            costs = _collection_costs_minor(p, principal_minor, currency)
            used.append(rule.id)
    exact = sum((p.interest for p in periods), Fraction(0))
    return InterestResult(
        jurisdiction=jurisdiction, debt_kind=debt_kind, currency=currency, principal_minor=principal_minor,
        due=due, until=until, periods=tuple(periods), interest_minor=round_half_up(exact),
        compensation_minor=compensation, collection_costs_minor=costs, rule_ids=tuple(used), notes=tuple(notes))


# --- what the policy's interest step adds -------------------------------------------------------

@dataclass(frozen=True)
class ChargeToAdd:
    kind: str  # "interest", "compensation" or "collection_costs"
    amount_minor: int
    description: str
    rule_id: str


@dataclass(frozen=True)
class StatutoryCharges:
    charges: tuple[ChargeToAdd, ...] = ()
    blocked: str | None = None  # why nothing may be charged automatically
    result: InterestResult | None = None
    rule_ids: tuple[str, ...] = field(default=())

    @property
    def allowed(self) -> bool:
        return self.blocked is None


def statutory_charges(jurisdiction: str | None, debt_kind: str, principal_minor: int, currency: str, due: date,
                      as_of: date, rates: RateBook, already_charged_minor: int | Mapping[str, int] = 0, *,
                      contract_rate: Decimal | None = None, letter_on: date | None = None,
                      part_payments: Sequence[tuple[date, int]] = (), breathing_space: bool = False,
                      ruleset: RuleSet | None = None) -> StatutoryCharges:
    """The statutory charges to add to a late debt now, or why none may be added.

    ``already_charged_minor`` is either a mapping by kind ("interest",
    "compensation", "collection_costs") or one total of those already on the
    invoice, counted against the fixed sums first, then interest. Only the
    difference to what is owed on ``as_of`` is returned (never a negative).

    Blocked (with the reason, and nothing charged): no jurisdiction known; a
    jurisdiction without statutory interest for this kind of debt; a consumer
    debt where the statute is for businesses only; a reference rate missing;
    ``breathing_space`` (the debtor is in a moratorium) where a rule forbids charges then.
    """
    if jurisdiction is None:
        return StatutoryCharges(blocked="no jurisdiction known for this customer: no statutory charges")
    start = due + timedelta(days=1)
    rules = rules_in_force(jurisdiction, start, debt_kind, ruleset=ruleset)
    if breathing_space:
        for rule in by_topic(rules_in_force(jurisdiction, as_of, debt_kind, ruleset=ruleset), "breathing_space"):
            if rule.parameters.no_interest_or_charges:
                return StatutoryCharges(blocked=f"breathing space: no interest or charges may be added ({rule.id})",
                                        rule_ids=(rule.id,))
    calc_topics = ("statutory_interest", "legal_interest", "compensation", "collection_costs")
    if not any(r.topic in calc_topics for r in rules.values()):
        gates = by_topic(rules, "consumer_charges")
        if gates:
            return StatutoryCharges(blocked=f"consumer debt: {gates[0].title} ({gates[0].id})",
                                    rule_ids=(gates[0].id,))
        return StatutoryCharges(blocked=f"{jurisdiction} gives no statutory interest on {debt_kind} debts; "
                                        "charge interest only as the agreed terms allow")
    try:
        result = calculate(jurisdiction=jurisdiction, debt_kind=debt_kind, principal_minor=principal_minor,
                           currency=currency, due=due, until=as_of, rates=rates, contract_rate=contract_rate,
                           part_payments=part_payments, letter_on=letter_on, ruleset=ruleset)
    except RateMissing as exc:
        return StatutoryCharges(blocked=f"rate missing: {exc}")
    owed = {"compensation": result.compensation_minor, "collection_costs": result.collection_costs_minor,
            "interest": result.interest_minor}
    if isinstance(already_charged_minor, Mapping):
        done = {k: int(already_charged_minor.get(k, 0)) for k in owed}
    else:
        left, done = int(already_charged_minor), {}
        for k in owed:  # fixed sums first, then interest
            done[k] = min(left, owed[k])
            left -= done[k]
        done["interest"] += left
    labels = {"interest": f"Statutory interest to {as_of.isoformat()}", "compensation": "Fixed compensation",
              "collection_costs": "Statutory collection costs"}
    topic_of = {"interest": ("statutory_interest", "legal_interest"), "compensation": ("compensation",),
                "collection_costs": ("collection_costs",)}
    charges = []
    for kind, amount in owed.items():
        add = amount - done[kind]
        if add > 0:
            rid = next(r for r in result.rule_ids if rules[r].topic in topic_of[kind])
            charges.append(ChargeToAdd(kind=kind, amount_minor=add, description=f"{labels[kind]} ({rid})", rule_id=rid))
    return StatutoryCharges(charges=tuple(charges), result=result, rule_ids=result.rule_ids)
