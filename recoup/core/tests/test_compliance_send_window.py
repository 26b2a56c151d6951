"""The organization's send window in the gate (recoup.core.compliance), property-tested.

Automated e-mails and SMS go only when the legal contact window and the send window are both open
in the debtor's local time. Over random zones, windows, weekdays and instants (pushed towards the
2026 and 2027 clock changes in the US and the EU): an allow is inside both windows; a deferral's
``until`` is inside both and no whole minute before it is; a block happens only when the two
windows share no day or no hour.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings, strategies as st

from recoup.core.calendar import BusinessCalendar
from recoup.core.compliance import Attempt, DebtorFacts, SendWindow, decide_contact
from recoup.core.rules import jurisdiction_for, rules_in_force

UTC = timezone.utc
NAMED = ("America/New_York", "America/Los_Angeles", "Europe/London", "Europe/Berlin", "Australia/Lord_Howe",
         "Pacific/Chatham")
CHANGES = [datetime(*t, tzinfo=UTC) for t in (
    (2026, 3, 8, 7), (2026, 3, 8, 10), (2026, 11, 1, 6), (2026, 11, 1, 9), (2027, 3, 14, 7), (2027, 11, 7, 6),
    (2026, 3, 29, 1), (2026, 10, 25, 1), (2027, 3, 28, 1), (2027, 10, 31, 1))]

zones = st.one_of(st.sampled_from(NAMED), st.sampled_from(sorted(available_timezones())))
instants = st.one_of(
    st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)),
    st.builds(lambda change, minutes: change + timedelta(minutes=minutes), st.sampled_from(CHANGES),
              st.integers(-3 * 24 * 60, 3 * 24 * 60)))
# Windows on a five-minute grid, mostly in the day, sometimes anywhere.
send_windows = st.builds(
    lambda start, length, days: SendWindow(time(start // 60, start % 60),
                                           time(min(start + length, 1439) // 60, min(start + length, 1439) % 60),
                                           "".join(sorted(days))),
    st.one_of(st.integers(60, 18 * 12).map(lambda n: n * 5), st.integers(0, 286).map(lambda n: n * 5)),
    st.integers(1, 120).map(lambda n: n * 5), st.sets(st.sampled_from("1234567"), min_size=1))


def legal_window(country: str, kind: str):
    """(start, end, weekdays, holiday calendar) of the legal window, as the rules page states them."""
    if kind == "consumer":
        return time(8), time(21), set(range(1, 8)), None
    calendar = BusinessCalendar(country, "ENG" if country == "GB" else None) if country else None
    return time(9), time(17), set(range(1, 6)), calendar


def inside(zone: ZoneInfo, country: str, kind: str, send: SendWindow, at: datetime) -> bool:
    local = at.astimezone(zone)
    if local.fold:  # the repeated hour of an autumn change: its wall times were open already
        return False
    start, end, days, calendar = legal_window(country, kind)
    wall = time(local.hour, local.minute, local.second)
    legal = start <= wall < end and local.isoweekday() in days and not (calendar and calendar.is_holiday(
        local.date()))
    return legal and send.start <= wall < send.end and str(local.isoweekday()) in send.weekdays


def rules_for(country: str, kind: str, on):
    j = jurisdiction_for(country, "") if country else None
    return rules_in_force(j, on, kind) if j else {}


@settings(max_examples=250, deadline=None, derandomize=True)
@given(zone=zones, country=st.sampled_from(["", "GB", "US", "DE"]), kind=st.sampled_from(["consumer", "business"]),
       channel=st.sampled_from(["email", "sms"]), purpose=st.sampled_from(["reminder", "final-notice", "notice"]),
       send=send_windows, now=instants)
def test_automated_messages_go_only_inside_both_windows_and_at_the_first_moment_they_open(
        zone, country, kind, channel, purpose, send, now):
    tz = ZoneInfo(zone)
    facts = DebtorFacts(country=country, timezone=zone, send_window=send)
    answer = decide_contact(Attempt(channel, purpose, kind), facts, rules_for(country, kind, now.date()), now)
    start, end, days, _ = legal_window(country, kind)
    shared = not days.isdisjoint(send.days) and max(start, send.start) < min(end, send.end)
    if answer.verdict == "block":
        assert not shared and answer.rule_id == "house.send-window" and answer.gate == "contact_window"
        assert "send window" in answer.sentence and send.describe() in answer.sentence
        return
    assert shared, "windows that never meet must block, not defer"
    if answer.allowed:
        assert inside(tz, country, kind, send, now), f"allowed at {now.astimezone(tz)} outside {send.describe()}"
        return
    assert answer.verdict == "defer" and answer.gate == "contact_window" and answer.until > now
    assert answer.rule_id == "house.send-window" or answer.rule_id.endswith(("contact-window", "business-hours"))
    assert inside(tz, country, kind, send, answer.until), f"until {answer.until.astimezone(tz)} is outside"
    assert not inside(tz, country, kind, send, answer.until - timedelta(seconds=1))
    t = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while t < answer.until:
        assert not inside(tz, country, kind, send, t), f"{t.astimezone(tz)} was open before {answer.until}"
        t += timedelta(minutes=1)


NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
MORNINGS = SendWindow(time(9), time(12), "12345")


def ask(now, *, zone="America/New_York", country="US", kind="consumer", channel="email", purpose="reminder",
        send=MORNINGS):
    facts = DebtorFacts(country=country, timezone=zone, send_window=send)
    return decide_contact(Attempt(channel, purpose, kind), facts, rules_for(country, kind, now.date()), now)


@pytest.mark.parametrize(("before", "opens"), [
    # US spring forward (Sunday 8 March 2026): Monday 09:00 EDT is 13:00 UTC, not 14:00.
    (datetime(2026, 3, 6, 18, 0, tzinfo=UTC), datetime(2026, 3, 9, 13, 0, tzinfo=UTC)),
    # US fall back (Sunday 1 November 2026): Monday 09:00 EST is 14:00 UTC.
    (datetime(2026, 10, 30, 17, 0, tzinfo=UTC), datetime(2026, 11, 2, 14, 0, tzinfo=UTC)),
], ids=["us-spring", "us-autumn"])
def test_across_a_us_clock_change_the_window_opens_at_nine_local(before, opens):
    answer = ask(before)
    assert (answer.verdict, answer.until, answer.rule_id) == ("defer", opens, "house.send-window")
    assert answer.until.astimezone(NEW_YORK).strftime("%a %H:%M") == "Mon 09:00"
    assert "Mon-Fri 09:00-12:00" in answer.sentence and "the debtor's local time" in answer.sentence


@pytest.mark.parametrize(("before", "opens"), [
    (datetime(2026, 3, 27, 12, 0, tzinfo=UTC), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),  # CEST from 29 March
    (datetime(2026, 10, 23, 12, 0, tzinfo=UTC), datetime(2026, 10, 26, 8, 0, tzinfo=UTC)),  # CET from 25 October
], ids=["eu-spring", "eu-autumn"])
def test_across_an_eu_clock_change_the_window_opens_at_nine_local(before, opens):
    answer = ask(before, zone="Europe/Berlin", country="DE")
    assert (answer.verdict, answer.until) == ("defer", opens)
    assert answer.until.astimezone(BERLIN).strftime("%a %H:%M") == "Mon 09:00"


def test_inside_the_legal_window_but_outside_the_send_window_the_house_rule_answers():
    friday_2pm = datetime(2026, 3, 13, 18, 0, tzinfo=UTC)  # 14:00 in New York
    answer = ask(friday_2pm)
    assert (answer.verdict, answer.rule_id, answer.gate) == ("defer", "house.send-window", "contact_window")
    assert answer.until == datetime(2026, 3, 16, 13, 0, tzinfo=UTC)
    night = ask(datetime(2026, 3, 13, 3, 0, tzinfo=UTC))  # 23:00 on Thursday: the law's window is shut too
    assert night.rule_id == "US.reg-f.contact-window" and "Mon-Fri 09:00-12:00" in night.sentence
    assert night.until == datetime(2026, 3, 13, 13, 0, tzinfo=UTC)


def test_manual_messages_call_tasks_and_letters_keep_to_the_legal_window_only():
    friday_2pm = datetime(2026, 3, 13, 18, 0, tzinfo=UTC)
    assert ask(friday_2pm, purpose="manual").allowed
    assert ask(friday_2pm, channel="call", purpose="call").allowed
    assert ask(friday_2pm, channel="letter").allowed
    assert ask(friday_2pm, purpose="notice").verdict == "defer"  # an arrangement's notice is automated
    assert ask(friday_2pm, send=None).allowed  # no send window given: the law's window only


def test_a_send_window_that_can_never_open_blocks_with_a_sentence_saying_why():
    weekend = SendWindow(time(9), time(12), "67")
    answer = ask(datetime(2026, 3, 13, 14, 0, tzinfo=UTC), kind="business", send=weekend)
    assert (answer.verdict, answer.rule_id, answer.gate) == ("block", "house.send-window", "contact_window")
    assert answer.sentence == ("The send window (Sat, Sun 09:00-12:00) has no day in common with the contact window "
                               "(business hours on working days): no automated message can go; change the send "
                               "window in the settings.")
    evening = SendWindow(time(18), time(20), "12345")
    late = ask(datetime(2026, 3, 13, 14, 0, tzinfo=UTC), kind="business", send=evening)
    assert late.verdict == "block" and "no hour in common" in late.sentence
    # Every zone of the US at once: 09:00-12:00 in New York and in Honolulu never overlap.
    unknown = decide_contact(Attempt("email", "reminder", "consumer"), DebtorFacts(country="US", send_window=MORNINGS),
                             rules_for("US", "consumer", datetime(2026, 3, 13).date()),
                             datetime(2026, 3, 13, 14, 0, tzinfo=UTC))
    assert unknown.verdict == "block" and "every time zone of the debtor's country" in unknown.sentence


def test_an_unknown_zone_uses_every_zone_of_the_country_for_the_send_window_too():
    wide = SendWindow(time(9), time(18), "12345")
    facts = DebtorFacts(country="US", send_window=wide)
    rules = rules_for("US", "consumer", datetime(2026, 3, 13).date())
    answer = decide_contact(Attempt("email", "reminder", "consumer"), facts, rules,
                            datetime(2026, 3, 13, 14, 0, tzinfo=UTC))
    # 09:00 in Honolulu (UTC-10) is 19:00 UTC, and still before 18:00 in New York (22:00 UTC).
    assert (answer.verdict, answer.until) == ("defer", datetime(2026, 3, 13, 19, 0, tzinfo=UTC))


def test_a_send_window_is_refused_with_the_field_named():
    with pytest.raises(ValueError, match="send_window_end"):
        SendWindow(time(12), time(9))
    with pytest.raises(ValueError, match="send_window_weekdays"):
        SendWindow(time(9), time(12), "1238")
    with pytest.raises(ValueError, match="send_window_weekdays"):
        SendWindow(time(9), time(12), "")
