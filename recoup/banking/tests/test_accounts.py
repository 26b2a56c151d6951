"""Which account a statement goes into: the organization's own from Settings (created on first use),
one of its bank accounts, or, only once the operator confirms it, an account it did not know."""

from __future__ import annotations

from datetime import date

import pytest

from recoup.audit.models import AuditEvent
from recoup.banking import actions
from recoup.banking.errors import BankingError, UnknownAccount
from recoup.banking.models import BankAccount, Statement, StatementLine
from recoup.banking.tests.builders import Entry, camt053
from recoup.banking.tests.test_ofx_encodings import V1_HEADER, body

OWN, FOREIGN = "GB33BUKB20201555555555", "GB29NWBK60161331926819"
APR = date(2026, 4, 1)


def statement(iban: str, amount: str = "12.00", ref: str = "S-1") -> bytes:
    return camt053([Entry(amount, APR, name="Alpha", text=ref)], iban=iban, statement_id=ref)


def imp(org, data, system, now, name="s.xml", **kw):
    return actions.statement_import(org=org, file_name=name, data=data, actor=system, now=now, **kw)


def give_settings(org, *, iban="", details="", bank="Barclays"):
    org.bank_name, org.bank_iban, org.bank_account = bank, iban, details
    org.save(update_fields=["bank_name", "bank_iban", "bank_account"])


def created_events(org) -> list[str]:
    return list(AuditEvent.objects.filter(org=org, verb="bank.account_created").values_list("summary", flat=True))


def test_a_statement_of_the_settings_account_goes_into_it_created_once_named_after_the_bank(org_a, system, now):
    give_settings(org_a, iban="GB33 BUKB 2020 1555 5555 55")
    imp(org_a, statement(OWN), system, now)
    imp(org_a, statement(OWN, ref="S-2"), system, now, name="t.xml")
    [account] = BankAccount.objects.for_org(org_a)
    assert (account.name, account.iban, account.currency) == ("Barclays", OWN, "GBP")
    assert account.statements.count() == 2
    assert created_events(org_a) == ["Bank account GB33 BUKB 2020 1555 5555 55 added from Settings"]


def test_settings_without_an_iban_are_recognised_in_an_ofx_number_and_a_camt_iban(org_a, system, now):
    # A UK business gives sort code and account number; its OFX says 55555555, its camt the IBAN.
    give_settings(org_a, details="Sort code 20-20-15, account 55555555", bank="")
    imp(org_a, V1_HEADER + body(b"x").replace(b"<ACCTID>12345678", b"<ACCTID>55555555"), system, now, name="a.ofx")
    imp(org_a, statement(OWN), system, now)
    [account] = BankAccount.objects.for_org(org_a)
    assert (account.name, account.iban, account.number) == ("Main account", "", "20201555555555")
    assert account.statements.count() == 2


def test_a_statement_of_another_account_is_refused_naming_it_and_writes_nothing(org_a, system, now):
    give_settings(org_a, iban=OWN)
    before = AuditEvent.objects.filter(org=org_a).count()
    with pytest.raises(UnknownAccount) as caught:
        imp(org_a, statement(FOREIGN), system, now)
    assert str(caught.value) == ("s.xml: the statement is for account GB29 NWBK 6016 1331 9268 19, not one of "
                                 "Acme Supplies Ltd's accounts (Barclays · GB33 BUKB 2020 1555 5555 55 (from Settings))")
    assert caught.value.identifiers == [FOREIGN]
    assert not BankAccount.objects.exists() and not Statement.objects.exists() and not StatementLine.objects.exists()
    assert AuditEvent.objects.filter(org=org_a).count() == before


def test_a_confirmed_account_is_added_audited_and_known_from_then_on(org_a, system, now):
    result = imp(org_a, statement(FOREIGN), system, now, add_accounts=[FOREIGN])
    [account] = BankAccount.objects.for_org(org_a)
    assert account.iban == FOREIGN and result.statements[0].account == account
    assert created_events(org_a) == ["Bank account GB29 NWBK 6016 1331 9268 19 added, confirmed on importing s.xml"]
    imp(org_a, statement(FOREIGN, ref="S-2"), system, now, name="t.xml")  # no question the second time
    assert account.statements.count() == 2


def test_confirming_one_account_does_not_confirm_another_in_the_same_file(org_a, system, now):
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.xml", statement(FOREIGN))
        archive.writestr("b.xml", statement("DE89370400440532013000", ref="S-2"))
    with pytest.raises(UnknownAccount) as caught:
        imp(org_a, out.getvalue(), system, now, name="up.zip", add_accounts=[FOREIGN])
    assert caught.value.identifiers == [FOREIGN, "DE89370400440532013000"]
    assert "accounts GB29 NWBK 6016 1331 9268 19, DE89 3704 0044 0532 0130 00" in str(caught.value)
    assert not BankAccount.objects.exists()


def test_the_settings_account_chosen_for_a_csv_is_created_and_refuses_another_accounts_statement(org_a, system, now,
                                                                                                  shared_data):
    give_settings(org_a, iban=OWN)
    with pytest.raises(BankingError, match=r"s.xml: the statement is for account GB29 NWBK 6016 1331 9268 19, "
                                           r"not Barclays \(GB33 BUKB 2020 1555 5555 55\)"):
        imp(org_a, statement(FOREIGN), system, now, own_account=True)
    assert not BankAccount.objects.exists()  # the refused import created nothing, not even the account
    csv = (shared_data / "csv/hledger_sample.fr.cp1252.csv").read_bytes()
    result = imp(org_a, csv, system, now, name="caisse.csv", own_account=True, profile_name="fr-cp1252")
    assert result.statements[0].account.name == "Barclays" and result.lines == 3


def test_an_account_without_identifier_takes_the_statements_on_first_use(org_a, system, now):
    caisse = actions.account_create(org=org_a, name="Caisse", actor=system, now=now)
    imp(org_a, statement(FOREIGN), system, now, account=caisse)
    caisse.refresh_from_db()
    assert caisse.iban == FOREIGN
    assert AuditEvent.objects.filter(org=org_a, verb="bank.account_linked").get().summary == \
        "Bank account Caisse is account GB29 NWBK 6016 1331 9268 19, as s.xml says"
    imp(org_a, statement(FOREIGN, ref="S-2"), system, now, name="t.xml")  # found by its IBAN from now on
    assert caisse.statements.count() == 2


def test_a_chosen_account_refuses_a_statement_of_another_of_the_organizations_accounts(org_a, system, now):
    actions.account_create(org=org_a, name="Giro", iban=FOREIGN, actor=system, now=now)
    caisse = actions.account_create(org=org_a, name="Caisse", actor=system, now=now)
    with pytest.raises(BankingError, match="s.xml: the statement is for account GB29 NWBK 6016 1331 9268 19, which "
                                           "is bank account Giro, not Caisse"):
        imp(org_a, statement(FOREIGN), system, now, account=caisse)
    caisse.refresh_from_db()
    assert caisse.iban == "" and not Statement.objects.exists()


def test_another_organizations_settings_do_not_make_an_account_ours(org_a, org_b, system, now):
    give_settings(org_b, iban=OWN)
    with pytest.raises(UnknownAccount):
        imp(org_a, statement(OWN), system, now)
    assert not BankAccount.objects.exists()
