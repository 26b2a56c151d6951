"""Messages to the debtor about an arrangement (instalment reminders, a broken plan), by e-mail.

Queued through the outbox (``messaging.actions.message_queue``) with an idempotency key per
arrangement and event, to the first usable e-mail contact, unless the compliance gate blocks
it; a customer without one gets nothing and the caller tells the operator. A "defer" (outside
the contact window, say) still queues: the notice belongs to an event that happens once, and
delivery asks the gate again before the message leaves. English only for now (templates
under ``arrangements/messages/``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from django.template.loader import render_to_string

from recoup.audit.actions import Actor
from recoup.collections.cycle_send import contact_point, contact_points
from recoup.collections.gate import contact_gate
from recoup.core.money import format_money, from_minor
from recoup.ledger.models import Customer, Invoice
from recoup.messaging.actions import message_queue
from recoup.messaging.models import Message
from recoup.orgs.models import Organization


def money(org: Organization, minor: int, currency: str) -> str:
    return format_money(from_minor(minor, currency), currency, org.locale or "en")


def send_notice(*, org: Organization, customer: Customer, template: str, context: dict, key: str, ref: str,
                on: date, actor: Actor, now: datetime, asks: Sequence[Invoice] = ()) -> Message | None:
    """Queue ``template`` to the customer's e-mail contact once per ``key``; None when it cannot go.
    ``asks``: the invoices the notice asks money for; a payment on them before it leaves withdraws
    it (``messaging.still_owed``)."""
    contacts, unusable = contact_points(org=org, customer=customer)
    contact = contact_point(contacts, "email", unusable)
    if contact is None:
        return None
    answer = contact_gate(org=org, customer=customer, channel="email", step_key=template, on=on, now=now,
                          purpose="notice", address=contact.email)
    if answer.verdict == "block":
        return None
    context = {"org": org, "customer": customer, **context}
    subject = render_to_string(f"arrangements/messages/{template}.subject.txt", context).strip()
    body = render_to_string(f"arrangements/messages/{template}.txt", context).strip() + "\n"
    return message_queue(org=org, customer=customer, channel="email", to_address=contact.email, subject=subject,
                         body_text=body, idempotency_key=f"arrangements:{org.pk}:{key}", actor=actor, now=now,
                         contact=contact, source="arrangements", source_ref=ref, step_key=template, asks=asks)
