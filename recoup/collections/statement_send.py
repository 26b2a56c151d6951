"""Send a customer its statement of account now, by e-mail, through the one compliance gate.

The operator's own contact (purpose "manual"), like ``messaging.actions.message_send``: the
gate may block it (an opt-out, a hold, a dispute, a restriction, a cap; the refusal is written
to the customer's timeline as ``contact.refused``) or hold it until the contact window opens.
The statement PDF is rendered on the first delivery attempt (``Message.statement_as_of``).
Once per customer and day: a second request the same day returns the message already queued.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.collections.actions import CollectionsError
from recoup.collections.cycle_send import contact_point, contact_points
from recoup.collections.gate import contact_gate
from recoup.ledger.models import Customer
from recoup.messaging.actions import ContactRefused, message_queue
from recoup.messaging.models import Message
from recoup.orgs.models import Organization, check_same_org
from recoup.portal.links import portal_urls


def statement_send(*, org: Organization, customer: Customer, on: date, actor: Actor, now: datetime) -> Message:
    """Queue the customer's statement as of ``on`` to its first usable e-mail contact.

    Raises CollectionsError when it has none; ``ContactRefused`` when the gate says no."""
    check_same_org(org, customer, error=CollectionsError)
    contacts, unusable = contact_points(org=org, customer=customer)
    contact = contact_point(contacts, "email", unusable)
    if contact is None:
        raise CollectionsError(f"{customer.ref}: no usable e-mail address for a statement")
    answer = contact_gate(org=org, customer=customer, channel="email", step_key="", on=on, now=now,
                          purpose="manual", address=contact.email)
    window_only = answer.verdict == "defer" and answer.gate == "contact_window"
    if not answer.allowed and not window_only:
        with transaction.atomic():
            audit.record(org=org, actor=actor, at=now, verb="contact.refused", subject=customer, customer=customer,
                         summary=f"statement to {contact.email} not sent: {answer.reason}"[:500],
                         data=answer.as_json())
        raise ContactRefused(answer)
    portal_url, _ = portal_urls(org=org, customer=customer, now=now)
    name = org.legal_name
    body = (f"Dear {contact.name or customer.name},\n\n"
            f"Please find attached your statement of account with {name} as of {on.isoformat()}.\n\n"
            f"You can see your invoices and pay online here:\n{portal_url}\n\n"
            f"Kind regards,\n{name}\n")
    return message_queue(org=org, customer=customer, channel="email", to_address=contact.email,
                         subject=f"Statement of account from {name}", body_text=body,
                         idempotency_key=f"statement:{org.pk}:{customer.pk}:{on.isoformat()}", actor=actor, now=now,
                         contact=contact, source="statement", statement_as_of=on,
                         not_before=answer.until if window_only else None)
