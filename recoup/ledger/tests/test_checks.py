import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from recoup.ledger.actions import charge_add, credit_note_record, invoice_write_off, payment_record
from recoup.ledger.charge_actions import charge_waive
from recoup.ledger.checks import check_ledger
from recoup.ledger.models import Charge


@pytest.fixture
def ledger(org_a, org_b, make_customer, make_invoice, system, now):
    a = make_customer(org_a, ref="A1")
    b = make_customer(org_b, ref="B1")
    inv = make_invoice(org_a, a, "INV-1", "100.00")
    make_invoice(org_a, a, "INV-2", "60.00")
    other = make_invoice(org_b, b, "B-1", "70.00")
    charge_add(org=org_a, invoice=inv, kind="late_fee", on=date(2026, 2, 5), amount_minor=500, actor=system, now=now)
    payment_record(org=org_a, customer=a, date=date(2026, 2, 10), amount_minor=12000, currency="GBP",
                   actor=system, now=now)
    credit_note_record(org=org_a, customer=a, number="CN-1", date=date(2026, 2, 11), amount_minor=500,
                       currency="GBP", actor=system, now=now)
    invoice_write_off(org=org_b, invoice=other, on=date(2026, 3, 1), reason="bankrupt", actor=system, now=now)
    return inv


def call(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("check", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return 1, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def raw(sql, *params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_clean_ledger_passes(ledger):
    assert call() == (0, "ledger OK (3 invoices, 1 payments checked)\n", "")
    assert check_ledger().ok


def test_a_stored_open_balance_changed_behind_the_ledgers_back_is_a_breach(ledger):
    raw("UPDATE ledger_invoice SET open_minor = open_minor + 1 WHERE id = %s", ledger.pk)
    status, _, err = call()
    assert status == 1
    assert f"invoice {ledger.pk} (acme INV-1): open_minor = total + charges - waivers - allocations - write-offs:" \
           " expected 0, found 1" in err


def test_a_wrong_status_and_a_wrong_unapplied_amount_are_breaches(ledger):
    raw("UPDATE ledger_invoice SET status = 'open' WHERE number = 'B-1'")
    raw("UPDATE ledger_payment SET unapplied_minor = 99")
    rules = [b.rule for b in check_ledger().breaches]
    assert rules == ["status follows the balance", "unapplied_minor = amount - allocations"]


def test_an_allocation_across_organizations_is_a_breach(ledger, org_b):
    raw("UPDATE ledger_allocation SET org_id = %s WHERE id = (SELECT MIN(id) FROM ledger_allocation)", org_b.pk)
    breaches = [str(b) for b in check_ledger().breaches]
    assert any("allocation" in b and "invoice in the same organization" in b for b in breaches)


def test_a_total_that_is_not_the_sum_of_its_lines_is_a_breach(ledger):
    raw("UPDATE ledger_invoice SET total_minor = 6001, open_minor = 6001 WHERE number = 'INV-2'")
    breaches = check_ledger().breaches
    assert [(b.rule, b.expected, b.found) for b in breaches if "lines" in b.rule] == [
        ("total = sum of lines", 6000, 6001)]


def test_checking_one_organization_ignores_the_others(ledger, org_a, org_b):
    raw("UPDATE ledger_invoice SET open_minor = 5 WHERE number = 'B-1'")
    assert check_ledger(org=org_a).ok
    assert call("--org", "acme")[0] == 0
    assert call("--org", "bolt")[0] == 1


@pytest.fixture
def waived(org_a, make_customer, make_invoice, system, now):
    """An invoice of 100.00 with a 30.00 fee, 10.00 of it waived."""
    customer = make_customer(org_a, ref="W1")
    invoice = make_invoice(org_a, customer, "INV-W", "100.00")
    fee = charge_add(org=org_a, invoice=invoice, kind="late_fee", on=date(2026, 2, 5), amount_minor=3000,
                     actor=system, now=now)
    charge_waive(org=org_a, charge=fee, on=date(2026, 2, 6), amount_minor=1000, reason="goodwill", actor=system,
                 now=now)
    invoice.refresh_from_db()
    return invoice


def test_waivers_count_in_the_open_balance(waived):
    assert waived.open_minor == 12000
    assert check_ledger().ok


def test_a_waiver_left_out_of_the_stored_balance_is_a_breach(waived):
    raw("UPDATE ledger_invoice SET open_minor = 13000 WHERE id = %s", waived.pk)
    assert [(b.rule, b.expected, b.found) for b in check_ledger().breaches] == [
        ("open_minor = total + charges - waivers - allocations - write-offs", 12000, 13000)]


def test_a_charge_waived_beyond_its_amount_is_a_breach(waived):
    fee = Charge.objects.get(invoice=waived)
    raw("UPDATE ledger_chargewaiver SET amount_minor = 3500")
    raw("UPDATE ledger_invoice SET open_minor = 9500 WHERE id = %s", waived.pk)
    assert [(b.what, b.rule, b.found) for b in check_ledger().breaches] == [
        (f"charge {fee.pk} (acme INV-W)", "waivers do not exceed the charge", 3500)]


def test_a_waiver_across_organizations_is_a_breach(waived, org_b):
    raw("UPDATE ledger_chargewaiver SET org_id = %s", org_b.pk)
    assert any("charge waiver" in str(b) and "charge in the same organization" in str(b)
               for b in check_ledger().breaches)
