"""What a day of the demo's history reads and writes: the organization, its people and the plan."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Callable
from zoneinfo import ZoneInfo

from recoup.audit.actions import Actor
from recoup.demo.ledger_moves import LedgerWriter
from recoup.demo.profiles import CustomerPlan, DemoPlan, Move
from recoup.demo.story import Story
from recoup.ledger.models import Customer
from recoup.orgs.models import Organization


@dataclass
class Demo:
    """What the day's work reads and writes: the organization, its people and the plan."""

    org: Organization
    plan: DemoPlan
    story: Story
    seed: int
    today: date
    now: datetime
    owner: Actor
    collector: Actor
    ledger: LedgerWriter
    profiles: dict[str, CustomerPlan]
    # invoice number -> the plan's later payments naming it (what the debtor will really do)
    payments: dict[str, list[Move]] = field(default_factory=dict)
    # day -> work the story scheduled at run time (instalments, payments after a dispute)
    agenda: dict[date, list[Callable[[datetime], None]]] = field(default_factory=lambda: defaultdict(list))
    day: date | None = None
    done: set[str] = field(default_factory=set)  # things that happen once (the first edited draft, ...)
    bank_balance_minor: int = 1_825_000

    @property
    def customers(self) -> dict[str, Customer]:
        return self.ledger.customers

    def at(self, hour: int, minute: int = 0, day: date | None = None) -> datetime:
        """A time of the day in the organization's zone; never after ``now``."""
        local = datetime.combine(day or self.day, time(hour, minute), tzinfo=ZoneInfo(self.org.timezone))
        return min(local, self.now)

    def rng(self, *key: object) -> random.Random:
        """A random source for one decision: the same seed and key always decide the same."""
        return random.Random(":".join(str(k) for k in (self.seed, *key)))

    def next_payment(self, number: str, after: date) -> Move | None:
        return next((m for m in self.payments.get(number, ()) if m.on > after), None)

    def busy(self, customer: Customer) -> bool:
        return customer.ref in self.story.busy

    def working_day(self) -> bool:
        return self.day.weekday() < 5
