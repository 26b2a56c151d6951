"""Channel fallback after a permanent failure (issue 11): the same step goes on the next channel.

A cycle message that fails for good (a hard bounce, an invalid number, a letter returned, a
wrong number) leaves its step occurrence unsent. ``step_fallback`` tries the step's channels in
order of preference (``Step.preference``: its channels, then its fallbacks), skipping those
already tried for that occurrence, through the same contact-point choice and compliance gate
as the cycle. The new message points at the failed one (``Message.replaces``) and keeps its
``source_ref``, so the log shows both attempts. When no channel is left, the operator gets a
task to add a contact point. Runs in the caller's transaction (the one recording the failure),
so a crash leaves either both or neither.
"""

from __future__ import annotations

from datetime import datetime

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.collections.cycle_send import SendOutcome, PortalLinks, send_one, contact_needed, contact_points
from recoup.collections.gate import debtor_today
from recoup.collections.models import Outcome, StepDecision
from recoup.collections.selectors import core_policy, policy_for_customer
from recoup.core.policy import MessagePlan
from recoup.ledger.models import Invoice
from recoup.messaging.models import Message


def step_fallback(*, message: Message, actor: Actor, now: datetime) -> SendOutcome | None:
    """Send the failed cycle ``message``'s step on its next channel; None when it is not a cycle message
    or its step is no longer in the customer's policy."""
    if message.source != "cycle" or not message.step_key:
        return None
    org, customer = message.org, message.customer
    stored = policy_for_customer(org=org, customer=customer)
    policy = core_policy(stored) if stored is not None else None
    if policy is None or not policy.has_step(message.step_key):
        return None
    step = policy.step(message.step_key)
    tried = set(Message.objects.for_org(org).filter(customer=customer, source="cycle", source_ref=message.source_ref)
                .values_list("channel", flat=True))
    later = step.preference[step.preference.index(message.channel) + 1:] if message.channel in step.preference \
        else step.preference
    on = debtor_today(org=org, customer=customer, now=now)
    invoice_ids = _listed_invoices(message)
    contacts, unusable = contact_points(org=org, customer=customer)
    invoices = sorted(Invoice.objects.for_org(org).filter(pk__in=invoice_ids).order_by().prefetch_related("charges"),
                      key=lambda invoice: (invoice.due_date, invoice.number))
    number = int(message.source_ref.rpartition("#")[2] or 0)
    links = PortalLinks(org=org, customer=customer, now=now)
    failed: list[str] = [message.channel]
    for channel in (c for c in later if c not in tried):
        plan = MessagePlan(channel, step.key, number, tuple(invoice_ids), ())
        outcome = send_one(org=org, customer=customer, plan=plan, policy=policy, contacts=contacts,
                            unusable=unusable, invoices=invoices, on=on, now=now, actor=actor, links=links,
                            replaces=message)
        if outcome.status in (Outcome.QUEUED, "draft"):
            audit.record(org=org, actor=actor, at=now, verb="message.fallback", subject=outcome.message,
                         customer=customer,
                         summary=f"{step.name}: {message.channel} to {message.to_address} failed; "
                                 f"sent by {channel} instead",
                         data={"failed": message.pk, "channel": channel, "step": step.key})
            return outcome
        if not outcome.channel_only:
            return outcome  # the debtor may not be contacted now at all (a hold, a window): not a channel matter
        failed.append(channel)
    contact_needed(org=org, customer=customer, step=step, tried=failed, actor=actor, now=now)
    return SendOutcome(Outcome.BLOCKED, message.channel, "no channel left", channel_only=True)


def _listed_invoices(message: Message) -> list[int]:
    """The open invoices the failed message was about: those whose decisions it carried, else those
    the customer's decisions of that day were about."""
    decided_on = message.source_ref.partition(":")[0]
    chain, current = [message.pk], message
    while current.replaces_id and current.replaces_id not in chain:
        chain.append(current.replaces_id)
        current = current.replaces
    ids = set(StepDecision.objects.for_org(message.org).filter(customer=message.customer, message_id__in=chain)
              .values_list("invoice_id", flat=True))
    if not ids and decided_on:
        ids = set(StepDecision.objects.for_org(message.org).filter(customer=message.customer, decided_on=decided_on)
                  .values_list("invoice_id", flat=True))
    return list(Invoice.objects.for_org(message.org).filter(pk__in=ids, open_minor__gt=0).order_by()
                .values_list("pk", flat=True))
