"""ISO 11649 creditor references: made here, checked by python-stdnum and by the mod-97 rule itself."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso11649

from recoup.core import rf

BODY = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=21)


def _mod97(reference: str) -> int:
    moved = reference[4:] + reference[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97


def test_it_makes_the_reference_of_the_standards_example():
    assert rf.creditor_reference("539007547034") == "RF18539007547034"
    assert rf.formatted("RF18539007547034") == "RF18 5390 0754 7034"


@given(BODY)
def test_every_reference_validates_mod_97(body):
    reference = rf.creditor_reference(body)
    assert _mod97(reference) == 1
    assert iso11649.is_valid(reference)
    assert reference.endswith(body) and len(reference) <= 25


@given(st.text(alphabet="0123456789", min_size=1, max_size=21), st.integers(min_value=2, max_value=24),
       st.sampled_from("0123456789"))
def test_a_mistyped_digit_is_caught(body, position, replacement):
    reference = rf.creditor_reference(body)
    position = min(position, len(reference) - 1)
    changed = reference[:position] + replacement + reference[position + 1:]
    if changed != reference:
        assert not rf.is_valid(changed)


@given(st.text(min_size=1, max_size=40), st.integers(min_value=1, max_value=10**12))
def test_every_invoice_gets_a_valid_reference(number, invoice_id):
    assert rf.is_valid(rf.invoice_reference(number, invoice_id))


def test_invoice_numbers_lose_their_separators_and_long_ones_fall_back_to_the_id():
    assert rf.invoice_reference_body("INV-2026/0042", 7) == "INV20260042"
    assert rf.invoice_reference_body("Rechnung Nr. 2026-000000000042", 7) == "I07"
    assert rf.invoice_reference_body("I0-5", 99) == "I02R"  # never mistaken for an id reference


@pytest.mark.parametrize("bad", ["", "ab-c", "X" * 22, "ÄB"])
def test_a_body_that_cannot_be_a_reference_is_refused(bad):
    with pytest.raises(ValueError, match="cannot be a creditor reference"):
        rf.creditor_reference(bad)


def test_the_invoice_is_found_again_from_its_reference_in_its_own_organization_only(org_a, org_b, make_customer,
                                                                                    make_invoice):
    from recoup.payments.selectors import invoice_for_reference

    a = make_invoice(org_a, make_customer(org_a), "INV-77", "10.00")
    b = make_invoice(org_b, make_customer(org_b), "INV-77", "10.00")
    reference = rf.invoice_reference(a.number, a.pk)
    assert invoice_for_reference(org=org_a, reference=rf.formatted(reference)) == a
    assert invoice_for_reference(org=org_b, reference=reference) == b  # same number, its own invoice
    long = make_invoice(org_a, make_customer(org_a, ref="C2"), "X" * 30, "10.00")
    assert invoice_for_reference(org=org_a, reference=rf.invoice_reference(long.number, long.pk)) == long
    assert invoice_for_reference(org=org_b, reference=rf.invoice_reference(long.number, long.pk)) is None
    assert invoice_for_reference(org=org_a, reference="RF00INV77") is None
