"""A replayed POST with the same Idempotency-Key creates nothing new and answers the same."""

from __future__ import annotations

from recoup.api.models import IdempotencyRecord
from recoup.audit.models import AuditEvent
from recoup.ledger.models import Invoice, Payment

INVOICE = {"customer_ref": "C001", "number": "INV-7", "issue_date": "2026-01-01",
           "lines": [{"description": "Work", "unit_price": "250.00"}]}


def test_a_replay_returns_the_first_answer_and_creates_nothing(api_a, org_a):
    api_a.post("/customers", {"ref": "C001", "legal_name": "One"})
    first = api_a.post("/invoices", INVOICE, **{"Idempotency-Key": "inv-7"})
    assert first.status_code == 201
    events = AuditEvent.objects.filter(org=org_a).count()
    again = api_a.post("/invoices", INVOICE, **{"Idempotency-Key": "inv-7"})
    assert again.status_code == 201 and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Invoice.objects.filter(org=org_a).count() == 1
    assert AuditEvent.objects.filter(org=org_a).count() == events


def test_payments_replayed_are_recorded_once(api_a, org_a):
    api_a.post("/customers", {"ref": "C001", "legal_name": "One"})
    body = {"customer_ref": "C001", "date": "2026-02-01", "amount": "10.00"}
    codes = {api_a.post("/payments", body, **{"Idempotency-Key": "pay-1"}).status_code for _ in range(3)}
    assert codes == {201}
    assert Payment.objects.filter(org=org_a).count() == 1
    api_a.post("/payments", body, **{"Idempotency-Key": "pay-2"})
    assert Payment.objects.filter(org=org_a).count() == 2


def test_the_same_key_with_another_body_is_refused(api_a, org_a):
    api_a.post("/customers", {"ref": "C001", "legal_name": "One"}, **{"Idempotency-Key": "k"})
    r = api_a.post("/customers", {"ref": "C002", "legal_name": "Two"}, **{"Idempotency-Key": "k"})
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"
    assert "different request" in r.json()["detail"]
    assert not org_a.pk is None and not Invoice.objects.exists()


def test_a_refusal_is_replayed_too_and_keys_are_per_organization(api_a, api_b, org_a, org_b):
    bad = api_a.post("/invoices", INVOICE, **{"Idempotency-Key": "same"})
    assert bad.status_code == 422
    assert api_a.post("/invoices", INVOICE, **{"Idempotency-Key": "same"}).content == bad.content
    api_b.post("/customers", {"ref": "C001", "legal_name": "Bee"})
    ok = api_b.post("/invoices", INVOICE, **{"Idempotency-Key": "same"})
    assert ok.status_code == 201
    assert IdempotencyRecord.objects.filter(key="same").count() == 2
