"""Journals balance, name the documented columns, and come out of the command the same as the API."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from django.core.management import call_command

from recoup.api.exports import BALANCE_COLUMNS, JOURNAL_COLUMNS


def test_journals_balance_and_match_the_command(api_a, org_a, tmp_path):
    api_a.post("/customers", {"ref": "C001", "legal_name": "One"})
    inv = api_a.post("/invoices", {"customer_ref": "C001", "number": "INV-1", "issue_date": "2026-01-01",
                                   "lines": [{"description": "Work", "unit_price": "100"}]}).json()
    api_a.post("/payments", {"customer_ref": "C001", "date": "2026-02-01", "amount": "30.00"})
    api_a.post("/credit-notes", {"customer_ref": "C001", "number": "CN-1", "date": "2026-02-02", "amount": "10.00"})
    for kind, expect in (("payments", "30.00"), ("credit-notes", "10.00")):
        r = api_a.get(f"/exports/journal?kind={kind}&date_from=2026-01-01&date_to=2026-12-31")
        rows = list(csv.DictReader(io.StringIO(r.content.decode())))
        assert list(rows[0]) == JOURNAL_COLUMNS and len(rows) == 2
        assert sum(Decimal(x["debit"] or 0) for x in rows) == sum(Decimal(x["credit"] or 0) for x in rows) \
            == Decimal(expect)
        out = tmp_path / f"{kind}.csv"
        call_command("export", "journal", "--kind", kind, "--from", "2026-01-01", "--to", "2026-12-31",
                     "--org", "acme", "--output", str(out))
        assert out.read_bytes() == r.content
    balances = list(csv.DictReader(io.StringIO(api_a.get("/exports/balances?as_of=2026-03-31").content.decode())))
    assert list(balances[0]) == BALANCE_COLUMNS
    assert balances[0]["balance"] == "60.00" and balances[0]["open_invoices"] == "60.00"
    assert inv["number"] == "INV-1" and date(2026, 1, 1)


def test_a_waived_fee_leaves_receivables_through_its_own_journal(api_a, org_a, system, now, tmp_path):
    from recoup.ledger.actions import charge_add
    from recoup.ledger.charge_actions import charge_waive
    from recoup.ledger.models import Invoice

    api_a.post("/customers", {"ref": "C001", "legal_name": "One"})
    api_a.post("/invoices", {"customer_ref": "C001", "number": "INV-1", "issue_date": "2026-01-01",
                             "lines": [{"description": "Work", "unit_price": "100"}]})
    invoice = Invoice.objects.get(org=org_a, number="INV-1")
    fee = charge_add(org=org_a, invoice=invoice, kind="late_fee", on=date(2026, 2, 15), amount_minor=1000,
                     actor=system, now=now)
    charge_waive(org=org_a, charge=fee, on=date(2026, 3, 1), amount_minor=400, reason="goodwill", actor=system,
                 now=now)

    def journal(kind):
        r = api_a.get(f"/exports/journal?kind={kind}&date_from=2026-01-01&date_to=2026-12-31")
        return list(csv.DictReader(io.StringIO(r.content.decode())))

    [debit, credit] = journal("charge-waivers")
    assert (debit["account"], debit["debit"]) == ("Late fees and interest income", "4.00")
    assert (credit["account"], credit["credit"]) == ("Accounts receivable", "4.00")
    assert debit["entry"] == credit["entry"] and debit["entry"].startswith("CHW-")
    assert debit["document"] == "INV-1" and debit["description"].endswith(": goodwill")
    # Receivables in the journals (invoice total + charges - waivers) match the balance export.
    booked = Decimal("100.00") + sum(Decimal(x["debit"] or 0) for x in journal("charges")
                                     if x["account"] == "Accounts receivable") \
        - sum(Decimal(x["credit"] or 0) for x in journal("charge-waivers") if x["account"] == "Accounts receivable")
    [balance] = csv.DictReader(io.StringIO(api_a.get("/exports/balances?as_of=2026-03-31").content.decode()))
    assert Decimal(balance["balance"]) == booked == Decimal("106.00")
    out = tmp_path / "waivers.csv"
    call_command("export", "journal", "--kind", "charge-waivers", "--from", "2026-01-01", "--to", "2026-12-31",
                 "--org", "acme", "--output", str(out))
    assert out.read_bytes() == api_a.get(
        "/exports/journal?kind=charge-waivers&date_from=2026-01-01&date_to=2026-12-31").content
