"""The balance invariant on files made for the purpose: which balances pair, what is refused, and why.

The shared sample files are checked one by one in test_parsers.py (BALANCES).
"""

from __future__ import annotations

import re

import pytest

from recoup.banking.parsers import StatementError, mt940, read_file
from recoup.banking.tests.test_parsers import REVERSALS_MT940


def camt(kind: str, balances: list[tuple[str, str, str]], entries: list[tuple[str, str]], status: str = "BOOK") -> bytes:
    """A camt.052/053 with balances (code, amount, CRDT/DBIT) and entries (amount, CRDT/DBIT)."""
    container, inner = {"053": ("BkToCstmrStmt", "Stmt"), "052": ("BkToCstmrAcctRpt", "Rpt")}[kind]
    bals = "".join(f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{amount}</Amt>"
                   f"<CdtDbtInd>{sign}</CdtDbtInd><Dt><Dt>2026-03-02</Dt></Dt></Bal>" for code, amount, sign in balances)
    ntry = "".join(f"<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{sign}</CdtDbtInd><Sts>{status}</Sts>"
                   f"<BookgDt><Dt>2026-03-02</Dt></BookgDt></Ntry>" for amount, sign in entries)
    return (f"<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.{kind}.001.02\">"
            f"<{container}><GrpHdr><MsgId>M</MsgId></GrpHdr><{inner}><Id>S1</Id>"
            f"<Acct><Id><IBAN>DE02120300000000202051</IBAN></Id><Ccy>EUR</Ccy></Acct>{bals}{ntry}</{inner}>"
            f"</{container}></Document>").encode()


def test_the_opening_and_closing_balances_are_the_booked_ones_whatever_their_order():
    data = camt("053", [("OPAV", "500.00", "CRDT"), ("CLAV", "900.00", "CRDT"), ("OPBD", "100.00", "CRDT"),
                        ("CLBD", "130.00", "CRDT")], [("50.00", "CRDT"), ("20.00", "DBIT")])
    [statement] = read_file("s.xml", data)
    assert (statement.opening_minor, statement.closing_minor) == (10000, 13000)
    assert statement.opening_label == "OPBD of 2026-03-02"


def test_the_previous_closing_balance_opens_when_there_is_no_opening_booked_balance():
    data = camt("053", [("PRCD", "100.00", "CRDT"), ("CLBD", "70.00", "DBIT")], [("170.00", "DBIT")])
    [statement] = read_file("s.xml", data)
    assert (statement.opening_minor, statement.closing_minor) == (10000, -7000)


def test_a_statement_that_does_not_balance_is_refused_with_the_difference():
    data = camt("053", [("OPBD", "100.00", "CRDT"), ("CLBD", "130.00", "CRDT")], [("50.00", "CRDT")])
    with pytest.raises(StatementError) as refused:
        read_file("s.xml", data)
    assert str(refused.value) == (
        "s.xml: line 1 (/Document/BkToCstmrStmt/Stmt): the statement does not balance: opening balance 100.00 EUR "
        "(OPBD of 2026-03-02) plus 1 entry of 50.00 EUR is 150.00 EUR, but the closing balance (CLBD of 2026-03-02) "
        "is 130.00 EUR (difference -20.00 EUR)")


def test_pending_entries_are_not_booked_and_do_not_count():
    data = camt("053", [("OPBD", "100.00", "CRDT"), ("CLBD", "100.00", "CRDT")], [("50.00", "CRDT")], status="PDNG")
    [statement] = read_file("s.xml", data)
    assert statement.lines == []


def test_an_intraday_report_without_closing_balance_is_not_checked():
    data = camt("052", [("OPBD", "100.00", "CRDT"), ("ITBD", "999.00", "CRDT")], [("50.00", "CRDT")])
    [statement] = read_file("r.xml", data)
    assert statement.intraday and statement.closing_minor is None and len(statement.lines) == 1


def test_an_intraday_report_with_a_closing_balance_is_checked():
    data = camt("052", [("OPBD", "100.00", "CRDT"), ("CLBD", "100.00", "CRDT")], [("50.00", "CRDT")])
    with pytest.raises(StatementError, match="does not balance"):
        read_file("r.xml", data)


def test_an_end_of_day_statement_cut_before_its_closing_balance_is_refused():
    cut = REVERSALS_MT940[:REVERSALS_MT940.index(b":62F:")]
    with pytest.raises(StatementError, match="statement starting line 1: .*no closing balance.*cut short"):
        read_file("cut.sta", cut)


def test_mt940_intermediate_balances_pair_like_final_ones():
    data = REVERSALS_MT940.replace(b":60F:", b":60M:").replace(b":62F:", b":62M:")
    [statement] = read_file("m.sta", data)
    assert statement.opening_label == ":60M: of 2026-03-01" and statement.closing_label == ":62M: of 2026-03-03"


def test_the_balance_check_catches_reversals_read_with_the_wrong_sign(monkeypatch):
    # Read as before the fix (RC as money in): the statement no longer balances, and says by how much.
    monkeypatch.setattr(mt940, "OPTIONS", mt940.mt940_lib.Options())
    with pytest.raises(StatementError, match=r"is 1250.00 EUR, but the closing balance \(:62F: of 2026-03-03\) is "
                                             r"1050.00 EUR \(difference -200.00 EUR\)"):
        read_file("rev.sta", REVERSALS_MT940)


def test_a_balance_in_another_currency_than_its_statement_is_refused():
    data = REVERSALS_MT940.replace(b":62F:C260303EUR", b":62F:C260303USD")
    with pytest.raises(StatementError, match=r"statement starting line 1: the closing balance \(:62F: of 2026-03-03\) is in USD, the statement in EUR"):
        read_file("m.sta", data)


def test_an_implausibly_large_amount_is_refused():
    data = camt("053", [], [("9" * 17 + ".00", "CRDT")])
    with pytest.raises(StatementError, match="not a plausible amount"):
        read_file("s.xml", data)


@pytest.mark.parametrize("balances, entries, place", [
    ([], [("-20.00", "DBIT")], "Ntry[1]/Amt"),        # a debit written negative too: not read as money in
    ([("OPBD", "-100.00", "DBIT")], [], "Bal[1]/Amt"),
])
def test_a_camt_amount_written_with_a_minus_sign_is_refused_not_turned_around(balances, entries, place):
    # camt amounts have no sign (the schema's amounts are 0 or more): CdtDbtInd says which way money went.
    with pytest.raises(StatementError, match=rf"s.xml: line 1 \(/Document/.*{re.escape(place)}\): '-\d+.00' is "
                                             r"negative, but a camt amount has no sign \(CdtDbtInd gives it\)"):
        read_file("s.xml", camt("053", balances, entries), check_balances=False)
