"""Webhooks: audit events become signed deliveries; retries with backoff; the documented recipe verifies."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from recoup.api.models import DeliveryStatus, WebhookDelivery
from recoup.api.webhooks.delivery import deliver_due
from recoup.api.webhooks.signing import SignatureError, sign, verify
from recoup.api.webhooks.tasks import run_once


class Receiver:
    """A local HTTP server that records what it receives and answers with ``status``."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self.status = 200
        self.location = ""
        self.delay = 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                time.sleep(outer.delay)
                self.send_response(outer.status)
                if outer.location:
                    self.send_header("Location", outer.location)
                self.end_headers()

            def do_GET(self):  # only a followed redirect would GET
                outer.received.append((dict(self.headers), b""))
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver(settings):
    settings.RECOUP_WEBHOOKS_ALLOW_PRIVATE = True  # the receiver listens on 127.0.0.1
    r = Receiver()
    yield r
    r.close()


def documented_verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The recipe from docs/api.md, verbatim in spirit: HMAC-SHA256 over "t.body"."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    signed = f"{parts['t']}.".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) <= tolerance


def test_a_payment_reaches_the_endpoint_signed(api_a, org_a, receiver):
    hook = api_a.post("/webhooks/endpoints", {"url": receiver.url,
                                              "event_types": ["payment.received", "invoice.paid"]}).json()
    api_a.post("/customers", {"ref": "C001", "legal_name": "One"})
    api_a.post("/invoices", {"customer_ref": "C001", "number": "INV-1", "issue_date": "2026-01-01",
                             "lines": [{"description": "Work", "unit_price": "80"}]})
    api_a.post("/payments", {"customer_ref": "C001", "date": "2026-02-01", "amount": "80"})
    report = run_once(clock=timezone.now)
    assert report.delivered == 2
    types = sorted(json.loads(body)["type"] for _, body in receiver.received)
    assert types == ["invoice.paid", "payment.received"]
    for headers, body in receiver.received:
        assert documented_verify(hook["secret"], headers["Recoup-Signature"], body)
        verify(hook["secret"], headers["Recoup-Signature"], body, now=int(time.time()))
        payload = json.loads(body)
        assert headers["Recoup-Event-Id"] == payload["id"] and payload["organization"] == "acme"
    paid = next(json.loads(b) for _, b in receiver.received if json.loads(b)["type"] == "invoice.paid")
    assert paid["data"]["number"] == "INV-1" and paid["data"]["status"] == "paid"
    # Nothing new: a second run sends nothing again.
    assert run_once(clock=timezone.now).delivered == 0


def test_a_bad_signature_is_recognizable(api_a):
    body = b'{"type":"payment.received"}'
    now = int(time.time())
    good = sign("whsec_x", body, now)
    verify("whsec_x", good, body, now=now)
    assert documented_verify("whsec_x", good, body)
    with pytest.raises(SignatureError, match="does not match"):
        verify("whsec_other", good, body, now=now)
    with pytest.raises(SignatureError, match="does not match"):
        verify("whsec_x", good, body + b" ", now=now)
    assert not documented_verify("whsec_x", good, body.replace(b"payment", b"refund"))
    with pytest.raises(SignatureError, match="more than"):
        verify("whsec_x", sign("whsec_x", body, now - 3600), body, now=now)
    with pytest.raises(SignatureError, match="malformed"):
        verify("whsec_x", "v1=abc", body, now=now)


def test_failures_are_retried_with_backoff_then_resent(api_a, org_a, receiver, system):
    receiver.status = 500
    api_a.post("/webhooks/endpoints", {"url": receiver.url})
    api_a.post("/customers", {"ref": "C001", "legal_name": "One"})
    soon = (timezone.now() + timedelta(days=5)).date().isoformat()
    inv = api_a.post("/invoices", {"customer_ref": "C001", "number": "INV-1", "issue_date": "2026-01-01",
                                   "lines": [{"description": "Work", "unit_price": "80"}]}).json()
    api_a.post("/promises", {"customer_id": inv["customer_id"], "invoice_ids": [inv["id"]], "pay_by": soon})
    now = timezone.now()
    assert run_once(clock=lambda: now).retried == 1
    delivery = WebhookDelivery.objects.get(org=org_a, event_type="promise.made")
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_status_code == 500
    assert delivery.next_attempt_at == now + timedelta(minutes=1)
    assert deliver_due(clock=lambda: now + timedelta(seconds=30)).retried == 0  # not due yet
    receiver.status = 204
    assert deliver_due(clock=lambda: now + timedelta(minutes=2)).delivered == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    r = api_a.post(f"/webhooks/deliveries/{delivery.pk}/resend")
    assert r.status_code == 201 and r.json()["event_id"] == delivery.event_id
    assert deliver_due(clock=lambda: now + timedelta(minutes=3)).delivered == 1
    ids = [json.loads(b)["id"] for _, b in receiver.received]
    assert ids.count(delivery.event_id) == 3  # two attempts and the resend, one event id


def test_gives_up_after_the_last_backoff(api_a, org_a, receiver):
    receiver.status = 410
    api_a.post("/webhooks/endpoints", {"url": receiver.url, "event_types": ["dispute.opened"]})
    api_a.post("/customers", {"ref": "C001", "legal_name": "One"})
    inv = api_a.post("/invoices", {"customer_ref": "C001", "number": "INV-1", "issue_date": "2026-01-01",
                                   "lines": [{"description": "Work", "unit_price": "80"}]}).json()
    api_a.post("/disputes", {"customer_id": inv["customer_id"], "invoice_ids": [inv["id"]], "category": "other",
                             "message": "?"})
    now = timezone.now()
    run_once(clock=lambda: now)
    for _ in range(7):
        now += timedelta(days=2)
        deliver_due(clock=lambda: now)
    delivery = WebhookDelivery.objects.get(org=org_a)
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 7


def test_events_of_another_organization_never_reach_an_endpoint(api_a, api_b, receiver):
    api_a.post("/webhooks/endpoints", {"url": receiver.url})
    api_b.post("/customers", {"ref": "B1", "legal_name": "Bee"})
    api_b.post("/payments", {"customer_ref": "B1", "date": "2026-02-01", "amount": "5"})
    run_once(clock=timezone.now)
    assert receiver.received == []
