"""A token of one organization never reaches another's data, on every endpoint of the schema."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from django.utils import timezone

from recoup.api.api import api
from recoup.audit.models import AuditEvent


def _b_world(api_b):
    """Rows of every kind in organization B, made through B's own token."""
    soon = (timezone.now() + timedelta(days=10)).date().isoformat()
    c = api_b.post("/customers", {"ref": "B1", "legal_name": "Bee One"}).json()
    contact = api_b.post(f"/customers/{c['id']}/contacts", {"name": "Ann", "email": "ann@example.com"}).json()
    inv = api_b.post("/invoices", {"customer_id": c["id"], "number": "B-1", "issue_date": "2026-01-01",
                                   "lines": [{"description": "x", "unit_price": "50"}]}).json()
    inv2 = api_b.post("/invoices", {"customer_id": c["id"], "number": "B-2", "issue_date": "2026-01-01",
                                    "lines": [{"description": "x", "unit_price": "70"}]}).json()
    pay = api_b.post("/payments", {"customer_id": c["id"], "date": "2026-02-01", "amount": "10"}).json()
    cn = api_b.post("/credit-notes", {"customer_id": c["id"], "number": "BCN-1", "date": "2026-02-01",
                                      "amount": "5"}).json()
    promise = api_b.post("/promises", {"customer_id": c["id"], "invoice_ids": [inv["id"]], "pay_by": soon}).json()
    plan = api_b.post("/plans", {"customer_id": c["id"], "invoice_ids": [inv2["id"]], "instalments": 2,
                                 "frequency": "monthly", "first_date": soon}).json()
    dispute = api_b.post("/disputes", {"customer_id": c["id"], "invoice_ids": [inv["id"]], "category": "other",
                                       "message": "?"}).json()
    pause = api_b.post("/pauses", {"customer_id": c["id"], "reason": "r", "starts_on": "2026-01-01"}).json()
    hook = api_b.post("/webhooks/endpoints", {"url": "https://example.com/b"}).json()
    from recoup.api.webhooks.dispatch import dispatch_all

    api_b.post("/payments", {"customer_id": c["id"], "date": "2026-02-02", "amount": "1"})
    dispatch_all(now=timezone.now())
    delivery = api_b.get("/webhooks/deliveries").json()["items"][0]
    from recoup.collections.models import Policy

    policy = Policy.objects.filter(org__slug="bolt").first()
    ids = {"customer_id": c["id"], "contact_id": contact["id"], "invoice_id": inv["id"], "payment_id": pay["id"],
           "credit_note_id": cn["id"], "promise_id": promise["id"], "plan_id": plan["id"],
           "dispute_id": dispute["id"], "pause_id": pause["id"], "endpoint_id": hook["id"],
           "delivery_id": delivery["id"], "policy_id": policy.pk if policy else 10**6, "message_id": 10**6}
    return ids


B_MARKERS = ("Bee One", '"B1"', "B-1", "B-2", "BCN-1", "example.com/b", "bolt", "Bolt")


def test_no_endpoint_of_organization_a_reaches_organization_b(api_a, api_b, org_a, org_b):
    ids = _b_world(api_b)
    assert all(ids.values())
    schema = api.get_openapi_schema(path_prefix="")
    events_before = AuditEvent.objects.filter(org=org_b).count()
    checked = 0
    for path, item in schema["paths"].items():
        concrete = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)
        for method in item:
            body = {"customer_id": ids["customer_id"], "invoice_ids": [ids["invoice_id"]], "reason": "x",
                    "resolution": "x"}
            r = api_a.call(method.upper(), concrete, body if method in ("post", "patch") else None)
            checked += 1
            if "{" in path:
                assert r.status_code in (404, 422), (method, path, r.status_code, r.content[:200])
                continue
            assert r.status_code < 500, (method, path, r.content[:300])
            if method == "get" and r.status_code == 200 and r["Content-Type"].startswith("application/json"):
                text = json.dumps(r.json())
                assert not r.json().get("items") or path == "/timeline", (path, "A has no such rows")
                for marker in B_MARKERS:
                    assert marker not in text, (path, marker)
            elif r["Content-Type"].startswith("text/csv"):
                assert not any(m.encode() in r.content for m in B_MARKERS), path
    assert checked > 40
    # Nothing A's token sent changed B's data.
    assert AuditEvent.objects.filter(org=org_b).count() == events_before
    assert api_a.get("/aging?as_of=2026-12-31").json()["rows"] == []
    assert api_a.get("/exports/balances?as_of=2026-12-31").content.count(b"\r\n") == 1
    assert api_a.get("/exports/journal?kind=payments&date_from=2026-01-01&date_to=2026-12-31").content.count(
        b"\r\n") == 1
