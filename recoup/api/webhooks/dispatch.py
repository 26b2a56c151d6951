"""Turn new audit events into webhook deliveries (the outbox), per organization.

``WebhookCursor.last_event_id`` remembers the last audit event looked at; a run locks the
cursor, reads the events after it (in id order), writes one delivery per (endpoint, event)
and moves the cursor, all in one transaction: an event is dispatched once, even with several
workers. ``invoice.paid`` is decided by looking at the invoices a payment or credit touched:
those fully paid when the dispatcher runs.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import transaction

from recoup.api.events import events_for
from recoup.api.models import DeliveryStatus, WebhookCursor, WebhookDelivery, WebhookEndpoint
from recoup.audit.models import AuditEvent
from recoup.ledger.models import Allocation, Invoice, InvoiceStatus

BATCH = 500


def _paid_invoices(org, kind: str, pk: int | None) -> list[Invoice]:
    if pk is None:
        return []
    qs = Invoice.objects.for_org(org).select_related("customer").prefetch_related("lines__invoice")
    if kind == "invoice":
        qs = qs.filter(pk=pk)
    elif kind == "allocation":
        qs = qs.filter(allocations__pk=pk)
    elif kind == "credit_note":
        qs = qs.filter(pk__in=Allocation.objects.filter(credit_note_id=pk).values("invoice_id"))
    return [i for i in qs if i.status == InvoiceStatus.PAID and i.open_minor == 0]


def payload_data(org, kind: str, pk: int | None, event: AuditEvent) -> dict[str, Any] | None:
    """The event's object as the API shows it (None when it no longer exists)."""
    from recoup.api import schemas
    from recoup.arrangements.models import Dispute, PaymentPlan, Promise
    from recoup.ledger.models import Customer, Payment
    from recoup.messaging.models import Message

    models = {"payment": (Payment, schemas.PaymentOut), "promise": (Promise, schemas.PromiseOut),
              "plan": (PaymentPlan, schemas.PlanOut), "dispute": (Dispute, schemas.DisputeOut),
              "message": (Message, schemas.MessageOut), "customer": (Customer, schemas.CustomerOut),
              "invoice": (Invoice, schemas.InvoiceOut)}
    model, schema = models[kind]
    obj = model.objects.for_org(org).filter(pk=pk).first() if pk else None
    if obj is None:
        return None
    return schema.from_orm(obj).model_dump(mode="json")


def _events(org, event: AuditEvent) -> list[tuple[str, str, int | None]]:
    out = []
    for event_type, kind, pk in events_for(event.verb, event.subject_type, event.subject_id, event.data or {},
                                           event.customer_id):
        if event_type == "invoice.paid?":
            out += [("invoice.paid", "invoice", inv.pk) for inv in _paid_invoices(org, kind, pk)]
        else:
            out.append((event_type, kind, pk))
    return out


def dispatch_org(*, org, now: datetime) -> int:
    """Write deliveries for the organization's new audit events; returns how many were written."""
    with transaction.atomic():
        cursor, _ = WebhookCursor.objects.select_for_update(no_key=True).get_or_create(org=org)
        endpoints = list(WebhookEndpoint.objects.for_org(org).filter(active=True))
        events = list(AuditEvent.objects.for_org(org).filter(id__gt=cursor.last_event_id).order_by("id")[:BATCH])
        if not events:
            return 0
        rows = []
        for event in events:
            wanting = [e for e in endpoints if e.since_event_id < event.pk]
            if not wanting:
                continue
            for event_type, kind, pk in _events(org, event):
                targets = [e for e in wanting if e.wants(event_type)]
                if not targets:
                    continue
                payload = {"id": str(uuid.uuid4()), "type": event_type, "created": event.at.isoformat(),
                           "organization": org.slug, "summary": event.summary, "audit_event_id": event.pk,
                           "customer_id": event.customer_id, "object": kind,
                           "data": payload_data(org, kind, pk, event)}
                rows += [WebhookDelivery(org=org, endpoint=e, event_id=payload["id"], event_type=event_type,
                                         dedupe_key=f"{event.pk}:{event_type}:{pk}", audit_event_id=event.pk,
                                         payload=payload, status=DeliveryStatus.PENDING, next_attempt_at=now,
                                         created_at=now) for e in targets]
        WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        cursor.last_event_id = events[-1].pk
        cursor.save(update_fields=["last_event_id"])
        return len(rows)


def dispatch_all(*, now: datetime, org=None) -> int:
    """Dispatch for every organization with a webhook endpoint (or only ``org``), until each is caught up."""
    from recoup.orgs.models import Organization

    total = 0
    orgs = Organization.objects.filter(pk__in=WebhookEndpoint.objects.values("org_id"))
    for org in orgs.filter(pk=org.pk) if org is not None else orgs:
        while True:
            before = WebhookCursor.objects.filter(org=org).values_list("last_event_id", flat=True).first()
            total += dispatch_org(org=org, now=now)
            after = WebhookCursor.objects.filter(org=org).values_list("last_event_id", flat=True).first()
            if after == before:
                break
    return total
