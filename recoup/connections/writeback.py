"""Write back: payments Recoup records that the books do not know of go to the books, once.

Collect: the audit trail is read after ``WritebackCursor`` (as the API's webhooks do), so the
ledger needs no hook and imports nothing of this app. A ``payment.recorded`` (or a
``credit.applied`` from a payment) whose payment is not linked to the books (a sync writes its
link in the same transaction as the payment) yields one ``Writeback`` per allocation on an
invoice from the books, unique per allocation; cursor and rows in one transaction.

Send: a row is claimed with a conditional UPDATE (pending -> sending, attempts + 1). Its ``key``
goes as the provider's idempotency key and in the payment's reference. A row left in
``sending`` by a killed worker is taken back after ``STALE_AFTER``; before sending again the
provider is asked whether a payment with that reference exists, and the provider's idempotency
key answers a repeat with the first result: the payment is written once. A sync that meets the
payment before the answer was recorded links it by the reference (``apply.py``).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from recoup.audit.models import AuditEvent
from recoup.connections.apply import REFERENCE_PREFIX
from recoup.connections.queries import one
from recoup.connections.models import (
    BooksSettings, Connection, ConnectionStatus, LinkKind, RemoteLink, Writeback, WritebackCursor, WritebackStatus,
)
from recoup.connections.providers.base import PaymentToWrite
from recoup.connections.providers.http import ProviderError
from recoup.connections.tokens import provider_with_token
from recoup.core.money import from_minor
from recoup.ledger.models import Allocation, Invoice, Payment

log = logging.getLogger(__name__)

BATCH = 500
STALE_AFTER = timedelta(minutes=5)
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12), timedelta(hours=24))
VERBS = ("payment.recorded", "credit.applied")


def writeback_collect(*, org, now: datetime) -> int:
    """Turn new audit events into write-back rows; returns how many rows were written."""
    with transaction.atomic():
        cursor, _ = WritebackCursor.objects.select_for_update(no_key=True).get_or_create(org=org)
        events = list(AuditEvent.objects.for_org(org).filter(id__gt=cursor.last_event_id).order_by("id")
                      .values_list("id", "verb", "subject_id")[:BATCH])
        if not events:
            return 0
        cursor.last_event_id = events[-1][0]
        cursor.save(update_fields=["last_event_id"])
        settings = one(BooksSettings.objects.filter(org=org))
        connections = {c.pk: c for c in Connection.objects.for_org(org).filter(status=ConnectionStatus.ACTIVE)}
        if (settings is not None and not settings.writeback) or not connections:
            return 0
        allocations = _allocations(org, events)
        rows = _rows(org, allocations, connections, now)
        made = 0
        for row in rows:
            try:
                with transaction.atomic():
                    row.save()
                made += 1
            except IntegrityError:
                pass  # already collected (a credit.applied after its payment.recorded)
        return made


def _allocations(org, events) -> list[Allocation]:
    payment_ids = [pk for _, verb, pk in events if verb == "payment.recorded" and pk]
    allocation_ids = [pk for _, verb, pk in events if verb == "credit.applied" and pk]
    qs = Allocation.objects.for_org(org).filter(payment__isnull=False).filter(
        Q(payment_id__in=payment_ids) | Q(pk__in=allocation_ids)).select_related("payment")
    return list(qs)


def _rows(org, allocations: list[Allocation], connections: dict[int, Connection], now: datetime) -> list[Writeback]:
    if not allocations:
        return []
    from_books = set(RemoteLink.objects.filter(org=org, connection_id__in=connections, kind=LinkKind.PAYMENT,
                                               local_id__in={a.payment_id for a in allocations})
                     .values_list("local_id", flat=True))
    invoices = {link.local_id: link for link in RemoteLink.objects.filter(
        org=org, connection_id__in=connections, kind=LinkKind.INVOICE, local_id__in={a.invoice_id for a in allocations})}
    rows = []
    for a in allocations:
        link = invoices.get(a.invoice_id)
        if link is None or a.payment_id in from_books:
            continue
        rows.append(Writeback(org=org, connection=connections[link.connection_id], allocation_id=a.pk,
                              payment_id=a.payment_id, invoice_id=a.invoice_id, invoice_remote_id=link.remote_id,
                              amount_minor=a.amount_minor, currency=a.payment.currency, date=a.payment.date,
                              key=uuid.uuid4().hex, created_at=now, next_attempt_at=now))
    return rows


def _due(now: datetime):
    return Writeback.objects.filter(
        Q(status=WritebackStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=WritebackStatus.SENDING, claimed_at__lte=now - STALE_AFTER))


def claim_next(*, now: datetime, org=None) -> Writeback | None:
    while True:
        due = _due(now) if org is None else _due(now).filter(org=org)
        candidates = list(due.order_by("id").values_list("id", "status", "attempts")[:20])
        if not candidates:
            return None
        for pk, status, attempts in candidates:
            if Writeback.objects.filter(pk=pk, status=status, attempts=attempts).update(
                    status=WritebackStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now):
                return Writeback.objects.select_related("connection", "org").get(pk=pk)


def to_write(row: Writeback) -> PaymentToWrite:
    customer_id = one(Invoice.objects.filter(pk=row.invoice_id).values_list("customer_id", flat=True))
    customer = one(RemoteLink.objects.filter(org_id=row.org_id, connection=row.connection, kind=LinkKind.CUSTOMER,
                                             local_id=customer_id).values_list("remote_id", flat=True)) or ""
    return PaymentToWrite(key=row.key, invoice_remote_id=row.invoice_remote_id, date=row.date,
                          amount=from_minor(row.amount_minor, row.currency), currency=row.currency,
                          reference=f"{REFERENCE_PREFIX}{row.key}", account=row.connection.payment_account,
                          customer_remote_id=customer)


def send_one(row: Writeback, *, now: datetime) -> str:
    """Write one claimed row; returns "written", "retried" or "failed"."""
    mine = Writeback.objects.filter(pk=row.pk, status=WritebackStatus.SENDING, attempts=row.attempts)
    provider = None
    try:
        if row.connection.status != ConnectionStatus.ACTIVE:
            raise ProviderError(f"{row.connection} is {row.connection.get_provider_display()} "
                                f"{row.connection.get_status_display().lower()}")
        if not Payment.objects.filter(pk=row.payment_id).exists():
            mine.update(status=WritebackStatus.FAILED, last_error="the payment was reversed in Recoup before it was written")
            return "failed"
        provider = provider_with_token(row.connection, now=now)
        if getattr(provider, "needs_account", False) and not row.connection.payment_account:
            raise ProviderError(f"choose the {provider.label} bank account payments are written to "
                                f"(`recoup connections --account {row.connection.provider} CODE`)", permanent=False)
        payment = to_write(row)
        remote_id = provider.find_written(payment) if row.attempts > 1 else None
        remote_id = remote_id or provider.write_payment(payment)
    except ProviderError as exc:
        final = exc.permanent or row.attempts > len(BACKOFF)
        mine.update(status=WritebackStatus.FAILED if final else WritebackStatus.PENDING,
                    next_attempt_at=None if final else now + BACKOFF[row.attempts - 1], last_error=str(exc)[:2000])
        return "failed" if final else "retried"
    except Exception as exc:  # noqa: BLE001 - a key or token fault: try again later, say why
        mine.update(status=WritebackStatus.PENDING, next_attempt_at=now + BACKOFF[min(row.attempts, len(BACKOFF)) - 1],
                    last_error=f"{type(exc).__name__}: {exc}"[:2000])
        return "retried"
    finally:
        if provider is not None:
            provider.http.close()
    with transaction.atomic():
        mine.update(status=WritebackStatus.WRITTEN, remote_id=remote_id, written_at=now, last_error="")
        RemoteLink.objects.get_or_create(connection=row.connection, kind=LinkKind.PAYMENT, remote_id=remote_id,
                                         defaults={"org": row.org, "local_id": row.payment_id, "version": ""})
    return "written"


@dataclass
class WritebackReport:
    collected: int = 0
    written: int = 0
    retried: int = 0
    failed: int = 0


def writeback_run(*, now: datetime, org=None, limit: int | None = None) -> WritebackReport:
    """Collect (for ``org`` or every organization with a connection) and send what is due."""
    report = WritebackReport()
    orgs = [org] if org is not None else [c.org for c in Connection.objects.filter(
        status=ConnectionStatus.ACTIVE).select_related("org").order_by("org_id").distinct()]
    for one in {o.pk: o for o in orgs}.values():
        while True:
            report.collected += writeback_collect(org=one, now=now)
            if not _more_events(one):
                break
    while limit is None or report.written + report.retried + report.failed < limit:
        row = claim_next(now=now, org=org)
        if row is None:
            break
        outcome = send_one(row, now=now)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _more_events(org) -> bool:
    cursor = one(WritebackCursor.objects.filter(org=org).values_list("last_event_id", flat=True)) or 0
    return AuditEvent.objects.for_org(org).filter(id__gt=cursor).exists()
