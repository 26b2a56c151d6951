"""The API end to end through Django's test client: writes go through the actions, reads are scoped."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from recoup.ledger.models import Invoice, Payment


def _customer(api, ref="C001"):
    r = api.post("/customers", {"ref": ref, "legal_name": f"Customer {ref}"})
    assert r.status_code == 201, r.content
    return r.json()


def _invoice(api, customer_ref="C001", number="INV-1", amount="100.00"):
    r = api.post("/invoices", {"customer_ref": customer_ref, "number": number, "issue_date": "2026-01-01",
                               "due_date": "2026-01-31", "lines": [{"description": "Work", "unit_price": amount}]})
    assert r.status_code == 201, r.content
    return r.json()


def test_it_creates_an_invoice_records_a_payment_and_reads_the_aging(api_a, org_a):
    customer = _customer(api_a)
    invoice = _invoice(api_a)
    assert invoice["total"] == "100.00" and invoice["status"] == "open" and invoice["currency"] == "GBP"
    r = api_a.post("/payments", {"customer_id": customer["id"], "date": "2026-02-10", "amount": "40.00",
                                 "reference": "BACS 1"})
    assert r.status_code == 201, r.content
    assert r.json()["allocations"][0]["invoice_number"] == "INV-1"
    assert Invoice.objects.get(org=org_a, number="INV-1").open_minor == 6000
    aging = api_a.get("/aging?as_of=2026-03-31").json()
    assert aging["totals"]["GBP"]["total"] == "60.00"
    statement = api_a.get(f"/customers/{customer['id']}/statement?as_of=2026-03-31").json()
    assert statement["sections"][0]["closing_balance"] == "60.00"
    timeline = api_a.get(f"/customers/{customer['id']}/timeline").json()
    assert {"invoice.created", "payment.recorded"} <= {e["verb"] for e in timeline["items"]}


def test_it_filters_and_pages_invoices(api_a):
    _customer(api_a)
    for n in range(5):
        _invoice(api_a, number=f"INV-{n}")
    api_a.post("/payments", {"customer_ref": "C001", "date": "2026-02-01", "amount": "100.00",
                             "invoice_number": "INV-3"})
    page = api_a.get("/invoices?status=open&limit=2&offset=0").json()
    assert page["count"] == 4 and len(page["items"]) == 2
    assert [i["number"] for i in api_a.get("/invoices?status=paid").json()["items"]] == ["INV-3"]
    assert api_a.get("/invoices?issued_from=2026-02-01").json()["count"] == 0


def test_it_updates_and_voids_an_invoice(api_a):
    _customer(api_a)
    invoice = _invoice(api_a)
    r = api_a.patch(f"/invoices/{invoice['id']}", {"due_date": "2026-02-28", "po_number": "PO-9"})
    assert r.status_code == 200 and r.json()["due_date"] == "2026-02-28" and r.json()["po_number"] == "PO-9"
    r = api_a.post(f"/invoices/{invoice['id']}/void", {"reason": "issued twice"})
    assert r.status_code == 200 and r.json()["status"] == "credited" and r.json()["open"] == "0.00"
    again = api_a.post(f"/invoices/{invoice['id']}/void", {"reason": "again"})
    assert again.status_code == 409 and again["Content-Type"] == "application/problem+json"


def test_refusals_are_problem_details_naming_the_field(api_a):
    r = api_a.post("/customers", {"ref": "C1", "legal_name": "X", "country": "gb"})
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 422 and body["title"] and "country" in body["detail"]
    assert body["errors"][0]["field"] == "country"
    missing = api_a.post("/invoices", {"number": "X"})
    assert missing.status_code == 422 and {e["field"] for e in missing.json()["errors"]} >= {"issue_date", "lines"}
    assert api_a.get("/invoices/999999").json()["status"] == 404
    unknown = api_a.get("/no-such-thing")
    assert unknown.status_code == 404 and unknown["Content-Type"] == "application/problem+json"
    wrong_method = api_a.call("PUT", "/invoices")
    assert wrong_method.status_code == 405 and wrong_method.json()["status"] == 405


def test_it_answers_401_without_a_valid_token(api_a):
    from django.test import Client

    r = Client().get("/api/v1/customers")
    assert r.status_code == 401 and r.json()["title"] == "Unauthorized"
    r = Client().get("/api/v1/customers", HTTP_AUTHORIZATION="Bearer rcp_000000000000_nope")
    assert r.status_code == 401


def test_a_revoked_token_stops_working(api_a, org_a, system, now):
    from recoup.api.actions import token_revoke
    from recoup.api.models import ApiToken

    assert api_a.get("/customers").status_code == 200
    token_revoke(org=org_a, token=ApiToken.objects.get(org=org_a, scope="write"), actor=system, now=now)
    assert api_a.get("/customers").status_code == 401


def test_a_read_token_cannot_write(api_a_read, api_a):
    _customer(api_a)
    assert api_a_read.get("/customers").status_code == 200
    r = api_a_read.post("/customers", {"ref": "C9", "legal_name": "Nine"})
    assert r.status_code == 403 and r.json()["status"] == 403
    assert api_a_read.patch("/customers/1", {"notes": "x"}).status_code == 403
    assert api_a_read.post("/webhooks/endpoints", {"url": "https://example.com/"}).status_code == 403


def test_rate_limit_answers_429_with_retry_after(api_a, settings, monkeypatch):
    settings.RECOUP_API_RATE_LIMIT = 3
    from types import SimpleNamespace

    from django.core.cache import cache

    from recoup.api import auth

    # The count is per minute of the clock: 30 s into one, so the requests cannot straddle two (they did
    # once, at a minute's turn, and all four were let through).
    monkeypatch.setattr(auth, "time", SimpleNamespace(time=lambda: 60 * 30_000_000 + 30.0))

    cache.clear()
    codes = [api_a.get("/customers").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = api_a.get("/customers")
    assert r.status_code == 429 and int(r["Retry-After"]) > 0 and r.json()["status"] == 429
    cache.clear()


def test_arrangements_and_pauses_go_through_their_actions(api_a, org_a):
    soon = (timezone.now() + timedelta(days=10)).date()
    _customer(api_a)
    invoice = _invoice(api_a)
    customer_id = invoice["customer_id"]
    r = api_a.post("/promises", {"customer_id": customer_id, "invoice_ids": [invoice["id"]], "pay_by": soon.isoformat()})
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "open" and r.json()["amount"] == "100.00"
    assert api_a.get(f"/pauses?active_on={soon}").json()["count"] == 1
    r = api_a.post(f"/promises/{r.json()['id']}/cancel", {"reason": "paying by plan"})
    assert r.json()["status"] == "cancelled"
    r = api_a.post("/plans", {"customer_id": customer_id, "invoice_ids": [invoice["id"]], "instalments": 2,
                              "frequency": "monthly", "first_date": soon.isoformat()})
    assert r.status_code == 201, r.content
    assert [i["amount"] for i in r.json()["instalments"]] == ["50.00", "50.00"]
    r = api_a.post("/disputes", {"customer_id": customer_id, "invoice_ids": [invoice["id"]],
                                 "category": "quality", "message": "Doors warped"})
    assert r.status_code == 201, r.content
    r = api_a.post(f"/disputes/{r.json()['id']}/resolve", {"resolution": "replaced the doors"})
    assert r.json()["status"] == "resolved"
    r = api_a.post("/pauses", {"customer_id": customer_id, "reason": "holiday", "starts_on": "2026-04-01"})
    assert r.status_code == 201
    assert api_a.post(f"/pauses/{r.json()['id']}/lift").json()["lifted_at"]
    assert api_a.get("/policies").status_code == 200
    assert api_a.get("/messages").json()["count"] == 0
    assert Payment.objects.filter(org=org_a).count() == 0
