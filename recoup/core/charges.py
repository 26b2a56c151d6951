"""How an invoice's payments split between its principal and its charges (late fees, interest).

An invoice owes its principal (the invoice total) and the charges added to it later, each
its own ledger row. Money that reduces the invoice (payments, credit notes, write-offs,
all *settlements* here) is not stored per component: this module says, from the dated
history, how much of each settlement went to the principal and to each charge, and so
what each still has open on any date.

- **Payments** follow the payment order in force (``order_in_force``): the parts of the
  debt in turn, each charge group oldest first. ``CHARGES_FIRST`` is costs (late fees and
  other charges), then interest, then principal, as BGB 367(1) and BW 6:44(1) put it;
  ``PRINCIPAL_FIRST`` is the principal, then costs, then interest.
- **Credit notes and write-offs** reduce the claim rather than pay it: they take the
  principal first, then the charges. To forgive a charge, waive it.
- **Waivers** reduce their own charge. A waiver larger than what its charge still has open
  on its date (a payment dated earlier was recorded after the waiver) reduces the rest of
  the debt with the excess, like a credit note.
- Events count in date order; on one day charges first, then waivers, then settlements in
  the order given. Money that finds nothing open on its date (a payment dated before a
  charge it was recorded to cover) is *ahead*: it settles the next charges as they arise.

The result keeps every cent: for each settlement, principal + charges + ahead = its amount;
principal open + charges open - ahead = total + charges - waivers - settlements; nothing is
ever negative. No Django, no clock.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from recoup.core.rules import Rule, by_topic

__all__ = [
    "ChargeError", "Part", "Order", "CHARGES_FIRST", "PRINCIPAL_FIRST", "part_of", "complete_order", "describe",
    "OrderInForce", "order_in_force", "ChargeIn", "SettlementKind", "SettlementIn", "SettlementSplit", "ChargeState", "Split", "split",
]


class ChargeError(ValueError):
    """Input the split cannot work with (a negative amount, a waiver before its charge, ...)."""


class Part(str, Enum):
    """The parts of a debt a payment can settle."""

    COSTS = "costs"  # late fees and other charges (fixed compensation, collection costs)
    INTEREST = "interest"
    PRINCIPAL = "principal"


Order = tuple[Part, ...]  # all three parts, the first settled first

CHARGES_FIRST: Order = (Part.COSTS, Part.INTEREST, Part.PRINCIPAL)
PRINCIPAL_FIRST: Order = (Part.PRINCIPAL, Part.COSTS, Part.INTEREST)
_SETTINGS: dict[str, Order] = {"charges_first": CHARGES_FIRST, "principal_first": PRINCIPAL_FIRST}
_LABELS = {CHARGES_FIRST: "costs, then interest, then principal",
           PRINCIPAL_FIRST: "principal, then costs, then interest"}


def part_of(kind: str) -> Part:
    """The part a ledger charge kind belongs to: interest is interest; late fees and other charges are costs."""
    if kind == "interest":
        return Part.INTEREST
    if kind in ("late_fee", "other"):
        return Part.COSTS
    raise ChargeError(f"kind: {kind!r} is not a charge kind (late_fee, interest, other)")


def complete_order(named: Iterable[str]) -> Order:
    """The full order from the parts a rule names. Parts it leaves out go first, in the
    charges-first order: where the law is silent, charges are settled before the principal.

    Raises: ChargeError for an unknown or repeated part.
    """
    try:
        parts = [Part(p) for p in named]
    except ValueError as exc:
        raise ChargeError(f"order: {exc}") from None
    if len(set(parts)) != len(parts):
        raise ChargeError("order: a part is named twice")
    return tuple([p for p in CHARGES_FIRST if p not in parts] + parts)


def describe(order: Order) -> str:
    """The order in words, e.g. "costs, then interest, then principal"."""
    return _LABELS.get(order) or ", then ".join(p.value for p in order)


@dataclass(frozen=True)
class OrderInForce:
    order: Order
    basis: str  # why: the setting, the rule (with its source), or the default

    @property
    def text(self) -> str:
        return f"{describe(self.order)} ({self.basis})"


def order_in_force(setting: str, rules: Mapping[str, Rule] | None) -> OrderInForce:
    """The payment order for one invoice.

    Args:
        setting: the organization's ``payment_order``: "principal_first", "charges_first",
            or "" (as the law says).
        rules: the rules in force for the invoice's jurisdiction and debt kind, or None when
            no jurisdiction is known.
    Returns: the order and why: with "", the first ``payment_appropriation`` rule in force
        (completed by ``complete_order``), else charges first.
    Raises: ChargeError for an unknown setting.
    """
    if setting:
        if setting not in _SETTINGS:
            raise ChargeError(f"payment_order: {setting!r} is not one of {', '.join(['', *_SETTINGS])}")
        return OrderInForce(_SETTINGS[setting], f"organization setting {setting.replace('_', ' ')}")
    for rule in by_topic(rules or {}, "payment_appropriation")[:1]:
        where = rule.source.section or rule.source.title
        return OrderInForce(complete_order(rule.parameters.order), f"{rule.id}, {where}")
    return OrderInForce(CHARGES_FIRST, "no rule in force fixes one: charges first")


# --- the split ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChargeIn:
    """One charge: ``key`` is its ledger id; ``waivers`` (date, minor units) reduce it."""

    key: Hashable
    kind: str
    on: date
    amount_minor: int
    waivers: tuple[tuple[date, int], ...] = ()


class SettlementKind(str, Enum):
    PAYMENT = "payment"
    CREDIT = "credit"
    WRITE_OFF = "write_off"


@dataclass(frozen=True)
class SettlementIn:
    """One allocation of a payment or credit note, or one write-off; ``key`` identifies it."""

    key: Hashable
    kind: SettlementKind
    on: date
    amount_minor: int


@dataclass(frozen=True)
class SettlementSplit:
    """Where one settlement went. ``charges``: (charge key, minor units) in the order taken;
    ``ahead_minor``: the part that found nothing open yet (it waits for a later charge)."""

    key: Hashable
    kind: SettlementKind
    on: date
    amount_minor: int
    principal_minor: int
    charges: tuple[tuple[Hashable, int], ...]
    ahead_minor: int

    @property
    def charges_minor(self) -> int:
        return sum(minor for _, minor in self.charges)

    def to_charge(self, key: Hashable) -> int:
        return sum(minor for k, minor in self.charges if k == key)


@dataclass(frozen=True)
class ChargeState:
    """One charge as of the split's date: what settled it, what was waived, what is open."""

    key: Hashable
    kind: str
    on: date
    amount_minor: int
    settled_minor: int
    waived_minor: int

    @property
    def open_minor(self) -> int:
        return self.amount_minor - self.settled_minor - self.waived_minor

    @property
    def part(self) -> Part:
        return part_of(self.kind)


@dataclass(frozen=True)
class Split:
    """An invoice split into its principal and charges as of ``as_of`` (None: everything)."""

    order: Order
    as_of: date | None
    principal_minor: int
    principal_settled_minor: int
    charges: tuple[ChargeState, ...]
    settlements: tuple[SettlementSplit, ...]
    ahead_minor: int
    # (date, minor units) each time the principal fell, for interest on the principal only.
    principal_reductions: tuple[tuple[date, int], ...] = field(default=())

    @property
    def principal_open_minor(self) -> int:
        return self.principal_minor - self.principal_settled_minor

    @property
    def charges_open_minor(self) -> int:
        return sum(c.open_minor for c in self.charges)

    @property
    def open_minor(self) -> int:
        """What the invoice has open: the formula's balance (negative only when money is ahead)."""
        return self.principal_open_minor + self.charges_open_minor - self.ahead_minor

    @property
    def open_charges(self) -> tuple[ChargeState, ...]:
        return tuple(c for c in self.charges if c.open_minor > 0)

    def charge(self, key: Hashable) -> ChargeState:
        for c in self.charges:
            if c.key == key:
                return c
        raise KeyError(key)


@dataclass
class _Open:
    key: Hashable
    kind: str
    on: date
    amount: int
    settled: int = 0
    waived: int = 0

    @property
    def open(self) -> int:
        return self.amount - self.settled - self.waived


def _positive(value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ChargeError(f"{what}: must be a whole number of minor units above 0, not {value!r}")


def split(*, principal_minor: int, charges: Sequence[ChargeIn], settlements: Sequence[SettlementIn], order: Order,
          as_of: date | None = None) -> Split:
    """Split an invoice's settlements between its principal and its charges.

    Args:
        principal_minor: the invoice total (>= 0).
        charges: its charges with their waivers, any order.
        settlements: its allocations and write-offs; same-day ones count in the order given.
        order: the payment order (``order_in_force``), all three parts.
        as_of: count only what is dated on or before it; None counts everything.
    Returns: the Split.
    Raises: ChargeError for impossible input.
    """
    if isinstance(principal_minor, bool) or not isinstance(principal_minor, int) or principal_minor < 0:
        raise ChargeError("principal_minor: must be a whole number of minor units, 0 or more")
    if sorted(order) != sorted(Part):
        raise ChargeError(f"order: must name costs, interest and principal once each, not {order!r}")
    keys = [c.key for c in charges]
    if len(set(keys)) != len(keys):
        raise ChargeError("charges: a key is used twice")
    # (date, rank, sequence, what): charges, then waivers, then settlements on one day.
    events: list[tuple[date, int, int, object]] = []
    for i, c in enumerate(charges):
        _positive(c.amount_minor, f"charge {c.key!r} amount_minor")
        part_of(c.kind)
        events.append((c.on, 0, i, c))
        for on, minor in c.waivers:
            _positive(minor, f"waiver of charge {c.key!r}")
            if on < c.on:
                raise ChargeError(f"waiver of charge {c.key!r}: dated {on}, before the charge ({c.on})")
            events.append((on, 1, i, (c.key, minor)))
    for i, s in enumerate(settlements):
        _positive(s.amount_minor, f"settlement {s.key!r} amount_minor")
        events.append((s.on, 2, i, s))
    events.sort(key=lambda e: e[:3])

    principal = _Open(key=None, kind="principal", on=date.min, amount=principal_minor)
    opened: dict[Hashable, _Open] = {}
    ahead: list[list] = []  # [index into results or None, minor] still waiting, oldest first
    results: list[dict] = []
    reductions: list[tuple[date, int]] = []
    claim_order = (Part.PRINCIPAL, *[p for p in order if p is not Part.PRINCIPAL])

    def take(amount: int, parts: Order, on: date, into: dict | None) -> int:
        """Settle up to ``amount`` in ``parts`` order; returns what is left."""
        for part in parts:
            targets = [principal] if part is Part.PRINCIPAL else \
                [c for c in opened.values() if part_of(c.kind) is part]
            for target in targets:
                now = min(amount, target.open)
                if now <= 0:
                    continue
                target.settled += now
                amount -= now
                if target is principal:
                    reductions.append((on, now))
                    if into is not None:
                        into["principal"] += now
                elif into is not None:
                    into["charges"].append((target.key, now))
                if amount == 0:
                    return 0
        return amount

    for on, _, _, what in events:
        if as_of is not None and on > as_of:
            break
        if isinstance(what, ChargeIn):
            new = opened[what.key] = _Open(key=what.key, kind=what.kind, on=what.on, amount=what.amount_minor)
            while ahead and new.open > 0:  # money received ahead settles the new charge
                entry = ahead[0]
                now = min(entry[1], new.open)
                new.settled += now
                entry[1] -= now
                if entry[0] is not None:
                    results[entry[0]]["charges"].append((new.key, now))
                if entry[1] == 0:
                    ahead.pop(0)
        elif isinstance(what, SettlementIn):
            result = {"settlement": what, "principal": 0, "charges": []}
            results.append(result)
            parts = order if what.kind is SettlementKind.PAYMENT else claim_order
            left = take(what.amount_minor, parts, on, result)
            if left:
                ahead.append([len(results) - 1, left])
        else:
            key, minor = what
            target = opened[key]
            now = min(minor, target.open)
            target.waived += now
            left = take(minor - now, claim_order, on, None)
            if left:
                ahead.append([None, left])

    waiting = {entry[0]: entry[1] for entry in ahead if entry[0] is not None}
    settled = tuple(
        SettlementSplit(key=r["settlement"].key, kind=r["settlement"].kind, on=r["settlement"].on,
                        amount_minor=r["settlement"].amount_minor, principal_minor=r["principal"],
                        charges=tuple(_merged(r["charges"])), ahead_minor=waiting.get(i, 0))
        for i, r in enumerate(results)
    )
    states = tuple(ChargeState(key=c.key, kind=c.kind, on=c.on, amount_minor=c.amount, settled_minor=c.settled,
                               waived_minor=c.waived) for c in opened.values())
    return Split(order=order, as_of=as_of, principal_minor=principal_minor,
                 principal_settled_minor=principal.settled, charges=states, settlements=settled,
                 ahead_minor=sum(entry[1] for entry in ahead), principal_reductions=tuple(_by_day(reductions)))


def _merged(parts: list[tuple[Hashable, int]]) -> list[tuple[Hashable, int]]:
    out: dict[Hashable, int] = {}
    for key, minor in parts:
        out[key] = out.get(key, 0) + minor
    return list(out.items())


def _by_day(reductions: list[tuple[date, int]]) -> list[tuple[date, int]]:
    out: dict[date, int] = {}
    for on, minor in reductions:
        out[on] = out.get(on, 0) + minor
    return sorted(out.items())
