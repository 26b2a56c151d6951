"""Use cases that write from (or about) the portal: links, preferences, messages to the business.

Every action is keyword-only, runs in one transaction, checks the organization,
writes an audit event on the customer's timeline; what the debtor does also
opens a task for the operator. Plans, promises and disputes are
``recoup.arrangements.actions``; card payments ``recoup.payments.actions``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, time, timedelta

from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.audit.models import ActorKind
from recoup.ledger.customer_actions import contact_save, customer_update
from recoup.ledger.models import Channel, Customer
from recoup.core.text import one_line
from recoup.messaging.actions import message_received, task_open
from recoup.messaging.models import MessageChannel, TaskKind
from recoup.orgs.models import Organization, check_same_org
from recoup.portal.models import PortalMessage, PortalPreference, PortalToken

TOKEN_DAYS = 90
LANGUAGES = ("en", "de", "fr", "es")
MAX_MESSAGE = 4000
CHANNEL_ORDER = (Channel.EMAIL, Channel.LETTER, Channel.PHONE, Channel.SMS)


class PortalError(ValueError):
    """A portal request refused, with a sentence fit to show the debtor."""


def _same_org(org: Organization, *objs: object) -> None:
    check_same_org(org, *objs, error=PortalError)


def debtor(customer: Customer) -> Actor:
    """The actor for what the debtor does in the portal (the same label the arrangements use)."""
    return Actor(kind=ActorKind.DEBTOR, label=f"{customer.ref} via portal")


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_issue(*, org: Organization, customer: Customer, actor: Actor, now: datetime,
                days: int = TOKEN_DAYS) -> tuple[PortalToken, str]:
    """A new link for ``customer``; returns the row and the secret (shown once, never stored)."""
    _same_org(org, customer)
    if days < 1:
        raise PortalError("a link must be valid for at least one day")
    secret = secrets.token_urlsafe(32)
    token = PortalToken.objects.create(org=org, customer=customer, key_hash=key_hash(secret), created_at=now,
                                       expires_at=now + timedelta(days=days), created_by=actor.label[:200])
    audit.record(org=org, actor=actor, at=now, verb="portal.link_issued", subject=token, customer=customer,
                 summary=f"Portal link issued to {customer.ref}, valid until {token.expires_at:%Y-%m-%d}",
                 data={"expires_at": token.expires_at.isoformat()})
    return token, secret


@transaction.atomic
def token_revoke(*, org: Organization, token: PortalToken, actor: Actor, now: datetime,
                 reason: str = "revoked") -> PortalToken:
    """Stop a link working at once (revoking twice is harmless)."""
    _same_org(org, token)
    if token.revoked_at is None:
        PortalToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now,
                                                                                 revoked_reason=reason[:200])
        token.refresh_from_db()
        audit.record(org=org, actor=actor, at=now, verb="portal.link_revoked", subject=token,
                     customer=token.customer, summary=f"Portal link {token.pk} of {token.customer.ref} revoked: {reason}")
    return token


@transaction.atomic
def token_rotate(*, org: Organization, customer: Customer, actor: Actor, now: datetime,
                 reason: str = "replaced on request") -> tuple[PortalToken, str]:
    """Revoke every live link of ``customer`` and issue a fresh one (for a forwarded or leaked link)."""
    _same_org(org, customer)
    live = PortalToken.objects.for_org(org).filter(customer=customer, revoked_at__isnull=True)
    count = live.update(revoked_at=now, revoked_reason=reason[:200])
    token, secret = token_issue(org=org, customer=customer, actor=actor, now=now)
    audit.record(org=org, actor=actor, at=now, verb="portal.links_rotated", subject=token, customer=customer,
                 summary=f"Portal links of {customer.ref} replaced ({count} revoked): {reason}",
                 data={"revoked": count})
    if actor.kind == ActorKind.DEBTOR:
        task_open(org=org, customer=customer, kind=TaskKind.REVIEW, actor=actor, now=now,
                  text=f"{customer.name} replaced their portal link; earlier links no longer work.")
    return token, secret


@transaction.atomic
def preferences_update(*, org: Organization, customer: Customer, opt_out: dict[str, bool], preferred_channel: str,
                       language: str, contact_from: time | None, contact_to: time | None, actor: Actor,
                       now: datetime, how: str = "in the portal") -> list[str]:
    """Apply the debtor's choices to every contact of ``customer`` (channels, opt-outs), the customer
    (language) and the portal's own record (preferred time). Returns what changed, in words.
    ``how`` says in the audit event where the debtor made the change."""
    _same_org(org, customer)
    unknown = set(opt_out) - set(Channel.values)
    if unknown:
        raise PortalError(f"unknown channel {', '.join(sorted(unknown))}")
    if preferred_channel not in Channel.values:
        raise PortalError("Please choose how you prefer to be contacted.")
    if opt_out.get(preferred_channel):
        raise PortalError("You cannot prefer a channel you opted out of.")
    if language and language not in LANGUAGES:
        raise PortalError("Please choose one of the languages offered.")
    if (contact_from is None) != (contact_to is None) or (contact_from and contact_to and contact_from >= contact_to):
        raise PortalError("Give both times of your preferred contact window, the first before the second.")
    changes: list[str] = []
    for contact in customer.contacts.all():
        fields = {f"opt_out_{ch}": bool(opt_out.get(ch, False)) for ch in Channel.values}
        fields["preferred_channel"] = preferred_channel
        before = {k: getattr(contact, k) for k in fields}
        contact_save(org=org, customer=customer, contact=contact, actor=actor, now=now, via="the portal", **fields)
        for ch in Channel.values:
            if before[f"opt_out_{ch}"] != fields[f"opt_out_{ch}"]:
                changes.append(f"{'opted out of' if fields[f'opt_out_{ch}'] else 'opted in to'} {ch}")
        if before["preferred_channel"] != preferred_channel:
            changes.append(f"prefers {preferred_channel}")
    if language and language != customer.language:
        customer_update(org=org, customer=customer, actor=actor, now=now, via="the portal", language=language)
        changes.append(f"language {language}")
    pref = PortalPreference.objects.for_org(org).filter(customer=customer).first()
    current = (pref.contact_from, pref.contact_to) if pref else (None, None)
    if current != (contact_from, contact_to):
        PortalPreference.objects.update_or_create(org=org, customer=customer, defaults={
            "contact_from": contact_from, "contact_to": contact_to, "updated_at": now})
        changes.append(f"contact between {contact_from:%H:%M} and {contact_to:%H:%M}" if contact_from
                       else "no preferred contact time")
    changes = list(dict.fromkeys(changes))
    if changes:
        text = f"{customer.name} changed their contact preferences {how}: {'; '.join(changes)}."
        audit.record(org=org, actor=actor, at=now, verb="portal.preferences_changed", subject=customer,
                     customer=customer, summary=text, data={"changes": changes, "how": how})
        task_open(org=org, customer=customer, kind=TaskKind.REVIEW, text=text, actor=actor, now=now)
    return changes


def current_preferences(*, org: Organization, customer: Customer) -> dict:
    """The customer's choices as the preferences page shows them: a channel counts as stopped when any
    contact stopped it; the preferred channel and time are the first contact's and the portal's."""
    contacts = list(customer.contacts.all())
    pref = PortalPreference.objects.for_org(org).filter(customer=customer).first()
    return {"opt_out": {ch: any(getattr(c, f"opt_out_{ch}") for c in contacts) for ch in Channel.values},
            "preferred_channel": contacts[0].preferred_channel if contacts else Channel.EMAIL,
            "contact_from": pref.contact_from if pref else None, "contact_to": pref.contact_to if pref else None}


@transaction.atomic
def channel_stop(*, org: Organization, customer: Customer, channel: str, actor: Actor, now: datetime,
                 how: str) -> list[str]:
    """Stop ``channel`` for ``customer`` (a one-click unsubscribe) through ``preferences_update``, leaving
    every other choice as the preferences page shows it; a preferred ``channel`` passes to the first
    channel still open (``CHANNEL_ORDER``). Returns what changed, in words ([] when already stopped)."""
    _same_org(org, customer)
    if channel not in Channel.values:
        raise PortalError(f"unknown channel {channel}")
    now_set = current_preferences(org=org, customer=customer)
    opt_out = {**now_set["opt_out"], channel: True}
    preferred = now_set["preferred_channel"]
    if opt_out.get(preferred):
        still_open = [ch for ch in CHANNEL_ORDER if not opt_out.get(ch)]
        if not still_open:
            raise PortalError("Every other channel is already stopped: please use the preferences page.")
        preferred = still_open[0]
    return preferences_update(org=org, customer=customer, opt_out=opt_out, preferred_channel=preferred,
                              language="", contact_from=now_set["contact_from"], contact_to=now_set["contact_to"],
                              actor=actor, now=now, how=how)


@transaction.atomic
def customer_message(*, org: Organization, customer: Customer, text: str, actor: Actor, now: datetime) -> PortalMessage:
    """A message the debtor writes to the business: kept, an incoming portal message on the customer's
    messages and timeline, and a reply to read in the inbox."""
    _same_org(org, customer)
    text = text.strip()
    if not text:
        raise PortalError("Please write your message.")
    if len(text) > MAX_MESSAGE:
        raise PortalError(f"Please keep your message under {MAX_MESSAGE} characters.")
    message = PortalMessage.objects.create(org=org, customer=customer, text=text, created_at=now)
    # An incoming message on the customer's log, with a reply task in the inbox.
    message_received(org=org, customer=customer, channel=MessageChannel.PORTAL, subject=one_line(text)[:120],
                     text=text, source="portal", key=f"portal:{message.pk}", actor=actor, now=now,
                     verb="portal.message", summary=f"Message from {customer.name} in the portal: {text}")
    return message
