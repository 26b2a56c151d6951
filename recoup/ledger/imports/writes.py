"""Write validated import plans: the ledger actions, plus customer upserts and
invoice updates, which only imports need. Callers hold the transaction.

``made`` is shared by the rows of one import: the customers created from names, so
that an export's second invoice for a new customer finds the first one's customer.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.core.money import from_minor
from recoup.ledger.actions import (LineInput, check_invoice_editable, credit_note_record, invoice_create, payment_record,
                                   refresh_invoice)
from recoup.ledger.customer_actions import contact_save, customer_create, customer_update
from recoup.ledger.hooks import invoices_settled
from recoup.ledger.models import Contact, Customer, Invoice, InvoiceLine, PaymentMethod
from recoup.orgs.models import Organization


def customer_upsert(*, org: Organization, plan: dict, actor: Actor, now: datetime, made: dict | None = None) -> Customer:
    """Create or update a customer and its billing contact from a validated row."""
    customer = plan["existing"]
    if customer is None:
        customer = customer_create(org=org, ref=plan["ref"], actor=actor, now=now, via="import", **plan["fields"])
    else:
        customer = customer_update(org=org, customer=customer, actor=actor, now=now, via="import", **plan["fields"])
    contact = plan["contact"]
    billing = Contact.objects.for_org(org).filter(customer=customer, is_billing=True).order_by("-id").first()
    if billing is not None and contact:
        contact_save(org=org, customer=customer, contact=billing, actor=actor, now=now, via="import", **contact)
    elif billing is None and any(contact.values()):
        contact_save(org=org, customer=customer, name=customer.name, is_billing=True, actor=actor, now=now,
                     via="import", **contact)
    return customer


def _line(plan: dict) -> LineInput:
    return LineInput(description=plan["description"] or f"Invoice {plan['number']}", quantity=Decimal(1),
                     unit_price=from_minor(plan["amount_minor"], plan["currency"]))


def _customer_of(org: Organization, plan: dict, actor: Actor, now: datetime, made: dict) -> Customer:
    """The row's customer; one named in the export but not stored is created once per import."""
    if plan["customer"] is not None:
        return plan["customer"]
    name, email = plan["new_customer"]
    if name not in made:
        customer = customer_create(org=org, ref=name[:64], legal_name=name, actor=actor, now=now, via="import")
        if email:
            contact_save(org=org, customer=customer, name=name, email=email, is_billing=True, actor=actor, now=now,
                         via="import")
        made[name] = customer
    return made[name]


def _pay(org: Organization, invoice: Invoice, plan: dict, actor: Actor, now: datetime) -> None:
    """The payments the export shows on the invoice, so its open amount is the export's."""
    for on, minor in plan.get("payments", []):
        payment_record(org=org, customer=invoice.customer, date=on, amount_minor=minor, currency=invoice.currency,
                       method=PaymentMethod.OTHER, reference=f"Paid per export: {invoice.number}"[:140],
                       invoice=invoice, actor=actor, now=now)


def invoice_upsert(*, org: Organization, plan: dict, actor: Actor, now: datetime, made: dict | None = None) -> None:
    made = {} if made is None else made
    if plan["existing"] is None:
        invoice = invoice_create(org=org, customer=_customer_of(org, plan, actor, now, made), number=plan["number"],
                                 issue_date=plan["issue_date"], due_date=plan["due_date"], currency=plan["currency"],
                                 lines=[_line(plan)], terms=plan["terms"], po_number=plan["po_number"],
                                 description=plan["description"], actor=actor, now=now)
        _pay(org, invoice, plan, actor, now)
        return
    invoice = plan["existing"]
    if plan.get("fields_changed", True):
        _update(org, invoice, plan, actor, now)
    _pay(org, invoice, plan, actor, now)


def _update(org: Organization, invoice: Invoice, plan: dict, actor: Actor, now: datetime) -> None:
    check_invoice_editable(invoice, "edit")
    before = invoice.total_minor
    invoice.issue_date, invoice.due_date = plan["issue_date"], plan["due_date"]
    invoice.po_number, invoice.description = plan["po_number"], plan["description"]
    invoice.terms, invoice.agreed_terms = plan["chosen_terms"], plan["agreed"].to_dict()
    if plan["amount_minor"] != before:
        # Validation refused amount changes on invoices with movements, so
        # replacing the lines cannot break an allocation.
        line = _line(plan)
        invoice.lines.all().delete()
        InvoiceLine.objects.create(invoice=invoice, position=1, description=line.description,
                                   quantity=line.quantity, unit_price=line.unit_price,
                                   net_minor=plan["amount_minor"], tax_minor=0)
        invoice.net_minor, invoice.tax_minor, invoice.total_minor = plan["amount_minor"], 0, plan["amount_minor"]
    invoice.save()
    refresh_invoice(invoice)
    audit.record(org=org, actor=actor, at=now, verb="invoice.updated", subject=invoice, customer=invoice.customer,
                 summary=f"Invoice {invoice.number} updated by import",
                 data={"total_before": str(from_minor(before, invoice.currency)), "total": str(invoice.total),
                       "due_date": invoice.due_date.isoformat()})
    invoices_settled(org=org, invoice_ids=[invoice.pk], actor=actor, now=now)


def payment_create(*, org: Organization, plan: dict, actor: Actor, now: datetime, made: dict | None = None) -> None:
    payment_record(org=org, customer=plan["customer"], date=plan["date"], amount_minor=plan["amount_minor"],
                   currency=plan["currency"], method=plan["method"], reference=plan["reference"],
                   invoice=plan["invoice"], actor=actor, now=now)


def credit_note_create(*, org: Organization, plan: dict, actor: Actor, now: datetime, made: dict | None = None) -> None:
    credit_note_record(org=org, customer=plan["customer"], number=plan["number"], date=plan["date"],
                       amount_minor=plan["amount_minor"], currency=plan["currency"], invoice=plan["invoice"],
                       reason="imported", actor=actor, now=now)


WRITERS = {"customers": customer_upsert, "invoices": invoice_upsert, "payments": payment_create,
           "credit-notes": credit_note_create}
