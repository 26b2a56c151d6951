"""Use cases of escalation: the operator's review decision, letters before action, evidence documents.

Every action is keyword-only, runs in one transaction, checks that what it touches belongs to the
organization and writes an audit event. Refusals raise ``EscalationError`` with a sentence fit
to show the operator; nothing is half-written then. Placements are in ``placement_actions``,
cases in ``case_actions``, write-offs and recoveries in ``writeoff_actions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from django.db import transaction
from django.db.models import Max

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.collections.actions import pause_add
from recoup.collections.gate import contact_gate
from recoup.compliance.selectors import contract_jurisdiction
from recoup.core.money import format_money, from_minor
from recoup.escalation.letters import letter_pdf, render_letter
from recoup.escalation.models import (
    ENCLOSURE_TITLES, REQUIRED_ENCLOSURES, EscalationReview, EvidenceDocument, LetterBeforeAction, LetterKind,
    ReviewChoice,
)
from recoup.escalation.rules import EW_RESPONSE_DAYS, letter_kind, response_deadline
from recoup.escalation.selectors import (
    amount_owed, live_placement, money_text, response_period_running, settings_for,
)
from recoup.ledger.models import Contact, Customer, Invoice
from recoup.messaging.actions import MessagingError, message_queue, task_close
from recoup.messaging.models import Task, TaskKind, TaskStatus
from recoup.orgs.models import Organization, check_same_org


class EscalationError(ValueError):
    """An escalation request Recoup refuses, with a sentence for the operator."""


def same_org(org: Organization, *objs: object) -> None:
    check_same_org(org, *objs, error=EscalationError)


def lock_customer(customer: Customer) -> Customer:
    return Customer.objects.select_for_update(no_key=True).get(pk=customer.pk)


def chosen_invoices(*, org: Organization, customer: Customer, invoices: Sequence[Invoice] | None) -> list[Invoice]:
    """The customer's open invoices (all, or those given), fresh, in one currency."""
    same_org(org, customer, *(invoices or ()))
    rows = Invoice.objects.for_org(org).filter(customer=customer, open_minor__gt=0)
    if invoices is not None:
        wanted = {inv.pk for inv in invoices}
        rows = Invoice.objects.for_org(org).filter(pk__in=wanted)
        for inv in rows:
            if inv.customer_id != customer.pk:
                raise EscalationError(f"invoice {inv.number} is not one of {customer.ref}'s invoices")
            if inv.open_minor <= 0:
                raise EscalationError(f"invoice {inv.number} has nothing left to pay")
    found = list(rows.order_by("due_date", "number"))
    if not found:
        raise EscalationError(f"{customer.ref} owes nothing: no open invoice")
    if len({inv.currency for inv in found}) > 1:
        raise EscalationError("the invoices are in different currencies; choose invoices in one currency")
    return found


def not_while_waiting(*, org: Organization, customer: Customer, on: date, what: str) -> None:
    """Refuse a further escalation while a letter before action's response period runs."""
    running = response_period_running(org=org, customer=customer, on=on)
    if running is not None:
        raise EscalationError(f"cannot {what}: the response period of {running} runs until "
                              f"{running.deadline.isoformat()}")


# --- the review -----------------------------------------------------------------------------------

@transaction.atomic
def review_decide(*, org: Organization, customer: Customer, choice: str, actor: Actor, now: datetime,
                  note: str = "", task: Task | None = None) -> EscalationReview:
    """Record the operator's choice for an account and close its escalation review task.

    The choice's own action (a letter, a placement, a write-off) is called by the caller
    in the same transaction, so the choice and what it does commit together.
    """
    same_org(org, customer, task)
    if choice not in ReviewChoice.values:
        raise EscalationError(f"choice: {choice!r} is not one of {', '.join(ReviewChoice.values)}")
    if task is not None and (task.customer_id != customer.pk or task.kind != TaskKind.ESCALATION_REVIEW):
        raise EscalationError(f"task {task.pk} is not an escalation review of {customer.ref}")
    review = EscalationReview.objects.create(org=org, customer=customer, task=task, choice=choice, note=note.strip(),
                                             decided_by=actor.label, decided_at=now)
    if task is not None and task.status == TaskStatus.OPEN:
        try:
            task_close(org=org, task=task, actor=actor, now=now, note=f"decided: {review.get_choice_display()}")
        except MessagingError:
            pass  # closed by someone else meanwhile: the decision still stands
    audit.record(org=org, actor=actor, at=now, verb="escalation.reviewed", subject=review, customer=customer,
                 summary=f"Escalation review of {customer.ref}: {review.get_choice_display()}"
                         + (f" ({review.note})" if review.note else ""), data={"choice": choice})
    return review


# --- letters before action ------------------------------------------------------------------------

def _postal_contact(org: Organization, customer: Customer) -> Contact | None:
    for contact in Contact.objects.for_org(org).filter(customer=customer).order_by("-is_billing", "name", "id"):
        if contact.postal_address.strip() and not contact.opt_out_letter:
            return contact
    return None


def _to_address(customer: Customer, contact: Contact) -> str:
    lines = [customer.legal_name]
    if contact.name and contact.name != customer.legal_name:
        lines.append(contact.name)
    return "\n".join([*lines, contact.postal_address.strip()])


def _agreement(invoices: list[Invoice]) -> str:
    parts = []
    for inv in invoices:
        terms = inv.agreed_terms or {}
        net = terms.get("net_days")
        parts.append(f"invoice {inv.number} of {inv.issue_date.isoformat()}"
                     + (f", payable within {net} days" if net is not None else f", due {inv.due_date.isoformat()}"))
    return ("You agreed to buy goods or services from us on the terms stated on our invoices: "
            + "; ".join(parts) + ".")


@transaction.atomic
def letter_before_action_send(*, org: Organization, customer: Customer, on: date, actor: Actor, now: datetime,
                              invoices: Sequence[Invoice] | None = None, enclosures: Sequence[str] | None = None,
                              individual: bool | None = None, response_days: int | None = None) -> LetterBeforeAction:
    """Send a letter before action by post and hold the account until its response period ends.

    The letter depends on the debt's jurisdiction and debtor: a Letter of Claim under the
    Pre-Action Protocol for Debt Claims for an individual or sole trader under English law
    (``individual``; default: a consumer customer), which cannot go without the Information Sheet
    and the Reply Form; a notice that threatens nothing for a time-barred debt; else a final
    demand. The letter is queued in the outbox (the day's print batch) with its PDF, and the
    customer's collection is paused through the last day of the response period (30 days by
    default), so nothing escalates before it ends.
    Raises: EscalationError (missing enclosure, no postal address, the gate refuses, a response
        period or a placement already running, nothing owed).
    """
    same_org(org, customer)
    customer = lock_customer(customer)
    placed = live_placement(org=org, customer=customer)
    if placed is not None:
        raise EscalationError(f"{customer.ref} is placed with {placed.agency}; recall it before writing yourself")
    not_while_waiting(org=org, customer=customer, on=on, what="send another letter before action")
    invs = chosen_invoices(org=org, customer=customer, invoices=invoices)
    owed = amount_owed(org=org, customer=customer, on=on, invoices=invs)
    barred = [row.invoice.number for row in owed.invoices if row.limitation and row.limitation.is_barred(on)]
    if barred and len(barred) < len(invs):
        raise EscalationError(f"invoice(s) {', '.join(barred)} are time-barred: send the letter for the others alone")
    jurisdiction = contract_jurisdiction(customer, org)
    kind = letter_kind(jurisdiction=jurisdiction, time_barred=bool(barred),
                       debtor_individual=customer.kind == "consumer" if individual is None else individual)
    required = REQUIRED_ENCLOSURES[kind]
    chosen = list(required) if enclosures is None else list(dict.fromkeys(enclosures))
    unknown = [e for e in chosen if e not in ENCLOSURE_TITLES or e == "statement"]
    if unknown:
        raise EscalationError(f"enclosures: unknown {', '.join(unknown)} (use {', '.join(required) or 'none'})")
    missing = [ENCLOSURE_TITLES[e] for e in required if e not in chosen]
    if missing:
        raise EscalationError(f"a {LetterKind(kind).label} cannot be sent without its enclosures: "
                              f"{' and '.join(missing)} missing")
    contact = _postal_contact(org, customer)
    if contact is None:
        raise EscalationError(f"{customer.ref} has no contact with a postal address (or all opted out of letters)")
    answer = contact_gate(org=org, customer=customer, channel="letter", step_key="", on=on, now=now, purpose="manual",
                          address=contact.postal_address.strip(), invoice_ids=[i.pk for i in invs])
    if not answer.allowed and not (answer.verdict == "defer" and answer.gate == "contact_window"):
        raise EscalationError(f"the compliance gate refuses the letter: {answer.reason}")
    days = response_days or (EW_RESPONSE_DAYS if kind == LetterKind.EW_LETTER_OF_CLAIM
                             else settings_for(org).response_days)
    deadline = response_deadline(on, days)
    number = (LetterBeforeAction.objects.for_org(org).aggregate(n=Max("number"))["n"] or 0) + 1
    cur = owed.currency

    def fmt(minor: int) -> str:
        return format_money(from_minor(minor, cur), cur, org.locale or "en")

    context = {
        "org": org, "customer": customer, "number": number, "sent_on": on, "deadline": deadline,
        "salutation": contact.name or customer.legal_name, "agreement": _agreement(invs),
        "rows": [{"number": r.invoice.number, "issue_date": r.invoice.issue_date, "due_date": r.invoice.due_date,
                  "open": fmt(r.invoice.open_minor)} for r in owed.invoices],
        "principal": fmt(owed.principal_minor), "charges": fmt(owed.charges_minor),
        "charges_minor": owed.charges_minor, "interest": fmt(owed.interest_minor),
        "total": fmt(owed.total_minor), "interest_continues": owed.interest_minor > 0,
        "contract": next((d.title for d in EvidenceDocument.objects.for_org(org).filter(customer=customer,
                                                                                         is_contract=True)), ""),
        "california": jurisdiction == "US-CA",
    }
    letter = render_letter(kind=kind, enclosures=chosen, context=context)
    to_address = _to_address(customer, contact)
    pdf = letter_pdf(org=org, to_address=to_address, html=letter.html)
    message = message_queue(
        org=org, customer=customer, channel="letter", to_address=to_address, subject=letter.subject,
        body_text=letter.text, body_html=letter.html, contact=contact, actor=actor, now=now,
        attachments=[(f"letter-before-action-{number}.pdf", "application/pdf", pdf)],
        idempotency_key=f"escalation:{org.pk}:lba:{number}", source="escalation", source_ref=f"lba#{number}")
    pause = pause_add(org=org, customer=customer, reason=f"letter before action #{number}", starts_on=on,
                      ends_on=deadline, actor=actor, now=now)
    lba = LetterBeforeAction.objects.create(
        org=org, customer=customer, number=number, kind=kind, jurisdiction=jurisdiction or "", currency=cur,
        principal_minor=owed.principal_minor, charges_minor=owed.charges_minor, interest_minor=owed.interest_minor,
        sent_on=on, response_days=days, deadline=deadline, enclosures=chosen, message=message, pause=pause, pdf=pdf,
        created_by=actor.label, created_at=now)
    lba.invoices.set(invs)
    audit.record(org=org, actor=actor, at=now, verb="escalation.letter_sent", subject=lba, customer=customer,
                 summary=f"{LetterKind(kind).label} #{number} to {customer.ref} for "
                         f"{money_text(owed.total_minor, cur)}; "
                         f"response by {deadline.isoformat()}",
                 data={"kind": kind, "invoices": [i.number for i in invs], "enclosures": chosen,
                       "deadline": deadline.isoformat(), "message": message.pk})
    return lba


# --- evidence documents ---------------------------------------------------------------------------

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DOCUMENT_TYPES = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff",
                  "text/plain": None}


@transaction.atomic
def evidence_document_add(*, org: Organization, customer: Customer, title: str, filename: str, content_type: str,
                          data: bytes, is_contract: bool, actor: Actor, now: datetime) -> EvidenceDocument:
    """Keep a file for the evidence pack (the signed contract, an order confirmation...)."""
    same_org(org, customer)
    if not title.strip():
        raise EscalationError("title: say what the document is")
    if content_type not in DOCUMENT_TYPES:
        raise EscalationError(f"{filename}: only PDF, PNG, JPEG or plain text files")
    magic = DOCUMENT_TYPES[content_type]
    if magic is not None and not data.startswith(magic):
        raise EscalationError(f"{filename}: the content is not a {content_type} file")
    if not data or len(data) > MAX_DOCUMENT_BYTES:
        raise EscalationError(f"{filename}: empty or larger than 10 MB")
    doc = EvidenceDocument.objects.create(org=org, customer=customer, title=title.strip()[:200],
                                          filename=filename[:255], content_type=content_type, data=data,
                                          is_contract=is_contract, uploaded_at=now)
    audit.record(org=org, actor=actor, at=now, verb="escalation.document_added", subject=doc, customer=customer,
                 summary=f"{'Contract' if is_contract else 'Document'} {doc.title} ({filename}, "
                         f"{len(data):,} bytes) kept "
                         f"for {customer.ref}")
    return doc
