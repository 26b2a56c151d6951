"""Settings -> Connections: the OAuth flow (state checked once, PKCE S256), choosing a tenant,
tokens stored encrypted, disconnect keeping what was imported, and the webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from recoup.connections.models import Connection, ConnectionStatus, OAuthState
from recoup.orgs.actions import member_add
from recoup.orgs.models import Role


@pytest.fixture
def owner(org_a, system, now):
    return member_add(org=org_a, username="owner", role=Role.OWNER, actor=system, now=now).user


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def start(client, org) -> dict:
    response = client.post(f"/o/{org.slug}/settings/connections/xero/connect/")
    assert response.status_code == 302
    url = urlparse(response["Location"])
    assert url.netloc == "xero.fake.test" and url.path == "/identity/connect/authorize"
    return {k: v[0] for k, v in parse_qs(url.query).items()}


def test_connect_xero_runs_the_authorization_code_flow_with_pkce(org_a, owner, xero, now):
    client = logged_in(owner)
    query = start(client, org_a)
    assert query["code_challenge_method"] == "S256" and query["response_type"] == "code"
    assert "accounting.transactions" in query["scope"] and "offline_access" in query["scope"]
    verifier = OAuthState.objects.get(state=query["state"]).code_verifier
    assert query["code_challenge"] == base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    xero.codes["the-code"] = query["state"]
    response = client.get(f"/connections/callback/?code=the-code&state={query['state']}")
    assert response.status_code == 302
    connection = Connection.objects.for_org(org_a).get()
    assert (connection.status, connection.remote_id, connection.remote_name) == \
        (ConnectionStatus.ACTIVE, "tenant-1", "Demo Company (UK)")
    assert "access-1" not in connection.access_token_enc and connection.refresh_token_enc.startswith("gAAAA")
    token_call = [r for r in xero.requests if r.url.path == "/connect/token"][0]
    assert f"code_verifier={verifier}" in token_call.content.decode()
    # The state is used once: the same callback again is refused.
    assert client.get(f"/connections/callback/?code=the-code&state={query['state']}").status_code == 404


def test_a_forged_state_is_refused(org_a, owner, xero):
    assert logged_in(owner).get("/connections/callback/?code=x&state=forged").status_code == 404
    assert not Connection.objects.exists()


def test_another_organizations_owner_cannot_complete_the_flow(org_a, org_b, owner, xero, system, now):
    query = start(logged_in(owner), org_a)
    intruder = member_add(org=org_b, username="b-owner", role=Role.OWNER, actor=system, now=now).user
    xero.codes["c"] = query["state"]
    assert logged_in(intruder).get(f"/connections/callback/?code=c&state={query['state']}").status_code == 404
    assert not Connection.objects.exists()


def test_a_login_that_reaches_several_tenants_picks_one(org_a, owner, xero, now):
    xero.tenants = [("tenant-1", "Demo Company (UK)"), ("tenant-2", "Other Ltd")]
    client = logged_in(owner)
    query = start(client, org_a)
    xero.codes["c"] = query["state"]
    client.get(f"/connections/callback/?code=c&state={query['state']}")
    connection = Connection.objects.for_org(org_a).get()
    assert connection.status == ConnectionStatus.CHOOSING
    page = client.get(f"/o/{org_a.slug}/settings/connections/").content.decode()
    assert "Other Ltd" in page and "Demo Company (UK)" in page
    client.post(f"/o/{org_a.slug}/settings/connections/xero/choose/", {"tenant": "tenant-2"})
    connection.refresh_from_db()
    assert (connection.status, connection.remote_name) == (ConnectionStatus.ACTIVE, "Other Ltd")


def test_sync_now_then_disconnect_keeps_everything_imported(org_a, owner, connection, seeded, now):
    from recoup.ledger.models import Invoice

    client = logged_in(owner)
    response = client.post(f"/o/{org_a.slug}/settings/connections/xero/sync/", follow=True)
    assert "Synced Xero" in response.content.decode()
    assert Invoice.objects.for_org(org_a).count() == 4
    client.post(f"/o/{org_a.slug}/settings/connections/xero/disconnect/")
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.DISCONNECTED and not connection.access_token_enc
    assert Invoice.objects.for_org(org_a).count() == 4


def test_the_invoice_page_says_from_xero_with_a_link(org_a, owner, connection, seeded, now):
    from recoup.connections.sync import sync_connection
    from recoup.ledger.models import Invoice

    sync_connection(connection=connection, now=now)
    invoice = Invoice.objects.for_org(org_a).get(number="INV-0004")
    page = logged_in(owner).get(f"/o/{org_a.slug}/invoices/{invoice.pk}/").content.decode()
    assert "from Xero" in page and f"InvoiceID={seeded['c1']}" in page


def _signed(body: bytes, key: str = "hook-key") -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def test_a_signed_xero_webhook_enqueues_a_sync_and_a_forged_one_is_refused(org_a, connection, client):
    from django_tasks_db.models import DBTaskResult

    def enqueued():
        return [r.args_kwargs["args"] for r in DBTaskResult.objects.filter(task_path__endswith="sync_org_task")]
    body = b'{"events":[{"tenantId":"tenant-1","eventCategory":"INVOICE","eventType":"UPDATE"}],"entropy":"X"}'
    forged = client.post("/hooks/connections/xero/", body, content_type="application/json",
                         HTTP_X_XERO_SIGNATURE=_signed(body, "wrong"))
    assert forged.status_code == 401 and enqueued() == []
    ok = client.post("/hooks/connections/xero/", body, content_type="application/json",
                     HTTP_X_XERO_SIGNATURE=_signed(body))
    assert ok.status_code == 200 and enqueued() == [[org_a.pk]]


def test_xeros_intent_to_receive_is_answered(client):
    body = b'{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"Y"}'
    assert client.post("/hooks/connections/xero/", body, content_type="application/json",
                       HTTP_X_XERO_SIGNATURE=_signed(body)).status_code == 200
    assert client.post("/hooks/connections/xero/", body, content_type="application/json",
                       HTTP_X_XERO_SIGNATURE="bm9wZQ==").status_code == 401


def test_the_dashboard_says_when_reminders_wait_for_the_books(org_a, owner, connection, now):
    from datetime import timedelta

    from django.utils import timezone

    Connection.objects.filter(pk=connection.pk).update(last_synced_at=timezone.now() - timedelta(hours=7))
    page = logged_in(owner).get(f"/o/{org_a.slug}/").content.decode()
    assert "Reminders are on hold: books not synced since" in page
    Connection.objects.filter(pk=connection.pk).update(last_synced_at=timezone.now())
    assert "on hold" not in logged_in(owner).get(f"/o/{org_a.slug}/").content.decode()
