"""Review mode (issue 11): the cycle's messages wait as drafts until the operator approves, edits or skips them.

In review mode (the organization's, or one policy step's) the cycle decides as usual and
creates each message as a DRAFT (``cycle_send``); the step is decided. Here the operator:

- approves a draft: it becomes QUEUED with one conditional UPDATE from DRAFT, so two tabs or
  two people approving at once queue it once (the other gets ``DraftGone``). Delivery still
  waits for the debtor's contact window (``next_attempt_at`` keeps the window's not-before)
  and asks the compliance gate again before it sends;
- edits its subject and text first (the audit event keeps both versions; an e-mail's HTML part
  is rebuilt from the edited text, so what arrives is what the operator wrote);
- skips it: CANCELLED, "skipped by <user>"; the step stays decided and is not sent.

A draft left unapproved for ``Organization.draft_expiry_days`` is EXPIRED by the next cycle
(``drafts_expire``, called at the start of each run): the decisions it carried are deleted
and the customer's stored schedule forgotten, so that cycle decides afresh on what is true
then. Step actions already applied (a late fee, interest) subtract what was charged before,
so deciding again charges nothing twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.html import linebreaks, urlize

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.collections.chase import chase_forget
from recoup.collections.models import StepDecision
from recoup.core.display import format_day_time, reader_locale
from recoup.core.text import control_characters, describe
from recoup.messaging.links import PORTAL_LINK, PREFERENCES_LINK
from recoup.messaging.models import Direction, Message, MessageChannel, MessageStatus
from recoup.orgs.models import Organization, check_same_org

ACTOR = Actor.system("review")
MAX_SUBJECT = 300


class ReviewError(ValueError):
    """A review request Recoup refuses, with a message for the operator (naming the field where one is at fault)."""


class DraftGone(ReviewError):
    """The message is no longer a draft waiting for review: approved, skipped, replaced or expired
    (a second tab, another operator or the cycle got there first)."""


class DraftChanged(ReviewError):
    """The draft was edited after the operator looked at it (in another tab, say): look again first."""


@dataclass
class Reviewed:
    """What a bulk review did: the messages it changed and, per message it left alone, why."""

    done: list[Message] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


# Reads ----------------------------------------------------------------------------------------------------------

def drafts_waiting(*, org: Organization) -> QuerySet:
    """The organization's drafts waiting for review, oldest first."""
    return (Message.objects.for_org(org).filter(direction=Direction.OUT, status=MessageStatus.DRAFT)
            .select_related("customer").order_by("created_at", "id"))


def drafts_count(*, org: Organization) -> int:
    """How many drafts wait for review (the navigation and the dashboard show it)."""
    return Message.objects.for_org(org).filter(direction=Direction.OUT, status=MessageStatus.DRAFT).count()


def draft_version(message: Message) -> str:
    """A short fingerprint of a draft's content: a page sends back the version it showed, so nobody
    approves or overwrites text they have not seen."""
    content = "\x00".join((message.subject, message.body_text, message.body_html))
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def draft_expires_at(*, org: Organization, message: Message) -> datetime:
    """When an unapproved draft expires (the first cycle from then on decides afresh)."""
    return message.created_at + timedelta(days=org.draft_expiry_days)


def _local(org: Organization, at: datetime) -> str:
    return format_day_time(at, reader_locale(org), org.timezone or "UTC")


def gone_reason(*, org: Organization, message: Message) -> str:
    """Why ``message`` can no longer be approved, edited or skipped, in a sentence for the operator."""
    who = f" by {message.reviewed_by}" if message.reviewed_by else ""
    when = f" at {_local(org, message.reviewed_at)}" if message.reviewed_at else ""
    if message.status == MessageStatus.EXPIRED:
        return "This draft expired unapproved; the cycle decides that step afresh."
    if message.status == MessageStatus.CANCELLED:
        if message.reviewed_by:
            return f"This draft was already skipped{who}{when}."
        return f"This message was withdrawn ({message.last_error.removeprefix('cancelled: ')})."
    if message.status == MessageStatus.DRAFT:
        return (f"This draft expired at {_local(org, draft_expires_at(org=org, message=message))} unapproved; "
                "the next cycle decides that step afresh.")
    if not message.reviewed_by:
        return f"This message is not a draft waiting for review; it is {message.get_status_display().lower()}."
    return f"This draft was already approved{who}{when}; it is {message.get_status_display().lower()}."


def _same_org(org: Organization, *objs: object) -> None:
    check_same_org(org, *objs, error=ReviewError)


def _draft_for_update(org: Organization, message: Message, now: datetime, *, allow_expired: bool = False,
                      seen: str | None = None) -> Message:
    """The message as stored now (locked where the database can); DraftGone when it is no draft to act on,
    DraftChanged when its content is no longer the version ``seen``."""
    _same_org(org, message)
    current = Message.objects.for_org(org).select_for_update(no_key=True).filter(pk=message.pk).first()
    if current is None:
        raise ReviewError(f"message {message.pk} not found")
    if current.status != MessageStatus.DRAFT or (
            not allow_expired and now >= draft_expires_at(org=org, message=current)):
        raise DraftGone(gone_reason(org=org, message=current))
    if seen is not None and seen != draft_version(current):
        raise DraftChanged("This draft was changed since you opened it (in another tab?); look at it again.")
    return current


# Writes ---------------------------------------------------------------------------------------------------------

@transaction.atomic
def draft_approve(*, org: Organization, message: Message, actor: Actor, now: datetime, seen: str | None = None,
                  subject: str | None = None, body_text: str | None = None) -> Message:
    """Queue a draft for delivery, once; with ``subject``/``body_text``, edited first (``draft_edit``), in
    the same transaction. Raises DraftGone when it is no longer a draft (already approved in another
    tab, skipped, replaced) or has expired; DraftChanged when its content is not the version ``seen``."""
    current = _draft_for_update(org, message, now, seen=seen)
    if subject is not None or body_text is not None:
        current = draft_edit(org=org, message=current, actor=actor, now=now,
                             subject=current.subject if subject is None else subject,
                             body_text=current.body_text if body_text is None else body_text)
    not_before = max(now, current.next_attempt_at or now)  # a draft held for the contact window still waits
    current = _change_draft(org, current, status=MessageStatus.QUEUED, reviewed_by=actor.label[:200],
                            reviewed_at=now, next_attempt_at=not_before)
    audit.record(org=org, actor=actor, at=now, verb="message.approved", subject=current, customer=current.customer,
                 summary=f"{current.channel} to {current.to_address}: {current.subject}"[:500],
                 data={"channel": current.channel, "step": current.step_key})
    from recoup.messaging.tasks import request_delivery_on_commit

    request_delivery_on_commit()
    return current


def _email_html(text: str) -> str:
    """An e-mail's HTML part made from its edited text: escaped, links kept clickable, paragraphs kept."""
    body = linebreaks(urlize(text, autoescape=True))
    for mark in (PORTAL_LINK, PREFERENCES_LINK):  # filled with the link as the e-mail leaves
        body = body.replace(mark, f'<a href="{mark}">{mark}</a>')
    return ('<!doctype html>\n<html><head><meta charset="utf-8"></head>\n'
            '<body style="font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#222">\n'
            f"{body}\n</body></html>")


def _text(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


@transaction.atomic
def draft_edit(*, org: Organization, message: Message, subject: str, body_text: str, actor: Actor, now: datetime,
               body_html: str | None = None, seen: str | None = None) -> Message:
    """Change a draft's subject and text before it is approved; the audit event keeps both versions.

    ``body_html``: the HTML part to send; by default an e-mail's is rebuilt from ``body_text``
    (escaped, links clickable) and other channels have none (a letter is printed from the text),
    so the debtor receives exactly the edited words. Text the same as before but for line endings
    and surrounding blanks changes nothing. Raises ReviewError naming the field, DraftGone when the
    draft was approved, skipped or expired meanwhile, DraftChanged when it is not the version ``seen``.
    """
    subject = " ".join(subject.split())
    body_text = _text(body_text)
    current = _draft_for_update(org, message, now, seen=seen)
    if current.channel == MessageChannel.EMAIL and not subject:
        raise ReviewError("subject: an e-mail needs a subject")
    if len(subject) > MAX_SUBJECT:
        raise ReviewError(f"subject: at most {MAX_SUBJECT} characters, not {len(subject)}")
    if control_characters(subject):  # line breaks became spaces above; the rest have no place in a header
        raise ReviewError(f"subject: contains {describe(control_characters(subject))}")
    if not body_text:
        raise ReviewError("body_text: the message needs some text")
    if body_html is None:
        if (subject, body_text) == (" ".join(current.subject.split()), _text(current.body_text)):
            return current  # unchanged: the message keeps its rendered HTML
        body_html = _email_html(body_text) if current.channel == MessageChannel.EMAIL else ""
    if (subject, body_text, body_html) == (current.subject, current.body_text, current.body_html):
        return current
    before = {"subject": current.subject, "body_text": current.body_text}
    current = _change_draft(org, current, subject=subject, body_text=body_text, body_html=body_html)
    audit.record(org=org, actor=actor, at=now, verb="message.edited", subject=current, customer=current.customer,
                 summary=f"draft {current.channel} to {current.to_address} edited: {subject}"[:500],
                 data={"before": before, "after": {"subject": subject, "body_text": body_text}})
    return current


@transaction.atomic
def draft_skip(*, org: Organization, message: Message, actor: Actor, now: datetime) -> Message:
    """Do not send a draft: it is cancelled as "skipped by <user>" and its step stays decided (not tried again).
    Raises DraftGone when it is no longer a draft."""
    current = _draft_for_update(org, message, now, allow_expired=True)
    current = _change_draft(org, current, status=MessageStatus.CANCELLED, reviewed_by=actor.label[:200],
                            reviewed_at=now, last_error=f"cancelled: skipped by {actor.label}"[:1000])
    audit.record(org=org, actor=actor, at=now, verb="message.skipped", subject=current, customer=current.customer,
                 summary=f"draft {current.channel} to {current.to_address} skipped: {current.subject}"[:500],
                 data={"channel": current.channel, "step": current.step_key})
    return current


def _change_draft(org: Organization, message: Message, **fields) -> Message:
    """Write ``fields`` only while the message is still a draft (one conditional UPDATE, so of two
    reviewers at once only one wins); the message as it now is, or DraftGone saying who got there first."""
    won = Message.objects.for_org(org).filter(pk=message.pk, status=MessageStatus.DRAFT).update(**fields)
    message.refresh_from_db()
    if not won:
        raise DraftGone(gone_reason(org=org, message=message))
    return message


def draft_withdraw(*, org: Organization, message: Message, reason: str, actor: Actor, now: datetime) -> bool:
    """Cancel an unreviewed draft that a later message replaces (the cycle's consolidation); runs in the
    caller's transaction. False when it was approved or skipped meanwhile (then it is left as it is)."""
    _same_org(org, message)
    won = Message.objects.for_org(org).filter(pk=message.pk, status=MessageStatus.DRAFT).update(
        status=MessageStatus.CANCELLED, last_error=f"cancelled: {reason}"[:1000])
    if won:
        audit.record(org=org, actor=actor, at=now, verb="message.cancelled", subject=message,
                     customer=message.customer, summary=f"draft {message.channel} message withdrawn: {reason}"[:500])
    return bool(won)


def _many(org: Organization, messages: Iterable[Message | int], act, *, actor: Actor, now: datetime) -> Reviewed:
    items = list(messages)
    ids = [m if isinstance(m, int) else m.pk for m in items]
    found = {m.pk: m for m in Message.objects.for_org(org).filter(pk__in=ids).select_related("customer")}
    result = Reviewed()
    with transaction.atomic():
        for pk in dict.fromkeys(ids):
            message = found.get(pk)
            if message is None:
                result.refused.append(f"message {pk} not found")
                continue
            try:
                result.done.append(act(org=org, message=message, actor=actor, now=now))
            except ReviewError as exc:  # already approved, skipped, replaced or expired
                result.refused.append(f"{message.customer.ref}: {exc}")
    return result


def drafts_approve(*, org: Organization, messages: Iterable[Message | int], actor: Actor, now: datetime) -> Reviewed:
    """Approve several drafts (messages or ids) in one transaction; those already approved, skipped or
    expired are left alone and said so in ``refused``."""
    return _many(org, messages, draft_approve, actor=actor, now=now)


def drafts_skip(*, org: Organization, messages: Iterable[Message | int], actor: Actor, now: datetime) -> Reviewed:
    """Skip several drafts (messages or ids) in one transaction, like ``drafts_approve``."""
    return _many(org, messages, draft_skip, actor=actor, now=now)


@transaction.atomic
def drafts_expire(*, org: Organization, now: datetime, actor: Actor = ACTOR) -> int:
    """Expire the drafts left unapproved for ``org.draft_expiry_days`` and forget their steps' decisions,
    so the next cycle decides those customers afresh. Returns how many drafts expired.

    The decisions forgotten are those the draft carried and the rest of that customer's decisions
    of the same cycle run (they were folded into the same message). They stay when the operator
    approved or skipped another message of the same step occurrence (its other channel, say).
    """
    cutoff = now - timedelta(days=org.draft_expiry_days)
    drafts = list(Message.objects.for_org(org).filter(direction=Direction.OUT, status=MessageStatus.DRAFT,
                                                      created_at__lte=cutoff).select_related("customer"))
    expired = 0
    for draft in drafts:
        # The expired draft gives up its idempotency key: the step decided afresh for the same day (a
        # cycle re-run by hand for that date) queues a message of its own instead of finding this one.
        if not Message.objects.for_org(org).filter(pk=draft.pk, status=MessageStatus.DRAFT).update(
                status=MessageStatus.EXPIRED, idempotency_key=f"expired:{draft.pk}:{draft.idempotency_key}"[:255]):
            continue  # approved or skipped meanwhile
        expired += 1
        reviewed = bool(draft.source_ref) and Message.objects.for_org(org).filter(
            customer=draft.customer, source=draft.source, source_ref=draft.source_ref,
            reviewed_at__isnull=False).exists()
        forgotten = 0 if reviewed else decisions_forget(org=org, message=draft)
        audit.record(org=org, actor=actor, at=now, verb="message.expired", subject=draft, customer=draft.customer,
                     summary=f"draft {draft.channel} to {draft.to_address} expired unapproved"
                             + (f"; {forgotten} step decision(s) to be taken afresh" if forgotten else ""),
                     data={"channel": draft.channel, "step": draft.step_key, "decisions_forgotten": forgotten})
    return expired


def decisions_forget(*, org: Organization, message: Message) -> int:
    """Delete the step decisions ``message`` carried and the rest of its customer's decisions of the same
    cycle run (folded into the same message), and forget the customer's stored schedule, so the next
    cycle decides those steps afresh. Returns how many decisions were deleted."""
    runs = set(StepDecision.objects.for_org(org).filter(message=message).exclude(cycle_run=None)
               .values_list("cycle_run_id", flat=True))
    forgotten, _ = StepDecision.objects.for_org(org).filter(
        Q(message=message) | Q(cycle_run_id__in=runs, customer=message.customer_id)).delete()
    if forgotten:
        chase_forget(customer=message.customer)
    return forgotten
