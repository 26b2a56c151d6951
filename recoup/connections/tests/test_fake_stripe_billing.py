"""The Stripe Billing fake: Connect OAuth, invoices, the events list and its cursor, idempotency, webhooks."""

from __future__ import annotations

import json
import urllib.parse
from datetime import datetime, timedelta, timezone

import pytest

from recoup.connections.fakes.server import FrozenClock, SpecViolation
from recoup.connections.fakes.testing import authorize_url, http, specs_or_skip
from recoup.connections.tests.test_fake_xero import Receiver

NOW = datetime(2026, 3, 31, 8, 0, tzinfo=timezone.utc)
CB = "http://recoup.test/connections/stripe/callback"


@pytest.fixture
def clock():
    return FrozenClock(NOW)


@pytest.fixture
def stripe(clock):
    specs_or_skip()
    from recoup.connections.fakes.stripe_billing import FakeStripeBilling

    with FakeStripeBilling(redirect_uris=[CB], clock=clock) as fake:
        fake.add_account("Acme Inc")
        fake.add_account("Bolt LLC")
        yield fake


@pytest.fixture
def acme(stripe):
    return stripe.account("Acme Inc")


def connect(stripe, account="Acme Inc"):
    url = authorize_url(stripe.url, "/oauth/authorize", client_id=stripe.client_id, redirect_uri=CB,
                        scope="read_write", state="st")
    callback = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(stripe.approve(url, account)).query))
    reply = http("POST", stripe.url + "/oauth/token", form={"grant_type": "authorization_code",
                                                            "code": callback["code"],
                                                            "client_secret": stripe.platform_secret})
    assert reply.status == 200, reply.body
    return callback, reply.json()


@pytest.fixture
def api(stripe):
    _, tokens = connect(stripe)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}

    def call(method, path, form=None, **extra):
        return http(method, stripe.url + path, headers={**headers, **extra}, form=form)
    return call


def open_invoice(api, amount=12345):
    customer = api("POST", "/v1/customers", {"name": "Katherine Warren", "email": "kat.warren@clampett.com"})
    invoice = api("POST", "/v1/invoices", {"customer": customer.json()["id"], "days_until_due": "30"}).json()
    assert api("POST", "/v1/invoiceitems", {"invoice": invoice["id"], "amount": str(amount),
                                            "description": "Light Saber"}).status == 200
    finalized = api("POST", f"/v1/invoices/{invoice['id']}/finalize")
    assert finalized.status == 200, finalized.body
    return finalized.json()


def test_connect_oauth_names_the_account_and_its_token_reaches_the_api(stripe, acme, api):
    callback, tokens = connect(stripe)
    assert callback["state"] == "st" and callback["scope"] == "read_write"
    assert tokens["stripe_user_id"] == acme.account_id and tokens["token_type"] == "bearer"
    assert api("GET", "/v1/customers").json() == {"object": "list", "data": [], "has_more": False,
                                                  "url": "/v1/customers"}
    platform = http("GET", stripe.url + "/v1/customers", headers={"Authorization": f"Bearer {stripe.platform_secret}",
                                                                  "Stripe-Account": acme.account_id})
    assert platform.status == 200
    http("POST", stripe.url + "/oauth/deauthorize", form={"client_id": stripe.client_id,
                                                          "stripe_user_id": acme.account_id})
    assert http("GET", stripe.url + "/v1/customers",
                headers={"Authorization": f"Bearer {tokens['access_token']}"}).status == 401


def test_an_invoice_is_numbered_when_finalized_and_paid_out_of_band_once_per_idempotency_key(api, acme):
    invoice = open_invoice(api)
    assert invoice["status"] == "open" and invoice["number"] and invoice["amount_remaining"] == 12345
    first = api("POST", f"/v1/invoices/{invoice['id']}/pay", {"paid_out_of_band": "true"},
                **{"Idempotency-Key": "recoup-pay-42"})
    again = api("POST", f"/v1/invoices/{invoice['id']}/pay", {"paid_out_of_band": "true"},
                **{"Idempotency-Key": "recoup-pay-42"})
    assert first.status == again.status == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert first.json()["status"] == "paid" and first.json()["amount_paid"] == 12345
    assert [e["type"] for e in acme.events].count("invoice.paid") == 1
    other = api("POST", f"/v1/invoices/{invoice['id']}/void", {}, **{"Idempotency-Key": "recoup-pay-42"})
    assert other.status == 400 and other.json()["error"]["type"] == "idempotency_error"


def test_the_events_list_pages_newest_first_and_ending_before_finds_what_is_new(stripe, api, clock):
    invoices = [open_invoice(api, amount=100 + n) for n in range(3)]
    seen, after = [], None
    while True:
        page = api("GET", "/v1/events?limit=4" + (f"&starting_after={after}" if after else "")).json()
        seen += page["data"]
        if not page["has_more"]:
            break
        after = page["data"][-1]["id"]
    assert len(seen) == len({e["id"] for e in seen}) == 3 * 4  # customer, invoice created, updated, finalized
    assert [e["created"] for e in seen] == sorted((e["created"] for e in seen), reverse=True)
    newest = seen[0]["id"]
    clock.advance(minutes=5)
    stripe.mark_paid(invoices[0]["id"], at=clock())
    stripe.mark_voided(invoices[1]["id"], at=clock())
    fresh = api("GET", f"/v1/events?ending_before={newest}").json()
    assert [e["type"] for e in fresh["data"]] == ["invoice.voided", "invoice.paid"] and not fresh["has_more"]
    assert fresh["data"][1]["data"]["object"]["status"] == "paid"


def test_events_older_than_thirty_days_are_gone(api, clock):
    open_invoice(api)
    clock.advance(days=31)
    assert api("GET", "/v1/events").json()["data"] == []


def test_drafts_can_be_deleted_and_open_invoices_cannot(api, stripe, clock):
    customer = api("POST", "/v1/customers", {"name": "Lisa Parker"}).json()
    draft = api("POST", "/v1/invoices", {"customer": customer["id"]}).json()
    assert api("DELETE", f"/v1/invoices/{draft['id']}").json() == {"id": draft["id"], "object": "invoice",
                                                                   "deleted": True}
    invoice = open_invoice(api)
    refused = api("DELETE", f"/v1/invoices/{invoice['id']}")
    assert refused.status == 400 and "draft" in refused.json()["error"]["message"]


def test_a_credit_note_lowers_what_is_due(api):
    invoice = open_invoice(api, amount=10000)
    note = api("POST", "/v1/credit_notes", {"invoice": invoice["id"], "amount": "2500", "reason": "duplicate"})
    assert note.status == 200 and note.json()["type"] == "pre_payment"
    after = api("GET", f"/v1/invoices/{invoice['id']}").json()
    assert after["amount_remaining"] == 7500 and after["pre_payment_credit_notes_amount"] == 2500


def test_an_unknown_parameter_is_refused_by_name(api):
    reply = api("POST", "/v1/customers", {"name": "A", "nickname": "a"})
    assert reply.status == 400 and reply.json()["error"]["param"] == "nickname"


def test_more_than_25_calls_a_second_is_a_429_and_a_storm_too(stripe, api, clock):
    statuses = [api("GET", "/v1/customers").status for _ in range(26)]
    assert statuses[:25] == [200] * 25 and statuses[25] == 429
    clock.advance(seconds=1)
    stripe.storm(every=2, retry_after=4)
    replies = [api("GET", "/v1/customers") for _ in range(2)]
    assert [r.status for r in replies] == [200, 429] and replies[1].headers["Retry-After"] == "4"
    assert replies[1].json()["error"]["code"] == "rate_limit"


def test_webhooks_are_signed_like_stripes_and_a_stale_one_is_refused_by_the_verifier(stripe, api, acme, clock):
    from recoup.payments.providers.base import WebhookRejected
    from recoup.payments.providers.stripe import verify_signature

    sink = Receiver("unused", careless=True)
    try:
        invoice = open_invoice(api)
        assert set(stripe.deliver_webhooks(url=sink.url)) == {200}
        events = [json.loads(b) for b in sink.bodies]
        assert "invoice.finalized" in {e["type"] for e in events} and events[0]["account"] == acme.account_id
    finally:
        sink.close()
    stripe.mark_paid(invoice["id"], at=clock())
    now = int(clock().timestamp())
    (body, header), = stripe.signed_webhooks()
    assert json.loads(body)["type"] == "invoice.paid"
    assert verify_signature(body, header, stripe.webhook_secret, now=now) == now
    stripe.mark_voided(open_invoice(api)["id"], at=clock())
    stale = [pair for pair in stripe.signed_webhooks(timestamp=now - 600)]
    with pytest.raises(WebhookRejected, match="tolerance"):
        verify_signature(stale[-1][0], stale[-1][1], stripe.webhook_secret, now=now)


def test_an_object_that_drifts_from_stripes_samples_fails_the_test(clock, monkeypatch):
    specs_or_skip()
    from recoup.connections.fakes import stripe_books
    from recoup.connections.fakes.stripe_billing import FakeStripeBilling

    real = stripe_books.fresh
    monkeypatch.setattr(stripe_books, "fresh", lambda kind, **v: {**real(kind, **v), "paid_out_of_band": True}
                        if kind == "invoice" else real(kind, **v))
    fake = FakeStripeBilling(redirect_uris=[CB], clock=clock)
    with pytest.raises(SpecViolation, match="paid_out_of_band: not in Stripe's sample invoice"):
        with fake:
            fake.add_account("Acme Inc")
            _, tokens = connect(fake)
            headers = {"Authorization": f"Bearer {tokens['access_token']}"}
            customer = http("POST", fake.url + "/v1/customers", headers=headers, form={"name": "A"}).json()
            http("POST", fake.url + "/v1/invoices", headers=headers, form={"customer": customer["id"]})
