"""Importing statements and reconciling them against the ledger, end to end in the database."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest

from recoup.banking import actions
from recoup.banking.actions import BankingError
from recoup.banking.models import (
    BankAccount,
    CandidateStatus,
    LineState,
    RememberedAccount,
    Statement,
    StatementLine,
)
from recoup.banking.tests.builders import Entry, camt053, import_confirmed
from recoup.ledger.models import InvoiceStatus, Payment

APR = date(2026, 4, 2)


@pytest.fixture
def ledger(org_a, make_customer, make_invoice):
    north = make_customer(org_a, ref="C1", name="Northwind Traders Ltd")
    contoso = make_customer(org_a, ref="C2", name="Contoso Ltd")
    return {
        "north": north, "contoso": contoso,
        "i1": make_invoice(org_a, north, "INV-1001", "120.00", issue=date(2026, 1, 5), due=date(2026, 2, 4)),
        "i2": make_invoice(org_a, north, "INV-1002", "80.00", issue=date(2026, 2, 5), due=date(2026, 3, 7)),
        "i3": make_invoice(org_a, contoso, "INV-1003", "250.00", issue=date(2026, 2, 10), due=date(2026, 3, 12)),
    }


def imp(org, data, system, now, name="stmt.xml", **kw):
    return import_confirmed(org=org, file_name=name, data=data, actor=system, now=now, **kw)


def test_a_clear_payment_is_applied_and_an_uncertain_one_waits_for_review(org_a, ledger, system, now):
    data = camt053([
        Entry("120.00", APR, name="Northwind Traders", iban="GB29NWBK60161331926819", text="Invoice INV-1001"),
        Entry("100.00", APR, name="J. Smith", text="part payment 1003"),
        Entry("999.00", APR, name="Someone", text="donation"),
        Entry("-40.00", APR, name="Office rent", text="rent April"),
    ])
    result = imp(org_a, data, system, now)
    assert result.lines == 4 and dict(result.states) == {
        LineState.MATCHED: 1, LineState.REVIEW: 1, LineState.UNMATCHED: 1, LineState.OUTGOING: 1}
    ledger["i1"].refresh_from_db()
    ledger["i3"].refresh_from_db()
    assert ledger["i1"].status == InvoiceStatus.PAID and ledger["i3"].open_minor == 25000
    assert RememberedAccount.objects.for_org(org_a).get().customer == ledger["north"]
    review = StatementLine.objects.for_org(org_a).get(state=LineState.REVIEW)
    [proposal] = review.candidates.all()
    assert proposal.parts == [[ledger["i3"].pk, 10000]] and proposal.confidence < 0.9

    actions.line_confirm(org=org_a, line=review, candidate=proposal, actor=system, now=now)
    ledger["i3"].refresh_from_db()
    assert ledger["i3"].open_minor == 15000
    review.refresh_from_db()
    assert review.state == LineState.CONFIRMED and review.customer == ledger["contoso"]


def test_the_same_file_twice_creates_nothing_new(org_a, ledger, system, now):
    data = camt053([Entry("120.00", APR, text="INV-1001")])
    first = imp(org_a, data, system, now)
    again = imp(org_a, data, system, now)
    assert first.lines == 1 and again.already_imported and again.lines == 0
    assert Statement.objects.for_org(org_a).count() == 1 and Payment.objects.for_org(org_a).count() == 1


def test_a_line_already_imported_from_another_file_is_skipped(org_a, ledger, system, now):
    one = Entry("120.00", APR, text="INV-1001", e2e="E2E-77")
    imp(org_a, camt053([one], statement_id="INTRADAY"), system, now, name="intraday.xml")
    later = imp(org_a, camt053([one, Entry("80.00", APR, text="INV-1002")], statement_id="DAY"), system, now,
                name="day.xml")
    assert later.lines == 1 and later.duplicates == 1
    assert Payment.objects.for_org(org_a).count() == 2


def test_a_broken_file_leaves_nothing_behind(org_a, ledger, system, now, shared_data):
    name = "mt940/betterplace-sepa_snippet_broken.sta"
    with pytest.raises(BankingError, match="line 6"):
        imp(org_a, (shared_data / name).read_bytes(), system, now, name=name)
    data = camt053([Entry("120.00", APR, text="INV-1001"), Entry("80.00", APR, text="INV-1002")])
    broken = data.replace(b">80.00<", b">80.0.0<")
    with pytest.raises(BankingError, match=r"stmt.xml: line \d+ \(/Document/BkToCstmrStmt/Stmt/Ntry\[2\]/Amt\)"):
        imp(org_a, broken, system, now)
    assert not Statement.objects.for_org(org_a).exists() and not Payment.objects.for_org(org_a).exists()
    assert not BankAccount.objects.for_org(org_a).exists()


def test_one_payment_for_two_invoices_pays_both(org_a, ledger, system, now):
    imp(org_a, camt053([Entry("200.00", APR, text="INV-1001 INV-1002")]), system, now)
    for key in ("i1", "i2"):
        ledger[key].refresh_from_db()
        assert ledger[key].status == InvoiceStatus.PAID


def test_an_automatic_match_can_be_undone_and_another_invoice_chosen(org_a, ledger, system, now):
    imp(org_a, camt053([Entry("120.00", APR, iban="GB29NWBK60161331926819", text="INV-1001")]), system, now)
    line = StatementLine.objects.for_org(org_a).get()
    actions.line_undo(org=org_a, line=line, actor=system, now=now)
    ledger["i1"].refresh_from_db()
    assert ledger["i1"].open_minor == 12000 and not Payment.objects.for_org(org_a).exists()
    assert not RememberedAccount.objects.for_org(org_a).exists()
    line.refresh_from_db()
    assert line.state == LineState.REVIEW
    actions.line_confirm(org=org_a, line=line, invoices=[ledger["i2"]], actor=system, now=now)
    ledger["i2"].refresh_from_db()
    assert ledger["i2"].status == InvoiceStatus.PAID
    payments = Payment.objects.for_org(org_a)
    assert sorted(p.amount_minor for p in payments) == [4000, 8000]  # the rest follows the ledger's rule


def test_a_rejected_line_stays_out_of_the_ledger(org_a, ledger, system, now):
    imp(org_a, camt053([Entry("100.00", APR, text="part payment 1003")]), system, now)
    line = StatementLine.objects.for_org(org_a).get()
    actions.line_reject(org=org_a, line=line, actor=system, now=now)
    line.refresh_from_db()
    assert line.state == LineState.IGNORED
    assert set(line.candidates.values_list("status", flat=True)) == {CandidateStatus.REJECTED}
    with pytest.raises(BankingError, match="already"):
        actions.line_reject(org=org_a, line=line, actor=system, now=now)


def test_a_returned_direct_debit_reverses_the_payment_it_undoes(org_a, ledger, system, now):
    iban = "DE89370400440532013000"
    imp(org_a, camt053([Entry("120.00", APR, name="Northwind", iban=iban, text="INV-1001", e2e="DD-2026-0001")]),
        system, now, name="day1.xml")
    ledger["i1"].refresh_from_db()
    assert ledger["i1"].status == InvoiceStatus.PAID
    back = Entry("-123.00", date(2026, 4, 6), name="Northwind", iban=iban, e2e="DD-2026-0001", return_reason="MD06",
                 text="RETURN")
    imp(org_a, camt053([back], statement_id="S2"), system, now, name="day2.xml")
    ledger["i1"].refresh_from_db()
    assert ledger["i1"].status == InvoiceStatus.OPEN and ledger["i1"].open_minor == 12000
    credit, debit = StatementLine.objects.for_org(org_a).order_by("booking_date")
    assert (credit.state, debit.state, debit.reverses_id) == (LineState.RETURNED, LineState.REVERSAL, credit.pk)


def test_a_refund_naming_the_credit_reverses_it(org_a, ledger, system, now):
    imp(org_a, camt053([Entry("80.00", APR, text="INV-1002", e2e="PAY-555-XYZ")]), system, now, name="a.xml")
    imp(org_a, camt053([Entry("-80.00", date(2026, 4, 9), text="Refund PAY-555-XYZ")], statement_id="S2"), system,
        now, name="b.xml")
    ledger["i2"].refresh_from_db()
    assert ledger["i2"].status == InvoiceStatus.OPEN


def test_payments_for_another_organizations_customers_never_match(org_a, org_b, ledger, system, now,
                                                                  make_customer, make_invoice):
    other = make_customer(org_b, ref="B1", name="Bolt Customer")
    theirs = make_invoice(org_b, other, "INV-9001", "77.00", issue=date(2026, 1, 5), due=date(2026, 2, 4))
    imp(org_a, camt053([Entry("77.00", APR, name="Bolt Customer", text="INV-9001")]), system, now)
    line = StatementLine.objects.for_org(org_a).get()
    assert line.state in (LineState.UNMATCHED, LineState.REVIEW)  # never applied
    proposed = {i for c in line.candidates.all() for i, _ in c.parts}
    assert theirs.pk not in proposed and all(c.confidence < 0.9 for c in line.candidates.all())
    with pytest.raises(BankingError):
        actions.line_confirm(org=org_a, line=line, invoices=[theirs], actor=system, now=now)
    with pytest.raises(BankingError):
        actions.line_reject(org=org_b, line=line, actor=system, now=now)
    theirs.refresh_from_db()
    assert theirs.open_minor == 7700 and not Payment.objects.for_org(org_b).exists()


def test_the_threshold_is_the_organizations_own(org_a, ledger, system, now):
    from decimal import Decimal

    actions.settings_update(org=org_a, auto_threshold=Decimal("1.00"), actor=system, now=now)
    result = imp(org_a, camt053([Entry("120.00", APR, text="INV-1001")]), system, now)
    assert dict(result.states) == {LineState.REVIEW: 1}
    with pytest.raises(BankingError):
        actions.settings_update(org=org_a, auto_threshold=Decimal("0.2"), actor=system, now=now)


def test_the_statement_must_be_for_the_chosen_account(org_a, ledger, system, now):
    mine = actions.account_create(org=org_a, name="Main", iban="GB94BARC10201530093459", actor=system, now=now)
    with pytest.raises(BankingError, match="not Main"):
        imp(org_a, camt053([Entry("1.00", APR)]), system, now, account=mine)


def test_shared_camt_zip_and_csv_import_into_accounts(org_a, system, now, shared_data):
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("oca-test-camt053-txdtls.xml", "oca-test-camt053-no-ntry.xml"):
            archive.writestr(name, (shared_data / "camt" / name).read_bytes())
    result = imp(org_a, packed.getvalue(), system, now, name="z.zip")
    assert [s.lines.count() for s in result.statements] == [0, 2]
    account = actions.account_create(org=org_a, name="PayPal", currency="EUR", actor=system, now=now)
    result = imp(org_a, (shared_data / "csv/paypal_statement_es.csv").read_bytes(), system, now, name="pp.csv",
                 account=account, profile_name="paypal-statement-es")
    assert result.lines == 4 and result.statements[0].account == account
    with pytest.raises(BankingError, match="no CSV profile named 'nope'"):
        imp(org_a, b"a,b\n1,2\n", system, now, name="x.csv", profile_name="nope")


def test_a_saved_csv_profile_reads_the_banks_export_and_is_found_by_its_columns(org_a, ledger, system, now):
    actions.csv_profile_save(org=org_a, actor=system, now=now, name="my-bank", delimiter=";", decimal=",",
                             date_format="%d.%m.%Y", date_column="Buchungstag", amount_column="Betrag",
                             description_columns="Verwendungszweck", name_column="Auftraggeber",
                             encoding="utf-8")
    data = ("Kontoauszug\nBuchungstag;Auftraggeber;Verwendungszweck;Betrag\n"
            "02.04.2026;Northwind Traders;RE INV-1001;120,00\n03.04.2026;Miete;April;-1.500,00\n").encode()
    account = actions.account_create(org=org_a, name="Giro", currency="GBP", actor=system, now=now)
    result = imp(org_a, data, system, now, name="giro.csv", account=account)
    assert result.lines == 2 and dict(result.states) == {LineState.MATCHED: 1, LineState.OUTGOING: 1}
    with pytest.raises(BankingError, match="either an amount column or debit and credit"):
        actions.csv_profile_save(org=org_a, actor=system, now=now, name="bad", date_column="D", date_format="%d")
