"""Webhooks cannot reach inside the network Recoup runs in (SSRF), follow no redirects and store generic errors.

By default (``RECOUP_WEBHOOKS_ALLOW_PRIVATE`` off) every way of naming an internal address is
refused when subscribing (API, PATCH, the settings page) and again at every delivery.
"""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from recoup.api.actions import ApiError, endpoint_create
from recoup.api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from recoup.api.tests.test_webhooks import Receiver
from recoup.api.webhooks.delivery import deliver_due
from recoup.lib import outbound

INTERNAL = ["http://127.0.0.1:8000/admin", "http://localhost/", "http://2130706433/", "http://0x7f.1/",
            "http://0/", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.8:6379/", "http://192.168.1.1/", "http://100.64.0.1/", "http://[fd00::1]/",
            "http://[fe80::1]/"]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _queue(org, endpoint, now, n=1):
    return [WebhookDelivery.objects.create(
        org=org, endpoint=endpoint, event_id=f"ev-{i}", event_type="payment.received", dedupe_key=f"k{i}",
        payload={"id": f"ev-{i}", "type": "payment.received"}, status=DeliveryStatus.PENDING,
        next_attempt_at=now, created_at=now) for i in range(n)]


def _clock(t):
    return lambda: t


@pytest.mark.parametrize("url", INTERNAL)
def test_the_api_refuses_to_subscribe_an_internal_address(api_a, url):
    r = api_a.post("/webhooks/endpoints", {"url": url})
    assert r.status_code == 422, r.content
    assert "webhooks go only to public addresses" in r.json()["detail"]
    assert not WebhookEndpoint.objects.exists()


def test_a_name_resolving_inside_is_refused(api_a, monkeypatch):
    monkeypatch.setattr(outbound, "system_resolve", lambda host, port: ["10.1.2.3"])
    r = api_a.post("/webhooks/endpoints", {"url": "https://hooks.example.com/recoup"})
    assert r.status_code == 422
    assert r.json()["detail"] == ("url: hooks.example.com is 10.1.2.3, a private address: "
                                  "webhooks go only to public addresses")


def test_changing_the_url_to_an_internal_one_is_refused(api_a):
    hook = api_a.post("/webhooks/endpoints", {"url": "https://93.184.216.34/hooks"}).json()
    r = api_a.patch(f"/webhooks/endpoints/{hook['id']}", {"url": "http://169.254.169.254/"})
    assert r.status_code == 422
    assert WebhookEndpoint.objects.get().url == "https://93.184.216.34/hooks"


def test_the_settings_page_refuses_an_internal_address(org_a):
    from django.contrib.auth import get_user_model

    from recoup.orgs.models import Membership

    user = get_user_model().objects.create_user("olivia", password="pw-long-enough-123")
    Membership.objects.create(org=org_a, user=user, role="owner")
    owner = Client()
    owner.force_login(user)
    r = owner.post("/o/acme/settings/api/", {"form": "endpoint", "url": "http://[::ffff:127.0.0.1]:5432/",
                                             "events": []})
    assert r.status_code == 200 and "webhooks go only to public addresses" in r.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_delivery_refuses_an_internal_address_every_time(org_a, system, now, receiver, settings):
    settings.RECOUP_WEBHOOKS_ALLOW_PRIVATE = True  # subscribed while the install allowed it ...
    endpoint = endpoint_create(org=org_a, url=receiver.url, event_types=[], actor=system, now=now)
    settings.RECOUP_WEBHOOKS_ALLOW_PRIVATE = False  # ... and then it no longer does
    _queue(org_a, endpoint, now)
    assert deliver_due(clock=_clock(now)).retried == 1
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_error == "refused: address not allowed" and delivery.last_status_code is None


def test_a_name_that_rebinds_to_an_internal_address_is_refused_at_delivery(org_a, system, now, receiver,
                                                                           monkeypatch):
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    monkeypatch.setattr(outbound, "system_resolve", lambda host, port: next(answers))
    endpoint = endpoint_create(org=org_a, url=f"http://hooks.example.com:{receiver.server.server_port}/h",
                               event_types=[], actor=system, now=now)
    _queue(org_a, endpoint, now)
    deliver_due(clock=_clock(now))
    assert receiver.received == []
    assert WebhookDelivery.objects.get().last_error == "refused: address not allowed"


def test_redirects_are_not_followed(org_a, system, now, settings):
    settings.RECOUP_WEBHOOKS_ALLOW_PRIVATE = True
    inside, outside = Receiver(), Receiver()
    try:
        outside.status, outside.location = 302, inside.url
        endpoint = endpoint_create(org=org_a, url=outside.url, event_types=[], actor=system, now=now)
        _queue(org_a, endpoint, now)
        assert deliver_due(clock=_clock(now)).retried == 1
        assert len(outside.received) == 1 and inside.received == []
        delivery = WebhookDelivery.objects.get()
        assert delivery.last_status_code == 302 and delivery.last_error == "HTTP 302"
    finally:
        inside.close()
        outside.close()


def test_the_stored_error_does_not_tell_which_ports_are_open(org_a, system, now, settings):
    settings.RECOUP_WEBHOOKS_ALLOW_PRIVATE = True
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    endpoint = endpoint_create(org=org_a, url=f"http://127.0.0.1:{closed}/h", event_types=[], actor=system, now=now)
    _queue(org_a, endpoint, now)
    deliver_due(clock=_clock(now))
    assert WebhookDelivery.objects.get().last_error == "connection failed"


def test_the_install_setting_is_off_by_default():
    from django.conf import settings

    assert settings.RECOUP_WEBHOOKS_ALLOW_PRIVATE is False


def test_the_action_refuses_whoever_calls_it(org_a, system, now):
    with pytest.raises(ApiError, match="public addresses") as caught:
        endpoint_create(org=org_a, url="http://127.0.0.1:9/", event_types=[], actor=system, now=now)
    assert caught.value.field == "url"


def test_the_signature_carries_the_time_of_sending(org_a, system, now, receiver, settings):
    """In a long batch each delivery is signed when it leaves, not when the batch began (receivers
    refuse signatures older than five minutes)."""
    settings.RECOUP_WEBHOOKS_ALLOW_PRIVATE = True
    endpoint = endpoint_create(org=org_a, url=receiver.url, event_types=[], actor=system, now=now)
    _queue(org_a, endpoint, now, n=3)
    ticks = iter(now + timedelta(minutes=4 * i) for i in range(100))
    deliver_due(clock=lambda: next(ticks))
    stamps = sorted(int(h["Recoup-Signature"].split(",")[0][2:]) for h, _ in receiver.received)
    assert len(stamps) == 3 and stamps[-1] - stamps[0] >= 8 * 60
    assert all(json.loads(b)["type"] == "payment.received" for _, b in receiver.received)
    assert timezone.is_aware(WebhookDelivery.objects.first().delivered_at)


def test_one_post_ends_long_before_its_claim_could_look_stale():
    from recoup.api.webhooks.delivery import STALE_AFTER, TIMEOUT_SECONDS

    assert timedelta(seconds=TIMEOUT_SECONDS) * 10 < STALE_AFTER
