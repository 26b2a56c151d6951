"""Reconciliation scoring (recoup.core.matching): references, amounts, payers, returns."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from recoup.core.matching import (
    Credit,
    MatchIndex,
    OpenInvoice,
    _one_edit,
    compact,
    rf_body,
    rf_reference,
    subset_sum,
)
from recoup.core.returns import Movement, original_of

D = date(2026, 1, 31)
INVOICES = [
    OpenInvoice(1, "INV-2026-0042", 10, "EUR", 12000, D),
    OpenInvoice(2, "INV-2026-0043", 10, "EUR", 5000, date(2026, 2, 28)),
    OpenInvoice(3, "INV-2026-0107", 11, "EUR", 7000, D),
    OpenInvoice(4, "INV-2026-0108", 12, "EUR", 7000, D),
    OpenInvoice(5, "INV-2026-0200", 13, "GBP", 9900, D),
]
NAMES = {10: "Northwind Traders Ltd", 11: "Northwind Trading GmbH", 12: "Contoso Ltd", 13: "Fabrikam plc"}


def index(**kw) -> MatchIndex:
    return MatchIndex(invoices=INVOICES, customer_names=NAMES, **kw)


def best(credit: Credit, **kw):
    found = index(**kw).match(credit)
    return found[0] if found else None


def test_an_invoice_number_in_the_text_and_the_exact_amount_is_near_certain():
    for text in ["Invoice INV-2026-0042", "inv 2026 0042 thanks", "PAYMENT INV20260042", "ref 2026-0042",
                 "INV/2026/0042", "/REMI/INV-2026-0042/EREF/NOTPROVIDED"]:
        c = best(Credit(12000, "EUR", text))
        assert c.parts == ((1, 12000),) and c.confidence == 0.99, text


def test_an_rf_creditor_reference_is_read_with_or_without_spaces():
    rf = rf_reference("INV-2026-0107")
    assert rf.startswith("RF") and rf_body(rf) == "INV20260107"
    spaced = " ".join(rf[i:i + 4] for i in range(0, len(rf), 4))
    c = best(Credit(7000, "EUR", f"SCOR {spaced}"))
    assert c.parts == ((3, 7000),) and c.confidence == 0.99


def test_one_typo_or_a_swap_in_the_number_still_finds_the_invoice_but_less_surely():
    for text in ["INV-2026-0024", "INV-2026-0041", "INV-2026-00422", "INV-2026-042"]:
        c = best(Credit(12000, "EUR", text))
        assert c.parts == ((1, 12000),) and 0.9 <= c.confidence < 0.99, text


def test_one_payment_for_several_invoices_of_one_customer_matches_when_the_sum_is_exact():
    c = best(Credit(17000, "EUR", "INV-2026-0042 + INV-2026-0043"))
    assert c.parts == ((1, 12000), (2, 5000)) and c.confidence == 0.97


def test_a_part_payment_needs_the_payer_to_agree_before_it_is_applied_alone():
    alone = best(Credit(4000, "EUR", "INV-2026-0042"))
    assert alone.parts == ((1, 4000),) and alone.confidence < 0.9
    named = best(Credit(4000, "EUR", "INV-2026-0042", payer_name="NORTHWIND TRADERS"))
    assert named.parts == ((1, 4000),) and named.confidence >= 0.9


def test_an_overpayment_pays_the_invoice_and_leaves_the_rest_for_review():
    c = best(Credit(15000, "EUR", "INV-2026-0042"))
    assert c.parts == ((1, 12000),) and c.confidence < 0.9


def test_a_remembered_account_finds_the_customer_and_the_amount_finds_the_invoice():
    known = {"DE89 3704 0044 0532 0130 00": 11}
    c = best(Credit(7000, "EUR", "thank you", payer_account="DE89370400440532013000"), known_accounts=known)
    assert c.customer_id == 11 and c.parts == ((3, 7000),) and c.confidence >= 0.9
    c = best(Credit(17000, "EUR", "", payer_account="NL01"), known_accounts={"NL01": 10})
    assert c.parts == ((1, 12000), (2, 5000)) and c.confidence >= 0.9


def test_a_name_alone_is_never_sure_enough_and_look_alike_names_do_not_cross():
    c = best(Credit(7000, "EUR", "", payer_name="Northwind Tradng"))  # like one customer's name, not the same
    assert c.customer_id == 11 and c.confidence < 0.9
    found = index().match(Credit(12000, "EUR", "", payer_name="Northwind Trading GmbH"))
    assert all(cand.customer_id != 10 or cand.confidence < 0.9 for cand in found)


def test_two_equally_likely_answers_are_left_for_a_person():
    found = index().match(Credit(7000, "EUR", "", payer_name="", payer_account=""))
    assert found == []  # two invoices of 70.00: the amount alone says nothing
    found = index().match(Credit(9900, "GBP", "thanks"))
    assert found[0].parts == ((5, 9900),) and found[0].confidence < 0.5


def test_currency_and_settled_invoices_are_respected():
    assert best(Credit(12000, "GBP", "INV-2026-0042")) is None
    ix = index()
    ix.settle(1, 12000)
    assert not any(c.parts[0][0] == 1 for c in ix.match(Credit(12000, "EUR", "INV-2026-0042")))


def test_money_out_is_never_matched_to_invoices():
    assert index().match(Credit(-12000, "EUR", "INV-2026-0042")) == []


def test_a_return_finds_the_credit_it_undoes():
    credits = [Movement(1, 5000, date(2026, 3, 1), end_to_end_id="E2E-20260301-1", counterparty_account="DE01"),
               Movement(2, 5000, date(2026, 3, 2), end_to_end_id="E2E-20260302-2", counterparty_account="DE02")]
    assert original_of(Movement(9, -5000, date(2026, 3, 5), end_to_end_id="E2E-20260302-2"), credits, is_return=True).id == 2
    assert original_of(Movement(9, -5300, date(2026, 3, 5), counterparty_account="DE01"), credits,
                       is_return=True).id == 1  # 3.00 return fee on top
    assert original_of(Movement(9, -5000, date(2026, 3, 5), counterparty_account="DE01"), credits,
                       is_return=False) is None  # an ordinary payment out is not a refund
    assert original_of(Movement(9, -5000, date(2026, 3, 5), text="refund of E2E 20260301 1"), credits,
                       is_return=False).id == 1
    assert original_of(Movement(9, -5000, date(2026, 2, 5), end_to_end_id="E2E-20260302-2"), credits, is_return=True) is None


@given(st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-/ ", min_size=1, max_size=25))
def test_rf_reference_round_trips_for_any_invoice_number(number):
    body = compact(number)
    if not body or len(body) > 21:
        return
    assert rf_body(rf_reference(number)) == body


@given(st.text(alphabet="0123456789", min_size=5, max_size=10), st.integers(0, 9), st.integers(0, 9))
def test_one_edit_is_symmetric_and_catches_substitutions(digits, pos, new):
    pos %= len(digits)
    changed = digits[:pos] + str(new) + digits[pos + 1:]
    assert _one_edit(digits, changed) == (changed != digits) == _one_edit(changed, digits)


@given(st.lists(st.integers(1, 10_000), min_size=2, max_size=8), st.data())
def test_subset_sum_returns_parts_that_sum_to_the_target(amounts, data):
    items = list(enumerate(amounts))
    chosen = data.draw(st.lists(st.sampled_from(items), min_size=2, max_size=4, unique=True))
    target = sum(m for _, m in chosen)
    found = subset_sum(items, target)
    assert found is not None and sum(m for _, m in found) == target and len(found) <= 4


def test_a_remembered_account_wins_over_many_customers_with_the_same_name():
    twins = [OpenInvoice(100 + i, f"X-{i}", 200 + i, "EUR", 5000 + i, D) for i in range(6)]
    ix = MatchIndex(invoices=twins, customer_names={200 + i: "Acme Supplies Ltd" for i in range(6)},
                    known_accounts={"DE01": 205})
    [c, *_] = ix.match(Credit(5005, "EUR", "thanks", payer_name="ACME SUPPLIES", payer_account="DE01"))
    assert c.customer_id == 205 and c.confidence >= 0.9


# -- a payer named exactly as one customer, paying exactly what it owes -----------------------------------


def test_the_exact_name_of_one_customer_and_the_amount_of_one_of_its_invoices_is_a_sure_match():
    for name in ("Northwind Trading GmbH", "NORTHWIND TRADING GMBH", "Northwind Trading", "northwind, trading"):
        c = best(Credit(7000, "EUR", "", payer_name=name))
        assert c.customer_id == 11 and c.parts == ((3, 7000),) and c.confidence >= 0.9, name
        assert any("exactly" in why for why in c.reasons)


def test_the_exact_name_and_the_whole_open_balance_pays_every_open_invoice():
    c = best(Credit(17000, "EUR", "Payment", payer_name="Northwind Traders Ltd"))
    assert c.customer_id == 10 and c.parts == ((1, 12000), (2, 5000)) and c.confidence >= 0.9


def test_the_exact_name_is_not_enough_when_it_is_ambiguous_or_the_amount_is_not_exact():
    twins = {**NAMES, 14: "Northwind Trading BV"}  # "Northwind Trading" is now two customers
    ix = MatchIndex(invoices=[*INVOICES, OpenInvoice(6, "INV-2026-0300", 14, "EUR", 100, D)], customer_names=twins)
    assert ix.match(Credit(7000, "EUR", "", payer_name="Northwind Trading"))[0].confidence < 0.9
    # ... but its full name with the legal form is still one customer's
    assert ix.match(Credit(7000, "EUR", "", payer_name="Northwind Trading GmbH"))[0].confidence >= 0.9
    assert best(Credit(6999, "EUR", "", payer_name="Northwind Trading GmbH")) is None
    two_of_that_amount = [*INVOICES, OpenInvoice(7, "INV-2026-0109", 11, "EUR", 7000, D)]
    found = MatchIndex(invoices=two_of_that_amount, customer_names=NAMES).match(
        Credit(7000, "EUR", "", payer_name="Northwind Trading GmbH"))
    assert found[0].confidence < 0.9


def test_the_exact_name_does_not_override_a_reference_or_a_remembered_account():
    # The text names another invoice: the reference decides, not the name.
    c = best(Credit(7000, "EUR", "INV-2026-0108", payer_name="Northwind Trading GmbH"))
    assert c.customer_id == 12
    # A remembered account of another customer: not sure of either.
    found = index(known_accounts={"DE01": 12}).match(
        Credit(7000, "EUR", "", payer_name="Northwind Trading GmbH", payer_account="DE01"))
    assert not any(c.customer_id == 11 and c.confidence >= 0.9 for c in found)


def test_another_customer_with_a_similar_name_and_an_invoice_of_that_amount_makes_it_unsure():
    names = {**NAMES, 15: "Northwind Tradings Ltd"}
    invoices = [*INVOICES, OpenInvoice(8, "INV-2026-0400", 15, "EUR", 7000, D)]  # it owes 70.00 too
    found = MatchIndex(invoices=invoices, customer_names=names).match(
        Credit(7000, "EUR", "", payer_name="Northwind Trading GmbH"))
    assert found[0].confidence < 0.9
    # Northwind Traders (not similar enough to be confused, see above) owing 70.00 changes nothing
    invoices = [*INVOICES, OpenInvoice(8, "INV-2026-0400", 10, "EUR", 7000, D)]
    found = MatchIndex(invoices=invoices, customer_names=NAMES).match(
        Credit(7000, "EUR", "", payer_name="Northwind Trading GmbH"))
    assert found[0].customer_id == 11 and found[0].confidence >= 0.9
