"""A NUL character (``%00``, ``\\u0000``) in any input is refused with a clear error, never a 500.

PostgreSQL cannot hold NUL in text and its driver raises on it; SQLite would quietly search
for it. Both now answer the same: 422 naming the field (API), 400 (web pages).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from recoup.orgs.models import Membership

LISTS = ["/customers?q=%00", "/customers?status=a%00", "/invoices?status=%00", "/promises?status=%00",
         "/plans?status=x%00", "/disputes?status=%00", "/messages?channel=%00", "/messages?direction=%00",
         "/timeline?verb=payment%00", "/webhooks/deliveries?event_type=%00", "/webhooks/deliveries?status=%00",
         "/invoices?status=open&status=%00"]


@pytest.mark.parametrize("path", LISTS)
def test_a_nul_in_a_query_parameter_is_a_422_naming_it(api_a, path):
    r = api_a.get(path)
    assert r.status_code == 422, (path, r.status_code)
    name = path.split("?")[1].split("=")[0]
    body = r.json()
    assert body["detail"] == f"{name}: contains a NUL character" and body["errors"][0]["field"] == name


def test_a_nul_in_a_json_body_is_a_422_naming_the_field(api_a):
    r = api_a.post("/customers", {"ref": "C1", "legal_name": "Bad\u0000Name"})
    assert r.status_code == 422 and r.json()["detail"] == "legal_name: contains a NUL character"
    r = api_a.post("/invoices", {"customer_ref": "C1", "number": "1", "issue_date": "2026-01-01",
                                 "lines": [{"description": "x\u0000", "unit_price": "1"}]})
    assert r.status_code == 422 and r.json()["detail"] == "lines.0.description: contains a NUL character"
    assert api_a.get("/customers").json()["count"] == 0


@pytest.fixture
def owner(org_a):
    user = get_user_model().objects.create_user("olivia", password="pw-long-enough-123")
    Membership.objects.create(org=org_a, user=user, role="owner")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", [
    "/o/acme/customers/?q=%00", "/o/acme/invoices/?q=a%00b", "/o/acme/invoices/new/?customer=%00",
    "/o/acme/aging/?bucket=%00", "/o/acme/customers/?page=%00",
])
def test_a_nul_in_a_web_search_box_is_a_400(owner, path):
    r = owner.get(path)
    assert r.status_code == 400 and b"NUL" in r.content


def test_a_nul_in_a_posted_field_is_a_400(owner, org_a):
    r = owner.post("/o/acme/settings/api/", {"form": "token", "name": "ERP\x00", "scope": "read"})
    assert r.status_code == 400
    from recoup.api.models import ApiToken

    assert not ApiToken.objects.exists()


def test_a_nul_in_the_idempotency_key_is_a_422(api_a):
    r = api_a.post("/customers", {"ref": "C1", "legal_name": "One"}, **{"Idempotency-Key": "k\x00"})
    assert r.status_code == 422 and "control characters" in r.json()["detail"]
    assert api_a.get("/customers").json()["count"] == 0
