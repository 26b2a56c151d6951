"""The EPC QR payload line by line against EPC069-12 (version 002, UTF-8, SCT)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.payments.epc import EpcError, epc_payload, epc_svg

IBAN = "DE89370400440532013000"


def test_the_payload_has_the_documented_elements_in_order():
    payload = epc_payload(name="Oakline Joinery GmbH", iban="DE89 3704 0044 0532 0130 00", bic="cobadeffxxx",
                          amount=Decimal("1234.50"), reference="RF18 5390 0754 7034", info="Invoice INV-1")
    assert payload.split("\n") == [
        "BCD",                   # service tag
        "002",                   # version
        "1",                     # character set: UTF-8
        "SCT",                   # identification: SEPA credit transfer
        "COBADEFFXXX",           # BIC
        "Oakline Joinery GmbH",  # beneficiary name
        IBAN,                    # beneficiary IBAN, compact
        "EUR1234.50",            # amount: EUR, a dot, two decimals
        "",                      # purpose (none)
        "RF18539007547034",      # structured remittance: the RF reference
        "",                      # unstructured remittance: empty when structured is given
        "Invoice INV-1",         # beneficiary to originator information
    ]
    assert not payload.endswith("\n")


def test_trailing_empty_elements_are_left_out_and_the_bic_may_be_empty_in_version_002():
    payload = epc_payload(name="Acme", iban=IBAN, amount=None, text="Invoice 7")
    assert payload.split("\n") == ["BCD", "002", "1", "SCT", "", "Acme", IBAN, "", "", "", "Invoice 7"]


@pytest.mark.parametrize("kwargs, field", [
    ({"currency": "GBP"}, "currency"),
    ({"name": ""}, "name"),
    ({"name": "N" * 71}, "name"),
    ({"iban": "DE00370400440532013000"}, "iban"),
    ({"bic": "NOTABIC"}, "bic"),
    ({"amount": Decimal("0.001")}, "amount"),
    ({"amount": Decimal("0")}, "amount"),
    ({"amount": Decimal("1000000000.00")}, "amount"),
    ({"reference": "RF18539007547035"}, "reference"),
    ({"reference": "RF18539007547034", "text": "both"}, "reference"),
    ({"text": "t" * 141}, "text"),
    ({"purpose": "abc"}, "purpose"),
    ({"info": "i" * 71}, "info"),
])
def test_what_cannot_be_encoded_is_refused_naming_the_field(kwargs, field):
    args = {"name": "Acme", "iban": IBAN, "amount": Decimal("10.00"), **kwargs}
    with pytest.raises(EpcError, match=f"^{field}"):
        epc_payload(**args)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1,
               max_size=70).filter(lambda s: s.split()),
       st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999.99"), places=2))
def test_any_name_and_amount_stay_within_the_limits(name, amount):
    try:
        payload = epc_payload(name=name, iban=IBAN, amount=amount, text="x" * 140)
    except EpcError as exc:
        assert "331 bytes" in str(exc)
        return
    lines = payload.split("\n")
    assert len(lines) == 11 and lines[:4] == ["BCD", "002", "1", "SCT"]
    assert len(payload.encode()) <= 331 and lines[7] == f"EUR{amount}"


def test_the_svg_is_a_qr_code_with_its_title():
    svg = epc_svg(epc_payload(name="Acme", iban=IBAN, amount=Decimal("5.00")), title="Pay invoice 1")
    assert svg.startswith("<svg") and "<title>Pay invoice 1</title>" in svg and "<path" in svg
