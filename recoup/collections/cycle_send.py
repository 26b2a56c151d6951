"""The message half of acting on a plan: pick a contact point, ask the gate, render, queue.

A step sends one consolidated message on each of its channels (e-mail and a letter, say),
each to the first contact with an address on that channel, no opt-out and no bounce on
record, and only when the compliance gate allows it. A channel with no usable contact
point is reported as blocked with the reason; the others still go.

The gate's answer is reported with its rule id in ``reason``. A message deferred only by
the debtor's contact window (night, weekend, holiday) is queued to go when the window
opens (within ``HOLD_FOR_WINDOW``), so the step is not lost, and a later step's message
replaces one still waiting on the same channel; any other deferral leaves
the step undecided for the next run; delivery asks the gate again before it sends.

Send modes (``send_mode.step_mode``: the step's own, else the organization's): in review
mode the message is created as a draft for the operator (``recoup.collections.review``) and
the step is decided; a later message on the channel replaces a draft not yet reviewed the
same way. When sending is off nothing is sent and nothing decided: the step is reported
deferred, so the cycle rolls the customer's decisions back and catches the step up once
sending is on again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta


from recoup.audit.actions import Actor
from recoup.collections.gate import GateAnswer, StandingFacts, contact_gate
from recoup.collections.models import Outcome
from recoup.collections.review import draft_withdraw
from recoup.collections.send_mode import step_mode
from recoup.core.policy import MessagePlan, Policy, Step
from recoup.ledger.models import Contact, Customer, Invoice
from recoup.messaging.actions import message_cancel, message_queue, task_open
from recoup.messaging.links import PORTAL_LINK, PREFERENCES_LINK
from recoup.messaging.models import ContactPointStatus, Message, MessageStatus, Task, TaskKind, TaskStatus
from recoup.messaging.selectors import cycle_messages_waiting
from recoup.messaging.rendering import RenderedMessage, TemplateMissing, render_message
from recoup.orgs.models import Organization, SendMode

# channel -> (Contact field holding the address, Contact field saying "do not use")
CONTACT_FIELDS = {
    "email": ("email", "opt_out_email"),
    "sms": ("phone", "opt_out_sms"),
    "call": ("phone", "opt_out_phone"),
    "letter": ("postal_address", "opt_out_letter"),
}


# A message held by the window (a night, a weekend, a holiday weekend) waits in the outbox;
# a later step's message on the same channel replaces it while it still waits, so the debtor
# gets one consolidated message when the window opens. Longer waits defer the step instead.
HOLD_FOR_WINDOW = timedelta(days=5)


# Gate answers about one contact point, not the debtor: the step may still go on another channel.
CHANNEL_GATES = ("third-party", "employer-email", "opt-out")


@dataclass(frozen=True)
class SendOutcome:
    status: str  # Outcome.QUEUED, DRAFT (review mode), DEFERRED or BLOCKED
    channel: str
    reason: str | None = None
    message: Message | None = None
    # Blocked for this channel only (no usable contact point, an opt-out): a fallback channel may go.
    channel_only: bool = False


def contact_point(contacts: list[Contact], channel: str, unusable: set[tuple[int, str, str]]) -> Contact | None:
    """The first contact (billing contacts first) reachable on ``channel``."""
    address_field, opt_out_field = CONTACT_FIELDS[channel]
    for contact in contacts:
        address = getattr(contact, address_field).strip()
        if address and not getattr(contact, opt_out_field) and (contact.pk, channel, address) not in unusable:
            return contact
    return None


def contact_points(*, org: Organization, customer: Customer) -> tuple[list[Contact], set[tuple[int, str, str]]]:
    """The customer's contacts (billing contacts first) and the (contact, channel, address)
    points marked unusable, for ``contact_point``."""
    contacts = list(Contact.objects.for_org(org).filter(customer=customer).order_by("-is_billing", "name", "id"))
    unusable = set(ContactPointStatus.objects.for_org(org).filter(contact__customer=customer)
                   .values_list("contact_id", "channel", "address"))
    return contacts, unusable


def _to_address(customer: Customer, contact: Contact, channel: str) -> str:
    if channel != "letter":
        return getattr(contact, CONTACT_FIELDS[channel][0]).strip()
    lines = [customer.legal_name]
    if contact.name and contact.name != customer.legal_name:
        lines.append(contact.name)
    return "\n".join([*lines, contact.postal_address.strip()])


def _invoice_pdfs(invoices: list[Invoice]) -> list[tuple[str, str, bytes]]:
    """The invoices' PDFs as sent, where the business keeps them."""
    pdfs = []
    for invoice in invoices:
        if invoice.pdf:
            with invoice.pdf.open("rb") as f:
                pdfs.append((f"{invoice.number}.pdf", "application/pdf", f.read()))
    return pdfs


def _with_disclosures(*, org: Organization, customer: Customer, invoices: list[Invoice], channel: str, on: date,
                      rendered):
    """Add the disclosure texts the rules require (California: a letter about a time-barred debt)."""
    from dataclasses import replace as dc_replace
    from html import escape

    from recoup.compliance.selectors import customer_jurisdiction, limitation_for_invoice
    from recoup.core.rules import by_topic, rules_in_force

    jurisdiction = customer_jurisdiction(customer, org)
    if jurisdiction is None:
        return rendered
    texts = []
    for rule in by_topic(rules_in_force(jurisdiction, on, customer.kind), "disclosure_text"):
        p = rule.parameters
        if channel not in p.channels:
            continue
        barred = [i for i in invoices if (lim := limitation_for_invoice(i, on=on)) and lim.status(on) == "barred"]
        if p.when == "time_barred" and not barred:
            continue
        # Reportable to credit agencies for about 7 years from the delinquency (FCRA 605(a)).
        oldest = min((i.due_date for i in barred), default=on)
        reportable = on < oldest.replace(year=oldest.year + 7) if not (oldest.month == 2 and oldest.day == 29) \
            else on < oldest.replace(year=oldest.year + 7, day=28)
        variant = p.texts.get("reportable" if reportable else "not_reportable") or next(iter(p.texts.values()))
        texts.append(" ".join(variant.split()).replace("{collector}", org.legal_name))
    if not texts:
        return rendered
    html = rendered.html + "".join(f'<p class="disclosure">{escape(t)}</p>' for t in texts) if rendered.html else ""
    return dc_replace(rendered, text=rendered.text + "\n\n" + "\n\n".join(texts), html=html)


def send_plans(*, org: Organization, customer: Customer, plans: list[MessagePlan], policy: Policy, on: date,
               now: datetime, actor: Actor, standing: StandingFacts | None = None,
               invoices: list[Invoice] | None = None) -> list[SendOutcome]:
    """Queue the customer's consolidated message on every channel of ``plans`` (same step, same invoices).

    A channel that cannot be used for this customer (no usable contact point, an opt-out) hands
    over to the step's next fallback channel; every attempt is in the outcomes. When a channel
    and all its fallbacks fail, a task asks the operator for a new contact point. ``standing``:
    the customer's contacts and other standing facts when already read (``gate.standing_facts``);
    ``invoices``: the plans' invoices with their charges when already read.
    """
    if standing is None:
        contacts, unusable = contact_points(org=org, customer=customer)
    else:
        contacts, unusable = list(standing.contacts), set(standing.unusable)
    if invoices is None:
        invoices = list(Invoice.objects.for_org(org).filter(pk__in=plans[0].invoice_ids).order_by()
                        .prefetch_related("charges"))
    invoices = sorted(invoices, key=lambda invoice: (invoice.due_date, invoice.number))
    links = PortalLinks(org=org, customer=customer, now=now)
    spare = list(policy.step(plans[0].step_key).fallback)
    outcomes: list[SendOutcome] = []
    for plan in plans:
        outcome = send_one(org=org, customer=customer, plan=plan, policy=policy, contacts=contacts,
                            unusable=unusable, invoices=invoices, on=on, now=now, actor=actor, links=links,
                            standing=standing)
        while outcome.channel_only and spare:
            outcomes.append(outcome)
            outcome = send_one(org=org, customer=customer, plan=replace(plan, channel=spare.pop(0)), policy=policy,
                                contacts=contacts, unusable=unusable, invoices=invoices, on=on, now=now, actor=actor,
                                links=links, standing=standing)
        outcomes.append(outcome)
        if outcome.message is not None and standing is not None:
            standing = standing.without_messages()  # this customer's messages changed: read them again
        if outcome.channel_only:
            contact_needed(org=org, customer=customer, step=policy.step(plan.step_key), tried=[
                o.channel for o in outcomes if o.channel_only], actor=actor, now=now)
    return outcomes


def contact_needed(*, org: Organization, customer: Customer, step: Step, tried: list[str], actor: Actor,
                   now: datetime) -> None:
    """Ask the operator for a new contact point (once while the task is open)."""
    text = (f"{customer.ref} ({customer.name}): \"{step.name}\" could not go by {', '.join(tried)}; "
            "add or correct a contact point.")
    if not Task.objects.for_org(org).filter(customer=customer, kind=TaskKind.CONTACT_NEEDED,
                                            status=TaskStatus.OPEN).exists():
        task_open(org=org, customer=customer, kind=TaskKind.CONTACT_NEEDED, text=text, actor=actor, now=now)


class PortalLinks:
    """Where the customer's portal links go in the day's messages: placeholders, never a link. The
    stored body must not hold a credential (viewers, the API, exports and backups read it); delivery
    makes one fresh link as each message leaves (``recoup.messaging.links``)."""

    def __init__(self, *, org: Organization, customer: Customer, now: datetime) -> None:
        self.org, self.customer, self.now = org, customer, now

    def urls(self) -> tuple[str, str]:
        return PORTAL_LINK, PREFERENCES_LINK


def _waiting(org: Organization, customer: Customer, channel: str, now: datetime,
             standing: StandingFacts | None = None) -> list[Message]:
    """The customer's cycle messages on ``channel`` not yet on their way: queued and still waiting for
    the contact window to open, or drafts not yet reviewed (``standing.waiting`` when read ahead)."""
    if standing is not None and standing.waiting is not None:
        return [message for message in standing.waiting if message.channel == channel]
    return list(cycle_messages_waiting(org=org, now=now).filter(customer=customer, channel=channel))


def _step_to_send(policy: Policy, plan: MessagePlan, waiting: list[Message]) -> Step:
    """The plan's step, or a more advanced one already waiting on this channel: the message that
    replaces a waiting one never steps the debtor back down the ladder."""
    keys = [plan.step_key, *(m.step_key for m in waiting if policy.has_step(m.step_key))]
    return policy.step(max(keys, key=lambda key: policy.rank(key, 0)))


def step_message(*, org: Organization, customer: Customer, invoices: list[Invoice], template: str, channel: str,
                 on: date, links: PortalLinks | None = None, language: str | None = None) -> RenderedMessage:
    """A step's message to ``customer`` listing ``invoices`` as the cycle stores it (the policy page's
    preview shows this same text, ``messaging.preview.as_delivered``): the templates with the portal links as
    placeholders, "pay by" as a marker delivery fills in, and the disclosures the rules require.

    Raises: TemplateMissing when the template does not exist for ``channel``.
    """
    portal_url, preferences_url = links.urls() if links is not None else (PORTAL_LINK, PREFERENCES_LINK)
    rendered = render_message(org=org, customer=customer, invoices=invoices, template=template, channel=channel,
                              language=language, on=on, portal_url=portal_url, preferences_url=preferences_url,
                              pay_by_from_delivery=True)
    return _with_disclosures(org=org, customer=customer, invoices=invoices, channel=channel, on=on,
                             rendered=rendered)


def send_one(*, org: Organization, customer: Customer, plan: MessagePlan, policy: Policy, contacts: list[Contact],
              unusable: set, invoices: list[Invoice], on: date, now: datetime, actor: Actor,
              links: PortalLinks, replaces: Message | None = None,
              standing: StandingFacts | None = None) -> SendOutcome:
    """Queue the plan's message on its channel, or say why it cannot go. ``replaces``: a failed message
    of the same step occurrence this one goes instead of (it keeps that one's ``source_ref``);
    ``standing``: the customer's standing facts for the gate when already read."""
    planned = policy.step(plan.step_key)
    mode = step_mode(org, planned)
    if mode == SendMode.OFF:
        # Deferred, not blocked: nothing is decided, and the step is caught up once sending is on again.
        return SendOutcome(Outcome.DEFERRED, plan.channel,
                           f"sending is off ({'step' if planned.mode else 'organization'} setting)")
    contact = contact_point(contacts, plan.channel, unusable)
    if contact is None:
        return SendOutcome(Outcome.BLOCKED, plan.channel, f"no usable contact point for {plan.channel}",
                           channel_only=True)
    address = contact.postal_address.strip() if plan.channel == "letter" else \
        getattr(contact, CONTACT_FIELDS[plan.channel][0]).strip()
    answer: GateAnswer = contact_gate(org=org, customer=customer, channel=plan.channel, step_key=plan.step_key,
                                      on=on, now=now, address=address, invoice_ids=plan.invoice_ids,
                                      template=planned.template_name, action=str(planned.action), standing=standing)
    not_before = None
    if answer.verdict == "defer" and answer.gate == "contact_window" and answer.until - now < HOLD_FOR_WINDOW:
        not_before = answer.until  # queued, reported as queued: the message waits in the outbox
    elif not answer.allowed:
        status = Outcome.DEFERRED if answer.verdict == "defer" else Outcome.BLOCKED
        return SendOutcome(status, plan.channel, answer.reason or answer.verdict,
                           channel_only=status == Outcome.BLOCKED and answer.gate in CHANNEL_GATES)
    waiting = _waiting(org, customer, plan.channel, now, standing)
    step = _step_to_send(policy, plan, waiting)
    # A draft when the step asked for or the step sent (a more advanced one waiting) is in review mode.
    draft = SendMode.REVIEW in (mode, step_mode(org, step))
    try:
        rendered = step_message(org=org, customer=customer, invoices=invoices, template=step.template_name,
                                channel=plan.channel, on=on, links=links)
    except TemplateMissing as exc:
        return SendOutcome(Outcome.BLOCKED, plan.channel, str(exc), channel_only=True)
    email = plan.channel == "email"
    message = message_queue(
        org=org, customer=customer, channel=plan.channel, to_address=_to_address(customer, contact, plan.channel),
        subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
        idempotency_key=f"cycle:{org.pk}:{customer.pk}:{on}:{plan.channel}:{plan.step_key}"
                        + (f":instead-of:{replaces.pk}" if replaces else ""),
        actor=actor, now=now, contact=contact, source="cycle",
        source_ref=replaces.source_ref if replaces else f"{on}:{plan.step_key}#{plan.number}",
        step_key=step.key, attachments=_invoice_pdfs(invoices) if email else (),
        statement_as_of=on if email else None, not_before=not_before, replaces=replaces, draft=draft,
        asks=invoices,
    )
    for old in waiting:
        if old.pk == message.pk:
            continue
        if old.status == MessageStatus.DRAFT:
            draft_withdraw(org=org, message=old, reason=f"replaced by {step.key} of {on} before it was reviewed",
                           actor=actor, now=now)
        else:
            message_cancel(org=org, message=old, reason=f"replaced by {step.key} of {on} before the window opened",
                           actor=actor, now=now)
    return SendOutcome(Outcome.DRAFT if message.status == MessageStatus.DRAFT else Outcome.QUEUED, plan.channel,
                       None, message)
