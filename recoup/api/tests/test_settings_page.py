"""Settings → API: owners create and revoke tokens, add endpoints, resend deliveries, download exports."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from recoup.api.models import ApiToken, WebhookEndpoint
from recoup.orgs.models import Membership


def _login(org, role, name):
    user = get_user_model().objects.create_user(name, password="pw-long-enough-123")
    Membership.objects.create(org=org, user=user, role=role)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(org_a):
    return _login(org_a, "owner", "olivia")


def test_an_owner_creates_a_token_that_is_shown_once_and_works(owner, org_a):
    r = owner.post("/o/acme/settings/api/", {"form": "token", "name": "ERP", "scope": "write"})
    text = re.search(r'<code id="new-token">(rcp_[^<]+)</code>', r.content.decode()).group(1)
    row = ApiToken.objects.get(org=org_a)
    assert text not in (row.token_hash, row.prefix) and row.created_by.username == "olivia"
    assert Client().get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {text}").status_code == 200
    assert text not in owner.get("/o/acme/settings/api/").content.decode()
    owner.post(f"/o/acme/settings/api/tokens/{row.pk}/revoke/")
    assert Client().get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {text}").status_code == 401


def test_an_owner_adds_an_endpoint_and_downloads_exports(owner, org_a):
    r = owner.post("/o/acme/settings/api/", {"form": "endpoint", "url": "https://example.com/h",
                                             "events": ["invoice.paid"]})
    assert r.status_code == 302
    assert WebhookEndpoint.objects.get(org=org_a).event_types == ["invoice.paid"]
    bad = owner.post("/o/acme/settings/api/", {"form": "endpoint", "url": "ftp://x", "events": []})
    assert "not an http(s) URL" in bad.content.decode()
    csv = owner.get("/o/acme/settings/api/exports/payments.csv?from=2026-01-01&to=2026-12-31")
    assert csv["Content-Type"].startswith("text/csv") and csv.content.startswith(b'"date","journal","entry"')


def test_only_owners_of_this_organization_get_in(org_a, org_b, owner):
    viewer = _login(org_a, "viewer", "vic")
    assert viewer.get("/o/acme/settings/api/").status_code == 403
    outsider = _login(org_b, "owner", "bob")
    assert outsider.get("/o/acme/settings/api/").status_code == 404
    token = ApiToken.objects.create(org=org_a, name="t", prefix="aaaaaaaaaaaa", token_hash="x", created_at=org_a.created_at)
    assert outsider.post(f"/o/bolt/settings/api/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
