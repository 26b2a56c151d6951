"""The one compliance gate every contact attempt passes (DESIGN invariant 5).

Fetch, decide: ``contact_gate`` reads the debtor's facts from the database in a few
queries (restrictions, contacts and opt-outs, pauses in force, recent messages and calls,
the limitation dates of the invoices concerned when a legal step is asked) and lets
``recoup.core.compliance.decide_contact`` answer allow, defer until T, or block, with the
rule id and a plain sentence. The cycle asks before queueing, the manual send paths before
queueing, and delivery again before a message leaves (``message_gate``). The facts carry the
organization's send window (``org_send_window``), which the core applies to automated messages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q

from recoup.collections.selectors import active_pauses
from recoup.compliance.models import ContactRestriction, EmployerEmail
from recoup.compliance.selectors import customer_jurisdiction, limitations_for_invoices
from recoup.core.compliance import (
    ALLOWED, Attempt, DebtorFacts, GateAnswer, Restriction, SendWindow, debtor_zones, decide_contact,
    purpose_of_step,
)
from recoup.core.display import format_day_time, reader_locale
from recoup.core.rules import by_topic, rules_in_force
from recoup.ledger.models import Contact, Customer, Invoice
from recoup.orgs.models import Organization

__all__ = ["ALLOWED", "GateAnswer", "StandingFacts", "contact_gate", "message_gate", "gate_facts", "org_send_window",
           "standing_facts"]

ALLOW = ALLOWED  # the name the cycle's tests knew
ADDRESS_FIELDS = {"email": ("email", "opt_out_email"), "sms": ("phone", "opt_out_sms"),
                  "call": ("phone", "opt_out_phone"), "letter": ("postal_address", "opt_out_letter")}
DELIVERED = ("sent", "batched", "posted", "open", "done")
PENDING = ("queued", "sending")
CONVERSATIONS = ("reached", "promise_to_pay", "dispute")
LOOKBACK = timedelta(days=31)


def org_send_window(org: Organization) -> SendWindow:
    """The organization's window for automated messages (its settings), in the debtor's local time."""
    return SendWindow(org.send_window_start, org.send_window_end, org.send_window_weekdays)


@dataclass(frozen=True)
class StandingFacts:
    """What the gate (and the cycle's choice of contact point) reads about one customer that the cycle's
    own actions never change: its contacts (billing contacts first, as ``contact_points`` orders them),
    the contact points marked unusable, the restrictions not lifted, the employer e-mails without
    consent and the pauses in force on the day. Read for many customers at once by ``standing_facts``
    so acting for each costs fewer queries.

    ``recent`` (the gate's rows of the customer's messages around ``now``) and ``waiting`` (its cycle
    messages not yet on their way) are read ahead too, but acting does change them: they hold only
    until the customer's own first message is queued, after which ``without_messages`` is passed on
    and they are read from the database again. None: not read ahead."""

    contacts: tuple[Contact, ...] = ()
    unusable: frozenset[tuple[int, str, str]] = frozenset()
    restrictions: tuple[tuple[str, date, date | None], ...] = ()
    employer: frozenset[str] = frozenset()
    pauses: tuple[tuple[int | None, str | None, str], ...] = field(default=())
    recent: tuple[tuple, ...] | None = None
    waiting: tuple[Any, ...] | None = None

    def without_messages(self) -> StandingFacts:
        return replace(self, recent=None, waiting=None)


def standing_facts(*, org: Organization, customer_ids: Iterable[int], on: date,
                   now: datetime | None = None) -> dict[int, StandingFacts]:
    """``StandingFacts`` of each of ``customer_ids`` (keep the list to a few hundred), in five queries
    (seven with ``now``: the messages as of then too): the same rows, in the same order, as ``gate_facts``,
    ``contact_points`` and the cycle's look for waiting messages read one customer at a time."""
    from recoup.messaging.models import ContactPointStatus
    from recoup.messaging.selectors import cycle_messages_waiting

    ids = list(customer_ids)
    contacts, unusable, restrictions, employer, pauses, recent, waiting = (defaultdict(list) for _ in range(7))
    if ids:
        for contact in Contact.objects.for_org(org).filter(customer_id__in=ids).order_by("-is_billing", "name", "id"):
            contacts[contact.customer_id].append(contact)
        for customer_id, *point in ContactPointStatus.objects.for_org(org).filter(contact__customer_id__in=ids) \
                .values_list("contact__customer_id", "contact_id", "channel", "address"):
            unusable[customer_id].append(tuple(point))
        for customer_id, *row in ContactRestriction.objects.for_org(org).filter(
                customer_id__in=ids, lifted_at__isnull=True).values_list("customer_id", "kind", "starts_on", "ends_on"):
            restrictions[customer_id].append(tuple(row))
        for customer_id, address in EmployerEmail.objects.for_org(org).filter(
                contact__customer_id__in=ids, consent=False).values_list("contact__customer_id", "address"):
            employer[customer_id].append(address)
        for customer_id, *row in active_pauses(org=org, on=on).filter(customer_id__in=ids).values_list(
                "customer_id", "invoice_id", "invoice__number", "reason"):
            pauses[customer_id].append(tuple(row))
        if now is not None:
            for customer_id, *row in _recent_messages(org, now).filter(customer_id__in=ids).values_list(
                    "customer_id", *RECENT_FIELDS):
                recent[customer_id].append(tuple(row))
            for message in cycle_messages_waiting(org=org, now=now).filter(customer_id__in=ids):
                waiting[message.customer_id].append(message)
    return {i: StandingFacts(contacts=tuple(contacts[i]), unusable=frozenset(unusable[i]),
                             restrictions=tuple(restrictions[i]), employer=frozenset(employer[i]),
                             pauses=tuple(pauses[i]), recent=tuple(recent[i]) if now is not None else None,
                             waiting=tuple(waiting[i]) if now is not None else None) for i in ids}


RECENT_FIELDS = ("channel", "direction", "status", "created_at", "sent_at", "claimed_at", "next_attempt_at",
                 "call_outcome")


def _recent_messages(org: Organization, now: datetime):
    """Messages that may count for the caps and call limits at ``now`` (any created, sent, claimed or
    due within ``LOOKBACK``)."""
    from recoup.messaging.models import Message

    return Message.objects.for_org(org).filter(
        Q(created_at__gte=now - LOOKBACK) | Q(sent_at__gte=now - LOOKBACK)
        | Q(claimed_at__gte=now - LOOKBACK) | Q(next_attempt_at__gte=now - LOOKBACK))


def _rules(org: Organization, customer: Customer, on: date) -> tuple[str | None, dict]:
    jurisdiction = customer_jurisdiction(customer, org)
    return jurisdiction, (rules_in_force(jurisdiction, on, customer.kind) if jurisdiction else {})


def gate_facts(*, org: Organization, customer: Customer, on: date, now: datetime, invoice_ids: Sequence[int] = (),
               message_text: str | None = None, exclude_message_id: int | None = None, for_delivery: bool = False,
               rules: dict | None = None, legal_step: bool = False, check_address: bool = True,
               standing: StandingFacts | None = None) -> DebtorFacts:
    """The debtor's facts for the gate.

    Args: invoice_ids: the invoices the contact is about (their disputes and holds count);
        message_text: at delivery, a queued message's text: invoice-level disputes and holds
        count for the invoices it names; for_delivery: count only messages already delivered
        (this one excluded) for the caps; otherwise messages waiting to go count too;
        legal_step: look up the limitation dates of the invoices (only needed for legal steps);
        check_address: pass the customer's own addresses (the third-party check; chosen at queueing);
        standing: the customer's ``StandingFacts`` already read (the cycle reads them for many
        customers at once); None reads them here.
    """
    from recoup.messaging.models import Direction

    country = customer.country or org.country
    region = customer.region if customer.country else org.region
    if standing is None:
        restriction_rows = ContactRestriction.objects.for_org(org).filter(
            customer=customer, lifted_at__isnull=True).values_list("kind", "starts_on", "ends_on")
    else:
        restriction_rows = standing.restrictions
    restrictions = tuple(Restriction(kind, start, end) for kind, start, end in restriction_rows)
    own: set[tuple[str, str]] = set()
    opted: set[tuple[str, str]] = set()
    for contact in (Contact.objects.for_org(org).filter(customer=customer) if standing is None
                    else standing.contacts):
        for channel, (address_field, opt_field) in ADDRESS_FIELDS.items():
            address = getattr(contact, address_field).strip()
            if address:
                own.add((channel, address))
                if getattr(contact, opt_field):
                    opted.add((channel, address))
    employer = frozenset(EmployerEmail.objects.for_org(org).filter(contact__customer=customer, consent=False)
                         .values_list("address", flat=True)) if standing is None else standing.employer
    disputes, holds = [], []
    wanted = set(invoice_ids)
    pauses = active_pauses(org=org, on=on).filter(customer=customer).values_list(
        "invoice_id", "invoice__number", "reason") if standing is None else standing.pauses
    for invoice_id, number, reason in pauses:
        if invoice_id is not None and invoice_id not in wanted and not (message_text and number in message_text):
            continue
        label = f"{number}: {reason}" if number else reason
        (disputes if reason.lower().startswith("dispute") else holds).append(label)
    calls, talks, messages = [], [], []
    if standing is not None and standing.recent is not None and exclude_message_id is None:
        rows = standing.recent
    else:
        rows = _recent_messages(org, now).filter(customer=customer).exclude(pk=exclude_message_id).values_list(
            *RECENT_FIELDS)
    for channel, direction, status, created, sent, claimed, next_at, outcome in rows:
        if direction == Direction.IN:
            if channel == "call":
                talks.append(sent or created)
            continue
        if status in DELIVERED:
            at = claimed or sent or created
        elif status in PENDING and not for_delivery:
            at = next_at or created
        else:
            continue
        if channel == "call":
            if status == "done" and outcome in CONVERSATIONS:
                talks.append(sent or at)
            calls.append(sent if status == "done" and sent else at)
        else:
            messages.append(at)
    jurisdiction, found = (None, rules) if rules is not None else _rules(org, customer, on)
    barred = False
    if legal_step and invoice_ids:
        invoices = list(Invoice.objects.for_org(org).filter(pk__in=invoice_ids).order_by()
                        .select_related("customer", "org"))
        barred = any(lim is not None and lim.status(on) == "barred"
                     for lim in limitations_for_invoices(invoices, on=on).values())
    return DebtorFacts(country=country, region=region or "", timezone=customer.timezone or
                       ("" if customer.country else org.timezone), fallback_timezone=org.timezone,
                       restrictions=restrictions, own_addresses=frozenset(own) if check_address else None,
                       employer_emails=employer,
                       opted_out=frozenset(opted), disputes=tuple(disputes), holds=tuple(holds),
                       call_attempts=tuple(calls), conversations=tuple(talks), messages=tuple(messages),
                       time_barred=barred, jurisdiction=jurisdiction, send_window=org_send_window(org))


def contact_gate(*, org: Organization, customer: Customer, channel: str, step_key: str, on: date, now: datetime,
                 purpose: str | None = None, address: str = "", invoice_ids: Sequence[int] = (),
                 template: str = "", action: str = "", for_delivery: bool = False,
                 exclude_message_id: int | None = None, message_text: str | None = None,
                 check_address: bool = True, standing: StandingFacts | None = None) -> GateAnswer:
    """May Recoup contact ``customer`` on ``channel`` at ``now``? Allow, defer until T, or block.

    Args: step_key/template/action: the policy step (its purpose and the action words the
        time-barred rules look for); purpose: given for non-step contacts ("manual", "notice",
        "cease-notice", "call"); address: the contact point to use (checked against the
        customer's own contacts, opt-outs and employer e-mails); invoice_ids: what it is about;
        standing: the customer's ``StandingFacts`` when already read (see ``gate_facts``).
    """
    step_purpose, words = purpose_of_step(step_key=step_key or "", template=template or step_key or "",
                                          action=action or "", channel=channel)
    purpose = purpose or step_purpose
    jurisdiction, rules = _rules(org, customer, on)
    legal = purpose == "legal-threat" or any(
        set(words) & set(r.parameters.forbidden_actions) for r in by_topic(rules, "time_barred"))
    facts = gate_facts(org=org, customer=customer, on=on, now=now, invoice_ids=invoice_ids, for_delivery=for_delivery,
                       exclude_message_id=exclude_message_id, message_text=message_text, rules=rules,
                       legal_step=legal, check_address=check_address, standing=standing)
    facts = replace(facts, jurisdiction=jurisdiction)
    attempt = Attempt(channel=channel, purpose=purpose, debt_kind=customer.kind, address=address,
                      step_actions=words)
    return decide_contact(attempt, facts, rules, now)


def purpose_of_message(message) -> str:
    """A queued message's purpose: the cycle's from its step, arrangements' notices, else manual."""
    if message.source == "cycle":
        return purpose_of_step(step_key=message.step_key, template=message.step_key, action="",
                               channel=message.channel)[0]
    if message.source == "arrangements":
        return "notice"
    return "call" if message.channel == "call" and message.source != "manual" else "manual"


def debtor_today(*, org: Organization, customer: Customer, now: datetime) -> date:
    """The debtor's local date at ``now`` (in the first of the zones the gate's window respects)."""
    return now.astimezone(debtor_zones(DebtorFacts(
        country=customer.country or org.country, region=customer.region if customer.country else org.region,
        timezone=customer.timezone or ("" if customer.country else org.timezone),
        fallback_timezone=org.timezone))[0]).date()


def message_gate(message, *, now: datetime) -> GateAnswer:
    """Ask the gate again for a message about to be delivered (its window may have closed, a hold,
    restriction or opt-out may have started since it was queued). Only delivered messages count
    for the caps; the choice of address (no third parties) was checked when it was queued."""
    org, customer = message.org, message.customer
    on = debtor_today(org=org, customer=customer, now=now)
    address = message.to_address if message.channel != "letter" else ""
    return contact_gate(org=org, customer=customer, channel=message.channel, step_key=message.step_key, on=on,
                        now=now, purpose=purpose_of_message(message), address=address, for_delivery=True,
                        check_address=False,
                        exclude_message_id=message.pk, message_text=f"{message.subject}\n{message.body_text}")


def contact_explain(*, org: Organization, customer: Customer, now: datetime) -> dict:
    """What the customer page shows (issue 4, "Explain"): the restrictions in force, the rules that
    apply to contacting this customer, and the gate's answer for a reminder on each channel now.

    Returns plain values for a template: ``jurisdiction``, ``zones`` (the clocks that count),
    ``restrictions`` (label, dates), ``rules`` (id, title, source url), ``channels`` (channel,
    address, verdict, rule_id, sentence, until in the debtor's time and as ``until_text``),
    ``send_window`` (the organization's window for automated messages in words, e.g. "Mon-Fri
    09:00-12:00", in the debtor's local time; the e-mail and SMS answers already keep to it).
    """
    from recoup.compliance.models import RestrictionKind

    facts = gate_facts(org=org, customer=customer, on=now.date(), now=now)
    zones = debtor_zones(facts)
    on = now.astimezone(zones[0]).date()
    jurisdiction, rules = _rules(org, customer, on)
    contact_rules = [r for r in rules.values() if r.topic in ("contact_window", "call_frequency", "message_cap",
                                                               "time_barred", "breathing_space", "message_identity")]
    channels = []
    contacts = list(Contact.objects.for_org(org).filter(customer=customer).order_by("-is_billing", "name", "id"))
    for channel, (address_field, _) in ADDRESS_FIELDS.items():
        contact = next((c for c in contacts if getattr(c, address_field).strip()), None)
        address = getattr(contact, address_field).strip() if contact else ""
        if not address:
            channels.append({"channel": channel, "address": "", "verdict": "block", "rule_id": None,
                             "sentence": f"No contact has an address for {channel}.", "until": None,
                             "until_text": ""})
            continue
        answer = contact_gate(org=org, customer=customer, channel=channel, step_key="", on=on, now=now,
                              purpose="call" if channel == "call" else "reminder", address=address)
        until = answer.until.astimezone(zones[0]) if answer.until else None
        channels.append({"channel": channel, "address": address, "verdict": answer.verdict,
                         "rule_id": answer.rule_id, "sentence": answer.sentence, "until": until,
                         "until_text": f"{format_day_time(until, reader_locale(org), zones[0].key)} {until:%Z}"
                                       if until else ""})
    restrictions = [{"kind": r.kind, "label": RestrictionKind(r.kind).label, "starts_on": r.starts_on,
                     "ends_on": r.ends_on} for r in facts.restrictions]
    return {"jurisdiction": jurisdiction, "zones": [z.key for z in zones], "restrictions": restrictions,
            "holds": list(facts.holds), "disputes": list(facts.disputes),
            "send_window": facts.send_window.describe() if facts.send_window else "",
            "rules": [{"id": r.id, "title": r.title, "url": r.source.url} for r in contact_rules],
            "channels": channels}
