"""Limitation dates per jurisdiction, restarted by the right events, with warnings."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.limitation import Event, limitation_date


def _lim(j, kind="business", due=date(2024, 3, 15), **kw):
    return limitation_date(jurisdiction=j, debt_kind=kind, due=due, **kw)


@pytest.mark.parametrize("j,kind,basis,years,last_day,rule", [
    ("US-CA", "consumer", "written", 4, date(2028, 3, 15), "US-CA.ccp-337.limitation"),
    ("US-CA", "business", "open_book", 4, date(2028, 3, 15), "US-CA.ccp-337.limitation"),
    ("US-CA", "consumer", "oral", 2, date(2026, 3, 15), "US-CA.ccp-339.limitation"),
    ("GB", "business", "open_book", 6, date(2030, 3, 15), "GB.limitation-act.contract"),
    ("DE", "business", "open_book", 3, date(2027, 12, 31), "DE.bgb-195.limitation"),
    ("DE", "consumer", None, 3, date(2027, 12, 31), "DE.bgb-195.limitation"),
    ("FR", "consumer", "open_book", 2, date(2026, 3, 15), "FR.code-consommation-l218-2.limitation"),
    ("FR", "business", "open_book", 5, date(2029, 3, 15), "FR.code-commerce-l110-4.limitation"),
    ("NL", "business", "open_book", 5, date(2029, 3, 15), "NL.bw-3-307.limitation"),
    ("NL", "consumer", "sale", 2, date(2026, 3, 15), "NL.bw-7-28.limitation"),
    ("NL", "consumer", "open_book", 2, date(2026, 3, 15), "NL.bw-7-28.limitation"),
    ("NL", "consumer", "services", 5, date(2029, 3, 15), "NL.bw-3-307.limitation"),
])
def test_periods_per_jurisdiction_and_debt(j, kind, basis, years, last_day, rule):
    lim = _lim(j, kind, basis=basis)
    assert (lim.years, lim.last_day, lim.rule.id) == (years, last_day, rule)
    assert lim.barred_from == last_day + timedelta(days=1)


def test_unknown_basis_takes_the_shortest_period_and_says_so():
    lim = _lim("US-CA", "consumer")
    assert (lim.years, lim.basis, lim.assumed) == (2, "oral", True)
    assert "assumed oral" in lim.explain(date(2024, 4, 1))


def test_gb_restarts_on_part_payment_or_written_acknowledgment_but_never_revives():
    due = date(2020, 1, 10)
    assert _lim("GB", due=due, basis="written").last_day == date(2026, 1, 10)
    lim = _lim("GB", due=due, basis="written", events=[Event("part_payment", date(2023, 5, 2)),
                                                       Event("written_acknowledgment", date(2021, 1, 1))])
    assert (lim.last_day, lim.started_by.kind, lim.start) == (date(2029, 5, 2), "part_payment", date(2023, 5, 2))
    late = _lim("GB", due=due, basis="written", events=[Event("part_payment", date(2026, 1, 11))])
    assert late.last_day == date(2026, 1, 10)  # already barred: the payment does not revive it
    assert _lim("GB", due=due, events=[Event("written_demand", date(2024, 1, 1))]).last_day == date(2026, 1, 10)


def test_de_runs_from_the_end_of_the_year_and_restarts_from_an_acknowledgment():
    assert _lim("DE", due=date(2024, 1, 2)).last_day == date(2027, 12, 31)
    assert _lim("DE", due=date(2024, 12, 31)).last_day == date(2027, 12, 31)
    lim = _lim("DE", due=date(2024, 3, 1), events=[Event("part_payment", date(2026, 6, 1))])
    assert lim.last_day == date(2029, 6, 1)
    early = _lim("DE", due=date(2024, 3, 1), events=[Event("part_payment", date(2024, 5, 1))])
    assert early.last_day == date(2027, 12, 31)  # an early acknowledgment never shortens the period


def test_nl_written_demand_interrupts():
    lim = _lim("NL", due=date(2024, 3, 15), basis="services", events=[Event("written_demand", date(2025, 2, 1))])
    assert lim.last_day == date(2030, 2, 1)


def test_us_federal_has_no_limitation_rule():
    assert _lim("US") is None


def test_warnings_90_and_30_days_before_and_status():
    lim = _lim("GB", due=date(2020, 6, 30), basis="written")
    assert lim.last_day == date(2026, 6, 30)
    assert lim.warnings == ((90, date(2026, 4, 1)), (30, date(2026, 5, 31)))
    assert lim.status(date(2026, 3, 31)) == "running"
    assert lim.status(date(2026, 4, 1)) == "warning_90"
    assert lim.status(date(2026, 5, 31)) == "warning_30"
    assert lim.status(date(2026, 6, 30)) == "warning_30"
    assert lim.status(date(2026, 7, 1)) == "barred"
    assert lim.as_json(date(2026, 7, 1))["status"] == "barred"


def test_leap_day_due_dates_end_on_28_february():
    assert _lim("GB", due=date(2024, 2, 29), basis="written").last_day == date(2030, 2, 28)


@settings(max_examples=100, deadline=None)
@given(j=st.sampled_from(["GB", "DE", "FR", "NL", "US-CA"]), kind=st.sampled_from(["business", "consumer"]),
       due=st.dates(date(2015, 1, 1), date(2026, 12, 31)),
       offsets=st.lists(st.integers(0, 4000), max_size=4))
def test_events_never_shorten_the_period(j, kind, due, offsets):
    plain = _lim(j, kind, due=due, basis="written")
    events = [Event("part_payment", due + timedelta(days=o)) for o in offsets]
    with_events = _lim(j, kind, due=due, basis="written", events=events)
    assert with_events.last_day >= plain.last_day > due
