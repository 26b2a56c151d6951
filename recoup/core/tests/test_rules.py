"""Rules as dated data: the shipped files load, typos are named, inheritance and dates resolve."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from recoup.core.rules import (
    JURISDICTIONS,
    ContactWindow,
    RateBook,
    RateMissing,
    RateSeries,
    RuleFileError,
    jurisdiction_for,
    load_rate_book,
    load_rule_file,
    load_rule_set,
    rules_in_force,
    shipped_rates,
    shipped_rules,
)

GOOD_RULE = """
  - id: GB.test.interest
    kind: calculation
    topic: statutory_interest
    applies_to: business
    title: Test interest
    effective_from: 2020-01-01
    source: {title: A statute, url: "https://example.org/statute"}
    parameters: {series: boe-bank-rate, points: 8, reference: fixed_previous_half_year_end}
"""


def _write(tmp_path: Path, body: str, name: str = "gb.yaml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_every_shipped_file_loads_and_every_jurisdiction_has_rules():
    ruleset = shipped_rules()
    assert set(ruleset.files) == set(JURISDICTIONS)
    for j in JURISDICTIONS:
        for kind in ("business", "consumer"):
            assert rules_in_force(j, date(2026, 1, 1), kind)


def test_a_typo_in_a_parameter_names_the_file_and_the_field_path(tmp_path):
    body = "jurisdiction: GB\nname: Test\nrules:\n" + GOOD_RULE * 3 + GOOD_RULE.replace("points: 8", "points: eight")
    body = body.replace("GB.test.interest", "GB.test.a", 1)
    path = _write(tmp_path, body)
    with pytest.raises(RuleFileError) as err:
        load_rule_file(path)
    assert f"{path}: rules[3].parameters.points: Input should be a valid decimal" in str(err.value)


@pytest.mark.parametrize("change,expected", [
    (("kind: calculation", "kind: calculaton"), "rules[0].kind: Input should be 'gate', 'warning'"),
    (("title: Test interest", "title: Test interest\n    titel: typo"), "rules[0].titel: Extra inputs are not permitted"),
    (("effective_from: 2020-01-01", "effective_from: 2020-13-01"), "rules[0].effective_from: Input should be a valid date"),
    (("points: 8,", "points: 8, pionts: 3,"), "rules[0].parameters.pionts: Extra inputs are not permitted"),
    (("topic: statutory_interest", "topic: statutory-interest"), "rules[0].topic: unknown topic 'statutory-interest'"),
    (("id: GB.test.interest", "id: DE.test.interest"), "rules[0].id: 'DE.test.interest' must start with 'GB.'"),
    (("kind: calculation", "kind: gate"), "rules[0].kind: topic 'statutory_interest' is a calculation, not a gate"),
])
def test_other_typos_are_named_too(tmp_path, change, expected):
    path = _write(tmp_path, "jurisdiction: GB\nname: Test\nrules:\n" + GOOD_RULE.replace(*change))
    with pytest.raises(RuleFileError, match=r".*") as err:
        load_rule_file(path)
    assert f"{path}: {expected}" in str(err.value)


def test_bad_yaml_and_overlapping_versions_are_refused(tmp_path):
    with pytest.raises(RuleFileError, match="gb.yaml: not valid YAML"):
        load_rule_file(_write(tmp_path, "jurisdiction: [GB\n"))
    two = GOOD_RULE + GOOD_RULE.replace("2020-01-01", "2021-01-01")
    with pytest.raises(RuleFileError, match="GB.test.interest: versions from 2020-01-01 and 2021-01-01 overlap"):
        load_rule_file(_write(tmp_path, "jurisdiction: GB\nname: Test\nrules:\n" + two))


def test_clock_times_are_read_as_times_not_yaml_base_60_numbers(tmp_path):
    rule = GOOD_RULE.replace("topic: statutory_interest", "topic: contact_window").replace(
        "kind: calculation", "kind: gate").replace(
        "parameters: {series: boe-bank-rate, points: 8, reference: fixed_previous_half_year_end}",
        "parameters: {start: 08:00, end: 21:00}")
    f = load_rule_file(_write(tmp_path, "jurisdiction: GB\nname: Test\nrules:\n" + rule))
    window = f.rules[0].parameters
    assert isinstance(window, ContactWindow) and (window.start_time.hour, window.end_time.hour) == (8, 21)


def test_dated_versions_and_inheritance_resolve_on_a_date(tmp_path):
    _write(tmp_path, "jurisdiction: EU\nname: EU\nrules:\n" + GOOD_RULE.replace("GB.", "EU."), "eu.yaml")
    child = GOOD_RULE.replace("GB.test.interest", "DE.test.interest").replace(
        "effective_from: 2020-01-01", "effective_from: 2022-01-01\n    replaces: [EU.test.interest]")
    _write(tmp_path, "jurisdiction: DE\nname: DE\ninherits: EU\nrules:\n" + child, "de.yaml")
    ruleset = load_rule_set(tmp_path)
    assert list(rules_in_force("DE", date(2021, 6, 1), "business", ruleset=ruleset)) == ["EU.test.interest"]
    assert list(rules_in_force("DE", date(2022, 6, 1), "business", ruleset=ruleset)) == ["DE.test.interest"]
    assert rules_in_force("DE", date(2022, 6, 1), "consumer", ruleset=ruleset) == {}


def test_a_replaced_id_that_does_not_exist_is_refused(tmp_path):
    _write(tmp_path, "jurisdiction: GB\nname: GB\nrules:\n" + GOOD_RULE.replace(
        "effective_from: 2020-01-01", "effective_from: 2020-01-01\n    replaces: [EU.nothing]"))
    with pytest.raises(RuleFileError, match=r"rules\[0\]\.replaces\[0\]: no rule 'EU.nothing'"):
        load_rule_set(tmp_path)


def test_shipped_gate_parameters_the_contact_gate_needs():
    us = rules_in_force("US-CA", date(2026, 3, 1), "consumer")
    assert us["US.reg-f.contact-window"].parameters.start == "08:00"
    assert us["US.reg-f.contact-window"].parameters.end == "21:00"
    freq = us["US.reg-f.call-frequency"].parameters
    assert (freq.max_attempts, freq.within_days, freq.quiet_days_after_conversation) == (7, 7, 7)
    assert "{collector}" in us["US-CA.rosenthal.time-barred-disclosure"].parameters.texts["reportable"]
    gb = rules_in_force("GB", date(2026, 3, 1), "consumer")
    assert gb["GB.breathing-space"].parameters.standard_days == 60
    assert "statutory_interest" in gb["GB.late-payment-act.not-consumers"].parameters.forbidden_topics
    business = rules_in_force("DE", date(2026, 3, 1), "business")
    assert business["EU.house.business-hours"].parameters.working_days_only
    assert "GB.breathing-space" not in rules_in_force("GB", date(2021, 5, 3), "consumer")


@pytest.mark.parametrize("country,region,expected", [
    ("US", "CA", "US-CA"), ("us", "US-CA", "US-CA"), ("US", "NY", "US"), ("US", "", "US"),
    ("GB", "", "GB"), ("UK", "", "GB"), ("DE", "BY", "DE"), ("FR", None, "FR"), ("NL", "", "NL"),
    ("AT", "", "EU"), ("IE", "", "EU"), ("CH", "", None), ("", "", None),
])
def test_jurisdiction_of_a_customer(country, region, expected):
    assert jurisdiction_for(country, region) == expected


def test_shipped_rate_series_hold_the_latest_values():
    book = shipped_rates()
    assert book.rate_on("boe-bank-rate", date(2025, 12, 18)) == Decimal("3.75")
    assert book.rate_on("boe-bank-rate", date(2025, 12, 17)) == Decimal("4.00")
    assert book.rate_on("ecb-mro", date(2025, 6, 11)) == Decimal("2.15")
    assert book.rate_on("ecb-mro", date(2025, 6, 10)) == Decimal("2.40")
    assert book.rate_on("de-base", date(2025, 7, 1)) == Decimal("1.27")
    assert book.rate_on("de-base", date(2022, 7, 1)) == Decimal("-0.88")
    for sid in book.series:
        with pytest.raises(RateMissing, match=f"or with `recoup rates add {sid} 2027-01-01 VALUE`"):
            book.rate_on(sid, date(2027, 1, 1))
    with pytest.raises(RateMissing):
        book.rate_on("ecb-mro", date(2000, 1, 1))


def test_a_malformed_rates_file_names_the_field(tmp_path):
    path = _write(tmp_path, "series:\n  - id: x\n    label: X\n    confirmed_until: 2026-01-01\n"
                            "    source: {title: Somewhere}\n    points: {2025-01-01: high}\n", "rates.yaml")
    with pytest.raises(RuleFileError, match=r"rates.yaml: series\[0\]\.points\.2025-01-01: Input should be a valid decimal"):
        load_rate_book(path)


def test_the_series_that_end_before_today_come_from_the_data():
    book = RateBook({
        "a": RateSeries(id="a", label="A rate", confirmed_until=date(2026, 1, 1),
                        points=((date(2025, 1, 1), Decimal("1")),)),
        "b": RateSeries(id="b", label="B rate", confirmed_until=date(2025, 6, 30),
                        points=((date(2025, 1, 1), Decimal("2")), (date(2025, 9, 1), Decimal("3")))),
    })
    assert book.series["b"].known_until == date(2025, 9, 1)  # a later point confirms the days up to it
    assert book.ended_before(date(2025, 9, 1)) == ()
    assert [s.id for s in book.ended_before(date(2025, 9, 2))] == ["b"]
    assert [s.id for s in book.ended_before(date(2026, 3, 31))] == ["b", "a"]  # oldest end first
    later = book.with_points([("b", date(2026, 4, 1), Decimal("2.5"))])
    assert [s.id for s in later.ended_before(date(2026, 3, 31))] == ["a"]
