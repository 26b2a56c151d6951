"""Working a dispute: review, resolve by credit note, reject with an explanation, refer to a
mediator or arbitrator and record the outcome. Closing a dispute lifts its holds.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction

from recoup.arrangements.actions import ArrangementError, money_text, org_date, release
from recoup.arrangements.models import (
    OPEN_DISPUTE_STATUSES, ArrangementSettings, Dispute, DisputeStatus, Referral, ReferralKind,
)
from recoup.arrangements.notices import money, send_notice
from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.ledger.actions import LedgerError, credit_note_record
from recoup.ledger.models import Invoice
from recoup.orgs.models import Organization, check_same_org


def _locked(org: Organization, dispute: Dispute) -> Dispute:
    check_same_org(org, dispute, error=ArrangementError)
    dispute = Dispute.objects.select_for_update(no_key=True).select_related("customer").get(pk=dispute.pk)
    if dispute.status not in OPEN_DISPUTE_STATUSES:
        raise ArrangementError(f"Dispute #{dispute.pk} is closed ({dispute.get_status_display().lower()}).")
    return dispute


def _close(org: Organization, dispute: Dispute, status: str, resolution: str, actor: Actor, now: datetime) -> None:
    dispute.status, dispute.resolution, dispute.closed_on = status, resolution, org_date(org, now)
    dispute.save(update_fields=["status", "resolution", "closed_on", "credit_note"])
    release(org=org, on=dispute, actor=actor, now=now)


@transaction.atomic
def dispute_review(*, org: Organization, dispute: Dispute, actor: Actor, now: datetime) -> Dispute:
    """The operator has started looking into it (the debtor sees "under review")."""
    dispute = _locked(org, dispute)
    if dispute.status != DisputeStatus.OPEN:
        raise ArrangementError(f"Dispute #{dispute.pk} is already {dispute.get_status_display().lower()}.")
    dispute.status = DisputeStatus.UNDER_REVIEW
    dispute.save(update_fields=["status"])
    audit.record(org=org, actor=actor, at=now, verb="dispute.under_review", subject=dispute,
                 customer=dispute.customer, summary=f"Dispute #{dispute.pk} under review")
    return dispute


@transaction.atomic
def dispute_resolve_credit(*, org: Organization, dispute: Dispute, number: str, amount_minor: int, reason: str,
                           actor: Actor, now: datetime, invoice: Invoice | None = None) -> Dispute:
    """Agree with the debtor: issue a credit note (on ``invoice``, default the first disputed one)."""
    dispute = _locked(org, dispute)
    invoices = list(dispute.invoices.order_by("due_date", "number"))
    invoice = invoice or invoices[0]
    if invoice.pk not in {i.pk for i in invoices}:
        raise ArrangementError(f"Invoice {invoice.number} is not part of dispute #{dispute.pk}.")
    if not reason.strip():
        raise ArrangementError("Please give the reason for the credit note.")
    try:
        note = credit_note_record(org=org, customer=dispute.customer, number=number, date=org_date(org, now),
                                  amount_minor=amount_minor, currency=dispute.currency, invoice=invoice,
                                  reason=f"Dispute #{dispute.pk}: {reason.strip()}", actor=actor, now=now)
    except LedgerError as exc:
        raise ArrangementError(str(exc)) from None
    dispute.credit_note = note
    _close(org, dispute, DisputeStatus.RESOLVED_CREDIT, reason.strip(), actor, now)
    audit.record(org=org, actor=actor, at=now, verb="dispute.resolved", subject=dispute, customer=dispute.customer,
                 summary=f"Dispute #{dispute.pk} resolved by credit note {number} for "
                         f"{money_text(amount_minor, dispute.currency)}: {reason.strip()}")
    return dispute


@transaction.atomic
def dispute_reject(*, org: Organization, dispute: Dispute, explanation: str, actor: Actor,
                   now: datetime) -> Dispute:
    """Disagree, with the explanation the debtor receives; reminders resume."""
    dispute = _locked(org, dispute)
    if len(explanation.strip()) < 10:
        raise ArrangementError("Please explain the rejection to the debtor (at least a sentence).")
    _close(org, dispute, DisputeStatus.REJECTED, explanation.strip(), actor, now)
    invoices = list(dispute.invoices.order_by("due_date", "number"))
    message = send_notice(
        org=org, customer=dispute.customer, template="dispute_rejected", key=f"dispute:{dispute.pk}:rejected",
        ref=f"dispute #{dispute.pk}", on=org_date(org, now), actor=actor, now=now, context={
            "numbers": ", ".join(i.number for i in invoices), "plural": "s" if len(invoices) > 1 else "",
            "opened": dispute.opened_on.isoformat(), "explanation": explanation.strip(),
            "open": money(org, sum(i.open_minor for i in invoices), dispute.currency)})
    audit.record(org=org, actor=actor, at=now, verb="dispute.rejected", subject=dispute, customer=dispute.customer,
                 summary=f"Dispute #{dispute.pk} rejected: {explanation.strip()}",
                 data={"told_by_email": message is not None})
    return dispute


@transaction.atomic
def dispute_resolve(*, org: Organization, dispute: Dispute, resolution: str, actor: Actor,
                    now: datetime) -> Dispute:
    """Close it another way (withdrawn, settled in mediation, ...), saying how."""
    dispute = _locked(org, dispute)
    if not resolution.strip():
        raise ArrangementError("Please say how the dispute was resolved.")
    _close(org, dispute, DisputeStatus.RESOLVED, resolution.strip(), actor, now)
    audit.record(org=org, actor=actor, at=now, verb="dispute.resolved", subject=dispute, customer=dispute.customer,
                 summary=f"Dispute #{dispute.pk} resolved: {resolution.strip()}")
    return dispute


@transaction.atomic
def dispute_refer(*, org: Organization, dispute: Dispute, kind: str, neutral_party: str, referred_on: date,
                  actor: Actor, now: datetime, hearing_on: date | None = None) -> Referral:
    """Send the dispute to a mediator or an arbitrator; the invoices stay held."""
    dispute = _locked(org, dispute)
    if kind not in ReferralKind.values:
        raise ArrangementError("Choose mediation or arbitration.")
    if not neutral_party.strip():
        raise ArrangementError("Please name the mediator or arbitrator.")
    if hearing_on is not None and hearing_on < referred_on:
        raise ArrangementError("The hearing cannot be before the referral.")
    referral = Referral.objects.create(org=org, dispute=dispute, kind=kind, neutral_party=neutral_party.strip(),
                                       referred_on=referred_on, hearing_on=hearing_on)
    dispute.status = DisputeStatus.MEDIATION if kind == ReferralKind.MEDIATION else DisputeStatus.ARBITRATION
    dispute.save(update_fields=["status"])
    audit.record(org=org, actor=actor, at=now, verb="dispute.referred", subject=dispute, customer=dispute.customer,
                 summary=f"Dispute #{dispute.pk} sent to {referral.get_kind_display().lower()} with "
                         f"{referral.neutral_party} on {referred_on}"
                         + (f", hearing {hearing_on}" if hearing_on else ""))
    return referral


@transaction.atomic
def referral_conclude(*, org: Organization, referral: Referral, outcome: str, binding: bool, concluded_on: date,
                      actor: Actor, now: datetime) -> Referral:
    """Record what the mediator or arbitrator decided; the operator then closes the dispute accordingly."""
    check_same_org(org, referral, error=ArrangementError)
    referral = Referral.objects.select_for_update(no_key=True).select_related("dispute__customer").get(pk=referral.pk)
    if referral.concluded_on is not None:
        raise ArrangementError("This referral already has an outcome.")
    if not outcome.strip():
        raise ArrangementError("Please record the outcome.")
    if concluded_on < referral.referred_on:
        raise ArrangementError("The outcome cannot be dated before the referral.")
    referral.outcome, referral.binding, referral.concluded_on = outcome.strip(), binding, concluded_on
    referral.save(update_fields=["outcome", "binding", "concluded_on"])
    dispute = referral.dispute
    audit.record(org=org, actor=actor, at=now, verb="dispute.referral_concluded", subject=dispute,
                 customer=dispute.customer,
                 summary=f"{referral.get_kind_display()} of dispute #{dispute.pk} concluded "
                         f"({'binding' if binding else 'not binding'}): {referral.outcome}")
    return referral


FIELDS = ("max_months", "min_instalment_minor", "max_balance_minor", "promise_horizon_days", "grace_days",
          "reminder_days_before", "dispute_sla_days", "decision_days")


@transaction.atomic
def settings_update(*, org: Organization, values: dict, actor: Actor, now: datetime) -> ArrangementSettings:
    """Change the organization's arrangement limits (keys of ``FIELDS``, non-negative ints)."""
    from recoup.arrangements.selectors import settings_for

    current = settings_for(org)
    before = {f: getattr(current, f) for f in FIELDS}
    for name, value in values.items():
        if name not in FIELDS:
            raise ArrangementError(f"{name}: not an arrangement setting")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ArrangementError(f"{name}: must be a whole number, zero or more")
        setattr(current, name, value)
    if current.max_months < 1:
        raise ArrangementError("max_months: plans need at least one month")
    current.updated_at = now
    current.save()
    after = {f: getattr(current, f) for f in FIELDS}
    audit.record(org=org, actor=actor, at=now, verb="arrangements.settings_updated", subject=current,
                 summary="Arrangement limits: " + ", ".join(f"{k} {v}" for k, v in after.items() if before[k] != v),
                 data={"before": before, "after": after})
    return current
