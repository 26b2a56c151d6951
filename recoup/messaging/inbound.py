"""Replies: an incoming e-mail attached to its customer, a task for the operator, collection paused.

A reply is matched, best first, by
1. its In-Reply-To / References headers against the Message-IDs of the messages we sent;
2. the reply token in a recipient address (``reply+<token>@RECOUP_INBOUND_DOMAIN``, the
   Reply-To of every e-mail we send once that domain is set);
3. its sender's address against the customers' contacts, only when exactly one
   customer of one organization has that address: Recoup never guesses across
   organizations.
An unmatched reply becomes a task for the organization when the recipient (or the
sender's contacts, or ``org``) identifies one; otherwise it is logged and dropped.

The matching step reads across organizations on purpose: an inbound e-mail does
not say whose it is until it is matched; everything written afterwards is
scoped to the one organization found.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from anymail.inbound import AnymailInboundMessage
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.crypto import constant_time_compare, salted_hmac

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.ledger.models import Contact, Customer
from recoup.lib.env import envstr
from recoup.messaging import hooks
from recoup.messaging.actions import sending_domain, task_open
from recoup.messaging.models import (
    Attachment, Direction, Message, MessageChannel, MessageStatus, Task, TaskKind,
)
from recoup.orgs.models import Organization

log = logging.getLogger(__name__)

REPLY_PAUSE_REASON = "reply received"
# TaskKind has no "reply" kind yet (models.py is not this module's); use it as soon as it exists.
REPLY_TASK_KIND = getattr(TaskKind, "REPLY", TaskKind.REVIEW)
ACTOR = Actor.system("inbound e-mail")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
REPLY_ADDRESS = re.compile(r"^reply\+(\d+)-([0-9a-f]{20})@", re.IGNORECASE)
TOKEN_SALT = "recoup.messaging.inbound.reply-token"


class InboundError(ValueError):
    """An incoming e-mail Recoup cannot read."""


@dataclass(frozen=True)
class InboundResult:
    """What became of one incoming e-mail.

    ``matched_by`` is "in_reply_to", "reply_token", "sender", "none" (no customer
    found) or "duplicate" (stored before: a retried webhook).
    """

    message: Message | None
    customer: Customer | None
    matched_by: str
    org: Organization | None = None
    task: Task | None = None
    paused: bool = False


@dataclass(frozen=True)
class _Match:
    customer: Customer | None
    matched_by: str
    org: Organization | None = None
    why: str = ""


# --- reply tokens -------------------------------------------------------------------------

def inbound_domain() -> str:
    """The domain whose ``reply+<token>@`` addresses reach Recoup's inbound hook ("" when unset)."""
    return (getattr(settings, "RECOUP_INBOUND_DOMAIN", "") or envstr("RECOUP_INBOUND_DOMAIN")).strip().lower()


def reply_token(customer: Customer) -> str:
    """A token naming ``customer`` that only this install can make (lower-case: mail systems may fold case)."""
    mac = salted_hmac(TOKEN_SALT, str(customer.pk), algorithm="sha256").hexdigest()[:20]
    return f"{customer.pk}-{mac}"


def reply_address(customer: Customer) -> str | None:
    """The Reply-To address that leads a reply back to ``customer``, or None without an inbound domain."""
    domain = inbound_domain()
    return f"reply+{reply_token(customer)}@{domain}" if domain else None


def customer_for_address(address: str) -> Customer | None:
    """The customer named by a valid reply token in ``address``, or None."""
    found = REPLY_ADDRESS.match(address.strip())
    if not found:
        return None
    customer = Customer.objects.select_related("org").filter(pk=int(found[1])).first()
    if customer is None or not constant_time_compare(reply_token(customer), f"{found[1]}-{found[2].lower()}"):
        return None
    return customer


# --- reading the e-mail -------------------------------------------------------------------

def parse_inbound(raw_or_message: bytes | str | EmailMessage) -> AnymailInboundMessage:
    """An AnymailInboundMessage from raw MIME (bytes or str) or a parsed e-mail message."""
    if isinstance(raw_or_message, AnymailInboundMessage):
        return raw_or_message
    if isinstance(raw_or_message, EmailMessage):
        raw_or_message = raw_or_message.as_bytes()
    if isinstance(raw_or_message, bytes):
        message = AnymailInboundMessage.parse_raw_mime_bytes(raw_or_message)
    elif isinstance(raw_or_message, str):
        message = AnymailInboundMessage.parse_raw_mime(raw_or_message)
    else:
        raise InboundError(f"cannot read an e-mail from a {type(raw_or_message).__name__}")
    if not message.keys():
        raise InboundError("not an e-mail: no header found")
    return message


def _sender(message: AnymailInboundMessage) -> str:
    sender = message.from_email
    if isinstance(sender, list):  # several From addresses: legal, rare; the first one wrote it
        sender = sender[0] if sender else None
    return sender.addr_spec.strip() if sender is not None else ""


def _recipients(message: AnymailInboundMessage) -> list[str]:
    addresses = [a.addr_spec for a in [*message.to, *message.cc]]
    for header in ("Delivered-To", "X-Original-To"):
        addresses += [a.addr_spec for a in message.get_address_header(header)]
    if message.envelope_recipient:
        addresses.append(message.envelope_recipient)
    return [a.strip() for a in addresses if a and a.strip()]


def _thread_ids(message: AnymailInboundMessage) -> list[str]:
    """Message-IDs this e-mail answers, nearest first (In-Reply-To, then References newest first)."""
    ids = MESSAGE_ID.findall(message.get("In-Reply-To", "") or "")
    ids += reversed(MESSAGE_ID.findall(message.get("References", "") or ""))
    return list(dict.fromkeys(ids))


def _is_automatic(message: AnymailInboundMessage) -> bool:
    """An out-of-office or other machine answer (RFC 3834), which should not stop collection."""
    auto = (message.get("Auto-Submitted") or "no").strip().lower()
    precedence = (message.get("Precedence") or "").strip().lower()
    return auto != "no" or precedence in {"auto_reply", "bulk", "junk"} or "X-Autoreply" in message


# --- matching -----------------------------------------------------------------------------

def _match(message: AnymailInboundMessage, org: Organization | None) -> _Match:
    ids = _thread_ids(message)
    if ids:
        sent = Message.objects.filter(message_id__in=ids, direction=Direction.OUT).select_related("customer__org")
        if org is not None:
            sent = sent.filter(org=org)
        by_id = {m.message_id: m for m in sent}
        for message_id in ids:
            if message_id in by_id:
                customer = by_id[message_id].customer
                return _Match(customer, "in_reply_to", customer.org)
    for address in _recipients(message):
        customer = customer_for_address(address)
        if customer is not None and (org is None or customer.org_id == org.pk):
            return _Match(customer, "reply_token", customer.org)
    return _match_sender(message, org)


def _match_sender(message: AnymailInboundMessage, org: Organization | None) -> _Match:
    sender = _sender(message)
    contacts = Contact.objects.filter(email__iexact=sender) if sender else Contact.objects.none()
    if org is not None:
        contacts = contacts.filter(org=org)
    pairs = set(contacts.values_list("org_id", "customer_id"))
    if len(pairs) == 1:
        customer = Customer.objects.select_related("org").get(pk=next(iter(pairs))[1])
        return _Match(customer, "sender", customer.org)
    orgs = {org_id for org_id, _ in pairs}
    if len(orgs) > 1:
        return _Match(None, "none", org, f"{sender} is a contact in {len(orgs)} organizations")
    known = org or (Organization.objects.get(pk=orgs.pop()) if orgs else _org_by_recipient(message))
    why = f"{sender} is a contact of {len(pairs)} customers" if pairs else f"{sender or 'the sender'} is no known contact"
    return _Match(None, "none", known, why)


def _org_by_recipient(message: AnymailInboundMessage) -> Organization | None:
    """The one organization whose sender address the e-mail was sent to, if exactly one."""
    recipients = _recipients(message)
    if not recipients:
        return None
    wanted = Q()
    for address in recipients:
        wanted |= Q(sender_email__iexact=address)
    orgs = list(Organization.objects.filter(wanted).exclude(sender_email="")[:2])
    return orgs[0] if len(orgs) == 1 else None


# --- recording ----------------------------------------------------------------------------

def _header_id(message: AnymailInboundMessage) -> str:
    found = MESSAGE_ID.findall(message.get("Message-ID", "") or "")
    return found[0] if found else ""


def record_inbound(*, raw_or_message: bytes | str | EmailMessage, now: datetime,
                   org: Organization | None = None) -> InboundResult:
    """Store an incoming e-mail on its customer's log, open a task and pause collection for the customer.

    ``org`` limits matching to one organization (``recoup inbound --org``).
    Idempotent on the e-mail's Message-ID (or its bytes when it has none): a
    webhook delivered twice stores one message. An automatic answer (out of
    office) is stored but opens no task and pauses nothing. Raises InboundError
    for input that is not an e-mail.
    """
    message = parse_inbound(raw_or_message)
    header_id = _header_id(message)
    key = "inbound:" + hashlib.sha256(header_id.encode() if header_id else message.as_bytes()).hexdigest()
    match = _match(message, org)
    if match.customer is None:
        return _unmatched(message, match, header_id, now)
    return _store(message, match, key, header_id, now)


def _unmatched(message: AnymailInboundMessage, match: _Match, header_id: str, now: datetime) -> InboundResult:
    sender, subject = _sender(message) or "unknown sender", message.subject or "(no subject)"
    if match.org is None:
        log.warning("inbound e-mail %s from %s (%r) dropped: it matches no customer and no organization (%s)",
                    header_id or "without Message-ID", sender, subject, match.why)
        return InboundResult(None, None, "none")
    text = (f"Reply from {sender} matched no customer ({match.why}); attach it by hand.\n"
            f"Subject: {subject}\nMessage-ID: {header_id or '-'}\n\n{(message.text or '')[:2000]}")
    with transaction.atomic():
        task = None
        if header_id:  # a retried webhook opens no second task
            task = Task.objects.for_org(match.org).filter(kind=REPLY_TASK_KIND, customer=None,
                                                          text__contains=f"Message-ID: {header_id}\n").first()
        task = task or task_open(org=match.org, customer=None, kind=REPLY_TASK_KIND, text=text, actor=ACTOR, now=now)
    log.warning("inbound e-mail %s from %s matched no customer of %s (%s): task %s opened",
                header_id or "without Message-ID", sender, match.org.slug, match.why, task.pk)
    return InboundResult(None, None, "none", org=match.org, task=task)


@transaction.atomic
def _store(message: AnymailInboundMessage, match: _Match, key: str, header_id: str, now: datetime) -> InboundResult:
    customer, org = match.customer, match.org
    existing = Message.objects.for_org(org).filter(idempotency_key=key).select_related("customer").first()
    if existing is not None:
        return InboundResult(existing, existing.customer, "duplicate", org=org)
    sender = _sender(message)
    contact = Contact.objects.for_org(org).filter(customer=customer, email__iexact=sender).first() if sender else None
    # Message-IDs are unique in the table; a second organization receiving the same e-mail gets its own.
    taken = not header_id or len(header_id) > 255 or Message.objects.filter(message_id=header_id).exists()
    date = message.date
    received = date if date is not None and date.tzinfo is not None and date <= now else now
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin must not break the transaction
            stored = Message.objects.create(
                org=org, customer=customer, contact=contact, channel=MessageChannel.EMAIL, direction=Direction.IN,
                status=MessageStatus.SENT, to_address=sender, subject=(message.subject or "")[:300],
                body_text=message.text or "", body_html=message.html or "",
                message_id=_new_message_id(org, key) if taken else header_id, idempotency_key=key,
                created_at=now, sent_at=received, source="inbound", source_ref=header_id[:255],
            )
    except IntegrityError:
        existing = Message.objects.for_org(org).filter(idempotency_key=key).first()
        if existing is None:
            raise
        return InboundResult(existing, customer, "duplicate", org=org)
    Attachment.objects.bulk_create([
        Attachment(message=stored, filename=(part.get_filename() or "attachment")[:255],
                   content_type=part.get_content_type()[:100], data=part.get_content_bytes() or b"")
        for part in [*message.attachments, *message.inlines]
    ])
    automatic = _is_automatic(message)
    audit.record(org=org, actor=ACTOR, at=now, verb="message.received", subject=stored, customer=customer,
                 summary=f"e-mail from {sender or 'unknown sender'}: {stored.subject}",
                 data={"matched_by": match.matched_by, "message_id": header_id, "automatic": automatic})
    if automatic:
        return InboundResult(stored, customer, match.matched_by, org=org)
    task = task_open(org=org, customer=customer, message=stored, kind=REPLY_TASK_KIND, actor=ACTOR, now=now,
                     text=f"Reply from {sender or 'unknown sender'}: {stored.subject or '(no subject)'}. "
                          f"Automatic collection for {customer.ref} is paused until you lift the pause.")
    paused = _pause(org, customer, now)
    return InboundResult(stored, customer, match.matched_by, org=org, task=task, paused=paused)


def _new_message_id(org: Organization, key: str) -> str:
    return f"<inbound.{org.pk}.{key.rpartition(':')[2][:40]}@{sending_domain()}>"


def _pause(org: Organization, customer: Customer, now: datetime) -> bool:
    """Pause the customer's collection until the operator lifts it (collections answers, ``hooks``)."""
    return hooks.pause_for_reply(org, customer, now=now)
    pause_add(org=org, customer=customer, reason=REPLY_PAUSE_REASON, starts_on=today, actor=ACTOR, now=now)
    return True
