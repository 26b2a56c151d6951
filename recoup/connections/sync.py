"""Sync in: read the changes since the connection's cursor and write them, page by page.

Each page is one transaction: its records through the ledger's actions (``apply.py``) and the
stream's cursor after it, together. A sync killed at any point leaves the pages before it
committed with their cursor and nothing of the page it was in; the next sync starts from that
cursor and ends where an undisturbed one would have (records already linked change nothing).
``last_synced_at`` becomes the time the sync *started* once every stream is read: what the
books said then is what Recoup now knows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from recoup.audit import actions as audit
from recoup.connections.apply import SYNCING, PageWriter, RecordRefused
from recoup.connections.batches import apply_page
from recoup.connections.models import Connection, ConnectionStatus, SyncRun
from recoup.connections.providers.base import BooksProvider
from recoup.connections.providers.http import AuthExpired, ProviderError
from recoup.connections.tokens import provider_with_token
from recoup.connections.oauth import AuthorizationFailed
from recoup.connections.crypto import TokenKeyError
from recoup.ledger.actions import LedgerError

log = logging.getLogger(__name__)


class SyncFailed(Exception):
    """A sync that stopped; the message says why (and names the record when one was refused)."""


@dataclass
class SyncResult:
    connection: Connection
    ok: bool
    counts: dict[str, int] = field(default_factory=dict)
    error: str = ""
    run_id: int | None = None

    def as_json(self) -> dict:
        c = self.connection
        return {"org": c.org.slug, "provider": c.provider, "remote": c.remote_name, "ok": self.ok,
                "counts": self.counts, "error": self.error,
                "last_synced_at": c.last_synced_at.isoformat() if c.last_synced_at else None}


def _without_done(cursor: dict) -> dict:
    return {stream: {k: v for k, v in state.items() if k != "done"} for stream, state in cursor.items()}


def sync_connection(*, connection: Connection, now: datetime, full: bool = False,
                    provider: BooksProvider | None = None) -> SyncResult:
    """Sync one active connection. Never raises for the provider's or the data's faults: the
    result (and the connection's ``last_error``) says what stopped it."""
    if connection.status != ConnectionStatus.ACTIVE:
        return SyncResult(connection, False, error=f"{connection} is {connection.get_status_display().lower()}")
    run = SyncRun.objects.create(org=connection.org, connection=connection, started_at=now, full=full)
    result = SyncResult(connection, False, run_id=run.pk)
    writer = PageWriter(connection=connection, now=now, label=connection.get_provider_display())
    try:
        provider = provider or provider_with_token(connection, now=now)
        if full:
            Connection.objects.filter(pk=connection.pk).update(cursor={})
            connection.cursor = {}
        for page in provider.pages(cursor=dict(connection.cursor)):
            _commit_page(connection, writer, page)
        with transaction.atomic():
            connection.cursor = _without_done(connection.cursor)
            connection.last_synced_at = now
            connection.last_error = ""
            connection.save(update_fields=["cursor", "last_synced_at", "last_error"])
            SyncRun.objects.filter(pk=run.pk).update(finished_at=now, ok=True, counts=writer.counts)
        result.ok = True
    except (ProviderError, RecordRefused, LedgerError, AuthorizationFailed, TokenKeyError) as exc:
        result.error = str(exc)
        broken = isinstance(exc, (AuthorizationFailed, TokenKeyError, AuthExpired))
        Connection.objects.filter(pk=connection.pk).update(
            last_error=result.error[:2000], **({"status": ConnectionStatus.BROKEN} if broken else {}))
        SyncRun.objects.filter(pk=run.pk).update(finished_at=now, ok=False, error=result.error[:2000],
                                                 counts=writer.counts)
    finally:
        Connection.objects.filter(pk=connection.pk).update(last_attempt_at=now)
        if provider is not None:
            provider.http.close()
    result.counts = writer.counts
    connection.refresh_from_db()
    return result


def _commit_page(connection: Connection, writer: PageWriter, page) -> None:
    token = SYNCING.set(True)
    try:
        with transaction.atomic(), audit.batch():
            # The row lock orders two syncs of one connection (the scheduler's and a webhook's).
            Connection.objects.select_for_update(no_key=True).filter(pk=connection.pk).values_list("pk").first()
            apply_page(writer, page.records)
            cursor = dict(Connection.objects.filter(pk=connection.pk).values_list("cursor", flat=True).first() or {})
            cursor[page.stream] = page.cursor
            Connection.objects.filter(pk=connection.pk).update(cursor=cursor)
            connection.cursor = cursor
    finally:
        SYNCING.reset(token)


def sync_org(*, org, now: datetime, full: bool = False) -> list[SyncResult]:
    """Sync every active connection of ``org``."""
    return [sync_connection(connection=c, now=now, full=full)
            for c in Connection.objects.for_org(org).filter(status=ConnectionStatus.ACTIVE).select_related("org")]
