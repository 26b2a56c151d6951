"""The QuickBooks Online fake: OAuth with realmId, query paging, CDC, requestid, SyncToken, limits, webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from recoup.connections.fakes.server import FrozenClock, SpecViolation
from recoup.connections.fakes.testing import authorize_url, basic, http, specs_or_skip
from recoup.connections.tests.test_fake_xero import Receiver

NOW = datetime(2026, 3, 31, 8, 0, tzinfo=timezone.utc)
CB = "http://recoup.test/connections/quickbooks/callback"


@pytest.fixture
def clock():
    return FrozenClock(NOW)


@pytest.fixture
def qbo(clock):
    specs_or_skip()
    from recoup.connections.fakes.quickbooks import FakeQuickBooks

    with FakeQuickBooks(redirect_uris=[CB], clock=clock) as fake:
        fake.add_company("Acme Inc")
        fake.add_company("Bolt LLC")
        yield fake


@pytest.fixture
def acme(qbo):
    return qbo.company("Acme Inc")


def connect(qbo, company="Acme Inc"):
    url = authorize_url(qbo.url, "/connect/oauth2", client_id=qbo.client_id, redirect_uri=CB,
                        scope="com.intuit.quickbooks.accounting", state="st")
    callback = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(qbo.approve(url, company)).query))
    reply = http("POST", qbo.url + "/oauth2/v1/tokens/bearer", headers={"Authorization": basic(qbo.client_id,
                                                                                                qbo.client_secret)},
                 form={"grant_type": "authorization_code", "code": callback["code"], "redirect_uri": CB})
    assert reply.status == 200, reply.body
    return callback, reply.json()


@pytest.fixture
def api(qbo, acme):
    _, tokens = connect(qbo)
    base = f"{qbo.url}/v3/company/{acme.realm_id}"
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}

    def call(method, path, body=None, **query):
        url = base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        return http(method, url, headers=headers, json=body)
    return call


def query(api, text):
    return api("GET", "/query", query=text, minorversion="75")


def customer_and_invoice(api, amount=100.0, name="Katherine Warren"):
    customer = api("POST", "/customer", {"DisplayName": name, "PrimaryEmailAddr": {"Address": "k@example.com"}})
    assert customer.status == 200, customer.body
    cid = customer.json()["Customer"]["Id"]
    invoice = api("POST", "/invoice", {"CustomerRef": {"value": cid}, "TxnDate": "2026-03-01", "DueDate": "2026-03-31",
                                       "Line": [{"Amount": amount, "DetailType": "SalesItemLineDetail",
                                                 "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]})
    assert invoice.status == 200, invoice.body
    return cid, invoice.json()["Invoice"]


def test_the_callback_names_the_company_and_tokens_refresh_by_rotation(qbo, acme, clock):
    callback, tokens = connect(qbo)
    assert callback["realmId"] == acme.realm_id and callback["state"] == "st"
    assert tokens["expires_in"] == 3600 and tokens["token_type"] == "bearer"
    auth = {"Authorization": basic(qbo.client_id, qbo.client_secret)}
    fresh = http("POST", qbo.url + "/oauth2/v1/tokens/bearer", headers=auth,
                 form={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}).json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    stale = http("POST", qbo.url + "/oauth2/v1/tokens/bearer", headers=auth,
                 form={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert stale.status == 400 and stale.json()["error"] == "invalid_grant"


def test_an_access_token_expires_after_an_hour_and_reaches_only_its_company(qbo, acme, api, clock):
    bolt = qbo.company("Bolt LLC")
    assert query(api, "select * from Customer").status == 200
    _, tokens = connect(qbo)
    other = http("GET", f"{qbo.url}/v3/company/{bolt.realm_id}/query?query=select%20*%20from%20Invoice",
                 headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert other.status == 403
    clock.advance(hours=1)
    assert query(api, "select * from Customer").status == 401


def test_query_pages_with_startposition_and_maxresults(qbo, acme, api):
    from recoup.connections.fakes.quickbooks_seed import seed_bulk

    seed_bulk(acme, customers=20, invoices=250, now=NOW)
    seen, start = [], 1
    while True:
        body = query(api, f"select * from Invoice STARTPOSITION {start} MAXRESULTS 100").json()["QueryResponse"]
        rows = body.get("Invoice", [])
        seen += rows
        if len(rows) < 100:
            break
        start += 100
    assert len(seen) == 250 == len({r["Id"] for r in seen})
    assert query(api, "select count(*) from Invoice").json()["QueryResponse"]["totalCount"] == 250
    assert query(api, "select * from Invoice MAXRESULTS 1001").status == 400


def test_a_query_the_fake_does_not_understand_is_refused_by_name(api):
    reply = query(api, "select * from Invoice where Foo = 'bar'")
    assert reply.status == 400 and "Foo = 'bar'" in reply.json()["Fault"]["Error"][0]["Detail"]


def test_cdc_reports_a_payment_a_void_and_a_deletion_since_the_last_sync(qbo, api, clock):
    _, paid = customer_and_invoice(api)
    _, voided = customer_and_invoice(api, name="Lisa Parker")
    _, deleted = customer_and_invoice(api, name="Bruce Banner")
    _, untouched = customer_and_invoice(api, name="Buzz Lightyear")
    clock.advance(minutes=10)
    since = clock().isoformat()
    clock.advance(minutes=5)
    qbo.mark_paid(paid["Id"], at=clock())
    qbo.mark_voided(voided["Id"], at=clock())
    qbo.mark_deleted(deleted["Id"], at=clock())
    body = api("GET", "/cdc", entities="Invoice,Payment", changedSince=since).json()
    invoices, payments = (answer for answer in body["CDCResponse"][0]["QueryResponse"])
    by_id = {i["Id"]: i for i in invoices["Invoice"]}
    assert set(by_id) == {paid["Id"], voided["Id"], deleted["Id"]}
    assert by_id[paid["Id"]]["Balance"] == 0
    assert by_id[voided["Id"]]["TotalAmt"] == 0 and by_id[voided["Id"]]["PrivateNote"] == "Voided"
    assert by_id[deleted["Id"]]["status"] == "Deleted"
    assert [p["Line"][0]["LinkedTxn"][0]["TxnId"] for p in payments["Payment"]] == [paid["Id"]]
    too_old = api("GET", "/cdc", entities="Invoice", changedSince=(clock() - timedelta(days=31)).isoformat())
    assert too_old.status == 400


def test_a_payment_repeated_with_the_same_requestid_is_created_once(api, acme):
    cid, invoice = customer_and_invoice(api, amount=115.0)
    body = {"CustomerRef": {"value": cid}, "TotalAmt": 40.25, "TxnDate": "2026-03-31", "PaymentRefNum": "R-42",
            "Line": [{"Amount": 40.25, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]}
    first = api("POST", "/payment", body, requestid="recoup-pay-42")
    second = api("POST", "/payment", body, requestid="recoup-pay-42")
    assert first.status == second.status == 200
    assert first.json()["Payment"]["Id"] == second.json()["Payment"]["Id"]
    assert len(acme.entities["Payment"]) == 1
    assert acme.entities["Invoice"][invoice["Id"]]["Balance"] == Decimal("74.75")


def test_a_payment_larger_than_the_balance_and_a_stale_update_are_refused(api):
    cid, invoice = customer_and_invoice(api, amount=10.0)
    over = api("POST", "/payment", {"CustomerRef": {"value": cid}, "TotalAmt": 10.01,
                                    "Line": [{"Amount": 10.01, "LinkedTxn": [{"TxnId": invoice["Id"],
                                                                              "TxnType": "Invoice"}]}]})
    assert over.status == 400 and "open balance" in over.json()["Fault"]["Error"][0]["Message"]
    stale = api("POST", "/invoice", {"Id": invoice["Id"], "SyncToken": "7", "CustomerRef": {"value": cid},
                                     "PrivateNote": "edited", "Line": [{"Amount": 10.0}]})
    assert stale.status == 400 and stale.json()["Fault"]["Error"][0]["code"] == "5010"


def test_credit_memos_are_applied_through_a_payment(api, acme):
    cid, invoice = customer_and_invoice(api, amount=100.0)
    memo = api("POST", "/creditmemo", {"CustomerRef": {"value": cid}, "Line": [{"Amount": 30.0,
                                                                                 "DetailType": "SalesItemLineDetail"}]})
    memo_id = memo.json()["CreditMemo"]["Id"]
    applied = api("POST", "/payment", {"CustomerRef": {"value": cid}, "TotalAmt": 0, "Line": [
        {"Amount": 30.0, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]},
        {"Amount": 30.0, "LinkedTxn": [{"TxnId": memo_id, "TxnType": "CreditMemo"}]}]})
    assert applied.status == 200, applied.body
    assert acme.entities["Invoice"][invoice["Id"]]["Balance"] == Decimal("70.00")
    assert acme.entities["CreditMemo"][memo_id]["Balance"] == 0


def test_a_storm_and_the_per_minute_limit_answer_429_with_retry_after(qbo, api, clock):
    qbo.storm(every=2, retry_after=3)
    assert [query(api, "select * from Customer").status for _ in range(4)] == [200, 429, 200, 429]
    qbo.calm()
    qbo.limits[0].limit = 3  # the published 500 a minute, made small to test quickly
    statuses = [query(api, "select * from Customer") for _ in range(4)]
    assert [r.status for r in statuses][-1] == 429 and statuses[-1].json()["fault"]["error"][0]["code"] == "3001"
    clock.advance(seconds=60)
    assert query(api, "select * from Customer").status == 200


def _signed(body: bytes, token: str) -> str:
    return base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()


def test_webhooks_carry_intuit_signature_in_both_formats(qbo, api, acme):
    receiver = Receiver(qbo.verifier_token, header="intuit-signature")  # checks base64 HMAC-SHA256 of the body, as Intuit's is
    try:
        _, invoice = customer_and_invoice(api)
        assert qbo.deliver_webhooks(url=receiver.url) == 200
        events = json.loads(receiver.bodies[-1])
        assert {(e["type"], e["intuitentityid"], e["intuitaccountid"]) for e in events} >= {
            ("qbo.invoice.created.v1", invoice["Id"], acme.realm_id)}
        qbo.mark_voided(invoice["Id"], at=NOW)
        assert qbo.deliver_webhooks(url=receiver.url, fmt="legacy") == 200
        legacy = json.loads(receiver.bodies[-1])["eventNotifications"][0]
        assert legacy["realmId"] == acme.realm_id
        assert legacy["dataChangeEvent"]["entities"][0]["operation"] == "Void"
        assert qbo.deliver_webhooks(url=receiver.url, signature=_signed(b"other", qbo.verifier_token)) == 401
    finally:
        receiver.close()


def test_a_request_field_the_description_does_not_have_fails_the_test(clock):
    specs_or_skip()
    from recoup.connections.fakes.quickbooks import FakeQuickBooks

    fake = FakeQuickBooks(redirect_uris=[CB], clock=clock)
    with pytest.raises(SpecViolation, match="body/Nickname: not in the description"):
        with fake:
            company = fake.add_company("Acme Inc")
            _, tokens = connect(fake)
            http("POST", f"{fake.url}/v3/company/{company.realm_id}/customer", json={"DisplayName": "A",
                                                                                     "Nickname": "a"},
                 headers={"Authorization": f"Bearer {tokens['access_token']}"})
