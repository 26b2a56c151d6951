"""Settlements: a reduced amount, in full satisfaction of chosen invoices, if paid by a deadline.

The operator offers one (or records that it accepted the debtor's proposal); an accepted
settlement holds the invoices until the deadline. Paid in time (the daily check sees the
money), the rest is written off with the reason and a settlement letter (PDF) is kept on it;
not paid, it lapses and collection resumes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from django.db import transaction
from django.template.loader import render_to_string

from recoup.arrangements.actions import (
    ArrangementError, covered_invoices, hold, money_text, notify_operator, org_date, release,
)
from recoup.arrangements.models import Settlement, SettlementStatus
from recoup.arrangements.notices import money
from recoup.arrangements.selectors import paid_towards
from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.ledger.actions import LedgerError, check_invoice_editable, invoice_write_off
from recoup.ledger.guards import invoice_edit_refusal
from recoup.ledger.models import Contact, Customer, Invoice
from recoup.orgs.models import Organization, check_same_org


def _locked(org: Organization, settlement: Settlement, allowed: tuple[str, ...]) -> Settlement:
    check_same_org(org, settlement, error=ArrangementError)
    settlement = Settlement.objects.select_for_update(no_key=True).get(pk=settlement.pk)
    if settlement.status not in allowed:
        raise ArrangementError(f"Settlement #{settlement.pk} is {settlement.get_status_display().lower()}.")
    return settlement


def _hold_until_deadline(org: Organization, settlement: Settlement, actor: Actor, now: datetime) -> None:
    hold(org=org, customer=settlement.customer, invoices=list(settlement.invoices.all()),
         label=f"settlement #{settlement.pk}", starts_on=org_date(org, now), ends_on=settlement.deadline,
         actor=actor, now=now, on=settlement)


@transaction.atomic
def settlement_offer(*, org: Organization, customer: Customer, invoices: Sequence[Invoice], amount_minor: int,
                     deadline: date, reason: str, actor: Actor, now: datetime,
                     accepted: bool = False) -> Settlement:
    """Offer ``amount_minor`` in full satisfaction of the invoices by ``deadline``.

    ``accepted``: the debtor already agreed (the operator accepts the debtor's proposal);
    the invoices are then held until the deadline.
    """
    today = org_date(org, now)
    invs, currency = covered_invoices(org=org, customer=customer, invoices=invoices)
    for invoice in invs:  # the rest is written off when paid: not Recoup's to do on an invoice from the books
        try:
            check_invoice_editable(invoice, "settlement")
        except LedgerError as exc:
            raise ArrangementError(str(exc)) from None
    balance = sum(inv.open_minor for inv in invs)
    if not 0 < amount_minor < balance:
        raise ArrangementError(f"A settlement must be more than zero and less than the balance of "
                               f"{money_text(balance, currency)}.")
    if deadline < today:
        raise ArrangementError("The deadline cannot be in the past.")
    if not reason.strip():
        raise ArrangementError("Please give the reason for the settlement (it goes on the write-off).")
    settlement = Settlement.objects.create(
        org=org, customer=customer, currency=currency, balance_minor=balance, amount_minor=amount_minor,
        deadline=deadline, offered_on=today, reason=reason.strip()[:400], created_by=actor.label, created_at=now,
        status=SettlementStatus.ACCEPTED if accepted else SettlementStatus.OFFERED,
        accepted_at=now if accepted else None)
    settlement.invoices.set(invs)
    if accepted:
        _hold_until_deadline(org, settlement, actor, now)
    numbers = ", ".join(inv.number for inv in invs)
    audit.record(org=org, actor=actor, at=now, verb="settlement.accepted" if accepted else "settlement.offered",
                 subject=settlement, customer=customer,
                 summary=f"Settlement #{settlement.pk} {'agreed' if accepted else 'offered'}: "
                         f"{money_text(amount_minor, currency)} for {numbers} "
                         f"(balance {money_text(balance, currency)}) by {deadline}",
                 data={"invoices": [i.number for i in invs], "amount_minor": amount_minor, "balance_minor": balance,
                       "deadline": deadline.isoformat(), "reason": settlement.reason})
    return settlement


@transaction.atomic
def settlement_accept(*, org: Organization, settlement: Settlement, actor: Actor, now: datetime) -> Settlement:
    """The debtor accepted an offer: the invoices are held until the deadline."""
    settlement = _locked(org, settlement, (SettlementStatus.OFFERED, SettlementStatus.PROPOSED))
    if settlement.deadline < org_date(org, now):
        raise ArrangementError(f"Settlement #{settlement.pk}'s deadline has passed.")
    settlement.status, settlement.accepted_at = SettlementStatus.ACCEPTED, now
    settlement.save(update_fields=["status", "accepted_at"])
    _hold_until_deadline(org, settlement, actor, now)
    audit.record(org=org, actor=actor, at=now, verb="settlement.accepted", subject=settlement,
                 customer=settlement.customer, summary=f"Settlement #{settlement.pk} accepted: "
                 f"{money_text(settlement.amount_minor, settlement.currency)} by {settlement.deadline}")
    return settlement


@transaction.atomic
def settlement_withdraw(*, org: Organization, settlement: Settlement, reason: str, actor: Actor,
                        now: datetime) -> Settlement:
    settlement = _locked(org, settlement, (SettlementStatus.OFFERED, SettlementStatus.PROPOSED,
                                           SettlementStatus.ACCEPTED))
    settlement.status, settlement.ended_on = SettlementStatus.WITHDRAWN, org_date(org, now)
    settlement.save(update_fields=["status", "ended_on"])
    release(org=org, on=settlement, actor=actor, now=now)
    audit.record(org=org, actor=actor, at=now, verb="settlement.withdrawn", subject=settlement,
                 customer=settlement.customer,
                 summary=f"Settlement #{settlement.pk} withdrawn: {reason.strip() or 'no reason given'}")
    return settlement


def settlement_paid_minor(settlement: Settlement) -> int:
    """What has been applied to the settlement's invoices from the offer through the deadline."""
    return paid_towards(invoice_ids=settlement.invoices.values_list("pk", flat=True), since=settlement.offered_on,
                        until=settlement.deadline)


@transaction.atomic
def settlement_settle(*, org: Organization, settlement: Settlement, on: date, actor: Actor,
                      now: datetime) -> Settlement:
    """Paid in time: write off what is left of each invoice with the reason, keep the letter."""
    settlement = _locked(org, settlement, (SettlementStatus.OFFERED, SettlementStatus.ACCEPTED))
    paid = settlement_paid_minor(settlement)
    if paid < settlement.amount_minor:
        raise ArrangementError(f"Settlement #{settlement.pk} is not paid yet "
                               f"({money_text(paid, settlement.currency)} of "
                               f"{money_text(settlement.amount_minor, settlement.currency)}).")
    written, elsewhere = 0, []
    for invoice in settlement.invoices.order_by("due_date", "number"):
        invoice.refresh_from_db()
        if invoice.open_minor <= 0:
            continue
        # An invoice that came from the books since the offer (adopted by a sync) is written off there.
        locked = invoice_edit_refusal(invoice, "write-off")
        if locked:
            elsewhere.append(f"{invoice.number} {locked}")
            continue
        written += invoice_write_off(org=org, invoice=invoice, on=on, actor=actor, now=now,
                                     reason=f"Settlement #{settlement.pk}: {settlement.reason}").amount_minor
    settlement.status, settlement.ended_on, settlement.written_off_minor = SettlementStatus.PAID, on, written
    settlement.letter_pdf = settlement_letter_pdf(settlement, paid_minor=paid, on=on)
    settlement.save(update_fields=["status", "ended_on", "written_off_minor", "letter_pdf"])
    release(org=org, on=settlement, actor=actor, now=now)
    summary = (f"Settlement #{settlement.pk} paid ({money_text(paid, settlement.currency)}); "
               f"{money_text(written, settlement.currency)} written off")
    audit.record(org=org, actor=actor, at=now, verb="settlement.paid", subject=settlement,
                 customer=settlement.customer, summary=summary, data={"paid_minor": paid, "written_off_minor": written})
    notify_operator(org=org, customer=settlement.customer, actor=actor, now=now,
                    text=f"{settlement.customer.ref}: {summary}. The settlement letter is ready to send."
                         + "".join(f" Not written off here: {note}." for note in elsewhere))
    return settlement


@transaction.atomic
def settlement_lapse(*, org: Organization, settlement: Settlement, on: date, actor: Actor,
                     now: datetime) -> Settlement:
    """The deadline passed without the money: the offer lapses and collection resumes."""
    settlement = _locked(org, settlement, (SettlementStatus.OFFERED, SettlementStatus.ACCEPTED,
                                           SettlementStatus.PROPOSED))
    settlement.status, settlement.ended_on = SettlementStatus.LAPSED, on
    settlement.save(update_fields=["status", "ended_on"])
    release(org=org, on=settlement, actor=actor, now=now)
    summary = f"Settlement #{settlement.pk} lapsed: not paid by {settlement.deadline}"
    audit.record(org=org, actor=actor, at=now, verb="settlement.lapsed", subject=settlement,
                 customer=settlement.customer, summary=summary)
    notify_operator(org=org, customer=settlement.customer, actor=actor, now=now,
                    text=f"{settlement.customer.ref}: {summary}.")
    return settlement


def settlement_letter_pdf(settlement: Settlement, *, paid_minor: int, on: date) -> bytes:
    """The settlement letter (WeasyPrint): what was agreed, paid and written off."""
    from weasyprint import HTML

    org, cur = settlement.org, settlement.currency
    contact = (Contact.objects.for_org(org).filter(customer=settlement.customer, is_billing=True)
               .order_by("-id").first())
    invoices = [{"number": i.number, "issue_date": i.issue_date, "total": money(org, i.total_minor, cur)}
                for i in settlement.invoices.order_by("due_date", "number")]
    html = render_to_string("arrangements/settlement_letter.html", {
        "org": org, "customer": settlement.customer, "contact": contact, "settlement": settlement, "on": on,
        "invoices": invoices, "amount": money(org, settlement.amount_minor, cur),
        "balance": money(org, settlement.balance_minor, cur), "paid": money(org, paid_minor, cur),
        "written_off": money(org, settlement.written_off_minor, cur),
    })
    return HTML(string=html).write_pdf()

