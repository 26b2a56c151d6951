"""The connector against the local Xero (connections/fakes), over real HTTP: the OAuth flow,
a first sync whose open amounts equal Xero's per customer to the cent, a 429 storm, a payment
written back, the token refreshed; and every request checked against Xero's published
description by the fake (``check()`` raises on any departure)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest

from recoup.audit.actions import Actor
from recoup.connections.actions import connect_complete, connect_start, payment_account_set
from recoup.connections.models import Connection, ConnectionStatus
from recoup.connections.sync import sync_connection
from recoup.connections.tests.snapshots import open_by_customer
from recoup.connections.writeback import writeback_run
from recoup.ledger.actions import payment_record
from recoup.ledger.models import Invoice

NOW = datetime(2026, 3, 31, 8, 0, tzinfo=timezone.utc)
REDIRECT = "http://testserver/connections/callback/"


@pytest.fixture
def fake(settings, monkeypatch):
    from recoup.connections import providers
    from recoup.connections.fakes.server import FrozenClock
    from recoup.connections.fakes.testing import specs_or_skip
    from recoup.connections.fakes.xero import FakeXero

    specs_or_skip()
    with FakeXero(redirect_uris=[REDIRECT], clock=FrozenClock(NOW - timedelta(days=1))) as xero:
        settings.RECOUP_BOOKS = {**settings.RECOUP_BOOKS, "xero": {
            "client_id": xero.client_id, "client_secret": xero.client_secret, "webhook_key": xero.webhook_key,
            "url": xero.url}}
        monkeypatch.setattr(providers, "TRANSPORT", None)
        yield xero


def connect(org, fake, now=NOW) -> Connection:
    url = connect_start(org=org, provider="xero", redirect_uri=REDIRECT, user=None, now=now)
    back = {k: v[0] for k, v in parse_qs(urlparse(fake.approve(url)).query).items()}
    return connect_complete(state=back["state"], code=back["code"], callback=back, actor=Actor.system("t"), now=now,
                            org=org)


def amounts_due(books) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for inv in books.invoices.values():
        if inv["Type"] == "ACCREC" and inv["Status"] in ("AUTHORISED", "PAID"):
            name = books.contacts[inv["Contact"]["ContactID"]]["Name"]
            out[name] = out.get(name, Decimal(0)) + inv["AmountDue"]
    return {k: v for k, v in out.items() if v}



def test_connect_sync_and_write_back_against_the_xero_fake(org_a, fake, clock):
    from recoup.connections.fakes.xero_seed import seed_bulk

    books = fake.add_tenant("Acme Ltd", currency="GBP")
    seed_bulk(books, contacts=40, invoices=250, credit_notes=8, now=NOW - timedelta(days=1))
    connection = connect(org_a, fake)
    assert connection.status == ConnectionStatus.ACTIVE and connection.remote_name == "Acme Ltd"
    fake.storm(every=3, retry_after=1)
    result = sync_connection(connection=connection, now=NOW)
    assert result.ok, result.error
    fake.storm(every=0)
    assert open_by_customer(org_a) == amounts_due(books)
    # A payment recorded in Recoup goes to Xero once; the next sync links it; both sides agree.
    invoice = Invoice.objects.for_org(org_a).filter(open_minor__gt=0).order_by("number").first()
    payment_account_set(org=org_a, connection=connection, account="091", actor=Actor.system("t"), now=NOW)
    payment_record(org=org_a, customer=invoice.customer, date=NOW.date(), amount_minor=100, currency="GBP",
                   invoice=invoice, method="card", actor=Actor.system("portal"), now=NOW)
    report = writeback_run(now=NOW, org=org_a)
    from recoup.connections.models import Writeback
    assert report.written == 1, Writeback.objects.get().last_error
    # Much later: the access token has expired and is refreshed (rotated) before the sync.
    later = NOW + timedelta(hours=2)
    fake.clock.set(later)
    again = sync_connection(connection=Connection.objects.get(pk=connection.pk), now=later)
    assert again.ok, again.error
    assert not again.counts.get("payments_created")
    assert open_by_customer(org_a) == amounts_due(books)
    fake.check()


def test_a_process_dying_between_the_token_answer_and_the_commit_loses_nothing(org_a, fake, clock, monkeypatch):
    """The rotated refresh token never reached the database; the previous one still works (Xero's
    30-minute grace), so the next sync refreshes again and goes on."""
    from recoup.connections import crypto, tokens

    fake.add_tenant("Acme Ltd", currency="GBP")
    connection = connect(org_a, fake)
    before = crypto.decrypt(Connection.objects.get(pk=connection.pk).refresh_token_enc)
    later = NOW + timedelta(hours=1)
    fake.clock.set(later)

    def die(*args, **kwargs):
        raise SystemExit("killed after the provider answered, before the commit")
    with monkeypatch.context() as dying:
        dying.setattr(tokens, "store_tokens", die)
        with pytest.raises(SystemExit):
            sync_connection(connection=Connection.objects.get(pk=connection.pk), now=later)
    stored = Connection.objects.get(pk=connection.pk)
    assert crypto.decrypt(stored.refresh_token_enc) == before  # the rotated one was lost
    fake.clock.set(later + timedelta(minutes=10))
    result = sync_connection(connection=stored, now=later + timedelta(minutes=10))
    assert result.ok, result.error
    assert crypto.decrypt(Connection.objects.get(pk=connection.pk).refresh_token_enc) != before
    fake.check()
