"""The message half of acting on a plan: pick a contact point, ask the gate, render, queue.

A step sends one consolidated message on each of its channels (e-mail and a letter, say),
each to the first contact with an address on that channel, no opt-out and no bounce on
record, and only when the compliance gate allows it. A channel with no usable contact
point is reported as blocked with the reason; the others still go.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from recoup.audit.actions import Actor
from recoup.collections.gate import GateAnswer, contact_gate
from recoup.collections.models import Outcome
from recoup.core.policy import MessagePlan, Step
from recoup.ledger.models import Contact, Customer, Invoice
from recoup.messaging.actions import message_queue
from recoup.messaging.models import ContactPointStatus, Message
from recoup.messaging.rendering import TemplateMissing, render_message
from recoup.orgs.models import Organization

# channel -> (Contact field holding the address, Contact field saying "do not use")
CONTACT_FIELDS = {
    "email": ("email", "opt_out_email"),
    "sms": ("phone", "opt_out_sms"),
    "call": ("phone", "opt_out_phone"),
    "letter": ("postal_address", "opt_out_letter"),
}


@dataclass(frozen=True)
class SendOutcome:
    status: str  # Outcome.QUEUED, DEFERRED or BLOCKED
    channel: str
    reason: str | None = None
    message: Message | None = None


def contact_point(contacts: list[Contact], channel: str, unusable: set[tuple[int, str, str]]) -> Contact | None:
    """The first contact (billing contacts first) reachable on ``channel``."""
    address_field, opt_out_field = CONTACT_FIELDS[channel]
    for contact in contacts:
        address = getattr(contact, address_field).strip()
        if address and not getattr(contact, opt_out_field) and (contact.pk, channel, address) not in unusable:
            return contact
    return None


def _to_address(customer: Customer, contact: Contact, channel: str) -> str:
    if channel != "letter":
        return getattr(contact, CONTACT_FIELDS[channel][0]).strip()
    lines = [customer.legal_name]
    if contact.name and contact.name != customer.legal_name:
        lines.append(contact.name)
    return "\n".join([*lines, contact.postal_address.strip()])


def _invoice_pdfs(invoices: list[Invoice]) -> list[tuple[str, str, bytes]]:
    """The invoices' PDFs as sent, where the business keeps them."""
    pdfs = []
    for invoice in invoices:
        if invoice.pdf:
            with invoice.pdf.open("rb") as f:
                pdfs.append((f"{invoice.number}.pdf", "application/pdf", f.read()))
    return pdfs


def send_plans(*, org: Organization, customer: Customer, plans: list[MessagePlan], step: Step, on: date,
               now: datetime, actor: Actor) -> list[SendOutcome]:
    """Queue the customer's consolidated message on every channel of ``plans`` (same step, same invoices)."""
    contacts = list(Contact.objects.for_org(org).filter(customer=customer).order_by("-is_billing", "name", "id"))
    unusable = set(ContactPointStatus.objects.for_org(org).filter(contact__customer=customer)
                   .values_list("contact_id", "channel", "address"))
    invoices = list(Invoice.objects.for_org(org).filter(pk__in=plans[0].invoice_ids)
                    .prefetch_related("charges").order_by("due_date", "number"))
    return [_send_one(org=org, customer=customer, plan=plan, step=step, contacts=contacts, unusable=unusable,
                      invoices=invoices, on=on, now=now, actor=actor) for plan in plans]


def _send_one(*, org: Organization, customer: Customer, plan: MessagePlan, step: Step, contacts: list[Contact],
              unusable: set, invoices: list[Invoice], on: date, now: datetime, actor: Actor) -> SendOutcome:
    contact = contact_point(contacts, plan.channel, unusable)
    if contact is None:
        return SendOutcome(Outcome.BLOCKED, plan.channel, f"no usable contact point for {plan.channel}")
    answer: GateAnswer = contact_gate(org=org, customer=customer, channel=plan.channel, step_key=plan.step_key,
                                      on=on, now=now)
    if not answer.allowed:
        status = Outcome.DEFERRED if answer.verdict == "defer" else Outcome.BLOCKED
        return SendOutcome(status, plan.channel, answer.reason or answer.verdict)
    try:
        rendered = render_message(org=org, customer=customer, invoices=invoices, template=step.template_name,
                                  channel=plan.channel, language=None, on=on)
    except TemplateMissing as exc:
        return SendOutcome(Outcome.BLOCKED, plan.channel, str(exc))
    email = plan.channel == "email"
    message = message_queue(
        org=org, customer=customer, channel=plan.channel, to_address=_to_address(customer, contact, plan.channel),
        subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
        idempotency_key=f"cycle:{org.pk}:{customer.pk}:{on}:{plan.channel}:{plan.step_key}",
        actor=actor, now=now, contact=contact, source="cycle", source_ref=f"{on}:{plan.step_key}#{plan.number}",
        step_key=plan.step_key, attachments=_invoice_pdfs(invoices) if email else (),
        statement_as_of=on if email else None,
    )
    return SendOutcome(Outcome.QUEUED, plan.channel, None, message)
