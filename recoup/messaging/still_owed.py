"""What a queued message checks against the ledger before it leaves.

A message states amounts as the ledger stood when it was rendered; it may then wait in the
outbox (the debtor's contact window, a holiday weekend, a worker down) or in an open print
batch while the money arrives. Each message records the invoices it asks to be paid and the
open amount it states for each (``MessageInvoice``, written by ``message_queue``). Just before
a channel sends it (and before a letter's batch is posted), ``ledger_overtaken`` compares them
with the ledger as it is then:

- every invoice it names is paid, credited, written off or placed elsewhere
  (``hooks.invoices_elsewhere``): the message is withdrawn, ``settled``;
- some are, or less is open on one than it states: withdrawn, ``part-settled``. It is not
  rendered afresh: what is due next for what is still open (the step, the amount, which
  invoices to list) is the cycle's decision, and the cycle gets it back (``hooks.message_withdrawn``).

A message that asks less than is open (a charge added since) still goes: it asks for nothing
that is not owed. Messages without recorded invoices (written by hand, notices about an
arrangement) are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.messaging.hooks import invoices_elsewhere, message_withdrawn
from recoup.messaging.models import Message, MessageInvoice, MessageStatus

SETTLED = "settled"
PART_SETTLED = "part-settled"
# A message the channel has not yet handed on: claimed for delivery, or a letter in an open batch.
WITHDRAWABLE = (MessageStatus.SENDING, MessageStatus.BATCHED)


@dataclass(frozen=True)
class LedgerOvertook:
    """Why a message may no longer go: ``why`` is SETTLED or PART_SETTLED; ``invoices`` maps each
    invoice it names that changed to what the message asks, what is open now, and why."""

    why: str
    sentence: str
    invoices: dict[str, dict] = field(default_factory=dict)


def ledger_overtaken(message: Message) -> LedgerOvertook | None:
    """None when everything ``message`` asks for is still open; else why it must not go."""
    asks = list(MessageInvoice.objects.filter(message=message).select_related("invoice").order_by("id"))
    if not asks:
        return None
    elsewhere = invoices_elsewhere(message.org, [ask.invoice_id for ask in asks])
    closed, short = {}, {}
    for ask in asks:
        invoice = ask.invoice
        row = {"asked": ask.open_minor, "open": invoice.open_minor, "currency": invoice.currency}
        if invoice.pk in elsewhere:
            closed[invoice.number] = {**row, "state": elsewhere[invoice.pk]}
        elif invoice.open_minor <= 0 or invoice.status != "open":
            closed[invoice.number] = {**row, "state": invoice.status}
        elif invoice.open_minor < ask.open_minor:
            short[invoice.number] = {**row, "state": "part paid"}
    if not closed and not short:
        return None
    if len(closed) == len(asks):
        return LedgerOvertook(SETTLED, f"nothing it asks for is owed any more ({_list(closed)})", closed)
    return LedgerOvertook(PART_SETTLED, f"part of what it asks for is no longer owed ({_list({**closed, **short})})",
                          {**closed, **short})


def _list(changed: dict[str, dict]) -> str:
    return ", ".join(f"{number}: {row['state']}" for number, row in changed.items())


def message_withdraw(message: Message, overtook: LedgerOvertook, *, actor: Actor, now: datetime) -> bool:
    """Cancel ``message`` (claimed for delivery, or a letter in an open batch) because the ledger
    overtook it, tell the apps above (the cycle takes its decisions back) and log
    ``message.withdrawn``. False when it was no longer withdrawable (another process moved it)."""
    with transaction.atomic():
        done = Message.objects.filter(pk=message.pk, status__in=WITHDRAWABLE).update(
            status=MessageStatus.CANCELLED, next_attempt_at=None, batch=None,
            last_error=f"withdrawn, {overtook.why}: {overtook.sentence}"[:2000])
        if not done:
            return False
        message.status = MessageStatus.CANCELLED
        data = {"why": overtook.why, "invoices": overtook.invoices, **message_withdrawn(message)}
        audit.record(org=message.org, actor=actor, at=now, verb="message.withdrawn", subject=message,
                     customer=message.customer,
                     summary=f"{message.channel} to {message.to_address.splitlines()[0]} withdrawn: "
                             f"{overtook.sentence}"[:500], data=data)
    return True


def withdraw_if_overtaken(message: Message, *, actor: Actor, now: datetime) -> LedgerOvertook | None:
    """Withdraw ``message`` when the ledger overtook it; returns why, or None when it may go."""
    overtook = ledger_overtaken(message)
    if overtook is None:
        return None
    message_withdraw(message, overtook, actor=actor, now=now)
    return overtook
