"""Legal rules and rate series as dated data, validated on load.

The rules live in ``recoup/rules/<jurisdiction>.yaml`` (one file per
jurisdiction: US, US-CA, GB, EU, DE, FR, NL) and the reference rates in
``recoup/rules/rates.yaml``. Every rule has a stable id, a kind (gate,
warning, calculation, deadline, disclosure), what it applies to (consumer,
business or both debts), a topic that fixes the type of its parameters, the
dates it is in force and a source. A file with a typo is refused with the
file and the field path, e.g. ``recoup/rules/gb.yaml: rules[3].parameters.points:
Input should be a valid number``.

Inheritance: a file may name a parent (US-CA inherits US; DE, FR and NL
inherit EU). The rules in force for a jurisdiction are its parent's, less
those a child rule ``replaces``, plus its own.

Rates are step series: a point holds from its date until the next point. A
series is *known* from its first point to ``confirmed_until`` (the last day
somebody checked it; a later point confirms the days up to it). Outside that
span ``RateBook.rate_on`` raises ``RateMissing``: Recoup never guesses a rate.

No Django here; reading the shipped files is the only I/O, done once.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
JURISDICTIONS = ("US", "US-CA", "GB", "EU", "DE", "FR", "NL")
EU_MEMBERS = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
KINDS = ("gate", "warning", "calculation", "deadline", "disclosure")
DEBT_KINDS = ("consumer", "business")


class RuleFileError(ValueError):
    """A rule or rate file is invalid; the message names the file and each field path."""


class RateMissing(LookupError):
    """No rate of a series is known for a day; the message says how to add it."""

    def __init__(self, series: str, day: date, label: str | None = None) -> None:
        self.series, self.day, self.label = series, day, label or f"{series!r} rate"
        # Read in the audit trail by people on the web as well as on the command line: both ways to add it.
        super().__init__(f"no {self.label} known for {day.isoformat()}; add it under Rules → Add a rate, "
                         f"or with `recoup rates add {series} {day.isoformat()} VALUE`")


# --- YAML: floats as exact Decimals, dates and "21:00" left as text for pydantic to check ---

class _Loader(yaml.SafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _digit in "0123456789":
    # YAML 1.1 reads 21:00 as the base-60 integer 1260; a clock time stays text here.
    _Loader.yaml_implicit_resolvers.setdefault(_digit, []).insert(
        0, ("tag:yaml.org,2002:str", re.compile(r"^[0-9]{1,2}:[0-9]{2}$")))


def _decimal_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node).replace("_", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        return loader.construct_yaml_float(node)


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal_float)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{_shown(path)}: not valid YAML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise RuleFileError(f"{_shown(path)}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise RuleFileError(f"{_shown(path)}: cannot be read: {exc.strerror}") from None


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(RULES_DIR.parent.parent))
    except ValueError:
        return str(path)


def _loc(loc: Iterable[Any]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _errors(path: Path, exc: ValidationError, prefix: tuple[Any, ...] = ()) -> list[str]:
    return [f"{_shown(path)}: {_loc(prefix + tuple(e['loc'])) or '(file)'}: {e['msg']}" for e in exc.errors()]


# --- parameters, one model per topic --------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Percent = Annotated[Decimal, Field(ge=-100, le=100, max_digits=8, decimal_places=4)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Clock = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-4]):[0-5][0-9]$")]


class ContactWindow(_Strict):
    """Contact only between ``start`` and ``end`` in the debtor's local time."""

    start: Clock
    end: Clock
    working_days_only: bool = False
    public_holidays_off: bool = False

    @property
    def start_time(self) -> time:
        return time.fromisoformat(self.start)

    @property
    def end_time(self) -> time:
        return time(23, 59, 59) if self.end == "24:00" else time.fromisoformat(self.end)

    @model_validator(mode="after")
    def _ordered(self) -> ContactWindow:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class CallFrequency(_Strict):
    max_attempts: int = Field(ge=1, le=100)
    within_days: int = Field(ge=1, le=365)
    quiet_days_after_conversation: int = Field(ge=0, le=365)


class MessageCap(_Strict):
    max_messages: int = Field(ge=1, le=100)
    within_days: int = Field(ge=1, le=365)


class TimeBarred(_Strict):
    """After the limitation date: the step actions and message contents that are forbidden."""

    forbidden_actions: list[str] = Field(min_length=1)
    forbid_legal_threats: bool = True


class BreathingSpace(_Strict):
    standard_days: int = Field(ge=1, le=365)
    no_contact: bool = True
    no_interest_or_charges: bool = True
    no_enforcement: bool = True


class ConsumerCharges(_Strict):
    """Which charge topics never land on a consumer debt."""

    forbidden_topics: list[Literal["statutory_interest", "compensation", "collection_costs"]] = Field(min_length=1)


class ChargesNeedBasis(_Strict):
    """A fee or interest only when the agreed terms or a statute allow it."""

    allowed_bases: list[Literal["agreed_terms", "statute"]] = Field(min_length=1)


class MessageIdentity(_Strict):
    channels: list[Literal["email", "sms", "letter"]] = Field(min_length=1)
    requires: list[Literal["opt_out", "business_name"]] = Field(min_length=1)


class StatutoryInterest(_Strict):
    """Reference rate + points. ``fixed_previous_half_year_end``: the rate in force on 31 Dec / 30 Jun
    before the day interest starts, fixed for the debt's life; ``half_year_start``: the rate in force
    on 1 Jan / 1 Jul of each half-year, floating."""

    series: str
    points: Percent
    reference: Literal["fixed_previous_half_year_end", "half_year_start"]


class LegalInterest(_Strict):
    """A fixed yearly rate, unless the contract sets one (``contract_rate_first``)."""

    percent: Percent
    contract_rate_first: bool = True


class Band(_Strict):
    from_amount: Amount
    amount: Amount


class Compensation(_Strict):
    currency: Currency
    bands: list[Band] = Field(min_length=1)

    @model_validator(mode="after")
    def _ascending(self) -> Compensation:
        starts = [b.from_amount for b in self.bands]
        if starts[0] != 0 or starts != sorted(set(starts)):
            raise ValueError("bands must start at from_amount 0 and rise")
        return self


class Bracket(_Strict):
    up_to: Amount | None  # None: everything above the previous bracket
    percent: Percent


class CollectionCosts(_Strict):
    currency: Currency
    brackets: list[Bracket] = Field(min_length=1)
    minimum: Amount
    maximum: Amount
    letter_days: int = Field(ge=0, le=90)


class Limitation(_Strict):
    years: int = Field(ge=1, le=30)
    bases: list[Literal["written", "oral", "open_book", "sale", "services", "any"]] = Field(min_length=1)
    starts: Literal["due_date", "end_of_year"]
    restarted_by: list[Literal["part_payment", "written_acknowledgment", "written_demand"]] = []


class LimitationWarning(_Strict):
    days_before: list[int] = Field(min_length=1)


class DisclosureText(_Strict):
    when: Literal["time_barred", "always"]
    channels: list[Literal["email", "sms", "letter"]] = Field(min_length=1)
    texts: dict[str, str] = Field(min_length=1)


class PaymentAppropriation(_Strict):
    """The order in which a payment short of the whole debt settles its parts, where the law fixes one.

    ``order`` names the parts the law ranks, first settled first; parts it leaves out go before
    them (``recoup.core.charges.complete_order``)."""

    order: list[Literal["costs", "interest", "principal"]] = Field(min_length=2)

    @model_validator(mode="after")
    def _once_each(self) -> PaymentAppropriation:
        if len(set(self.order)) != len(self.order):
            raise ValueError("order names a part twice")
        if "principal" not in self.order:
            raise ValueError("order must place the principal")
        return self


TOPICS: dict[str, tuple[str, type[_Strict]]] = {
    "contact_window": ("gate", ContactWindow),
    "call_frequency": ("gate", CallFrequency),
    "message_cap": ("gate", MessageCap),
    "time_barred": ("gate", TimeBarred),
    "breathing_space": ("gate", BreathingSpace),
    "consumer_charges": ("gate", ConsumerCharges),
    "charges_need_basis": ("gate", ChargesNeedBasis),
    "message_identity": ("disclosure", MessageIdentity),
    "statutory_interest": ("calculation", StatutoryInterest),
    "legal_interest": ("calculation", LegalInterest),
    "compensation": ("calculation", Compensation),
    "collection_costs": ("calculation", CollectionCosts),
    "payment_appropriation": ("calculation", PaymentAppropriation),
    "limitation": ("deadline", Limitation),
    "limitation_warning": ("warning", LimitationWarning),
    "disclosure_text": ("disclosure", DisclosureText),
}


# --- rules and rule files --------------------------------------------------------------------

class Source(_Strict):
    title: str = Field(min_length=3)
    url: str | None = Field(default=None, pattern=r"^https://")
    section: str | None = None


class Rule(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?(\.[a-z0-9]+(-[a-z0-9]+)*)+$")]
    kind: Literal["gate", "warning", "calculation", "deadline", "disclosure"]
    topic: str
    applies_to: Literal["consumer", "business", "both"]
    title: str = Field(min_length=3)
    effective_from: date
    effective_to: date | None = None  # last day in force; None: still in force
    replaces: list[str] = []
    source: Source
    parameters: Any = None
    note: str = ""

    @property
    def jurisdiction(self) -> str:
        return self.id.split(".", 1)[0]

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def applies(self, debt_kind: str) -> bool:
        return self.applies_to in ("both", debt_kind)

    def as_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude={"parameters"})
        data["parameters"] = self.parameters.model_dump(mode="json") if self.parameters else {}
        return data


class _RawRule(Rule):
    parameters: dict[str, Any] = {}

    @model_validator(mode="after")
    def _dates(self) -> _RawRule:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self


class _RawFile(_Strict):
    jurisdiction: str
    name: str
    inherits: str | None = None
    rules: list[_RawRule]


@dataclass(frozen=True)
class RuleFile:
    jurisdiction: str
    name: str
    inherits: str | None
    rules: tuple[Rule, ...]
    path: str


def load_rule_file(path: Path) -> RuleFile:
    """Read and validate one jurisdiction's file.

    Raises: RuleFileError listing every problem as ``file: field.path: message``.
    """
    data = _read_yaml(path)
    try:
        raw = _RawFile.model_validate(data)
    except ValidationError as exc:
        raise RuleFileError("\n".join(_errors(path, exc))) from None
    problems: list[str] = []
    rules: list[Rule] = []
    for i, r in enumerate(raw.rules):
        where = f"{_shown(path)}: rules[{i}]"
        if r.topic not in TOPICS:
            problems.append(f"{where}.topic: unknown topic {r.topic!r} (known: {', '.join(sorted(TOPICS))})")
            continue
        kind, model = TOPICS[r.topic]
        if r.kind != kind:
            problems.append(f"{where}.kind: topic {r.topic!r} is a {kind}, not a {r.kind}")
        if r.jurisdiction != raw.jurisdiction:
            problems.append(f"{where}.id: {r.id!r} must start with {raw.jurisdiction + '.'!r}")
        try:
            params = model.model_validate(r.parameters)
        except ValidationError as exc:
            problems += _errors(path, exc, ("rules", i, "parameters"))
            continue
        rules.append(Rule(**{**r.model_dump(exclude={"parameters"}), "parameters": params}))
    problems += _overlaps(path, rules)
    if problems:
        raise RuleFileError("\n".join(problems))
    return RuleFile(jurisdiction=raw.jurisdiction, name=raw.name, inherits=raw.inherits, rules=tuple(rules),
                    path=_shown(path))


def _overlaps(path: Path, rules: list[Rule]) -> list[str]:
    """Versions of one rule id must not be in force on the same day."""
    problems = []
    by_id: dict[str, list[Rule]] = {}
    for r in rules:
        by_id.setdefault(r.id, []).append(r)
    for rid, versions in by_id.items():
        versions.sort(key=lambda r: r.effective_from)
        for a, b in zip(versions, versions[1:]):
            if a.effective_to is None or a.effective_to >= b.effective_from:
                problems.append(f"{_shown(path)}: {rid}: versions from {a.effective_from} and "
                                f"{b.effective_from} overlap (give the first an effective_to)")
    return problems


@dataclass(frozen=True)
class RuleSet:
    """All jurisdictions' files, checked together (parents exist, replaced ids exist)."""

    files: Mapping[str, RuleFile]

    def chain(self, jurisdiction: str) -> list[RuleFile]:
        """The file and its ancestors, root first."""
        if jurisdiction not in self.files:
            raise KeyError(f"no rules for jurisdiction {jurisdiction!r} (known: {', '.join(sorted(self.files))})")
        chain, seen = [], set()
        code: str | None = jurisdiction
        while code is not None:
            if code in seen:
                raise RuleFileError(f"{self.files[code].path}: inherits in a circle")
            seen.add(code)
            chain.append(self.files[code])
            code = self.files[code].inherits
        return chain[::-1]


def load_rule_set(directory: Path = RULES_DIR) -> RuleSet:
    """Every ``*.yaml`` file of ``directory`` except ``rates.yaml``.

    Raises: RuleFileError naming the file and field of every problem.
    """
    files: dict[str, RuleFile] = {}
    problems: list[str] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "rates.yaml":
            continue
        try:
            f = load_rule_file(path)
        except RuleFileError as exc:
            problems.append(str(exc))
            continue
        if f.jurisdiction in files:
            problems.append(f"{f.path}: jurisdiction {f.jurisdiction} is also in {files[f.jurisdiction].path}")
        files[f.jurisdiction] = f
    all_ids = {r.id for f in files.values() for r in f.rules}
    for f in files.values():
        if f.inherits is not None and f.inherits not in files:
            problems.append(f"{f.path}: inherits: no file for jurisdiction {f.inherits!r}")
        for i, r in enumerate(f.rules):
            for j, gone in enumerate(r.replaces):
                if gone not in all_ids:
                    problems.append(f"{f.path}: rules[{i}].replaces[{j}]: no rule {gone!r}")
    if problems:
        raise RuleFileError("\n".join(problems))
    return RuleSet(files=files)


@lru_cache(maxsize=1)
def shipped_rules() -> RuleSet:
    """The rule files shipped in ``recoup/rules`` (read once per process)."""
    return load_rule_set(RULES_DIR)


def rules_in_force(jurisdiction: str, on: date, debt_kind: str, *, ruleset: RuleSet | None = None) -> dict[str, Rule]:
    """The rules in force on ``on`` for a ``debt_kind`` ("consumer" or "business") debt, by id.

    Parents' rules come first; a child rule in force removes the rules it ``replaces``.
    Raises: KeyError for an unknown jurisdiction; ValueError for an unknown debt kind.
    """
    if debt_kind not in DEBT_KINDS:
        raise ValueError(f"debt kind must be consumer or business, not {debt_kind!r}")
    found: dict[str, Rule] = {}
    for f in (ruleset or shipped_rules()).chain(jurisdiction):
        for r in f.rules:
            if r.in_force(on):
                for gone in r.replaces:
                    found.pop(gone, None)
        for r in f.rules:
            if r.in_force(on) and r.applies(debt_kind):
                found[r.id] = r
    return found


def by_topic(rules: Mapping[str, Rule], topic: str) -> list[Rule]:
    """The rules of one topic, in the order found (parents first)."""
    return [r for r in rules.values() if r.topic == topic]


def jurisdiction_for(country: str | None, region: str | None = None) -> str | None:
    """The rule jurisdiction of a customer or organization: US-CA, US, GB, DE, FR, NL, EU, or None.

    Country is ISO 3166-1 (case-insensitive); region the ISO 3166-2 subdivision
    ("CA" or "US-CA"). A US state without its own file gets the federal rules;
    another EU member gets the EU default; anything else None (no rules known).
    UK rules are those of England and Wales (GB/UK, any region).
    """
    c = (country or "").strip().upper()
    r = (region or "").strip().upper().removeprefix(f"{c}-")
    if c == "UK":
        c = "GB"
    if c == "US":
        return f"US-{r}" if f"US-{r}" in JURISDICTIONS else "US"
    if c in JURISDICTIONS:
        return c
    if c in EU_MEMBERS:
        return "EU"
    return None


# --- rate series -----------------------------------------------------------------------------

class _RawSeries(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    label: str
    confirmed_until: date
    source: Source
    points: dict[date, Percent] = Field(min_length=1)


class _RawRates(_Strict):
    series: list[_RawSeries] = Field(min_length=1)


@dataclass(frozen=True)
class RateSeries:
    id: str
    label: str
    confirmed_until: date
    points: tuple[tuple[date, Decimal], ...]  # sorted by date
    source_title: str = ""
    source_url: str | None = None
    added: frozenset[date] = field(default_factory=frozenset)  # dates that came from the database

    def rate_on(self, day: date) -> Decimal:
        """The rate in force on ``day``. Raises: RateMissing outside the known span."""
        dates = [d for d, _ in self.points]
        i = bisect_right(dates, day)
        if i == 0 or day > max(self.confirmed_until, dates[-1]):
            raise RateMissing(self.id, day, self.label)
        return self.points[i - 1][1]

    @property
    def known_until(self) -> date:
        """The last day a rate of this series is known for (``rate_on`` raises RateMissing after it)."""
        return max(self.confirmed_until, self.points[-1][0])

    def with_points(self, extra: Mapping[date, Decimal]) -> RateSeries:
        merged = dict(self.points) | dict(extra)
        last_added = max(extra, default=self.confirmed_until)
        return RateSeries(id=self.id, label=self.label, confirmed_until=max(self.confirmed_until, last_added),
                          points=tuple(sorted(merged.items())), source_title=self.source_title,
                          source_url=self.source_url, added=self.added | frozenset(extra))


@dataclass(frozen=True)
class RateBook:
    """The rate series Recoup knows: the shipped ones, plus points added in the database."""

    series: Mapping[str, RateSeries]

    def rate_on(self, series: str, day: date) -> Decimal:
        if series not in self.series:
            raise RateMissing(series, day)
        return self.series[series].rate_on(day)

    def ended_before(self, today: date) -> tuple[RateSeries, ...]:
        """The series known only up to a day before ``today``, oldest end first: nobody has added the
        rates in force since, and nothing computed from them for later days can be charged."""
        return tuple(sorted((s for s in self.series.values() if s.known_until < today),
                            key=lambda s: (s.known_until, s.label)))

    def with_points(self, points: Iterable[tuple[str, date, Decimal]]) -> RateBook:
        """A new book with extra (series, date, percent) points; an added point wins over a shipped one."""
        extra: dict[str, dict[date, Decimal]] = {}
        for sid, day, value in points:
            if sid not in self.series:
                raise KeyError(f"unknown rate series {sid!r} (known: {', '.join(sorted(self.series))})")
            extra.setdefault(sid, {})[day] = value
        return RateBook({sid: (s.with_points(extra[sid]) if sid in extra else s) for sid, s in self.series.items()})


def load_rate_book(path: Path) -> RateBook:
    """Read and validate a rates file. Raises: RuleFileError naming file and field."""
    data = _read_yaml(path)
    try:
        raw = _RawRates.model_validate(data)
    except ValidationError as exc:
        raise RuleFileError("\n".join(_errors(path, exc))) from None
    return RateBook({s.id: RateSeries(id=s.id, label=s.label, confirmed_until=s.confirmed_until,
                                      points=tuple(sorted(s.points.items())), source_title=s.source.title,
                                      source_url=s.source.url) for s in raw.series})


@lru_cache(maxsize=1)
def shipped_rates() -> RateBook:
    """The rate series shipped in ``recoup/rules/rates.yaml``."""
    return load_rate_book(RULES_DIR / "rates.yaml")
