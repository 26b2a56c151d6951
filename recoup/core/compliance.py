"""The one compliance gate: may Recoup contact this debtor, this way, now?

``decide_contact(attempt, facts, rules, now)`` answers ``allow``, ``defer`` (with
``until``, an aware datetime) or ``block``, with the id of the rule that decided and
one plain sentence for the operator. Every contact attempt passes it: the cycle's
messages, manual e-mails, SMS, letters and call tasks, and again at delivery.

The gates, in the order they are asked (the first that says no answers):

1. restrictions on the debtor: deceased, insolvency, represented by an attorney,
   a cease-contact request (then only a ``cease-notice`` letter), UK Breathing Space
   (deferred to the day after it ends);
2. only the debtor's own contact points (no third parties) and no employer e-mail
   without the debtor's consent;
3. opt-outs per channel and address;
4. an open dispute on an invoice concerned (no collection on it until resolved);
5. holds on automation (payment plan in good standing, promise not yet due, placed
   with an agency): automatic attempts only;
6. time-barred debts: no step that threatens or prepares legal action;
7. deferrals, checked together until one instant passes them all: call frequency
   (max attempts in N days per debt, quiet days after a conversation), the message cap
   per customer, and the contact window in the debtor's local time (working days and
   public holidays for businesses). An unknown time zone means the window that is open
   in every zone of the debtor's country at once. Automated e-mails and SMS (the cycle's
   reminders and notices, an arrangement's notices) keep to the organization's send window
   too (``DebtorFacts.send_window``, rule ``house.send-window``): they go only when both
   windows are open. An operator's own message and a call task (a person decides when to
   dial) keep to the legal window only; letters have no clock. Clock changes are exact
   (``recoup.core.windows``): a start inside a skipped hour opens at the jump, and the
   repeated hour of an autumn change counts once.

No Django, no clock: ``now`` is passed in. The rules come from ``recoup.core.rules``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from recoup.core.calendar import BusinessCalendar
from recoup.core.rules import Rule, by_topic
from recoup.core.windows import EVERY_DAY, WORKING_DAYS, Hours, describe_days, next_open, open_at

ALLOW, DEFER, BLOCK = "allow", "defer", "block"
CHANNELS = ("email", "sms", "letter", "call")
PURPOSES = ("reminder", "final-notice", "legal-threat", "manual", "call", "notice", "cease-notice")
# Purposes that are collection by automation (holds stop them); "manual" is the operator's own
# contact, "notice" a message about an arrangement the debtor asked for (a plan's instalments).
AUTOMATED = ("reminder", "final-notice", "legal-threat", "call")
# Channels whose time of arrival matters: a letter arrives with the post.
TIMED_CHANNELS = ("email", "sms", "call")
CAPPED_CHANNELS = ("email", "sms", "letter")
# What the organization's send window holds back: messages the system sends by itself, on channels
# that arrive when sent. Manual messages and call tasks (an operator chooses the moment) do not.
SEND_WINDOW_PURPOSES = ("reminder", "final-notice", "legal-threat", "notice")
SEND_WINDOW_CHANNELS = ("email", "sms")
SEND_WINDOW_RULE = "house.send-window"
RESTRICTION_KINDS = ("deceased", "insolvency", "attorney", "cease_contact", "breathing_space")
# Zones of each country the rules know, for a debtor whose own zone is unknown (mainland zones;
# a region code narrows the US to one state's zones where listed).
COUNTRY_ZONES: dict[str, tuple[str, ...]] = {
    "US": ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
           "America/Anchorage", "Pacific/Honolulu"),
    "GB": ("Europe/London",), "UK": ("Europe/London",), "DE": ("Europe/Berlin",), "FR": ("Europe/Paris",),
    "NL": ("Europe/Amsterdam",), "IE": ("Europe/Dublin",), "ES": ("Europe/Madrid", "Atlantic/Canary"),
    "IT": ("Europe/Rome",), "BE": ("Europe/Brussels",), "AT": ("Europe/Vienna",), "PT": ("Europe/Lisbon",
                                                                                            "Atlantic/Azores"),
    "LU": ("Europe/Luxembourg",), "DK": ("Europe/Copenhagen",), "SE": ("Europe/Stockholm",),
    "FI": ("Europe/Helsinki",), "PL": ("Europe/Warsaw",), "CZ": ("Europe/Prague",), "GR": ("Europe/Athens",),
}
US_STATE_ZONES: dict[str, tuple[str, ...]] = {
    "CA": ("America/Los_Angeles",), "WA": ("America/Los_Angeles",), "NV": ("America/Los_Angeles",),
    "NY": ("America/New_York",), "NJ": ("America/New_York",), "MA": ("America/New_York",),
    "PA": ("America/New_York",), "GA": ("America/New_York",), "VA": ("America/New_York",),
    "IL": ("America/Chicago",), "TX": ("America/Chicago", "America/Denver"), "AZ": ("America/Phoenix",),
    "CO": ("America/Denver",), "FL": ("America/New_York", "America/Chicago"), "HI": ("Pacific/Honolulu",),
    "AK": ("America/Anchorage", "America/Adak"),
}
# Where neither the debtor's zone nor a country in the table is known, the organization's zone
# stands in (the caller passes it as ``fallback_timezone``).
SEARCH_DAYS = 21


@dataclass(frozen=True)
class GateAnswer:
    verdict: str  # "allow", "defer" or "block"
    rule_id: str | None = None
    sentence: str | None = None
    until: datetime | None = None  # for "defer": the first instant the attempt may be made
    gate: str = ""  # which gate answered: a rule topic ("contact_window", ...) or a house gate ("hold", ...)

    @property
    def allowed(self) -> bool:
        return self.verdict == ALLOW

    @property
    def reason(self) -> str | None:
        """The sentence with the rule id, as shown in the cycle's JSON and the timeline."""
        if self.sentence is None:
            return self.rule_id  # a bare answer made by hand (tests): its only text
        return f"{self.sentence} [{self.rule_id}]" if self.rule_id else self.sentence

    def as_json(self) -> dict:
        return {"verdict": self.verdict, "rule_id": self.rule_id, "reason": self.sentence, "gate": self.gate,
                "until": self.until.isoformat() if self.until else None}


ALLOWED = GateAnswer(ALLOW)


@dataclass(frozen=True)
class Attempt:
    """One contact attempt: how, why, about what kind of debt, to which address."""

    channel: str
    purpose: str
    debt_kind: str  # "consumer" or "business"
    address: str = ""
    step_actions: tuple[str, ...] = ()  # the step's action words (``letter_before_action``, ...)

    @property
    def automated(self) -> bool:
        return self.purpose in AUTOMATED


@dataclass(frozen=True)
class Restriction:
    kind: str  # one of RESTRICTION_KINDS
    starts_on: date
    ends_on: date | None = None  # last day; None: until lifted

    def in_force(self, on: date) -> bool:
        return self.starts_on <= on and (self.ends_on is None or on <= self.ends_on)


@dataclass(frozen=True)
class SendWindow:
    """The organization's window for automated messages, in the debtor's local time: from
    ``start`` until before ``end`` on ``weekdays`` (ISO digits, "12345" = Monday to Friday)."""

    start: time = time(9)
    end: time = time(12)
    weekdays: str = "12345"

    def __post_init__(self) -> None:
        if not isinstance(self.start, time) or not isinstance(self.end, time):
            raise ValueError("send_window_start/send_window_end: give times of day, e.g. 09:00 and 12:00")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("send_window_start: the send window is in the debtor's local time (no zone)")
        if self.start >= self.end:
            raise ValueError(f"send_window_end: the send window must end after it starts ({self.start:%H:%M})")
        if not self.weekdays or any(d not in "1234567" for d in self.weekdays) \
                or len(set(self.weekdays)) != len(self.weekdays):
            raise ValueError(f"send_window_weekdays: {self.weekdays!r}: digits 1 (Monday) to 7 (Sunday), each once")

    @property
    def days(self) -> frozenset[int]:
        return frozenset(int(d) for d in self.weekdays)

    def describe(self) -> str:
        """In words, e.g. "Mon-Fri 09:00-12:00"."""
        return f"{describe_days(self.days)} {self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class DebtorFacts:
    """What the gate knows about the debtor at the moment of the attempt.

    ``timezone`` is an IANA name or ""; then ``country``/``region`` give the zones (every
    zone of the country), and failing those ``fallback_timezone`` (the organization's).
    ``own_addresses``: (channel, address) of the customer's own contacts; None = not checked.
    ``opted_out``: (channel, address) pairs, or (channel, "*") for the whole channel.
    ``call_attempts``/``conversations``/``messages``: instants of earlier contacts (messages
    sent or waiting to go; calls per debt, or per customer where debts are not told apart).
    ``send_window``: the organization's window for automated messages; None: the legal window only.
    """

    country: str = ""
    region: str = ""
    timezone: str = ""
    fallback_timezone: str = "UTC"
    restrictions: tuple[Restriction, ...] = ()
    own_addresses: frozenset[tuple[str, str]] | None = None
    employer_emails: frozenset[str] = frozenset()  # employer-provided e-mails without the debtor's consent
    opted_out: frozenset[tuple[str, str]] = frozenset()
    disputes: tuple[str, ...] = ()  # open disputes on the invoices concerned (their labels)
    holds: tuple[str, ...] = ()  # automation holds in force (plan, promise, agency...)
    call_attempts: tuple[datetime, ...] = ()
    conversations: tuple[datetime, ...] = ()
    messages: tuple[datetime, ...] = ()
    time_barred: bool = False
    jurisdiction: str | None = None
    send_window: SendWindow | None = None


def _norm(address: str) -> str:
    return " ".join(address.split()).lower()


def decide_contact(attempt: Attempt, facts: DebtorFacts, rules: Mapping[str, Rule], now: datetime) -> GateAnswer:
    """May ``attempt`` be made at ``now``? See the module docstring for the gates and their order.

    Args: rules: the rules in force (``rules_in_force(jurisdiction, on, debt_kind)``), by id;
        empty where no jurisdiction is known (then only the house gates apply, with the house
        windows: 08:00-21:00 for consumers, 09:00-17:00 on working days for businesses).
    Raises: ValueError for an unknown channel or purpose, or a naive ``now``.
    """
    if attempt.channel not in CHANNELS:
        raise ValueError(f"channel: {attempt.channel!r} is not one of {', '.join(CHANNELS)}")
    if attempt.purpose not in PURPOSES:
        raise ValueError(f"purpose: {attempt.purpose!r} is not one of {', '.join(PURPOSES)}")
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    zones = debtor_zones(facts)
    today = min(now.astimezone(z).date() for z in zones)
    answer = _blocks(attempt, facts, rules, today)
    if answer is not None:
        return answer
    return _deferrals(attempt, facts, rules, now, zones)


def _blocks(attempt: Attempt, facts: DebtorFacts, rules: Mapping[str, Rule], today: date) -> GateAnswer | None:
    answer = _first_block(attempt, facts, rules, today)
    if answer is not None and not answer.gate:
        answer = replace(answer, gate=(answer.rule_id or "").removeprefix("house."))
    return answer


def _first_block(attempt: Attempt, facts: DebtorFacts, rules: Mapping[str, Rule], today: date) -> GateAnswer | None:
    in_force = {r.kind: r for r in facts.restrictions if r.in_force(today)}
    if "deceased" in in_force:
        return GateAnswer(BLOCK, "house.deceased", "The debtor has died: no contact; deal with the estate by hand.")
    if "insolvency" in in_force:
        return GateAnswer(BLOCK, "house.insolvency",
                          "The debtor is in insolvency proceedings: no collection contact; claim in the proceedings.")
    if "attorney" in in_force:
        return GateAnswer(BLOCK, "house.attorney",
                          "The debtor is represented by an attorney: contact the attorney, not the debtor.")
    if "cease_contact" in in_force and not (attempt.purpose == "cease-notice" and attempt.channel == "letter"):
        return GateAnswer(BLOCK, "house.cease-contact",
                          "The debtor asked us to stop contacting them: only a final notice by letter that contact "
                          "ends or that a named remedy may follow is allowed.")
    if "breathing_space" in in_force:
        space = in_force["breathing_space"]
        rid = next((r.id for r in by_topic(rules, "breathing_space")), "house.breathing-space")
        if space.ends_on is None:
            return GateAnswer(BLOCK, rid, "The debtor is in a Breathing Space moratorium: no contact to collect "
                                          "until it ends.", gate="breathing_space")
        until_day = space.ends_on + timedelta(days=1)
        zone = debtor_zones(facts)[0]
        return GateAnswer(DEFER, rid, f"The debtor is in a Breathing Space moratorium until "
                                      f"{space.ends_on.isoformat()}: no contact to collect before it ends.",
                          until=datetime.combine(until_day, time(0), tzinfo=zone), gate="breathing_space")
    address = _norm(attempt.address)
    if facts.own_addresses is not None and address and (attempt.channel, address) not in {
            (c, _norm(a)) for c, a in facts.own_addresses}:
        return GateAnswer(BLOCK, "house.third-party",
                          f"{attempt.address!r} is not one of the debtor's own contact points: no third parties.")
    if attempt.channel == "email" and address and address in {_norm(a) for a in facts.employer_emails}:
        return GateAnswer(BLOCK, "house.employer-email",
                          f"{attempt.address!r} is an e-mail from the debtor's employer and the debtor has not "
                          "agreed to its use.")
    opted = {(c, _norm(a)) for c, a in facts.opted_out}
    if (attempt.channel, "*") in opted or (attempt.channel, address) in opted:
        return GateAnswer(BLOCK, "house.opt-out", f"The debtor opted out of {attempt.channel} at this address.")
    if facts.disputes and attempt.purpose not in ("notice",):
        return GateAnswer(BLOCK, "house.dispute",
                          f"Open dispute ({'; '.join(facts.disputes)}): no collection on the disputed amount "
                          "until it is resolved.")
    if facts.holds and attempt.automated:
        return GateAnswer(BLOCK, "house.hold", f"Automation holds: {'; '.join(facts.holds)}.")
    if facts.time_barred:
        words = set(attempt.step_actions) | ({"legal_action"} if attempt.purpose == "legal-threat" else set())
        for rule in by_topic(rules, "time_barred"):
            p = rule.parameters
            threat = attempt.purpose == "legal-threat" and p.forbid_legal_threats
            if threat or words & set(p.forbidden_actions):
                return GateAnswer(BLOCK, rule.id, "The debt is past its limitation date: no step that threatens "
                                                  "or prepares legal action.", gate="time_barred")
    return None


def _deferrals(attempt: Attempt, facts: DebtorFacts, rules: Mapping[str, Rule], now: datetime,
               zones: Sequence[ZoneInfo]) -> GateAnswer:
    """Find the first instant from ``now`` at which every deferring gate passes."""
    first: GateAnswer | None = None
    at = now
    for _ in range(50):
        answer = (_call_frequency(attempt, facts, rules, at) or _message_cap(attempt, facts, rules, at)
                  or _window(attempt, facts, rules, at, zones))
        if answer is None:
            break
        if answer.verdict == BLOCK:
            return answer
        first = first or answer
        at = answer.until
    else:
        return GateAnswer(BLOCK, first.rule_id if first else None,
                          "No moment in the coming weeks passes every contact rule; check the rules by hand.")
    if first is None:
        return ALLOWED
    return GateAnswer(DEFER, first.rule_id, f"{first.sentence} Next possible: {_local(at, zones[0])}.", until=at,
                      gate=first.gate)


def _local(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _call_frequency(attempt: Attempt, facts: DebtorFacts, rules: Mapping[str, Rule], at: datetime) -> GateAnswer | None:
    if attempt.channel != "call":
        return None
    for rule in by_topic(rules, "call_frequency"):
        p = rule.parameters
        quiet = timedelta(days=p.quiet_days_after_conversation)
        talks = [t for t in facts.conversations if t <= at and at < t + quiet]
        if talks:
            return GateAnswer(DEFER, rule.id, f"A conversation took place on {max(talks).date().isoformat()}: no "
                                              f"call for {p.quiet_days_after_conversation} days after it.",
                              until=max(talks) + quiet, gate="call_frequency")
        span = timedelta(days=p.within_days)
        recent = sorted(t for t in facts.call_attempts if at - span < t <= at)
        if len(recent) >= p.max_attempts:
            return GateAnswer(DEFER, rule.id, f"{len(recent)} call attempts in the last {p.within_days} days "
                                              f"(at most {p.max_attempts}).",
                              until=recent[len(recent) - p.max_attempts] + span, gate="call_frequency")
    return None


def _message_cap(attempt: Attempt, facts: DebtorFacts, rules: Mapping[str, Rule], at: datetime) -> GateAnswer | None:
    if attempt.channel not in CAPPED_CHANNELS:
        return None
    for rule in by_topic(rules, "message_cap"):
        p = rule.parameters
        span = timedelta(days=p.within_days)
        # Messages waiting to go (a time after ``at``) count as if sent now.
        recent = sorted(min(t, at) for t in facts.messages if t > at - span)
        if len(recent) >= p.max_messages:
            return GateAnswer(DEFER, rule.id, f"{len(recent)} messages to this customer in the last "
                                              f"{p.within_days} days (at most {p.max_messages}).",
                              until=recent[len(recent) - p.max_messages] + span, gate="message_cap")
    return None


def contact_window(rules: Mapping[str, Rule]):
    """The contact window parameters in force (the first found), or None."""
    found = by_topic(rules, "contact_window")
    return found[0] if found else None


def _legal_hours(attempt: Attempt, facts: DebtorFacts, rules: Mapping[str, Rule]) -> tuple[str, Hours, str]:
    """The legal contact window: its rule id, hours and words for a sentence."""
    rule = contact_window(rules)
    if rule is None and attempt.debt_kind == "business":
        rid, start, end, working, holidays_off = "house.business-hours", time(9), time(17), True, True
    elif rule is None:
        rid, start, end, working, holidays_off = "house.contact-window", time(8), time(21), False, False
    else:
        p = rule.parameters
        rid, start, end, working, holidays_off = rule.id, p.start_time, p.end_time, p.working_days_only, \
            p.public_holidays_off
    # The GB rules are England and Wales': without a region, England's bank holidays.
    region = facts.region or ("ENG" if facts.country.upper() in ("GB", "UK") else "")
    calendar = BusinessCalendar(facts.country.upper(), region or None) if holidays_off and facts.country else None
    hours = Hours(start, end, WORKING_DAYS if working else EVERY_DAY, calendar)
    what = "business hours on working days" if working else f"{start:%H:%M}-{end:%H:%M}"
    return rid, hours, what


def _send_window_applies(attempt: Attempt, facts: DebtorFacts) -> bool:
    return (facts.send_window is not None and attempt.channel in SEND_WINDOW_CHANNELS
            and attempt.purpose in SEND_WINDOW_PURPOSES)


def _window(attempt: Attempt, facts: DebtorFacts, rules: Mapping[str, Rule], at: datetime,
            zones: Sequence[ZoneInfo]) -> GateAnswer | None:
    """The legal contact window and, for automated messages, the organization's send window:
    both must be open, in every zone that counts; else defer to the first instant they are."""
    if attempt.channel not in TIMED_CHANNELS:
        return None
    rid, legal, what = _legal_hours(attempt, facts, rules)
    windows = [legal]
    send = facts.send_window if _send_window_applies(attempt, facts) else None
    one_zone = len(zones) == 1
    zone_text = "the debtor's local time" if one_zone else "in every time zone of the debtor's country"
    where = "in the debtor's local time" if one_zone else "in every time zone of the debtor's country at once"
    if send is not None:
        windows.append(Hours(send.start, send.end, send.days))
        never = _never_meets(send, legal, what)
        if never:
            return GateAnswer(BLOCK, SEND_WINDOW_RULE, never, gate="contact_window")
    if open_at(windows, zones, at):
        return None
    until = next_open(windows, zones, at, SEARCH_DAYS)
    if until is None:
        if send is not None:
            return GateAnswer(BLOCK, SEND_WINDOW_RULE,
                              f"The send window ({send.describe()}) and the contact window ({what}) are never open "
                              f"together {where} in the coming weeks; set the customer's time zone or widen the "
                              "send window.", gate="contact_window")
        return GateAnswer(BLOCK, rid, "The contact window never opens in the coming weeks in every zone of the "
                                      "debtor's country; set the customer's time zone.", gate="contact_window")
    if send is None or not open_at([legal], zones, at):
        also = f" Automated messages also keep to the send window ({send.describe()})." if send else ""
        return GateAnswer(DEFER, rid, f"Outside the contact window ({what}, {zone_text}).{also}", until=until,
                          gate="contact_window")
    return GateAnswer(DEFER, SEND_WINDOW_RULE, f"Outside the organization's send window for automated messages "
                                               f"({send.describe()}, {zone_text}).", until=until,
                      gate="contact_window")


def _never_meets(send: SendWindow, legal: Hours, what: str) -> str | None:
    """A sentence when the send window and the legal window can never be open together."""
    if not send.days & legal.weekdays:
        return (f"The send window ({send.describe()}) has no day in common with the contact window ({what}): "
                "no automated message can go; change the send window in the settings.")
    if max(send.start, legal.start) >= min(send.end, legal.end):
        return (f"The send window ({send.describe()}) has no hour in common with the contact window ({what}): "
                "no automated message can go; change the send window in the settings.")
    return None


@lru_cache(maxsize=256)
def _zones(timezone: str, country: str, region: str, fallback: str) -> tuple[ZoneInfo, ...]:
    if timezone:
        try:
            return (ZoneInfo(timezone),)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    c = country.strip().upper()
    r = region.strip().upper().removeprefix(f"{c}-")
    names = (US_STATE_ZONES.get(r) if c == "US" else None) or COUNTRY_ZONES.get(c)
    if names:
        return tuple(ZoneInfo(n) for n in names)
    try:
        return (ZoneInfo(fallback or "UTC"),)
    except (ZoneInfoNotFoundError, ValueError):
        return (ZoneInfo("UTC"),)


def debtor_zones(facts: DebtorFacts) -> tuple[ZoneInfo, ...]:
    """The zone(s) whose clocks the window must respect: the debtor's own, else every zone of its
    country (of its US state where known), else the fallback (the organization's)."""
    return _zones(facts.timezone or "", facts.country or "", facts.region or "", facts.fallback_timezone or "UTC")


def purpose_of_step(*, step_key: str, template: str, action: str, channel: str) -> tuple[str, tuple[str, ...]]:
    """The purpose of a policy step's message and the action words the time-barred rules look for."""
    words = {action, step_key.replace("-", "_"), template.replace("-", "_").removeprefix("consumer_")}
    words.discard("")
    words.discard("none")
    if channel == "call":
        purpose = "call"
    elif words & {"letter_before_action", "escalation_review", "legal_action"}:
        purpose = "legal-threat"
    elif "final_notice" in words:
        purpose = "final-notice"
    else:
        purpose = "reminder"
    return purpose, tuple(sorted(words))


__all__ = ["Attempt", "DebtorFacts", "GateAnswer", "Restriction", "SendWindow", "decide_contact", "debtor_zones",
           "purpose_of_step", "ALLOW", "DEFER", "BLOCK", "ALLOWED"]
