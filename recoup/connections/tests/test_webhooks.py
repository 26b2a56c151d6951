"""Webhooks of QuickBooks (intuit-signature) and Stripe (Stripe-Signature with its time): a good one
enqueues a sync of the organization it names; a forged or stale one is refused and changes nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

from recoup.connections.models import Connection, ConnectionStatus
from recoup.connections.webhooks import webhook_receive

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)


def enqueued() -> list:
    from django_tasks_db.models import DBTaskResult

    return [r.args_kwargs["args"] for r in DBTaskResult.objects.filter(task_path__endswith="sync_org_task")]


def connect(org, provider, remote_id):
    return Connection.objects.create(org=org, provider=provider, status=ConnectionStatus.ACTIVE, remote_id=remote_id)


def stripe_signature(body: bytes, at: datetime, key: str = "hook-key") -> str:
    stamp = int(at.timestamp())
    return f"t={stamp},v1=" + hmac.new(key.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()


def test_stripe_webhooks_are_checked_for_signature_and_age(org_a, org_b):
    connect(org_b, "stripe_billing", "acct_1")
    body = json.dumps({"id": "evt_1", "type": "invoice.paid", "account": "acct_1"}).encode()
    assert webhook_receive(provider="stripe_billing", headers={"Stripe-Signature": stripe_signature(body, NOW, "x")},
                           body=body, now=NOW) == 401
    stale = stripe_signature(body, NOW - timedelta(minutes=6))
    assert webhook_receive(provider="stripe_billing", headers={"Stripe-Signature": stale}, body=body, now=NOW) == 401
    assert enqueued() == []
    fresh = stripe_signature(body, NOW - timedelta(minutes=1))
    assert webhook_receive(provider="stripe_billing", headers={"Stripe-Signature": fresh}, body=body, now=NOW) == 200
    assert enqueued() == [[org_b.pk]]


def test_quickbooks_webhooks_in_both_formats(org_a):
    connect(org_a, "quickbooks", "9130")
    legacy = json.dumps({"eventNotifications": [{"realmId": "9130", "dataChangeEvent": {"entities": []}}]}).encode()
    cloud = json.dumps([{"specversion": "1.0", "type": "qbo.invoice.updated.v1", "intuitaccountid": "9130"}]).encode()
    sign = lambda body, key="hook-key": base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()  # noqa: E731
    assert webhook_receive(provider="quickbooks", headers={"intuit-signature": sign(legacy, "bad")}, body=legacy,
                           now=NOW) == 401
    assert webhook_receive(provider="quickbooks", headers={"intuit-signature": sign(legacy)}, body=legacy, now=NOW) == 200
    assert webhook_receive(provider="quickbooks", headers={"intuit-signature": sign(cloud)}, body=cloud, now=NOW) == 200
    assert enqueued() == [[org_a.pk], [org_a.pk]]
