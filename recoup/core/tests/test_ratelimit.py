"""Rate limits: sending whenever wait_before_next says never breaks a limit, and never waits longer
than needed."""

from __future__ import annotations

from hypothesis import given, strategies as st

from recoup.core.ratelimit import Limit, parse_retry_after, retry_wait, wait_before_next

XERO = (Limit(60, 60.0), Limit(5000, 86400.0))


@given(st.lists(st.floats(min_value=0, max_value=5, allow_nan=False), min_size=1, max_size=400),
       st.sampled_from([XERO, (Limit(25, 1.0),), (Limit(3, 10.0), Limit(5, 30.0))]))
def test_requests_sent_when_allowed_never_break_a_limit(gaps, limits):
    now, sent = 0.0, []
    for gap in gaps:
        now += gap
        now += wait_before_next(sent, now, limits)
        sent.append(now)
        for limit in limits:
            inside = [t for t in sent if t > now - limit.window]
            assert len(inside) <= limit.count


def test_the_61st_call_in_a_minute_waits_for_the_first_to_leave_the_window():
    sent = [float(i) for i in range(60)]
    assert wait_before_next(sent, 59.0, XERO) == 1.0
    assert wait_before_next(sent, 60.5, XERO) == 0.0


def test_retry_after_is_honoured_else_exponential_backoff():
    assert retry_wait(1, 7.0) == 7.0
    assert [retry_wait(n, None) for n in (1, 2, 3, 8)] == [1.0, 2.0, 4.0, 60.0]
    assert parse_retry_after("30") == 30.0 and parse_retry_after("soon") is None and parse_retry_after(None) is None
