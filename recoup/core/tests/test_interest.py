"""Statutory interest: the worked examples of docs/interest.md, properties, and the policy's step helper."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.core.interest import RateMissing, calculate, round_half_up, statutory_charges
from recoup.core.money import parse_amount, to_minor
from recoup.core.rules import shipped_rates

DOC = Path(__file__).resolve().parents[3] / "docs" / "interest.md"
RATES = shipped_rates()
dues = st.dates(min_value=date(2023, 1, 1), max_value=date(2025, 6, 30))


def _examples() -> list[dict]:
    blocks = re.findall(r"```example\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return [yaml.safe_load(b) for b in blocks]


def test_the_doc_has_an_example_for_every_calculator_and_the_required_edges():
    examples = _examples()
    assert {e["jurisdiction"] for e in examples} >= {"GB", "EU", "DE", "FR", "NL", "US-CA"}
    assert any(e["jurisdiction"] == "GB" and e["amount"] == "1000.00" for e in examples)  # band edge
    assert any(e["jurisdiction"] == "DE" and len(e["days"]) == 2 for e in examples)  # half-year change
    assert any(366 in e["days"] for e in examples)  # leap year


@pytest.mark.parametrize("ex", _examples(), ids=lambda e: f"{e['jurisdiction']}-{e['debtor']}-{e['amount']}")
def test_worked_example_from_the_docs(ex):
    currency = ex["currency"]
    result = calculate(jurisdiction=ex["jurisdiction"], debt_kind=ex["debtor"],
                       principal_minor=to_minor(parse_amount(ex["amount"], currency), currency), currency=currency,
                       due=ex["due"], until=ex["paid"], rates=RATES,
                       contract_rate=Decimal(ex["contract_rate"]) if "contract_rate" in ex else None,
                       letter_on=ex.get("letter"))
    data = result.as_json()
    assert [p["days"] for p in data["periods"]] == ex["days"]
    assert [p["rate"] for p in data["periods"]] == ex["rates"]
    assert data["interest"] == ex["interest"]
    assert data["compensation"] == ex.get("compensation", "0.00")
    assert data["collection_costs"] == ex.get("collection_costs", "0.00")
    assert data["total"] == ex["total"]
    assert sum(ex["days"]) in (0, (ex["paid"] - ex["due"]).days)


def test_gb_rate_is_fixed_for_the_life_of_the_debt_even_across_rate_changes():
    # Interest starts 2025-07-01: Bank Rate on 30 June 2025 (4.25) holds though it fell in August and December.
    r = calculate(jurisdiction="GB", debt_kind="business", principal_minor=100000, currency="GBP",
                  due=date(2025, 6, 30), until=date(2025, 12, 31), rates=RATES)
    assert [(p.rate, p.days) for p in r.periods] == [(Decimal("12.25"), 184)]
    assert r.rule_ids == ("GB.late-payment-act.interest", "GB.late-payment-act.compensation")


def test_a_missing_rate_is_never_guessed():
    with pytest.raises(RateMissing, match=r"no ECB rate known for 2026-07-01; add it under Rules → Add a rate, "
                                          r"or with `recoup rates add ecb-mro 2026-07-01 VALUE`"):
        calculate(jurisdiction="FR", debt_kind="business", principal_minor=100000, currency="EUR",
                  due=date(2026, 5, 31), until=date(2026, 7, 2), rates=RATES)
    added = RATES.with_points([("ecb-mro", date(2026, 7, 1), Decimal("2.15"))])
    r = calculate(jurisdiction="FR", debt_kind="business", principal_minor=100000, currency="EUR",
                  due=date(2026, 5, 31), until=date(2026, 7, 2), rates=added)
    assert [p.rate for p in r.periods] == [Decimal("12.15"), Decimal("12.15")]


def test_part_payments_lower_the_principal_from_the_next_day():
    r = calculate(jurisdiction="US-CA", debt_kind="business", principal_minor=365000, currency="USD",
                  due=date(2025, 1, 1), until=date(2025, 1, 21), rates=RATES,
                  part_payments=[(date(2025, 1, 11), 165000)])
    assert [(p.start, p.end, p.principal_minor) for p in r.periods] == [
        (date(2025, 1, 2), date(2025, 1, 11), 365000), (date(2025, 1, 12), date(2025, 1, 21), 200000)]
    # 3650 x 10 % x 10/365 = 10.00; 2000 x 10 % x 10/365 = 5.479452
    assert r.interest_minor == 1548


def test_nl_collection_costs_wait_for_the_14_days_after_the_letter():
    kw = dict(jurisdiction="NL", debt_kind="consumer", principal_minor=300000, currency="EUR",
              due=date(2025, 3, 1), rates=RATES)
    assert calculate(**kw, until=date(2025, 4, 15), letter_on=date(2025, 4, 1)).collection_costs_minor == 0
    assert calculate(**kw, until=date(2025, 4, 16), letter_on=date(2025, 4, 1)).collection_costs_minor == 42500
    none = calculate(**kw, until=date(2025, 6, 1))
    assert none.total_minor == 0 and "14 days" in none.notes[0]


def test_nl_collection_costs_are_capped():
    r = calculate(jurisdiction="NL", debt_kind="consumer", principal_minor=100_000_000, currency="EUR",
                  due=date(2025, 3, 1), until=date(2025, 6, 1), rates=RATES, letter_on=date(2025, 4, 1))
    assert r.collection_costs_minor == 677500


def test_compensation_in_another_currency_is_left_out_with_a_note():
    r = calculate(jurisdiction="GB", debt_kind="business", principal_minor=100000, currency="EUR",
                  due=date(2025, 3, 31), until=date(2025, 4, 30), rates=RATES)
    assert r.compensation_minor == 0 and r.interest_minor == 1048 and "GBP" in r.notes[0]


# --- statutory_charges: what the policy's interest step adds ---

def test_statutory_charges_adds_what_is_owed_less_what_is_charged():
    kw = dict(jurisdiction="GB", debt_kind="business", principal_minor=200000, currency="GBP",
              due=date(2025, 11, 30), as_of=date(2026, 2, 28), rates=RATES)
    first = statutory_charges(**kw)
    assert [(c.kind, c.amount_minor, c.rule_id) for c in first.charges] == [
        ("compensation", 7000, "GB.late-payment-act.compensation"),
        ("interest", 6041, "GB.late-payment-act.interest")]
    assert [c.amount_minor for c in statutory_charges(**kw, already_charged_minor=7000 + 5000).charges] == [1041]
    assert statutory_charges(**kw, already_charged_minor={"interest": 6041, "compensation": 7000}).charges == ()
    assert statutory_charges(**kw, already_charged_minor=99999).charges == ()


@pytest.mark.parametrize("jurisdiction,kind,reason", [
    ("GB", "consumer", "consumer debt"),
    ("FR", "consumer", "consumer debt"),
    ("EU", "consumer", "consumer debt"),
    ("US", "business", "no statutory interest"),
    (None, "business", "no jurisdiction"),
])
def test_statutory_charges_are_blocked_with_the_reason(jurisdiction, kind, reason):
    out = statutory_charges(jurisdiction, kind, 100000, "GBP", date(2025, 1, 31), date(2025, 3, 1), RATES)
    assert not out.allowed and reason in out.blocked and out.charges == ()


def test_no_statutory_b2b_charge_lands_on_a_german_consumer():
    out = statutory_charges("DE", "consumer", 500000, "EUR", date(2025, 5, 31), date(2025, 8, 31), RATES)
    assert [c.kind for c in out.charges] == ["interest"]  # base rate + 5, and no EUR 40


def test_no_charges_during_a_uk_breathing_space():
    out = statutory_charges("GB", "consumer", 100000, "GBP", date(2025, 1, 31), date(2025, 3, 1), RATES,
                            breathing_space=True)
    assert "breathing space" in out.blocked and out.rule_ids == ("GB.breathing-space",)


@settings(max_examples=100, deadline=None)
@given(j=st.sampled_from(["GB", "EU", "DE", "FR", "NL", "US", "US-CA"]), principal=st.integers(1, 10**8),
       due=dues, days=st.integers(1, 180), letter=st.one_of(st.none(), st.integers(0, 90)))
def test_no_statutory_b2b_charge_ever_lands_on_a_consumer(j, principal, due, days, letter):
    out = statutory_charges(j, "consumer", principal, "EUR", due, due + timedelta(days=days), RATES,
                            letter_on=None if letter is None else due + timedelta(days=letter))
    kinds = {c.kind for c in out.charges}
    assert "compensation" not in kinds
    if j in ("GB", "EU", "FR", "NL"):
        assert "interest" not in kinds
    assert all(c.amount_minor > 0 for c in out.charges)


def test_statutory_charges_are_blocked_when_a_rate_is_missing():
    out = statutory_charges("EU", "business", 100000, "EUR", date(2026, 6, 1), date(2026, 8, 1), RATES)
    assert "rate missing" in out.blocked and "recoup rates add ecb-mro 2026-07-01" in out.blocked


# --- properties ---

JURISDICTION_KINDS = [("GB", "business"), ("EU", "business"), ("DE", "business"), ("DE", "consumer"),
                      ("FR", "business"), ("NL", "business"), ("US-CA", "business"), ("US-CA", "consumer")]


@settings(max_examples=150, deadline=None)
@given(jk=st.sampled_from(JURISDICTION_KINDS), principal=st.integers(0, 10**9), due=dues,
       days=st.integers(-30, 180), more=st.integers(0, 180))
def test_interest_is_never_negative_monotone_in_days_and_rounded_once(jk, principal, due, days, more):
    j, kind = jk
    kw = dict(jurisdiction=j, debt_kind=kind, principal_minor=principal, currency="EUR", due=due, rates=RATES)
    a = calculate(**kw, until=due + timedelta(days=days))
    b = calculate(**kw, until=due + timedelta(days=days + more))
    assert 0 <= a.interest_minor <= b.interest_minor
    assert a.total_minor <= b.total_minor
    assert a.interest_minor == round_half_up(sum((p.interest for p in a.periods), Fraction(0)))
    assert sum(p.days for p in a.periods) == (max(days, 0) if principal else 0)
    if days <= 0:
        assert a.total_minor == 0 and a.periods == ()


@settings(max_examples=100, deadline=None)
@given(jk=st.sampled_from(JURISDICTION_KINDS), principal=st.integers(1, 10**8), due=dues,
       days=st.integers(1, 360))
def test_splitting_a_period_never_changes_the_exact_interest(jk, principal, due, days):
    """The exact sum equals principal x sum(rate x days) / 36500: rounding happens once, at the end."""
    j, kind = jk
    r = calculate(jurisdiction=j, debt_kind=kind, principal_minor=principal, currency="EUR", due=due,
                  until=due + timedelta(days=days), rates=RATES)
    exact = Fraction(principal) * sum((Fraction(p.rate) * p.days for p in r.periods), Fraction(0)) / 36500
    assert r.interest_minor == round_half_up(exact)
