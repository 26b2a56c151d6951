"""The contact gate (recoup.core.compliance): its answers and their promises, property-tested."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from recoup.core.compliance import (
    Attempt, DebtorFacts, Restriction, debtor_zones, decide_contact, purpose_of_step,
)
from recoup.core.calendar import BusinessCalendar
from recoup.core.rules import rules_in_force

UTC = timezone.utc
PLACES = [("US", "CA", "America/Los_Angeles"), ("US", "", ""), ("US", "NY", ""), ("GB", "", "Europe/London"),
          ("GB", "", ""), ("DE", "BY", "Europe/Berlin"), ("FR", "", ""), ("NL", "", "Europe/Amsterdam"),
          ("US", "", "Pacific/Honolulu"), ("JP", "", "")]
instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31),
                        timezones=st.just(UTC))


def rules_for(country: str, region: str, kind: str, on: date):
    from recoup.core.rules import jurisdiction_for

    j = jurisdiction_for(country, region)
    return rules_in_force(j, on, kind) if j else {}


def window_open(facts: DebtorFacts, kind: str, at: datetime) -> bool:
    start, end = (8, 21) if kind == "consumer" else (9, 17)
    cal = BusinessCalendar(facts.country, facts.region or ("ENG" if facts.country == "GB" else None))
    for zone in debtor_zones(facts):
        local = at.astimezone(zone)
        if not start <= local.hour < end:
            return False
        if kind == "business" and (local.weekday() >= 5 or cal.is_holiday(local.date())):
            return False
    return True


@settings(max_examples=300, deadline=None, derandomize=True)
@given(place=st.sampled_from(PLACES), kind=st.sampled_from(["consumer", "business"]), now=instants,
       channel=st.sampled_from(["email", "sms", "call"]),
       sent=st.lists(st.integers(min_value=0, max_value=10 * 24 * 60), max_size=6))
def test_an_allowed_contact_is_inside_every_window_and_under_the_cap(place, kind, now, channel, sent):
    country, region, tz = place
    messages = tuple(now - timedelta(minutes=m) for m in sent)
    facts = DebtorFacts(country=country, region=region, timezone=tz, fallback_timezone="Asia/Tokyo",
                        messages=messages, call_attempts=messages if channel == "call" else ())
    rules = rules_for(country, region, kind, now.date())
    answer = decide_contact(Attempt(channel, "reminder", kind), facts, rules, now)
    assert answer.verdict in ("allow", "defer")
    if answer.allowed:
        assert window_open(facts, kind, now)
        if channel != "call" and rules:
            assert sum(1 for t in messages if t > now - timedelta(days=7)) < 3
        return
    # Deferred: to a later instant at which the same attempt is allowed, and not a minute earlier.
    assert answer.until > now and answer.rule_id and answer.sentence
    again = decide_contact(Attempt(channel, "reminder", kind), facts, rules, answer.until)
    assert again.allowed, again
    assert window_open(facts, kind, answer.until)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(now=instants, kind=st.sampled_from(["consumer", "business"]),
       purpose=st.sampled_from(["reminder", "final-notice", "legal-threat", "manual", "call", "notice"]),
       channel=st.sampled_from(["email", "sms", "letter", "call"]),
       restriction=st.sampled_from(["deceased", "insolvency", "attorney", "cease_contact"]))
def test_a_restriction_in_force_blocks_every_collection_contact(now, kind, purpose, channel, restriction):
    facts = DebtorFacts(country="GB", timezone="Europe/London",
                        restrictions=(Restriction(restriction, now.date() - timedelta(days=3)),))
    answer = decide_contact(Attempt(channel, purpose, kind), facts, rules_for("GB", "", kind, now.date()), now)
    assert answer.verdict == "block" and answer.rule_id == f"house.{restriction.replace('_', '-')}"


NOON_LONDON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a Tuesday


def gb(kind="consumer", on=NOON_LONDON):
    return rules_for("GB", "", kind, on.date())


def test_a_cease_contact_request_leaves_only_the_final_letter():
    facts = DebtorFacts(country="GB", timezone="Europe/London",
                        restrictions=(Restriction("cease_contact", date(2026, 3, 1)),))
    assert decide_contact(Attempt("letter", "cease-notice", "consumer"), facts, gb(), NOON_LONDON).allowed
    assert decide_contact(Attempt("email", "cease-notice", "consumer"), facts, gb(), NOON_LONDON).verdict == "block"
    assert decide_contact(Attempt("letter", "final-notice", "consumer"), facts, gb(), NOON_LONDON).verdict == "block"


def test_breathing_space_defers_to_the_day_after_it_ends_and_cites_the_regulation():
    facts = DebtorFacts(country="GB", timezone="Europe/London",
                        restrictions=(Restriction("breathing_space", date(2026, 3, 1), date(2026, 4, 29)),))
    answer = decide_contact(Attempt("email", "reminder", "consumer"), facts, gb(), NOON_LONDON)
    assert (answer.verdict, answer.rule_id) == ("defer", "GB.breathing-space")
    assert answer.until == datetime(2026, 4, 30, 0, 0, tzinfo=ZoneInfo("Europe/London"))
    lifted = DebtorFacts(country="GB", timezone="Europe/London",
                         restrictions=(Restriction("breathing_space", date(2026, 1, 1), date(2026, 3, 1)),))
    assert decide_contact(Attempt("email", "reminder", "consumer"), lifted, gb(), NOON_LONDON).allowed


def test_opt_outs_third_parties_and_employer_email_are_blocked_per_address():
    facts = DebtorFacts(country="GB", timezone="Europe/London", own_addresses=frozenset(
        {("email", "me@home.example"), ("email", "me@work.example"), ("sms", "+447700900123")}),
        opted_out=frozenset({("sms", "+447700900123")}), employer_emails=frozenset({"me@work.example"}))
    def ask(channel, address):
        return decide_contact(Attempt(channel, "reminder", "consumer", address), facts, gb(), NOON_LONDON)

    assert ask("email", "Me@Home.example").allowed
    assert ask("sms", "+447700900123").rule_id == "house.opt-out"
    assert ask("email", "boss@work.example").rule_id == "house.third-party"
    assert ask("email", "me@work.example").rule_id == "house.employer-email"


def test_holds_stop_automation_but_not_the_operator_and_disputes_stop_both():
    held = DebtorFacts(country="GB", timezone="Europe/London", holds=("plan #3",))
    assert decide_contact(Attempt("email", "reminder", "business"), held, gb("business"), NOON_LONDON).rule_id == \
        "house.hold"
    assert decide_contact(Attempt("email", "manual", "business"), held, gb("business"), NOON_LONDON).allowed
    assert decide_contact(Attempt("email", "notice", "business"), held, gb("business"), NOON_LONDON).allowed
    disputed = DebtorFacts(country="GB", timezone="Europe/London", disputes=("INV-1: Dispute #2: wrong price",))
    answer = decide_contact(Attempt("email", "manual", "business"), disputed, gb("business"), NOON_LONDON)
    assert answer.rule_id == "house.dispute" and "wrong price" in answer.sentence


def test_a_time_barred_debt_gets_no_legal_threat_but_still_a_reminder():
    facts = DebtorFacts(country="GB", timezone="Europe/London", time_barred=True)
    _, words = purpose_of_step(step_key="letter-before-action", template="letter-before-action",
                               action="escalation_review", channel="letter")
    threat = decide_contact(Attempt("letter", "legal-threat", "consumer", step_actions=words), facts, gb(), NOON_LONDON)
    assert (threat.verdict, threat.rule_id) == ("block", "GB.conc.statute-barred")
    assert decide_contact(Attempt("email", "reminder", "consumer"), facts, gb(), NOON_LONDON).allowed


def test_calls_are_limited_to_seven_in_seven_days_and_none_for_a_week_after_a_conversation():
    rules = rules_for("US", "CA", "consumer", NOON_LONDON.date())
    now = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)  # 11:00 in California
    calls = tuple(now - timedelta(days=d, hours=1) for d in range(7))
    answer = decide_contact(Attempt("call", "call", "consumer"), DebtorFacts(country="US", region="CA",
                                                                             call_attempts=calls), rules, now)
    assert (answer.verdict, answer.rule_id) == ("defer", "US.reg-f.call-frequency")
    assert answer.until >= calls[-1] + timedelta(days=7)
    talk = decide_contact(Attempt("call", "call", "consumer"), DebtorFacts(
        country="US", region="CA", conversations=(now - timedelta(days=2),)), rules, now)
    assert talk.verdict == "defer" and talk.until >= now + timedelta(days=5)
    # Business debts: no frequency rule ships (configurable by adding one).
    business = rules_for("US", "CA", "business", NOON_LONDON.date())
    assert decide_contact(Attempt("call", "call", "business"), DebtorFacts(country="US", region="CA",
                                                                           call_attempts=calls), business, now).allowed


def test_an_unknown_zone_means_the_window_open_in_every_zone_of_the_country():
    rules = rules_for("US", "", "consumer", NOON_LONDON.date())
    at_9_new_york = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
    assert decide_contact(Attempt("sms", "reminder", "consumer"), DebtorFacts(
        country="US", timezone="America/New_York"), rules, at_9_new_york).allowed
    answer = decide_contact(Attempt("sms", "reminder", "consumer"), DebtorFacts(country="US"), rules, at_9_new_york)
    # 08:00 in Honolulu (UTC-10) is the last zone to open: 18:00 UTC.
    assert answer.verdict == "defer" and answer.until == datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


def test_business_hours_skip_weekends_and_public_holidays():
    rules = rules_for("GB", "", "business", date(2026, 4, 3))
    good_friday = datetime(2026, 4, 3, 11, 0, tzinfo=UTC)
    answer = decide_contact(Attempt("email", "reminder", "business"), DebtorFacts(country="GB"), rules, good_friday)
    # Easter Monday is a bank holiday in England too: Tuesday 09:00 BST.
    assert answer.until == datetime(2026, 4, 7, 8, 0, tzinfo=UTC)
    assert answer.rule_id == "GB.house.business-hours"


def test_letters_have_no_clock_but_count_towards_the_cap():
    rules = gb()
    night = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    assert decide_contact(Attempt("letter", "reminder", "consumer"), DebtorFacts(country="GB"), rules, night).allowed
    full = DebtorFacts(country="GB", messages=(night - timedelta(days=1),) * 3)
    assert decide_contact(Attempt("letter", "reminder", "consumer"), full, rules, night).rule_id == \
        "GB.house.message-cap"


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="channel"):
        decide_contact(Attempt("fax", "reminder", "consumer"), DebtorFacts(), {}, NOON_LONDON)
    with pytest.raises(ValueError, match="purpose"):
        decide_contact(Attempt("email", "threaten", "consumer"), DebtorFacts(), {}, NOON_LONDON)
    with pytest.raises(ValueError, match="aware"):
        decide_contact(Attempt("email", "reminder", "consumer"), DebtorFacts(), {}, datetime(2026, 3, 10, 12))
