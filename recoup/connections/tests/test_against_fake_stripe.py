"""The connector against the local Stripe Billing over HTTP: Connect OAuth, the first sync from the
lists, later ones from the events list, an invoice paid in Stripe arriving, a voided one credited,
a portal card payment written back with ``pay`` + ``paid_out_of_band``; checked by the fake."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest

from recoup.audit.actions import Actor
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
def stripe(settings, monkeypatch):
    from recoup.connections import providers
    from recoup.connections.fakes.server import FrozenClock
    from recoup.connections.fakes.stripe_billing import FakeStripeBilling
    from recoup.connections.fakes.testing import specs_or_skip

    specs_or_skip()
    with FakeStripeBilling(redirect_uris=[REDIRECT], clock=FrozenClock(NOW - timedelta(hours=2))) as fake:
        settings.RECOUP_BOOKS = {**settings.RECOUP_BOOKS, "stripe_billing": {
            "client_id": fake.client_id, "client_secret": fake.platform_secret, "webhook_key": "", "url": fake.url}}
        monkeypatch.setattr(providers, "TRANSPORT", None)
        yield fake


def remaining(account) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for inv in account.invoices.values():
        if inv["status"] in ("open", "paid", "uncollectible") and inv["amount_remaining"]:
            name = account.customers[inv["customer"]]["name"]
            out[name] = out.get(name, Decimal(0)) + Decimal(inv["amount_remaining"]) / 100
    return out



def test_stripe_billing_sync_events_and_write_back(org_b, stripe, clock):
    from recoup.connections.fakes.stripe_billing import seed_bulk

    account = stripe.add_account("Bolt Widgets Inc", currency="usd")
    seed_bulk(account, customers=20, invoices=80, now=NOW - timedelta(days=1))
    start = NOW - timedelta(hours=2)
    url = connect_start(org=org_b, provider="stripe_billing", redirect_uri=REDIRECT, user=None, now=start)
    back = {k: v[0] for k, v in parse_qs(urlparse(stripe.approve(url)).query).items()}
    connection = connect_complete(state=back["state"], code=back["code"], callback=back, actor=Actor.system("t"),
                                  now=start, org=org_b)
    assert connection.remote_id == account.account_id
    first = sync_connection(connection=connection, now=start)
    assert first.ok, first.error
    assert open_by_customer(org_b) == remaining(account)

    open_ids = [i["id"] for i in account.invoices.values() if i["status"] == "open"]
    later = start + timedelta(minutes=30)
    stripe.clock.set(later)
    stripe.mark_paid(open_ids[0], at=later)
    stripe.mark_voided(open_ids[1], at=later)
    second = sync_connection(connection=Connection.objects.get(pk=connection.pk), now=later)
    assert second.ok, second.error
    voided = Invoice.objects.for_org(org_b).get(number=account.invoices[open_ids[1]]["number"])
    assert voided.status == InvoiceStatus.CREDITED
    assert open_by_customer(org_b) == remaining(account)

    invoice = Invoice.objects.for_org(org_b).get(number=account.invoices[open_ids[2]]["number"])
    payment_record(org=org_b, customer=invoice.customer, date=later.date(), amount_minor=invoice.open_minor,
                   currency="USD", invoice=invoice, method="card", actor=Actor.system("portal"), now=later)
    assert writeback_run(now=later, org=org_b).written == 1
    assert account.invoices[open_ids[2]]["status"] == "paid"
    third = sync_connection(connection=Connection.objects.get(pk=connection.pk), now=later)
    assert third.ok and not third.counts.get("payments_created"), third.counts
    assert open_by_customer(org_b) == remaining(account)
    stripe.check()
