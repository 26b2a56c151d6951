"""Files that once made the import fail with a database error (a 500 on the page): each is now
imported or refused with a clear message, and a refusal leaves nothing behind. Run on SQLite and
PostgreSQL (which refuses NUL characters and over-long values that SQLite stores)."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest

from recoup.banking import actions
from recoup.banking.actions import BankingError
from recoup.banking.models import BankAccount, Statement, StatementLine
from recoup.banking.tests.builders import Entry, camt053, import_confirmed
from recoup.banking.tests.test_balances import camt
from recoup.banking.tests.test_ofx_encodings import V1_HEADER, body

APR = date(2026, 4, 1)


def imp(org, data, system, now, name="up.zip", **kw):
    return import_confirmed(org=org, file_name=name, data=data, actor=system, now=now, **kw)


def zipped(**members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_the_intraday_report_and_the_days_statement_in_one_zip_import_each_line_once(org_a, system, now):
    report = camt("052", [("OPBD", "100.00", "CRDT")], [("50.00", "CRDT")])
    day = camt("053", [("OPBD", "100.00", "CRDT"), ("CLBD", "170.00", "CRDT")], [("50.00", "CRDT"), ("20.00", "CRDT")])
    result = imp(org_a, zipped(**{"a-camt052.xml": report, "b-camt053.xml": day}), system, now)
    assert (len(result.statements), result.lines, result.duplicates) == (2, 2, 1)
    assert sorted(StatementLine.objects.for_org(org_a).values_list("amount_minor", flat=True)) == [2000, 5000]


def test_the_same_statement_twice_in_one_file_imports_its_lines_once(org_a, system, now):
    one = camt053([Entry("12.00", APR, name="Alpha", text="x")])
    result = imp(org_a, zipped(**{"a.xml": one, "b.xml": one}), system, now)
    assert (result.lines, result.duplicates) == (1, 1)


def test_nul_characters_are_not_stored(org_a, system, now):
    ofx = V1_HEADER + body(b"memo with \x00 a NUL")
    result = imp(org_a, ofx, system, now, name="s.ofx")
    [line] = StatementLine.objects.for_org(org_a).filter(statement__in=result.statements)
    assert line.remittance == "memo with  a NUL"


def test_an_account_id_too_long_for_an_iban_is_kept_as_an_account_number(org_a, system, now):
    number = "DE02" + "1" * 32  # looks like an IBAN, 36 characters
    imp(org_a, V1_HEADER + body(b"x").replace(b"<ACCTID>12345678", b"<ACCTID>" + number.encode()), system, now,
        name="s.ofx")
    [account] = BankAccount.objects.for_org(org_a)
    assert (account.iban, account.number) == ("", number)


def test_an_account_number_longer_than_64_characters_is_refused(org_a, system, now):
    data = V1_HEADER + body(b"x").replace(b"<ACCTID>12345678", b"<ACCTID>" + b"9" * 70)
    with pytest.raises(BankingError, match="s.ofx: OFX/.*STMTRS: the account number '9999.*longer than 64"):
        imp(org_a, data, system, now, name="s.ofx")
    assert not Statement.objects.for_org(org_a).exists() and not BankAccount.objects.for_org(org_a).exists()


def test_a_new_account_whose_iban_is_already_an_accounts_name_gets_another_name(org_a, system, now):
    iban = "GB33BUKB20201555555555"
    actions.account_create(org=org_a, name=iban, actor=system, now=now)
    imp(org_a, camt053([Entry("12.00", APR)], iban=iban), system, now, name="s.xml")
    assert sorted(BankAccount.objects.for_org(org_a).values_list("name", "iban")) == [
        (iban, ""), (f"{iban} (2)", iban)]


def test_an_upload_over_the_configured_size_is_refused(org_a, system, now, settings):
    settings.RECOUP_STATEMENT_MAX_UPLOAD_MB = 1
    data = camt053([Entry("12.00", APR, text="x" * (2**20))])
    with pytest.raises(BankingError, match=r"s.xml: the file is 1.0 MB, more than the 1 MB one upload may be"):
        imp(org_a, data, system, now, name="s.xml")


@pytest.mark.parametrize("name, why", [("x" * 101, "name"), ("Main", "IBAN"), ("Main", "account number")])
def test_an_account_with_values_too_long_for_their_columns_is_refused(org_a, system, now, name, why):
    extra = {"IBAN": {"iban": "DE" + "1" * 40}, "account number": {"number": "1" * 65}}.get(why, {})
    with pytest.raises(BankingError, match=f"the {why} .* is longer than"):
        actions.account_create(org=org_a, name=name, actor=system, now=now, **extra)
