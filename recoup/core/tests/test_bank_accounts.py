"""Whether a statement's account is the one the organization gives in Settings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.core.bank_accounts import same_account, shown

BARCLAYS = "GB33BUKB20201555555555"
COMMERZ = "DE89370400440532013000"


@pytest.mark.parametrize("identifier, iban, details", [
    (BARCLAYS, BARCLAYS, ""),
    ("gb33 bukb 2020 1555 5555 55", BARCLAYS, ""),
    ("55555555", BARCLAYS, ""),                                     # OFX ACCTID: the account number alone
    ("20201555555555", "", "Sort code 20-20-15, account 55555555"),  # sort code and number together
    ("202015 55555555", "", "Sort code 20-20-15, account 55555555"),
    ("55555555", "", "Sort code 20-20-15, account 55555555"),
    ("37040044/532013000", COMMERZ, ""),                            # MT940 :25: BLZ/account, zeros dropped
    ("0532013000", "", "BLZ 370 400 44, Konto 0532013000"),
    (BARCLAYS, "", "IBAN GB33 BUKB 2020 1555 5555 55"),
    (BARCLAYS, "", "Sort code 20-20-15, account 55555555"),          # a UK IBAN holds sort code and number
])
def test_the_organizations_own_account_is_recognised_however_a_statement_writes_it(identifier, iban, details):
    assert same_account(identifier, iban=iban, details=details)


@pytest.mark.parametrize("identifier, iban, details", [
    ("GB29NWBK60161331926819", BARCLAYS, ""),                       # another IBAN
    ("GB29NWBK60161331926819", "", "Sort code 20-20-15, account 55555555"),
    ("GB44NWBK60161355555555", "", "Account 55555555"),              # the same number at another bank
    ("55555556", BARCLAYS, ""),
    ("12345678", "", "Sort code 20-20-15, account 55555555"),
    ("5555", BARCLAYS, ""),                                         # too short to be told apart
    ("", BARCLAYS, "55555555"),
    ("55555555", "", ""),                                           # nothing in Settings
])
def test_another_account_is_not_taken_for_the_organizations(identifier, iban, details):
    assert not same_account(identifier, iban=iban, details=details)


ibans = st.sampled_from([BARCLAYS, COMMERZ, "GB29NWBK60161331926819", "FR1420041010050500013M02606",
                         "NL91ABNA0417164300", "CH9300762011623852957"])


@given(ibans, ibans, st.sampled_from(["", " ", "-"]), st.booleans())
def test_an_iban_matches_only_itself_in_any_spacing_or_case(statement, own, gap, lower):
    written = gap.join(statement[i:i + 4] for i in range(0, len(statement), 4))
    written = written.lower() if lower else written
    assert same_account(written, iban=own) == (statement == own)


def test_an_iban_is_shown_in_groups_of_four_and_a_number_as_written():
    assert shown("gb33bukb20201555555555") == "GB33 BUKB 2020 1555 5555 55"
    assert shown(" 37040044/532013000 ") == "37040044/532013000"
