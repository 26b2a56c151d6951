"""Webhooks from the books: a verified one enqueues a sync of each organization it names; a forged
or stale one is refused (401) and changes nothing. Xero's intent-to-receive check is a signed
request with no events: 200 when the signature holds, 401 when not."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from recoup.connections.models import Connection, ConnectionStatus
from recoup.connections.providers import provider_for

log = logging.getLogger(__name__)


def webhook_receive(*, provider: str, headers: Mapping[str, str], body: bytes, now: datetime) -> int:
    books = provider_for(provider)
    verify = getattr(books, "verify_webhook_at", None)
    ok = verify(headers=headers, body=body, now=now) if verify else books.verify_webhook(headers=headers, body=body)
    if not ok:
        log.warning("%s webhook refused: bad or stale signature", provider)
        return 401
    remote_ids = books.webhook_tenants(body)
    if not remote_ids:
        return 200
    from recoup.connections.tasks import sync_org_task

    org_ids = set(Connection.objects.filter(provider=provider, status=ConnectionStatus.ACTIVE,
                                            remote_id__in=remote_ids).values_list("org_id", flat=True))
    for org_id in sorted(org_ids):
        sync_org_task.enqueue(org_id)
    return 200
