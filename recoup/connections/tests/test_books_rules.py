"""The books are the truth for what they hold, and nothing is chased on stale data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from recoup.collections.cycle import cycle_run
from recoup.collections.digest import digest_for
from recoup.collections.hooks import cycle_hold
from recoup.collections.models import StepDecision
from recoup.connections.models import Connection
from recoup.connections.sync import sync_connection
from recoup.ledger.actions import InvoiceLocked, invoice_write_off
from recoup.ledger.imports.writes import invoice_upsert
from recoup.ledger.models import Invoice


def test_an_invoice_from_xero_cannot_be_written_off_or_edited_in_recoup(org_a, connection, seeded, now, system):
    sync_connection(connection=connection, now=now)
    invoice = Invoice.objects.for_org(org_a).get(number="INV-0004")
    with pytest.raises(InvoiceLocked, match="INV-0004.*came from Xero"):
        invoice_write_off(org=org_a, invoice=invoice, on=now.date(), reason="bad debt", actor=system, now=now)
    plan = {"existing": invoice, "issue_date": invoice.issue_date, "due_date": invoice.due_date + timedelta(days=9),
            "po_number": "", "description": "", "chosen_terms": None, "agreed": invoice.terms_as_agreed(),
            "amount_minor": invoice.total_minor, "currency": invoice.currency, "number": invoice.number,
            "customer": invoice.customer}
    with pytest.raises(InvoiceLocked):
        invoice_upsert(org=org_a, plan=plan, actor=system, now=now)


def test_an_invoice_of_recoup_itself_can_still_be_written_off(org_a, connection, now, system, make_customer,
                                                              make_invoice):
    invoice = make_invoice(org_a, make_customer(org_a), "OWN-1", "10.00")
    invoice_write_off(org=org_a, invoice=invoice, on=now.date(), reason="gone", actor=system, now=now)


def test_the_api_refuses_to_patch_or_void_an_invoice_from_the_books(org_a, connection, seeded, now, system, client):
    from recoup.api.actions import token_create

    sync_connection(connection=connection, now=now)
    invoice = Invoice.objects.for_org(org_a).get(number="INV-0004")
    secret = token_create(org=org_a, name="t", scope="write", actor=system, now=now)[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    voided = client.post(f"/api/v1/invoices/{invoice.pk}/void", {"reason": "wrong"}, content_type="application/json",
                         **auth)
    assert voided.status_code == 422 and "came from Xero: void it in Xero, the next sync brings it" in \
        voided.json()["detail"]
    patched = client.patch(f"/api/v1/invoices/{invoice.pk}", {"due_date": "2026-06-01"},
                           content_type="application/json", **auth)
    assert patched.status_code == 422 and "came from Xero: change it in Xero, the next sync brings the change" in \
        patched.json()["detail"]
    invoice.refresh_from_db()
    assert (invoice.open_minor, str(invoice.due_date)) == (5050, "2026-03-01")


def test_the_cycle_defers_every_step_when_the_books_are_older_than_the_limit(org_a, connection, seeded, now, system):
    sync_connection(connection=connection, now=now - timedelta(hours=7))
    Connection.objects.filter(pk=connection.pk).update(last_synced_at=now - timedelta(hours=7))
    hold = cycle_hold(org_a, now)
    assert hold and hold.startswith("books not synced since 2026-03-31 05:00 UTC")
    result = cycle_run(org=org_a, on=date(2026, 3, 31), now=now)
    assert result.actions and {a.status for a in result.actions} == {"deferred"}
    assert {a.reason for a in result.actions} == {hold}
    assert not StepDecision.objects.for_org(org_a).exists()
    assert digest_for(org=org_a, on=date(2026, 3, 31)).held == hold
    # Synced again: the same steps are decided.
    Connection.objects.filter(pk=connection.pk).update(last_synced_at=now - timedelta(hours=1))
    assert cycle_hold(org_a, now) is None
    again = cycle_run(org=org_a, on=date(2026, 3, 31), now=now)
    assert {a.status for a in again.actions} - {"deferred"}


def test_a_connection_that_never_synced_holds_the_cycle(org_a, connection, now):
    assert "never synced" in cycle_hold(org_a, now)


def test_an_organization_without_books_is_never_held(org_a, org_b, connection, now):
    assert cycle_hold(org_b, now) is None
