"""A cycle message overtaken by a personal contact before it left the outbox.

The quiet days after a personal contact (``Organization.manual_contact_quiet_days``, see
``cycle_facts.quiet_after_personal_contact``) keep the cycle from deciding steps for that
customer. A message the cycle queued before the contact and still waiting (for the debtor's
contact window, say) would otherwise land just after the owner called or wrote. Delivery asks
``overtaken_answer`` before the gate: such a message is blocked (cancelled) like any other, and
unless another message of the same step already reached the debtor (the step's call was made, its
e-mail went), ``step_give_back`` gives back the decisions it carried (as an expired draft's are),
so the cycle decides that customer afresh once the quiet days are over, on what is true then, and
sends the step once.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Max, Q

from recoup.collections.cycle_facts import personal_contacts, quiet_until
from recoup.collections.review import decisions_forget
from recoup.core.compliance import GateAnswer
from recoup.messaging.models import Message, MessageStatus

OVERTAKEN = "personal_contact"  # the gate name in the answer and the audit event

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


def overtaken_answer(message: Message, *, now: datetime) -> GateAnswer | None:
    """The gate's "block" for a cycle ``message`` a personal contact overtook (delivery cancels it and
    calls ``step_give_back``); None when nothing did."""
    contact_at = overtaking_contact(message, now=now)
    if contact_at is None:
        return None
    org = message.org
    local = contact_at.astimezone(ZoneInfo(org.timezone))
    return GateAnswer("block", gate=OVERTAKEN, sentence=(
        f"a personal contact on {local:%Y-%m-%d %H:%M} after it was queued; automatic steps wait "
        f"{org.manual_contact_quiet_days} days"))


def step_give_back(message: Message) -> int:
    """Give the overtaken ``message``'s step decisions back to the cycle, unless another message of the
    same step reached the debtor or is on its way. Returns how many decisions were given back."""
    org = message.org
    reached = bool(message.source_ref) and Message.objects.for_org(org).filter(
        customer=message.customer_id, source="cycle", source_ref=message.source_ref,
        status__in=REACHED).exclude(pk=message.pk).exists()
    return 0 if reached else decisions_forget(org=org, message=message)


def decisions_back(message: Message) -> dict:
    """A cycle ``message`` withdrawn at delivery (the ledger overtook it, ``messaging.still_owed``):
    give its step decisions back, so the cycle decides afresh on what is still open."""
    if message.source != "cycle":
        return {}
    return {"decisions_forgotten": step_give_back(message)}
