"""A cycle message overtaken by a personal contact before it left the outbox.

The quiet days after a personal contact (``Organization.manual_contact_quiet_days``, see
``cycle_facts.quiet_after_personal_contact``) keep the cycle from deciding steps for that
customer. A message the cycle queued before the contact and still waiting (for the debtor's
contact window, say) would otherwise land just after the owner called or wrote. Delivery asks
``cancel_if_overtaken`` first: such a message is cancelled, and unless another message of the
same step already reached the debtor (the step's call was made, its e-mail went), the
decisions it carried are given back (as an expired draft's are), so the cycle decides that
customer afresh once the quiet days are over, on what is true then, and sends the step once.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max, Q

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.collections.cycle_facts import personal_contacts, quiet_until
from recoup.collections.review import decisions_forget
from recoup.messaging.models import Message, MessageStatus

# What reached the debtor or is on its way (a letter in the print batch, a call in the operator's
# queue): the step occurrence was made, not lost.
REACHED = (MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.BATCHED, MessageStatus.POSTED,
           MessageStatus.OPEN, MessageStatus.DONE)


def overtaking_contact(message: Message, *, now: datetime) -> datetime | None:
    """When the personal contact logged or made after the cycle queued ``message`` was, if its quiet
    days are not over at ``now``; None when nothing overtook it (or it is not a cycle message)."""
    org = message.org
    if message.source != "cycle" or not org.manual_contact_quiet_days:
        return None
    later = (personal_contacts(org).filter(customer=message.customer_id)
             .filter(Q(created_at__gt=message.created_at) | Q(sent_at__gt=message.created_at))
             .aggregate(created=Max("created_at"), sent=Max("sent_at")))
    times = [t for t in later.values() if t is not None]
    if not times:
        return None
    contact_at = max(times)
    today = now.astimezone(ZoneInfo(org.timezone)).date()
    return contact_at if quiet_until(org, contact_at) > today else None


def cancel_if_overtaken(*, message: Message, actor: Actor, now: datetime) -> bool:
    """Cancel the claimed (``sending``) cycle ``message`` when a personal contact overtook it, and give its
    step back to the cycle unless the step reached the debtor another way. Returns True when cancelled."""
    contact_at = overtaking_contact(message, now=now)
    if contact_at is None:
        return False
    org = message.org
    local = contact_at.astimezone(ZoneInfo(org.timezone))
    reason = (f"a personal contact on {local:%Y-%m-%d %H:%M} after it was queued; automatic steps wait "
              f"{org.manual_contact_quiet_days} days")
    with transaction.atomic():
        if not Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
                status=MessageStatus.CANCELLED, next_attempt_at=None, last_error=f"blocked: {reason}"[:2000]):
            return True  # no longer this worker's claim: not ours to send either
        reached = bool(message.source_ref) and Message.objects.for_org(org).filter(
            customer=message.customer_id, source="cycle", source_ref=message.source_ref,
            status__in=REACHED).exclude(pk=message.pk).exists()
        forgotten = 0 if reached else decisions_forget(org=org, message=message)
        audit.record(org=org, actor=actor, at=now, verb="message.blocked", subject=message,
                     customer=message.customer,
                     summary=(f"{message.channel} to {message.to_address} blocked: {reason}"
                              + (f"; {forgotten} step decision(s) to be taken afresh" if forgotten else ""))[:500],
                     data={"gate": "personal_contact", "contact_at": contact_at.isoformat(),
                           "decisions_forgotten": forgotten})
    return True
