"""Escalation policies and the pure rules of the daily collections cycle.

A policy is an ordered list of steps, each at an offset from an invoice's due
date. ``schedule`` turns a policy into dated occurrences, ``decide_invoice``
says which of them the cycle acts on for one invoice on one day, and
``plan_customer`` folds a customer's decisions into one message per channel.

Catching up: the cycle may not have run for some days. Every pending
occurrence is then decided at once: the most advanced one is "due" and the
others are "superseded", so they are recorded and never fire later. For the
same reason an occurrence that ranks below one already decided (a repeat of an
earlier step falling after a later step went out) is superseded: the cycle
never steps back down the ladder.

No Django, no I/O, no clock: dates are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any

from recoup.core.calendar import WEEKDAYS_ONLY, BusinessCalendar
from recoup.core.money import D

CHANNELS = ("email", "sms", "letter", "call")
CUSTOMER_KINDS = ("business", "consumer")
SEND_MODES = ("", "automatic", "review", "off")
MAX_OFFSET_DAYS = 3650
MAX_REPEAT_EVERY_DAYS = 365
MAX_REPEATS = 100
MAX_KEY_LENGTH = 50

_TEMPLATE = re.compile(r"[a-z0-9][a-z0-9_-]*")
_KEY = re.compile(rf"[a-z0-9-]{{1,{MAX_KEY_LENGTH}}}")


class StepAction(StrEnum):
    """What a step does besides sending its messages."""

    NONE = "none"
    LATE_FEE = "late_fee"
    INTEREST = "interest"
    CREDIT_HOLD = "credit_hold"
    ESCALATION_REVIEW = "escalation_review"


class DecisionStatus(StrEnum):
    """What the cycle does with a pending occurrence."""

    DUE = "due"
    SUPERSEDED = "superseded"


class PolicyError(ValueError):
    """A policy (or a file describing one) is invalid at ``path``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message

    def within(self, prefix: str) -> PolicyError:
        """The same error with its path nested under ``prefix``."""
        return PolicyError(f"{prefix}.{self.path}" if self.path else prefix, self.message)


def _int(value: Any, path: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(path, f"must be a whole number, not {value!r}")
    if not low <= value <= high:
        raise PolicyError(path, f"must be between {low} and {high}, not {value}")


def _text(value: Any, path: str, *, empty: bool = False) -> None:
    if not isinstance(value, str):
        raise PolicyError(path, f"must be text, not {value!r}")
    if not empty and not value.strip():
        raise PolicyError(path, "must not be empty")


def _choices(values: tuple[Any, ...], path: str, allowed: Iterable[str] | None) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        _text(value, f"{path}[{i}]")
        if allowed is not None and value not in allowed:
            raise PolicyError(f"{path}[{i}]", f"{value!r} is not one of {', '.join(allowed)}")
        if value in seen:
            raise PolicyError(f"{path}[{i}]", f"{value!r} is listed twice")
        seen.add(value)


def _amount(value: Any, path: str) -> Decimal:
    if isinstance(value, float):
        raise PolicyError(path, f"write the amount as quoted text, e.g. '{value}', to keep it exact")
    try:
        return D(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise PolicyError(path, f"must be an amount such as '250.00', not {value!r}") from None


@dataclass(frozen=True)
class Step:
    """One rung of the escalation ladder; validated on construction.

    Lists given for channels, customer_kinds or tags become tuples, an action
    given as text becomes a StepAction.
    """

    key: str
    name: str
    offset_days: int
    business_days: bool = False
    channels: tuple[str, ...] = ("email",)
    action: StepAction = StepAction.NONE
    min_overdue: Decimal = Decimal(0)
    customer_kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    repeat_every_days: int | None = None
    repeat_max: int = 0
    template: str = ""
    # Channels tried in this order, after ``channels``, when the step's message cannot go
    # (no usable contact point, or a permanent failure such as a hard bounce).
    fallback: tuple[str, ...] = ()
    # "" follows the organization's send mode; else automatic, review or off for this step.
    mode: str = ""

    def __post_init__(self) -> None:
        for name in ("channels", "customer_kinds", "tags", "fallback"):
            value = getattr(self, name)
            if not isinstance(value, (list, tuple)):
                raise PolicyError(name, f"must be a list, not {value!r}")
            object.__setattr__(self, name, tuple(value))
        if not isinstance(self.key, str) or not _KEY.fullmatch(self.key):
            raise PolicyError("key", f"{self.key!r} must be 1 to {MAX_KEY_LENGTH} of a-z, 0-9 and '-'")
        _text(self.name, "name")
        _int(self.offset_days, "offset_days", -MAX_OFFSET_DAYS, MAX_OFFSET_DAYS)
        if not isinstance(self.business_days, bool):
            raise PolicyError("business_days", f"must be true or false, not {self.business_days!r}")
        if not self.channels:
            raise PolicyError("channels", "must list at least one channel")
        _choices(self.channels, "channels", CHANNELS)
        _choices(self.fallback, "fallback", CHANNELS)
        for i, channel in enumerate(self.fallback):
            if channel in self.channels:
                raise PolicyError(f"fallback[{i}]", f"{channel!r} is already one of the step's channels")
        if self.mode not in SEND_MODES:
            raise PolicyError("mode", f"{self.mode!r} is not one of {', '.join(m or repr(m) for m in SEND_MODES)}")
        try:
            object.__setattr__(self, "action", StepAction(self.action))
        except ValueError:
            allowed = ", ".join(a.value for a in StepAction)
            raise PolicyError("action", f"{self.action!r} is not one of {allowed}") from None
        self._check_min_overdue()
        _choices(self.customer_kinds, "customer_kinds", CUSTOMER_KINDS)
        _choices(self.tags, "tags", None)
        if self.repeat_every_days is not None:
            _int(self.repeat_every_days, "repeat_every_days", 1, MAX_REPEAT_EVERY_DAYS)
        _int(self.repeat_max, "repeat_max", 0, MAX_REPEATS)
        if self.repeat_max and self.repeat_every_days is None:
            raise PolicyError("repeat_every_days", "is needed when repeat_max is above 0")
        _text(self.template, "template", empty=True)
        if self.template and not _TEMPLATE.fullmatch(self.template):
            raise PolicyError("template", f"{self.template!r} must be a template folder name: a-z, 0-9, '-' and '_'")

    @property
    def preference(self) -> tuple[str, ...]:
        """Every channel the step may use, in the order they are tried."""
        return self.channels + self.fallback

    def _check_min_overdue(self) -> None:
        value = _amount(self.min_overdue, "min_overdue")
        if value < 0:
            raise PolicyError("min_overdue", f"must be zero or more, not {value}")
        object.__setattr__(self, "min_overdue", value)

    @property
    def template_name(self) -> str:
        """The message template to use: ``template``, or the key when empty."""
        return self.template or self.key

    def applies_to(self, customer: CustomerFacts, currency: str, minor_exponent: int) -> bool:
        """Whether the step's conditions hold for a customer.

        Args: customer: the customer's facts; currency: the invoice's currency,
            whose overdue total is compared with ``min_overdue``;
            minor_exponent: that currency's minor-unit exponent (2 for USD).
        Returns: True when kind, tags and minimum overdue amount all match.
        """
        if self.customer_kinds and customer.kind not in self.customer_kinds:
            return False
        if self.tags and frozenset(customer.tags).isdisjoint(self.tags):
            return False
        overdue = customer.overdue_minor_by_currency.get(currency, 0)
        # Exact comparison in minor units: a threshold finer than the currency rounds up.
        return Decimal(overdue) >= self.min_overdue.scaleb(minor_exponent)


_STEP_FIELDS = frozenset(Step.__dataclass_fields__)
_STEP_DEFAULTS = Step(key="x", name="x", offset_days=0)


@dataclass(frozen=True)
class Policy:
    """A named, ordered escalation ladder; validated on construction.

    Steps are strictly increasing by ``offset_days`` and have unique keys.
    """

    name: str
    description: str = ""
    steps: tuple[Step, ...] = ()
    _rank: Mapping[str, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        _text(self.name, "name")
        _text(self.description, "description", empty=True)
        if not isinstance(self.steps, (list, tuple)):
            raise PolicyError("steps", f"must be a list, not {self.steps!r}")
        object.__setattr__(self, "steps", tuple(self.steps))
        rank: dict[str, int] = {}
        for i, step in enumerate(self.steps):
            if not isinstance(step, Step):
                raise PolicyError(f"steps[{i}]", f"must be a Step, not {step!r}")
            if step.key in rank:
                raise PolicyError(f"steps[{i}].key", f"{step.key!r} is used by an earlier step")
            if i and step.offset_days <= self.steps[i - 1].offset_days:
                raise PolicyError(
                    f"steps[{i}].offset_days",
                    f"must be later than the previous step's ({self.steps[i - 1].offset_days})",
                )
            rank[step.key] = i
        object.__setattr__(self, "_rank", rank)

    def step(self, key: str) -> Step:
        """The step with this key. Raises KeyError when there is none."""
        return self.steps[self._rank[key]]

    def has_step(self, key: str) -> bool:
        """Whether a step with this key is in the policy."""
        return key in self._rank

    def rank(self, step_key: str, number: int) -> tuple[int, int]:
        """How advanced an occurrence is: later step first, then higher repeat.

        Raises: KeyError for a key not in this policy.
        """
        return (self._rank[step_key], number)

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain data ready for YAML: ints, strs, bools, lists.

        Step fields at their default value are left out (key, name, offset_days
        and channels are always written); amounts are strings.
        """
        return {
            "name": self.name,
            "description": self.description,
            "steps": [_step_to_dict(step) for step in self.steps],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Policy:
        """Build a policy from plain data (as read from YAML).

        Args: data: a mapping with ``name``, optional ``description`` and ``steps``.
        Returns: the validated Policy.
        Raises: PolicyError naming the path of the first bad, missing or unknown field.
        """
        _known(data, "", {"name", "description", "steps"}, required={"name", "steps"})
        steps = data["steps"]
        if not isinstance(steps, (list, tuple)):
            raise PolicyError("steps", f"must be a list, not {steps!r}")
        built = tuple(_step_from_dict(item, f"steps[{i}]") for i, item in enumerate(steps))
        return cls(name=data["name"], description=data.get("description", ""), steps=built)


def _known(data: Any, path: str, allowed: Iterable[str], required: set[str]) -> None:
    where = path or "policy"
    if not isinstance(data, Mapping):
        raise PolicyError(where, f"must be a mapping of fields, not {data!r}")
    prefix = f"{path}." if path else ""
    for key in data:
        if key not in allowed:
            raise PolicyError(f"{prefix}{key}", f"unknown field (known: {', '.join(sorted(allowed))})")
    for key in sorted(required - set(data)):
        raise PolicyError(f"{prefix}{key}", "is missing")


def _step_to_dict(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {"key": step.key, "name": step.name, "offset_days": step.offset_days}
    out["channels"] = list(step.channels)
    for name in ("business_days", "action", "min_overdue", "customer_kinds", "tags",
                 "repeat_every_days", "repeat_max", "template", "fallback", "mode"):
        value = getattr(step, name)
        if value == getattr(_STEP_DEFAULTS, name):
            continue
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, StepAction):
            value = value.value
        elif isinstance(value, Decimal):
            value = f"{value:f}"
        out[name] = value
    return out


def _step_from_dict(data: Any, path: str) -> Step:
    _known(data, path, _STEP_FIELDS, required={"key", "name", "offset_days"})
    values = dict(data)
    for name in ("channels", "customer_kinds", "tags", "fallback"):
        if name in values and not isinstance(values[name], (list, tuple)):
            raise PolicyError(f"{path}.{name}", f"must be a list, not {values[name]!r}")
    try:
        return Step(**values)
    except PolicyError as error:
        raise error.within(path) from None


@dataclass(frozen=True)
class Occurrence:
    """One dated firing of a step: number 0 is the first, 1.. are repeats."""

    step_key: str
    number: int
    on: date


def step_dates(step: Step, due_date: date, calendar: BusinessCalendar | None) -> list[date]:
    """The dates of a step's first occurrence and of its repeats.

    Args: step; due_date: the invoice's due date; calendar: the customer's
        business calendar (None: Monday to Friday, no holidays).
    Returns: the first date (due date + offset, in business days when the step
        says so; offset 0 in business days rolls forward to a business day),
        then first + k * repeat_every_days for k = 1..repeat_max.
    """
    if step.business_days:
        days = calendar or WEEKDAYS_ONLY
        if step.offset_days:
            first = days.add_business_days(due_date, step.offset_days)
        else:
            first = days.next_business_day(due_date)
    else:
        first = due_date + timedelta(days=step.offset_days)
    every = step.repeat_every_days or 0
    return [first + timedelta(days=k * every) for k in range(step.repeat_max + 1 if every else 1)]


def schedule(policy: Policy, due_date: date, calendar: BusinessCalendar | None) -> list[Occurrence]:
    """Every occurrence of every step for an invoice due on ``due_date``.

    Args: policy; due_date; calendar: the customer's business calendar, or
        None to count business days as Monday to Friday.
    Returns: occurrences in policy order: steps in order, then each step's repeats.
    """
    return list(_schedule(policy, due_date, calendar))


# The cycle asks for the same (policy, due date, calendar) for many invoices.
@lru_cache(maxsize=65536)
def _schedule(policy: Policy, due_date: date, calendar: BusinessCalendar | None) -> tuple[Occurrence, ...]:
    return tuple(
        Occurrence(step.key, number, on)
        for step in policy.steps
        for number, on in enumerate(step_dates(step, due_date, calendar))
    )


@dataclass(frozen=True)
class InvoiceFacts:
    """What the cycle needs to know about one invoice."""

    id: int
    number: str
    due_date: date
    open_minor: int
    currency: str
    paused: bool = False


@dataclass(frozen=True)
class CustomerFacts:
    """What the cycle needs to know about one customer.

    ``overdue_minor_by_currency``: the open amount of invoices due before the
    cycle's date, per currency, in minor units.
    """

    kind: str
    tags: frozenset[str] = frozenset()
    paused: bool = False
    overdue_minor_by_currency: Mapping[str, int] = field(default_factory=dict)


def overdue_minor_by_currency(invoices: Iterable[InvoiceFacts], on: date) -> dict[str, int]:
    """A customer's overdue total per currency, for ``CustomerFacts``.

    Args: invoices: the customer's invoices; on: the cycle's date.
    Returns: the sum of open_minor of open invoices due before ``on``, per currency.
    """
    totals: dict[str, int] = {}
    for i in invoices:
        if i.open_minor > 0 and i.due_date < on:
            totals[i.currency] = totals.get(i.currency, 0) + i.open_minor
    return totals


@dataclass(frozen=True)
class Decision:
    """The cycle's verdict on one occurrence for one invoice."""

    invoice_id: int
    step_key: str
    number: int
    status: str


def decide_invoice(
    *,
    policy: Policy,
    invoice: InvoiceFacts,
    customer: CustomerFacts,
    on: date,
    decided: frozenset[tuple[str, int]],
    calendar: BusinessCalendar | None,
    minor_exponent: int,
) -> list[Decision]:
    """Which occurrences the cycle decides today for one invoice.

    Args: policy; invoice; customer; on: the cycle's date; decided: the
        (step_key, number) pairs already decided for this invoice on earlier
        runs; calendar: the customer's business calendar (None: weekdays);
        minor_exponent: the invoice currency's minor-unit exponent.
    Returns: decisions in policy order for the occurrences scheduled on or
        before ``on``, not yet decided, whose step applies to the customer.
        The most advanced one is "due" and the others "superseded"; every one
        ranking below an already decided occurrence is "superseded". Nothing
        for a paid (open_minor <= 0) or paused invoice or paused customer.
    """
    if invoice.open_minor <= 0 or invoice.paused or customer.paused:
        return []
    pending: list[Occurrence] = []
    applies: dict[str, bool] = {}
    for occurrence in _schedule(policy, invoice.due_date, calendar):
        if occurrence.on > on or (occurrence.step_key, occurrence.number) in decided:
            continue
        key = occurrence.step_key
        if key not in applies:
            applies[key] = policy.step(key).applies_to(customer, invoice.currency, minor_exponent)
        if applies[key]:
            pending.append(occurrence)
    if not pending:
        return []
    ranks = [policy.rank(k, n) for k, n in decided if policy.has_step(k)]
    highest_decided = max(ranks, default=(-1, -1))
    latest = max(pending, key=lambda o: policy.rank(o.step_key, o.number))
    return [
        Decision(
            invoice_id=invoice.id,
            step_key=o.step_key,
            number=o.number,
            status=(
                DecisionStatus.DUE
                if o is latest and policy.rank(o.step_key, o.number) > highest_decided
                else DecisionStatus.SUPERSEDED
            ),
        )
        for o in pending
    ]


def next_look(
    *,
    policy: Policy,
    invoice: InvoiceFacts,
    on: date,
    decided: frozenset[tuple[str, int]],
    calendar: BusinessCalendar | None,
    overdue_changes_on: date | None,
) -> date | None:
    """The first day after ``on`` on which ``decide_invoice`` could decide anything new for
    this invoice, if nothing but time changes (no payment, new invoice, pause, tag or policy
    change): the cycle need not look at the invoice before then.

    Args: policy; invoice; on: the day just decided; decided: the (step_key, number) pairs
        decided up to and including ``on``; calendar: the customer's business calendar;
        overdue_changes_on: the next day after ``on`` on which the customer's overdue total
        grows by time alone (another open invoice falls overdue), or None.
    Returns: that day, or None when nothing will ever fall due by time alone. Every
        occurrence on or before ``on`` that is still undecided did not apply on ``on``
        (``decide_invoice`` decides all that apply); only a larger overdue total (a
        ``min_overdue`` condition) can make it apply without a change the caller reports.
    """
    if invoice.open_minor <= 0:
        return None
    upcoming: date | None = None
    waiting = False
    for occurrence in _schedule(policy, invoice.due_date, calendar):
        if (occurrence.step_key, occurrence.number) in decided:
            continue
        if occurrence.on > on:
            upcoming = occurrence.on if upcoming is None else min(upcoming, occurrence.on)
        elif policy.step(occurrence.step_key).min_overdue > 0:
            waiting = True
    if waiting and overdue_changes_on is not None:
        upcoming = overdue_changes_on if upcoming is None else min(upcoming, overdue_changes_on)
    return upcoming


def overdue_changes_on(invoices: Iterable[InvoiceFacts], on: date) -> date | None:
    """The first day after ``on`` on which one of these open invoices falls overdue (the day
    after its due date), or None."""
    days = [i.due_date + timedelta(days=1) for i in invoices if i.open_minor > 0 and i.due_date >= on]
    return min(days, default=None)


@dataclass(frozen=True)
class MessagePlan:
    """One consolidated message to a customer on one channel."""

    channel: str
    step_key: str
    number: int
    invoice_ids: tuple[int, ...]
    due_invoice_ids: tuple[int, ...]


def plan_customer(
    *,
    policy: Policy,
    decisions: Sequence[Decision],
    invoices: Sequence[InvoiceFacts],
    on: date,
) -> list[MessagePlan]:
    """Fold one customer's decisions into one message per channel.

    Args: policy; decisions: this customer's decisions of the day (every
        invoice); invoices: every invoice of the customer; on: the cycle's date.
    Returns: one plan per channel of the most advanced "due" decision (latest
        step, then highest repeat), in that step's channel order; each lists
        the customer's open, unpaused invoices due on or before ``on`` plus
        those with a due decision (a pre-due note lists the upcoming invoice),
        sorted by due date then number. Empty when nothing is due.
    Raises: KeyError for a decision whose step is not in the policy.
    """
    due = [d for d in decisions if d.status == DecisionStatus.DUE]
    if not due:
        return []
    top = max(due, key=lambda d: policy.rank(d.step_key, d.number))
    due_ids = {d.invoice_id for d in due}
    listed = sorted(
        (
            i
            for i in invoices
            if i.open_minor > 0 and (i.id in due_ids or (i.due_date <= on and not i.paused))
        ),
        key=lambda i: (i.due_date, i.number, i.id),
    )
    invoice_ids = tuple(i.id for i in listed)
    due_invoice_ids = tuple(i.id for i in listed if i.id in due_ids)
    return [
        MessagePlan(channel, top.step_key, top.number, invoice_ids, due_invoice_ids)
        for channel in policy.step(top.step_key).channels
    ]
