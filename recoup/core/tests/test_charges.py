"""Principal and charges: how settlements split under the payment order, examples and properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.core.charges import (
    CHARGES_FIRST,
    PRINCIPAL_FIRST,
    ChargeError,
    ChargeIn,
    Part,
    SettlementIn,
    SettlementKind,
    complete_order,
    order_in_force,
    split,
)
from recoup.core.rules import RuleFileError, load_rule_file, rules_in_force

D0 = date(2026, 3, 1)
PAY, CREDIT, WRITE_OFF = SettlementKind.PAYMENT, SettlementKind.CREDIT, SettlementKind.WRITE_OFF


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def pay(key, n, minor, kind=PAY):
    return SettlementIn(key=key, kind=kind, on=day(n), amount_minor=minor)


# --- examples --------------------------------------------------------------------------------

def test_charges_first_settles_the_fee_then_the_principal():
    fee = ChargeIn(key=1, kind="late_fee", on=day(0), amount_minor=4000)
    first = split(principal_minor=100_000, charges=[fee], settlements=[pay("a", 5, 2500)], order=CHARGES_FIRST)
    assert (first.principal_open_minor, first.charge(1).open_minor) == (100_000, 1500)
    both = split(principal_minor=100_000, charges=[fee], settlements=[pay("a", 5, 2500), pay("b", 9, 11_500)],
                 order=CHARGES_FIRST)
    assert (both.principal_open_minor, both.charge(1).open_minor) == (90_000, 0)
    assert [(s.principal_minor, s.charges) for s in both.settlements] == [(0, ((1, 2500),)), (10_000, ((1, 1500),))]
    assert both.principal_reductions == ((day(9), 10_000),)


def test_principal_first_leaves_the_fee_open_until_the_principal_is_paid():
    fee = ChargeIn(key=1, kind="late_fee", on=day(0), amount_minor=4000)
    result = split(principal_minor=10_000, charges=[fee], settlements=[pay("a", 5, 2500), pay("b", 9, 9000)],
                   order=PRINCIPAL_FIRST)
    assert (result.principal_open_minor, result.charge(1).open_minor, result.open_minor) == (0, 2500, 2500)
    assert [(s.principal_minor, s.charges) for s in result.settlements] == [(2500, ()), (7500, ((1, 1500),))]


def test_costs_come_before_interest_and_older_charges_before_newer_ones():
    charges = [ChargeIn(key="i", kind="interest", on=day(1), amount_minor=300),
               ChargeIn(key="f2", kind="other", on=day(2), amount_minor=200),
               ChargeIn(key="f1", kind="late_fee", on=day(0), amount_minor=100)]
    result = split(principal_minor=5000, charges=charges, settlements=[pay("a", 3, 450)], order=CHARGES_FIRST)
    assert result.settlements[0].charges == (("f1", 100), ("f2", 200), ("i", 150))


def test_credit_notes_and_write_offs_reduce_the_principal_first_whatever_the_order():
    fee = ChargeIn(key=1, kind="late_fee", on=day(0), amount_minor=1000)
    result = split(principal_minor=5000, charges=[fee],
                   settlements=[pay("cn", 1, 3000, CREDIT), pay("wo", 2, 2500, WRITE_OFF)], order=CHARGES_FIRST)
    assert [(s.principal_minor, s.charges_minor) for s in result.settlements] == [(3000, 0), (2000, 500)]
    assert result.charge(1).open_minor == 500


def test_a_waiver_takes_the_charge_off_and_only_the_charge():
    fee = ChargeIn(key=1, kind="late_fee", on=day(0), amount_minor=1000, waivers=((day(3), 600),))
    result = split(principal_minor=5000, charges=[fee], settlements=[pay("a", 1, 300)], order=CHARGES_FIRST)
    state = result.charge(1)
    assert (state.settled_minor, state.waived_minor, state.open_minor) == (300, 600, 100)
    assert result.principal_open_minor == 5000
    # Before the waiver's date the fee was still owed.
    assert split(principal_minor=5000, charges=[fee], settlements=[pay("a", 1, 300)], order=CHARGES_FIRST,
                 as_of=day(2)).charge(1).open_minor == 700


def test_a_waiver_beyond_what_its_charge_has_open_reduces_the_principal():
    # The payment of day 1 was recorded after the waiver of day 3 and settled the fee first.
    fee = ChargeIn(key=1, kind="late_fee", on=day(0), amount_minor=1000, waivers=((day(3), 1000),))
    result = split(principal_minor=5000, charges=[fee], settlements=[pay("a", 1, 1000)], order=CHARGES_FIRST)
    assert (result.charge(1).open_minor, result.principal_open_minor, result.open_minor) == (0, 4000, 4000)


def test_money_received_ahead_of_a_charge_settles_it_when_it_arises():
    fee = ChargeIn(key=1, kind="late_fee", on=day(10), amount_minor=500)
    result = split(principal_minor=1000, charges=[fee], settlements=[pay("a", 2, 1500)], order=CHARGES_FIRST)
    assert (result.ahead_minor, result.open_minor, result.settlements[0].charges) == (0, 0, ((1, 500),))
    early = split(principal_minor=1000, charges=[fee], settlements=[pay("a", 2, 1500)], order=CHARGES_FIRST,
                  as_of=day(5))
    assert (early.ahead_minor, early.open_minor, early.settlements[0].ahead_minor) == (500, -500, 500)


def test_as_of_leaves_out_what_came_later():
    fee = ChargeIn(key=1, kind="interest", on=day(4), amount_minor=200)
    result = split(principal_minor=1000, charges=[fee], settlements=[pay("a", 6, 100)], order=CHARGES_FIRST,
                   as_of=day(5))
    assert (result.open_minor, result.settlements, result.charges[0].open_minor) == (1200, (), 200)


@pytest.mark.parametrize(("charges", "settlements", "message"), [
    ([ChargeIn(1, "late_fee", day(2), 100, waivers=((day(1), 50),))], [], "before the charge"),
    ([ChargeIn(1, "penalty", day(2), 100)], [], "not a charge kind"),
    ([ChargeIn(1, "late_fee", day(2), 0)], [], "amount_minor"),
    ([ChargeIn(1, "late_fee", day(2), 10), ChargeIn(1, "interest", day(3), 10)], [], "key is used twice"),
    ([], [SettlementIn("a", PAY, day(1), -5)], "settlement 'a' amount_minor"),
])
def test_impossible_input_is_refused_naming_it(charges, settlements, message):
    with pytest.raises(ChargeError, match=message):
        split(principal_minor=1000, charges=charges, settlements=settlements, order=CHARGES_FIRST)


# --- the order in force ------------------------------------------------------------------------

def test_a_rule_naming_some_parts_is_completed_charges_first():
    assert complete_order(["costs", "interest", "principal"]) == CHARGES_FIRST
    assert complete_order(["interest", "principal"]) == CHARGES_FIRST
    assert complete_order(["principal", "interest"]) == (Part.COSTS, Part.PRINCIPAL, Part.INTEREST)
    with pytest.raises(ChargeError, match="named twice"):
        complete_order(["interest", "interest", "principal"])


def test_the_setting_wins_else_the_rule_in_force_else_charges_first():
    de = rules_in_force("DE", date(2026, 1, 1), "business")
    assert order_in_force("principal_first", de).order == PRINCIPAL_FIRST
    assert order_in_force("charges_first", None).basis == "organization setting charges first"
    by_law = order_in_force("", de)
    assert (by_law.order, by_law.basis) == (CHARGES_FIRST, "DE.bgb-367.appropriation, BGB 367(1)")
    assert order_in_force("", rules_in_force("FR", date(2026, 1, 1), "consumer")).basis.startswith(
        "FR.code-civil-1343-1")
    assert order_in_force("", rules_in_force("GB", date(2026, 1, 1), "business")).basis == \
        "no rule in force fixes one: charges first"
    assert order_in_force("", None).order == CHARGES_FIRST
    with pytest.raises(ChargeError, match="payment_order"):
        order_in_force("interest_first", None)


def test_the_shipped_rules_fix_an_order_where_the_law_does_and_none_requires_principal_first():
    for jurisdiction, expected in (("DE", True), ("FR", True), ("NL", True), ("US-CA", True), ("GB", False),
                                   ("EU", False), ("US", False)):
        for kind in ("business", "consumer"):
            rules = rules_in_force(jurisdiction, date(2026, 1, 1), kind)
            found = [r for r in rules.values() if r.topic == "payment_appropriation"]
            assert bool(found) is expected, jurisdiction
            assert order_in_force("", rules).order[-1] is Part.PRINCIPAL


@pytest.mark.parametrize(("order", "message"), [
    ("[interest, costs]", "must place the principal"),
    ("[principal, interest, principal]", "names a part twice"),
    ("[principal, fees]", "Input should be 'costs', 'interest' or 'principal'"),
])
def test_a_bad_payment_appropriation_rule_is_refused_naming_the_field(tmp_path, order, message):
    path = tmp_path / "xx.yaml"
    path.write_text(f"""jurisdiction: DE
name: Test
rules:
  - id: DE.test.appropriation
    kind: calculation
    topic: payment_appropriation
    applies_to: both
    title: A test rule
    effective_from: 2020-01-01
    source: {{title: Nowhere}}
    parameters: {{order: {order}}}
""", encoding="utf-8")
    with pytest.raises(RuleFileError, match="rules\\[0\\].parameters") as err:
        load_rule_file(path)
    assert message in str(err.value)


# --- properties --------------------------------------------------------------------------------

kinds = st.sampled_from(["late_fee", "interest", "other"])
waivers = st.lists(st.tuples(st.integers(0, 40), st.integers(1, 5000)), max_size=2)
charge_specs = st.lists(st.tuples(kinds, st.integers(0, 60), st.integers(1, 5000), waivers), max_size=5)
settlement_specs = st.lists(st.tuples(st.sampled_from(list(SettlementKind)), st.integers(0, 90),
                                      st.integers(1, 30_000)), max_size=6)
orders = st.sampled_from([CHARGES_FIRST, PRINCIPAL_FIRST, complete_order(["principal", "interest"])])


def _inputs(charge_list, settlement_list):
    charges = [ChargeIn(key=i, kind=k, on=day(d), amount_minor=a,
                        waivers=tuple((day(d + off), w) for off, w in ws))
               for i, (k, d, a, ws) in enumerate(charge_list)]
    settlements = [SettlementIn(key=i, kind=k, on=day(d), amount_minor=a)
                   for i, (k, d, a) in enumerate(settlement_list)]
    return charges, sorted(settlements, key=lambda s: s.on)


@given(principal=st.integers(0, 50_000), charge_list=charge_specs, settlement_list=settlement_specs, order=orders,
       as_of=st.none() | st.integers(0, 100))
def test_every_cent_is_somewhere_and_nothing_is_negative(principal, charge_list, settlement_list, order, as_of):
    charges, settlements = _inputs(charge_list, settlement_list)
    cut = None if as_of is None else day(as_of)
    result = split(principal_minor=principal, charges=charges, settlements=settlements, order=order, as_of=cut)

    def counted(on):
        return cut is None or on <= cut

    for s in result.settlements:
        assert s.principal_minor + s.charges_minor + s.ahead_minor == s.amount_minor
        assert min([s.principal_minor, s.ahead_minor, *(m for _, m in s.charges)]) >= 0
    assert result.principal_open_minor >= 0 and result.ahead_minor >= 0
    for c in result.charges:
        assert c.open_minor >= 0 and c.settled_minor >= 0 and c.waived_minor >= 0
    formula = (principal + sum(c.amount_minor for c in charges if counted(c.on))
               - sum(w for c in charges for on, w in c.waivers if counted(on))
               - sum(s.amount_minor for s in settlements if counted(s.on)))
    assert result.principal_open_minor + result.charges_open_minor - result.ahead_minor == formula
    assert result.open_minor == formula
    # Money waits ahead only while nothing is open.
    assert result.ahead_minor == 0 or result.principal_open_minor + result.charges_open_minor == 0
    assert sum(m for _, m in result.principal_reductions) == result.principal_settled_minor
    assert all(counted(on) for on, _ in result.principal_reductions)


@given(principal=st.integers(0, 50_000), charge_list=charge_specs, settlement_list=settlement_specs, order=orders)
def test_the_principal_only_falls_as_time_goes_on(principal, charge_list, settlement_list, order):
    charges, settlements = _inputs(charge_list, settlement_list)
    seen = [split(principal_minor=principal, charges=charges, settlements=settlements, order=order,
                  as_of=day(n)).principal_open_minor for n in range(0, 101, 10)]
    assert seen == sorted(seen, reverse=True)


@given(principal=st.integers(0, 50_000), charge_list=charge_specs, settlement_list=settlement_specs,
       amount=st.integers(1, 80_000))
def test_a_payment_goes_where_the_order_says(principal, charge_list, settlement_list, amount):
    charges, settlements = _inputs(charge_list, settlement_list)
    last = pay("last", 150, amount)
    for order in (CHARGES_FIRST, PRINCIPAL_FIRST):
        before = split(principal_minor=principal, charges=charges, settlements=settlements, order=order)
        after = split(principal_minor=principal, charges=charges, settlements=[*settlements, last], order=order)
        went = after.settlements[-1]
        if order == CHARGES_FIRST:
            assert went.charges_minor == min(amount, before.charges_open_minor)
        else:
            assert went.principal_minor == min(amount, before.principal_open_minor)
        assert went.ahead_minor == max(0, amount - before.principal_open_minor - before.charges_open_minor)


@st.composite
def valid_histories(draw):
    """Histories a ledger can hold: every settlement at most what is open when it is recorded,
    every waiver at most what its charge has open then (events drawn in date order)."""
    principal = draw(st.integers(0, 50_000))
    order = draw(orders)
    charges: list[ChargeIn] = []
    settlements: list[SettlementIn] = []
    for n in range(draw(st.integers(0, 8))):
        step = draw(st.sampled_from(["charge", "settle", "waive"]))
        on = day(n * 7)
        now = split(principal_minor=principal, charges=charges, settlements=settlements, order=order)
        if step == "charge":
            charges.append(ChargeIn(key=len(charges), kind=draw(kinds), on=on, amount_minor=draw(st.integers(1, 5000))))
        elif step == "settle" and now.open_minor > 0:
            settlements.append(SettlementIn(key=len(settlements), kind=draw(st.sampled_from(list(SettlementKind))),
                                            on=on, amount_minor=draw(st.integers(1, now.open_minor))))
        elif step == "waive" and now.open_charges:
            target = draw(st.sampled_from(now.open_charges))
            c = charges[target.key]
            charges[target.key] = ChargeIn(key=c.key, kind=c.kind, on=c.on, amount_minor=c.amount_minor,
                                           waivers=(*c.waivers, (on, draw(st.integers(1, target.open_minor)))))
    return principal, charges, settlements, order


@given(history=valid_histories())
def test_a_history_the_ledger_can_hold_never_leaves_money_ahead(history):
    principal, charges, settlements, order = history
    result = split(principal_minor=principal, charges=charges, settlements=settlements, order=order)
    assert result.ahead_minor == 0 and result.open_minor >= 0
    for c in result.charges:
        assert c.waived_minor == sum(w for _, w in charges[c.key].waivers)
