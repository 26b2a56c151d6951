"""Data rights of one debtor: everything Recoup holds about them (JSON, PDF), and erasure.

The export finds rows generically: every model with a foreign key to the customer, and the
rows hanging off those (invoice lines, attachments, instalments), so new apps are included
without changes here. Erasure anonymizes the person while keeping what the law requires:
invoices, payments, credit notes, charges and write-offs (tax and accounting records) and
the audit trail (evidence; its hash chain would otherwise break). A customer with an open
debt is not erased: the decision to refuse is logged with its reason, as is every erasure.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.template.loader import render_to_string

from recoup.audit.actions import Actor, record
from recoup.audit.models import AuditEvent
from recoup.audit.selectors import event_as_json
from recoup.ledger.models import Contact, Customer, CustomerStatus, Invoice
from recoup.orgs.models import Organization, check_same_org
from recoup.reports.aging_store import forget_customer

SECRET_WORDS = ("hash", "token", "secret", "password", "key")
# Kept on erasure: accounting and tax records, and the evidence trail.
KEPT_MODELS = {"ledger.invoice", "ledger.invoiceline", "ledger.payment", "ledger.allocation", "ledger.creditnote",
               "ledger.charge", "ledger.writeoff", "audit.auditevent"}
ERASED = "[erased]"


class DataRightsError(Exception):
    pass


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return {"bytes": len(bytes(value)), "base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def _row(obj: models.Model) -> dict[str, Any]:
    row = {}
    for f in obj._meta.concrete_fields:
        if any(word in f.name for word in SECRET_WORDS):
            continue
        row[f.attname] = _plain(f.value_from_object(obj))
    return row


def _related(customer: Customer) -> list[tuple[str, models.QuerySet]]:
    """(label, rows) of every model pointing at the customer, then one level further out."""
    found, first = [], []
    for model in apps.get_models():
        if model is AuditEvent:
            continue
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is Customer:
                first.append(model)
                found.append((model._meta.label_lower, model._default_manager.filter(**{f.name: customer})))
    for model in apps.get_models():
        if model in first or model is AuditEvent or model is Customer:
            continue
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model in first and f.related_model is not Customer:
                path = next(g.name for g in f.related_model._meta.concrete_fields
                            if g.is_relation and g.related_model is Customer)
                found.append((model._meta.label_lower,
                              model._default_manager.filter(**{f"{f.name}__{path}": customer})))
    return found


def debtor_export(*, org: Organization, customer: Customer) -> dict[str, Any]:
    """Everything held about one customer, as JSON-ready data (a subject-access request)."""
    check_same_org(org, customer, error=DataRightsError)
    data: dict[str, Any] = {"organization": {"slug": org.slug, "legal_name": org.legal_name},
                            "customer": _row(customer), "records": {}}
    for label, rows in _related(customer):
        listed = [_row(obj) for obj in rows.order_by("pk")]
        if listed:
            data["records"].setdefault(label, []).extend(listed)
    data["audit_events"] = [event_as_json(e) for e in
                            AuditEvent.objects.for_org(org).filter(customer=customer).select_related("org").order_by("seq")]
    return data


def debtor_export_pdf(*, org: Organization, customer: Customer, now: datetime) -> bytes:
    """The same export, readable: one PDF (WeasyPrint)."""
    from weasyprint import HTML

    data = debtor_export(org=org, customer=customer)
    sections = []
    for label, rows in data["records"].items():
        columns = sorted({k for r in rows for k in r if not isinstance(r[k], dict)})
        sections.append((label, columns, [["" if r.get(c) is None else r.get(c) for c in columns] for r in rows]))
    html = render_to_string("ops/subject_access.html", {"org": org, "customer": customer, "data": data,
                                                        "sections": sections, "now": now})
    return HTML(string=html).write_pdf()


@dataclass(frozen=True)
class ErasureResult:
    erased: bool
    reason: str
    changed: dict[str, int]


def _open_debt(org: Organization, customer: Customer) -> list[str]:
    return list(Invoice.objects.for_org(org).filter(customer=customer).exclude(open_minor=0)
                .order_by("number").values_list("number", flat=True))


@transaction.atomic
def debtor_erase(*, org: Organization, customer: Customer, reason: str, actor: Actor, now: datetime) -> ErasureResult:
    """Anonymize a customer on request, unless an open debt must be kept; the decision is logged either way."""
    check_same_org(org, customer, error=DataRightsError)
    if not reason.strip():
        raise DataRightsError("say why (the request and who made it): the decision is kept in the audit trail")
    customer = Customer.objects.select_for_update(no_key=True).get(pk=customer.pk)
    open_invoices = _open_debt(org, customer)
    if open_invoices:
        why = (f"not erased: open debt on invoice(s) {', '.join(open_invoices[:20])}; the data is needed to "
               "establish and pursue the claim. Ask again once the balance is settled or written off.")
        record(org=org, actor=actor, at=now, verb="customer.erasure_refused", subject=customer, customer=customer,
               summary=f"Erasure of customer {customer.ref} refused: open debt", data={"request": reason, "decision": why})
        return ErasureResult(False, why, {})
    changed: dict[str, int] = {}
    customer.legal_name, customer.display_name, customer.notes = f"Erased customer {customer.ref}", "", ""
    customer.status = CustomerStatus.CLOSED
    customer.save(update_fields=["legal_name", "display_name", "notes", "status"])
    changed["ledger.customer"] = 1
    forget_customer(org, customer.pk)  # its name in today's stored aging rows (they come back renamed)
    changed["ledger.contact"] = Contact.objects.for_org(org).filter(customer=customer).update(
        name=ERASED, role="", email="", phone="", postal_address="",
        opt_out_email=True, opt_out_sms=True, opt_out_letter=True, opt_out_phone=True)
    for label, rows in _related(customer):
        if label in KEPT_MODELS or label == "ledger.contact":
            continue
        model = rows.model
        texts = {f.name: "" for f in model._meta.concrete_fields
                 if isinstance(f, models.TextField) and f.blank and not f.choices}
        if label == "messaging.message":
            texts.update(to_address=ERASED)
        binaries = [f.name for f in model._meta.concrete_fields if isinstance(f, models.BinaryField)]
        texts.update({name: b"" for name in binaries})
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField):
                for obj in rows.exclude(**{f.name: ""}):
                    getattr(obj, f.name).delete(save=False)
                texts[f.name] = ""
        if texts:
            changed[label] = rows.update(**texts)
    kept = sorted(KEPT_MODELS)
    record(org=org, actor=actor, at=now, verb="customer.erased", subject=customer, customer=customer,
           summary=f"Customer {customer.ref} anonymized at the data subject's request",
           data={"request": reason, "changed": changed, "kept": kept,
                 "decision": "personal data erased; accounting records and the audit trail kept as the law requires"})
    return ErasureResult(True, "erased; invoices, payments, credits, charges, write-offs and the audit trail kept",
                         changed)
