"""Deliver the outbox: claim one due message, send it outside any transaction, record the outcome.

The database is the queue. A claim is a conditional UPDATE (queued -> sending,
attempts + 1) that only one worker can win, so any number of workers may run.
Delivery is at-least-once: a process killed after sending but before recording
leaves the message in ``sending``; after ``STALE_AFTER`` another run reclaims it
and sends it again with the same Message-ID, so the receiver can tell a repeat.

Before a message leaves, the compliance gate is asked again (``message_gate``): a message
whose contact window has closed (or a cap is full) goes back to the queue until the gate's
``until``, without counting as an attempt; one that may no longer be sent at all (a hold, a
dispute, a restriction or an opt-out since it was queued) is cancelled with the reason, and so is
a cycle message overtaken by a personal contact (``collections.overtaken``).
Nothing is delivered outside the debtor's window.

Each claim is stamped with the time it is made, and the gate and the outcome are judged by that
time: ``deliver_due`` reads its clock anew for every claim (``clock``, or ``now`` advanced by the
real time elapsed since the batch began), so a claim made ten minutes into a long batch never
looks stale to another deliverer. An outcome is recorded only while the claim is still this
deliverer's (same ``attempts``).

Then the ledger is read as it is now (``still_owed``): a message whose invoices were paid (all or
part) since it was queued is withdrawn; one that goes gets its "pay by" date counted from today
(``send_dates``), and its portal links only in the copy that leaves (``links``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from django.db import transaction
from django.db.models import F, Min, Q, Value

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.lib.clock import running_from
from recoup.messaging import hooks
from recoup.messaging.actions import contact_point_mark_unusable, task_open
from recoup.messaging.channels import Channel, DeliveryError, SendResult, channel_for
from recoup.messaging.links import links_insert
from recoup.messaging.models import Direction, Message, MessageChannel, MessageStatus, TaskKind
from recoup.messaging.send_dates import fill_send_dates
from recoup.messaging.still_owed import withdraw_if_overtaken
from recoup.orgs.models import Organization

log = logging.getLogger(__name__)

# Wait after the 1st, 2nd, ... failed attempt; after the last one the message fails.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
STALE_AFTER = timedelta(minutes=10)
ACTOR = Actor.system("delivery")


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    blocked: int = 0
    withdrawn: int = 0  # the ledger overtook it: what it asks for was paid since it was queued

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.deferred + self.blocked + self.withdrawn


def _due(now: datetime, org: Organization | None = None):
    due = Message.objects.filter(direction=Direction.OUT).filter(
        Q(status=MessageStatus.QUEUED, next_attempt_at__lte=now)
        | Q(status=MessageStatus.SENDING, claimed_at__lte=now - STALE_AFTER)
    )
    if org is None:
        return due
    # "org_id + 0": a plain org_id = ? makes SQLite (without statistics) walk all of the organization's
    # messages through its org index instead of the few due ones through message_delivery_due.
    return due.alias(org_plus_0=F("org_id") + Value(0)).filter(org_plus_0=org.pk)


def due_count(now: datetime, *, at_most: int) -> int:
    """How many messages are due at ``now`` (counted up to ``at_most``)."""
    return _due(now)[:at_most].count()


def claim_next(*, now: datetime, org: Organization | None = None) -> Message | None:
    """Take one due message for this worker (of ``org`` only, when given), or None when nothing is due.

    ``now`` is the time of this claim (read anew for each claim, never a batch's start): the claim
    is stamped with it, and another deliverer takes it back only ``STALE_AFTER`` later."""
    while True:
        candidates = list(_due(now, org).order_by("next_attempt_at", "id").values_list("id", "status", "attempts")[:20])
        if not candidates:
            return None
        for pk, status, attempts in candidates:
            won = Message.objects.filter(pk=pk, status=status, attempts=attempts).update(
                status=MessageStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now)
            if won:
                return Message.objects.select_related("org", "customer", "contact").get(pk=pk)
        # Every candidate went to another worker: look again.


def _mine(message: Message):
    """The message while it is still claimed by this deliverer (taken back, its attempts moved on)."""
    return Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING, attempts=message.attempts)


def _record_sent(message: Message, result: SendResult, now: datetime) -> None:
    with transaction.atomic():
        if not _mine(message).update(
                status=result.status,
                sent_at=now if result.status in (MessageStatus.SENT, MessageStatus.POSTED) else None,
                provider_id=result.provider_id[:255], last_error="", next_attempt_at=None):
            return  # taken back by another deliverer meanwhile: its outcome is the one recorded
        audit.record(org=message.org, actor=ACTOR, at=now, verb=f"message.{result.status}", subject=message,
                     customer=message.customer, summary=f"{message.channel} to {message.to_address} {result.status}",
                     data={"attempt": message.attempts, "provider_id": result.provider_id})


def _record_failure(message: Message, error: DeliveryError, now: datetime) -> bool:
    """Retry later or give up; returns True when the message is now failed."""
    retry = not error.permanent and message.attempts <= len(BACKOFF)
    with transaction.atomic():
        if retry:
            if not _mine(message).update(
                    status=MessageStatus.QUEUED, next_attempt_at=now + BACKOFF[message.attempts - 1],
                    last_error=error.message[:2000]):
                return False  # taken back by another deliverer meanwhile
            audit.record(org=message.org, actor=ACTOR, at=now, verb="message.retry", subject=message,
                         customer=message.customer, summary=f"{message.channel} to {message.to_address}: {error}",
                         data={"attempt": message.attempts})
            return False
        if not _mine(message).update(
                status=MessageStatus.FAILED, next_attempt_at=None, last_error=error.message[:2000]):
            return False  # taken back by another deliverer meanwhile: it decides
        audit.record(org=message.org, actor=ACTOR, at=now, verb="message.failed", subject=message,
                     customer=message.customer, summary=f"{message.channel} to {message.to_address}: {error}",
                     data={"attempt": message.attempts, "permanent": error.permanent})
        if error.permanent and message.contact is not None:
            contact_point_mark_unusable(org=message.org, contact=message.contact, channel=message.channel,
                                        address=message.to_address, reason=error.message, actor=ACTOR, now=now)
        kind = TaskKind.CONTACT_UNUSABLE if error.permanent else TaskKind.DELIVERY_FAILED
        why = "the address is unusable" if error.permanent else f"gave up after {message.attempts} attempts"
        task_open(org=message.org, customer=message.customer, message=message, kind=kind, actor=ACTOR, now=now,
                  text=f"{message.get_channel_display()} to {message.to_address} failed ({why}): {error}")
        if error.permanent:
            hooks.message_failed(message, actor=ACTOR, now=now)
    return True


def _gate(message: Message, now: datetime) -> str | None:
    """Ask the gate again; "deferred" or "blocked" when the message must not go now (recorded), else None."""
    answer = hooks.delivery_gate(message, now=now)
    if answer.allowed:
        return None
    data = answer.as_json()
    with transaction.atomic():
        if answer.verdict == "defer":
            mine = _mine(message).update(
                status=MessageStatus.QUEUED, next_attempt_at=answer.until, attempts=F("attempts") - 1,
                last_error=f"deferred: {answer.reason}"[:2000])
            verb, outcome = "message.deferred", "deferred"
        else:
            mine = _mine(message).update(
                status=MessageStatus.CANCELLED, next_attempt_at=None, last_error=f"blocked: {answer.reason}"[:2000])
            verb, outcome = "message.blocked", "blocked"
        if not mine:
            return outcome  # taken back by another deliverer meanwhile: it records what happens
        if verb == "message.blocked":
            data.update(hooks.message_blocked(message, answer))
        audit.record(org=message.org, actor=ACTOR, at=now, verb=verb, subject=message, customer=message.customer,
                     summary=f"{message.channel} to {message.to_address} {outcome}: {answer.reason}"[:500],
                     data=data)
    return outcome


def _links_insert(message: Message, now: datetime) -> None:
    """Fill the portal-link placeholders of the copy about to leave (a letter's when it is printed)."""
    if message.channel != MessageChannel.LETTER:
        links_insert(message, now=now)


def _before_send(message: Message, now: datetime) -> str | None:
    """Look at the ledger as it is now (``still_owed``): "withdrawn" when what the message asks for was
    paid since it was queued; else write in the dates counted from today (``send_dates``) and None.
    "failed"/"retried" when the ledger could not be read: nothing goes that was not checked."""
    try:
        if withdraw_if_overtaken(message, actor=ACTOR, now=now) is not None:
            return "withdrawn"
        fill_send_dates(message, now=now)
    except Exception as exc:
        log.exception("checking message %s against the ledger", message.pk)
        return "failed" if _record_failure(message, DeliveryError(f"ledger check error: {exc!r}"), now) \
            else "retried"
    return None


ChannelFor = Callable[..., Channel]  # (channel name, *, now) -> the channel that sends it


def deliver_one(message: Message, *, now: datetime, channels: ChannelFor = channel_for) -> str:
    """Send a claimed message and record what happened: "sent", "retried", "failed", "deferred", "blocked"
    or "withdrawn".

    ``channels`` picks the channel that sends (the registry's; the demo's history records
    past messages as sent without reaching anyone)."""
    if message.attempts > MAX_ATTEMPTS:  # only stale claims get here: something kills every worker that tries
        _record_failure(message, DeliveryError(f"delivery interrupted {message.attempts - 1} times"), now)
        return "failed"
    try:
        held = _gate(message, now)
    except Exception as exc:  # never send what the gate could not judge; retry later
        log.exception("compliance gate for message %s", message.pk)
        failed = _record_failure(message, DeliveryError(f"compliance gate error: {exc!r}"), now)
        return "failed" if failed else "retried"
    if held is not None:
        return held
    withdrawn = _before_send(message, now)
    if withdrawn is not None:
        return withdrawn
    try:
        _links_insert(message, now)
        result = channels(message.channel, now=now).send(message)
    except DeliveryError as error:
        return "failed" if _record_failure(message, error, now) else "retried"
    except Exception as exc:  # a bug in a channel must not stop the queue; retry and log it
        log.exception("delivering message %s", message.pk)
        return "failed" if _record_failure(message, DeliveryError(f"internal error: {exc!r}"), now) else "retried"
    _record_sent(message, result, now)
    return "sent"


def deliver_due(*, now: datetime | None = None, clock: Callable[[], datetime] | None = None,
                limit: int | None = None, org: Organization | None = None,
                channels: ChannelFor = channel_for) -> DeliveryReport:
    """Deliver every due message (at most ``limit``; of ``org`` only, when given), one claim at a time,
    through ``channels``.

    Time: ``clock()`` is read for each claim, and that message is gated, sent and recorded as of
    its claim; given ``now`` instead, the batch runs from ``now`` at real speed (``running_from``)."""
    if (now is None) == (clock is None):
        raise TypeError("deliver_due: give exactly one of now and clock")
    clock = clock or running_from(now)
    report = DeliveryReport()
    while limit is None or report.handled < limit:
        claimed_at = clock()
        message = claim_next(now=claimed_at, org=org)
        if message is None:
            break
        outcome = deliver_one(message, now=claimed_at, channels=channels)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def next_wakeup() -> datetime | None:
    """When the next message becomes due (a retry, or a stale claim to take back); None when none waits."""
    waiting = Message.objects.filter(direction=Direction.OUT).aggregate(
        retry=Min("next_attempt_at", filter=Q(status=MessageStatus.QUEUED)),
        stale=Min("claimed_at", filter=Q(status=MessageStatus.SENDING)))
    times = [t for t in (waiting["retry"], waiting["stale"] and waiting["stale"] + STALE_AFTER) if t]
    return min(times) if times else None
