"""Two deliverers beside a slow receiver: every webhook is sent once.

A claim is stamped with the time it is made; one stamped with the start of a long batch
looked stale to another deliverer, who took it back and sent it again.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from recoup.api.actions import endpoint_create
from recoup.api.models import DeliveryStatus, WebhookDelivery
from recoup.api.tests.test_webhooks import Receiver
from recoup.api.webhooks import delivery as webhook_delivery

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_busy_deliverer_and_a_second_one_send_nothing_twice(org_a, system, now, settings, monkeypatch):
    settings.RECOUP_WEBHOOKS_ALLOW_PRIVATE = True
    # Scaled down: a claim is taken back after 1 s instead of 5 min; the receiver takes 0.4 s per answer,
    # so one deliverer's batch of 8 lasts over 3 s, and the second starts 1.2 s into it.
    monkeypatch.setattr(webhook_delivery, "STALE_AFTER", timedelta(seconds=1))
    peer = Receiver()
    peer.delay = 0.4
    endpoint = endpoint_create(org=org_a, url=peer.url, event_types=[], actor=system, now=now)
    for i in range(8):
        WebhookDelivery.objects.create(
            org=org_a, endpoint=endpoint, event_id=f"ev-{i}", event_type="payment.received", dedupe_key=f"k{i}",
            payload={"id": f"ev-{i}", "type": "payment.received"}, status=DeliveryStatus.PENDING,
            next_attempt_at=now, created_at=now)
    errors: list[BaseException] = []

    def deliverer(wait: float) -> None:
        try:
            time.sleep(wait)
            call_command("webhooks-deliver", "--format", "json", stdout=open("/dev/null", "w"))
        except BaseException as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliverer, args=(wait,)) for wait in (0, 1.2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    peer.close()

    assert errors == []
    sent = Counter(json.loads(body)["id"] for _, body in peer.received)
    assert sorted(sent) == [f"ev-{i}" for i in range(8)]
    assert [k for k, n in sent.items() if n > 1] == []
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {1}
