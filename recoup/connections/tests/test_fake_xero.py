"""The Xero fake: OAuth, tenants, paging, If-Modified-Since, writes, idempotency, limits, webhooks.

Every exchange here is checked against Xero's published description by the fake itself;
leaving the ``with`` block raises if anything departed from it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import urllib.parse
from datetime import datetime, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from recoup.connections.fakes.server import FrozenClock, SpecViolation
from recoup.connections.fakes.testing import (
    authorize_url, basic, http, specs_or_skip, xero_headers, xero_tokens,
)

NOW = datetime(2026, 3, 31, 8, 0, tzinfo=timezone.utc)
CB = "http://recoup.test/connections/xero/callback"
API = "/api.xro/2.0"


@pytest.fixture
def clock():
    return FrozenClock(NOW)


@pytest.fixture
def xero(clock):
    specs_or_skip()
    from recoup.connections.fakes.xero import FakeXero

    with FakeXero(redirect_uris=[CB], clock=clock) as fake:
        fake.add_tenant("Acme Supplies Ltd", currency="GBP")
        fake.add_tenant("Bolt Widgets Ltd", currency="NZD")
        yield fake


@pytest.fixture
def acme(xero):
    return xero.tenant("Acme Supplies Ltd")


@pytest.fixture
def headers(xero, acme):
    return xero_headers(xero_tokens(xero, CB), acme.tenant_id)


def put(xero, headers, path, body, **extra):
    return http("PUT", xero.url + API + path, headers={**headers, **extra}, json=body)


def new_invoice(xero, headers, contact_name="Katherine Warren", amount="115.00", kind="ACCREC", status="AUTHORISED"):
    reply = put(xero, headers, "/Invoices", {"Invoices": [{
        "Type": kind, "Contact": {"Name": contact_name}, "Date": "2026-03-01", "DueDate": "2026-03-31",
        "Status": status, "LineItems": [{"Description": "Fish out of Water", "Quantity": 1,
                                         "UnitAmount": Decimal(amount), "AccountCode": "200"}]}]})
    assert reply.status == 200, reply.body
    return reply.json()["Invoices"][0]


# -- OAuth and tenants ------------------------------------------------------------------------


def test_it_runs_the_authorization_code_flow_with_pkce_and_lists_the_chosen_tenants(xero, acme):
    tokens = xero_tokens(xero, CB, tenants=["Acme Supplies Ltd"])
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 1800 and tokens["refresh_token"]
    reply = http("GET", xero.url + "/connections", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert reply.status == 200
    assert [(c["tenantId"], c["tenantName"]) for c in reply.json()] == [(acme.tenant_id, "Acme Supplies Ltd")]


def test_it_lists_every_tenant_a_user_ticks(xero):
    tokens = xero_tokens(xero, CB)
    reply = http("GET", xero.url + "/connections", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert sorted(c["tenantName"] for c in reply.json()) == ["Acme Supplies Ltd", "Bolt Widgets Ltd"]


def test_the_consent_page_redirects_with_a_code_and_the_state_when_allowed_in_a_browser(xero, acme):
    url = authorize_url(xero.url, "/identity/connect/authorize", client_id=xero.client_id, redirect_uri=CB,
                        scope="offline_access", state="xyz")
    page = http("GET", url)
    assert page.status == 200 and b"Allow access" in page.body and b"Acme Supplies Ltd" in page.body
    form = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    reply = http("POST", xero.url + "/identity/connect/authorize",
                 body=urllib.parse.urlencode({**form, "tenant": acme.tenant_id, "decision": "allow"}).encode(),
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 302
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(reply.headers["Location"]).query))
    assert reply.headers["Location"].startswith(CB) and query["state"] == "xyz" and query["code"]


def _code(xero, challenge=None):
    url = authorize_url(xero.url, "/identity/connect/authorize", client_id=xero.client_id, redirect_uri=CB,
                        scope="offline_access", state="s", challenge=challenge)
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(xero.approve(url)).query))["code"]


def _token(xero, **form):
    return http("POST", xero.url + "/connect/token", form=form,
                headers={"Authorization": basic(xero.client_id, xero.client_secret)})


def test_a_wrong_pkce_verifier_a_reused_code_and_another_redirect_uri_are_refused(xero):
    from recoup.connections.fakes.oauth import pkce_pair

    verifier, challenge = pkce_pair()
    code = _code(xero, challenge)
    wrong = _token(xero, grant_type="authorization_code", code=code, redirect_uri=CB, code_verifier="x" * 50)
    assert wrong.status == 400 and wrong.json()["error"] == "invalid_grant"
    assert _token(xero, grant_type="authorization_code", code=code, redirect_uri=CB, code_verifier=verifier).status == 200
    again = _token(xero, grant_type="authorization_code", code=code, redirect_uri=CB, code_verifier=verifier)
    assert again.status == 400 and again.json()["error"] == "invalid_grant"
    other = _token(xero, grant_type="authorization_code", code=_code(xero), redirect_uri=CB + "/other")
    assert other.status == 400


def test_refresh_tokens_rotate_and_a_used_one_works_only_for_the_grace_period(xero, clock):
    first = xero_tokens(xero, CB)
    second = _token(xero, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    clock.advance(minutes=10)  # the client lost the answer and retries with the old token
    assert _token(xero, grant_type="refresh_token", refresh_token=first["refresh_token"]).status == 200
    clock.advance(minutes=25)
    late = _token(xero, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert late.status == 400 and late.json()["error"] == "invalid_grant"


def test_an_access_token_expires_after_thirty_minutes(xero, acme, clock):
    tokens = xero_tokens(xero, CB)
    assert http("GET", xero.url + API + "/Invoices", headers=xero_headers(tokens, acme.tenant_id)).status == 200
    clock.advance(minutes=30)
    expired = http("GET", xero.url + API + "/Invoices", headers=xero_headers(tokens, acme.tenant_id))
    assert expired.status == 401 and "TokenExpired" in expired.json()["Detail"]


def test_a_tenant_the_user_did_not_connect_is_forbidden(xero, acme):
    bolt = xero.tenant("Bolt Widgets Ltd")
    tokens = xero_tokens(xero, CB, tenants=[acme.tenant_id])
    assert http("GET", xero.url + API + "/Invoices", headers=xero_headers(tokens, bolt.tenant_id)).status == 403


# -- reading ----------------------------------------------------------------------------------


def test_invoices_created_through_the_api_come_back_paged_with_exact_amounts(xero, headers, acme):
    from recoup.connections.fakes.xero_seed import seed_bulk

    seed_bulk(acme, contacts=30, invoices=250, bills=20, now=NOW)
    made = new_invoice(xero, headers, amount="1234567.89")
    assert made["Total"] == Decimal("1234567.89") and made["AmountDue"] == Decimal("1234567.89")
    seen, page = [], 1
    while True:
        body = http("GET", f"{xero.url}{API}/Invoices?page={page}&where=" + urllib.parse.quote('Type=="ACCREC"'),
                    headers=headers).json()
        seen += body["Invoices"]
        assert len(body["Invoices"]) <= 100 and body["pagination"]["pageSize"] == 100
        if page >= body["pagination"]["pageCount"]:
            break
        page += 1
    assert len(seen) == 251 == body["pagination"]["itemCount"]
    assert {i["Type"] for i in seen} == {"ACCREC"} and len({i["InvoiceID"] for i in seen}) == 251
    assert all(i["LineItems"] for i in seen)


def test_if_modified_since_returns_only_what_changed_including_a_payment_made_in_xero(xero, headers, clock):
    paid, untouched = new_invoice(xero, headers), new_invoice(xero, headers, "Lisa Parker")
    clock.advance(minutes=10)
    since = clock().isoformat()
    clock.advance(minutes=5)
    xero.mark_paid(paid["InvoiceID"], at=clock())
    body = http("GET", f"{xero.url}{API}/Invoices?page=1", headers={**headers, "If-Modified-Since": since}).json()
    assert [i["InvoiceID"] for i in body["Invoices"]] == [paid["InvoiceID"]]
    assert body["Invoices"][0]["Status"] == "PAID" and body["Invoices"][0]["AmountDue"] == 0
    assert untouched["InvoiceID"] not in {i["InvoiceID"] for i in body["Invoices"]}
    payments = http("GET", f"{xero.url}{API}/Payments", headers={**headers, "If-Modified-Since": since}).json()
    assert [p["Invoice"]["InvoiceID"] for p in payments["Payments"]] == [paid["InvoiceID"]]


def test_voided_and_deleted_invoices_show_in_the_next_read_and_a_paid_one_cannot_be_voided(xero, headers, clock):
    authorised, draft = new_invoice(xero, headers), new_invoice(xero, headers, status="DRAFT")
    xero.mark_voided(authorised["InvoiceID"], at=clock())
    xero.mark_deleted(draft["InvoiceID"], at=clock())
    body = http("GET", f"{xero.url}{API}/Invoices?page=1", headers=headers).json()
    assert {i["InvoiceID"]: i["Status"] for i in body["Invoices"]} == {
        authorised["InvoiceID"]: "VOIDED", draft["InvoiceID"]: "DELETED"}
    paid = new_invoice(xero, headers)
    xero.mark_paid(paid["InvoiceID"], at=clock(), amount=Decimal("10.00"))
    refused = http("POST", f"{xero.url}{API}/Invoices/{paid['InvoiceID']}", headers=headers,
                   json={"Invoices": [{"Status": "VOIDED"}]})
    assert refused.status == 400 and "cannot be voided" in refused.json()["Elements"][0]["ValidationErrors"][0]["Message"]


def test_credit_notes_and_overpayments_reduce_what_is_due(xero, headers, acme):
    invoice = new_invoice(xero, headers, amount="100.00")
    contact = invoice["Contact"]["ContactID"]
    note = put(xero, headers, "/CreditNotes", {"CreditNotes": [{
        "Type": "ACCRECCREDIT", "Contact": {"ContactID": contact}, "Status": "AUTHORISED", "Date": "2026-03-20",
        "LineItems": [{"Description": "Refund", "Quantity": 1, "UnitAmount": 30, "AccountCode": "200"}]}]})
    note_id = note.json()["CreditNotes"][0]["CreditNoteID"]
    assert put(xero, headers, f"/CreditNotes/{note_id}/Allocations", {"Allocations": [{
        "Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Amount": 30, "Date": "2026-03-21"}]}).status == 200
    received = put(xero, headers, "/BankTransactions", {"BankTransactions": [{
        "Type": "RECEIVE-OVERPAYMENT", "Contact": {"ContactID": contact}, "BankAccount": {"Code": "091"},
        "Date": "2026-03-22", "LineItems": [{"Description": "Overpaid", "LineAmount": 50}]}]})
    over_id = received.json()["BankTransactions"][0]["OverpaymentID"]
    assert put(xero, headers, f"/Overpayments/{over_id}/Allocations", {"Allocations": [{
        "Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Amount": 50, "Date": "2026-03-22"}]}).status == 200
    after = http("GET", f"{xero.url}{API}/Invoices/{invoice['InvoiceID']}", headers=headers).json()["Invoices"][0]
    assert (after["AmountCredited"], after["AmountPaid"], after["AmountDue"]) == (30, 50, 20)
    overpayments = http("GET", f"{xero.url}{API}/Overpayments", headers=headers).json()["Overpayments"]
    assert overpayments[0]["RemainingCredit"] == 0 and overpayments[0]["Status"] == "PAID"


# -- writing ----------------------------------------------------------------------------------


def test_a_payment_repeated_with_the_same_idempotency_key_is_recorded_once(xero, headers, acme):
    invoice = new_invoice(xero, headers, amount="115.00")
    body = {"Payments": [{"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Account": {"Code": "091"},
                          "Date": "2026-03-31", "Amount": 40.25, "Reference": "Recoup portal card payment"}]}
    first = put(xero, headers, "/Payments", body, **{"Idempotency-Key": "recoup-pay-42"})
    second = put(xero, headers, "/Payments", body, **{"Idempotency-Key": "recoup-pay-42"})
    assert first.status == second.status == 200
    assert first.json()["Payments"][0]["PaymentID"] == second.json()["Payments"][0]["PaymentID"]
    assert len(acme.payments) == 1 and acme.invoices[invoice["InvoiceID"]]["AmountDue"] == Decimal("74.75")


def test_an_overpayment_of_an_invoice_is_refused_with_xeros_message(xero, headers):
    invoice = new_invoice(xero, headers, amount="10.00")
    reply = put(xero, headers, "/Payments", {"Payments": [{"Invoice": {"InvoiceID": invoice["InvoiceID"]},
                                                           "Account": {"Code": "091"}, "Date": "2026-03-31",
                                                           "Amount": 10.01}]})
    assert reply.status == 400 and reply.json()["Type"] == "ValidationException"
    assert "exceeds the amount outstanding" in reply.json()["Elements"][0]["ValidationErrors"][0]["Message"]


def test_deleting_a_payment_reopens_the_invoice(xero, headers, acme, clock):
    invoice = new_invoice(xero, headers, amount="10.00")
    payment = xero.mark_paid(invoice["InvoiceID"], at=clock())
    assert acme.invoices[invoice["InvoiceID"]]["Status"] == "PAID"
    reply = http("POST", f"{xero.url}{API}/Payments/{payment['PaymentID']}", headers=headers,
                 json={"Status": "DELETED"})
    assert reply.status == 200 and acme.invoices[invoice["InvoiceID"]]["Status"] == "AUTHORISED"


# -- limits and faults ------------------------------------------------------------------------


def test_a_storm_answers_every_third_call_with_429_and_retry_after(xero, headers):
    xero.storm(every=3, retry_after=7)
    statuses = [http("GET", f"{xero.url}{API}/Contacts", headers=headers) for _ in range(6)]
    assert [r.status for r in statuses] == [200, 200, 429, 200, 200, 429]
    assert statuses[2].headers["Retry-After"] == "7"
    xero.calm()
    assert http("GET", f"{xero.url}{API}/Contacts", headers=headers).status == 200


def test_the_sixty_first_call_in_a_minute_is_refused_until_the_minute_passes(xero, headers, clock):
    for _ in range(60):
        assert http("GET", f"{xero.url}{API}/Organisation", headers=headers).status == 200
    refused = http("GET", f"{xero.url}{API}/Organisation", headers=headers)
    assert refused.status == 429 and refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    clock.advance(seconds=61)
    ok = http("GET", f"{xero.url}{API}/Organisation", headers=headers)
    assert ok.status == 200 and ok.headers["X-DayLimit-Remaining"] == "4939"


def test_an_unreachable_xero_refuses_connections_until_it_is_back(xero, headers):
    xero.unreachable = True
    with pytest.raises(OSError):
        import urllib.request
        urllib.request.urlopen(xero.url + "/connections", timeout=5)  # noqa: S310
    xero.unreachable = False
    assert http("GET", f"{xero.url}{API}/Contacts", headers=headers).status == 200


# -- webhooks ---------------------------------------------------------------------------------


class Receiver:
    """A webhook endpoint that checks a base64 HMAC-SHA256 signature header (or, if careless, does not)."""

    def __init__(self, key: str, careless: bool = False, header: str = "x-xero-signature"):
        self.bodies: list[bytes] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                mac = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
                good = careless or hmac.compare_digest(mac, self.headers.get(header, ""))
                if good:
                    receiver.bodies.append(body)
                self.send_response(200 if good else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_webhooks_are_signed_and_a_forged_one_is_refused(xero, headers, acme, clock):
    receiver = Receiver(xero.webhook_key)
    try:
        assert xero.intent_to_receive(receiver.url) is True
        invoice = new_invoice(xero, headers)
        assert xero.deliver_webhooks(url=receiver.url, signature="Zm9yZ2Vk") == 401
        xero.mark_paid(invoice["InvoiceID"], at=clock())
        assert xero.deliver_webhooks(url=receiver.url) == 200
        import json
        events = json.loads(receiver.bodies[-1])["events"]
        assert {(e["eventCategory"], e["resourceId"], e["tenantId"]) for e in events} == {
            ("INVOICE", invoice["InvoiceID"], acme.tenant_id)}
    finally:
        receiver.close()


def test_intent_to_receive_fails_for_an_endpoint_that_does_not_check_signatures(xero):
    receiver = Receiver("whatever", careless=True)
    try:
        assert xero.intent_to_receive(receiver.url) is False
    finally:
        receiver.close()


# -- staying true to the description ----------------------------------------------------------


def test_a_request_with_an_invented_field_fails_the_test(clock):
    specs_or_skip()
    from recoup.connections.fakes.xero import FakeXero

    fake = FakeXero(redirect_uris=[CB], clock=clock)
    with pytest.raises(SpecViolation, match="Invoices/0/PaidOutOfBand: not in the description"):
        with fake:
            tenant = fake.add_tenant("Acme")
            headers = xero_headers(xero_tokens(fake, CB), tenant.tenant_id)
            put(fake, headers, "/Invoices", {"Invoices": [{"Type": "ACCREC", "Contact": {"Name": "A"},
                                                           "PaidOutOfBand": True}]})


def test_a_fake_that_drifts_from_the_description_fails_the_test(clock, monkeypatch):
    specs_or_skip()
    from recoup.connections.fakes import xero_books
    from recoup.connections.fakes.xero import FakeXero

    real_public = xero_books.public
    monkeypatch.setattr("recoup.connections.fakes.xero_api.public",
                        lambda record: {**real_public(record), "Balance": "lots"})
    fake = FakeXero(redirect_uris=[CB], clock=clock)
    with pytest.raises(SpecViolation, match="Balance: not in the description"):
        with fake:
            tenant = fake.add_tenant("Acme")
            new_invoice(fake, xero_headers(xero_tokens(fake, CB), tenant.tenant_id))


def test_a_bad_if_modified_since_is_a_departure(xero, headers):
    http("GET", f"{xero.url}{API}/Invoices", headers={**headers, "If-Modified-Since": "last tuesday"})
    assert any("If-Modified-Since" in v for v in xero.violations)
    xero.violations.clear()


def test_bulk_seed_builds_two_thousand_contacts_and_ten_thousand_invoices_quickly(xero, acme):
    import time

    from recoup.connections.fakes.xero_seed import seed_bulk

    started = time.perf_counter()
    counts = seed_bulk(acme, contacts=2000, invoices=10000, now=NOW)
    assert time.perf_counter() - started < 15
    assert len(acme.contacts) == 2000 and sum(i["Type"] == "ACCREC" for i in acme.invoices.values()) == 10000
    assert counts["paid"] > 1000 and counts["voided"] > 100
