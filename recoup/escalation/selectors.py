"""Reads for escalation: an account's story, what is owed with interest and fees, the clock of the
latest letter before action, placements and their net recovery, cases and their upcoming dates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Q, Sum

from recoup.arrangements.models import Dispute, PaymentPlan, PlanStatus, Promise, PromiseStatus
from recoup.audit.models import AuditEvent
from recoup.collections.models import Pause
from recoup.compliance.selectors import contract_jurisdiction, limitation_for_invoice, rate_book
from recoup.core.interest import statutory_charges
from recoup.core.money import minor_to_text
from recoup.escalation.models import (
    AgencyCollection, Case, CaseEvent, CaseOutcome, EscalationReview, EscalationSettings, Forum, LetterBeforeAction,
    Placement, PlacementStatus,
)
from recoup.escalation.rules import CA_FREQUENT_THRESHOLD, Checklist, small_claims_checklist
from recoup.ledger.models import ChargeKind, Customer, Invoice, Payment
from recoup.ledger.splits import invoice_parts
from recoup.messaging.models import Task, TaskKind, TaskStatus
from recoup.messaging.selectors import communication_log
from recoup.orgs.models import Organization


def money_text(minor: int, currency: str) -> str:
    return f"{minor_to_text(minor, currency)} {currency}"


def settings_for(org: Organization) -> EscalationSettings:
    return EscalationSettings.objects.for_org(org).first() or EscalationSettings(org=org)


@dataclass
class InvoiceOwed:
    invoice: Invoice
    principal_open_minor: int  # open balance less the charges on it
    charges_minor: int  # fees and interest charged on the ledger (still part of open)
    interest_minor: int  # statutory interest accrued to ``on`` and not yet charged
    interest_how: list[str] = field(default_factory=list)
    limitation: object = None

    @property
    def total_minor(self) -> int:
        return self.invoice.open_minor + self.interest_minor


@dataclass
class Owed:
    currency: str
    invoices: list[InvoiceOwed]

    @property
    def principal_minor(self) -> int:
        return sum(i.principal_open_minor for i in self.invoices)

    @property
    def charges_minor(self) -> int:
        return sum(i.charges_minor for i in self.invoices)

    @property
    def interest_minor(self) -> int:
        return sum(i.interest_minor for i in self.invoices)

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.charges_minor + self.interest_minor


def amount_owed(*, org: Organization, customer: Customer, on: date, invoices: list[Invoice] | None = None) -> Owed:
    """The open invoices (or those given) with charges on the ledger and statutory interest accrued
    to ``on`` and not yet charged (``recoup.core.interest``), each with how it was computed."""
    if invoices is None:
        invoices = list(Invoice.objects.for_org(org).filter(customer=customer, open_minor__gt=0)
                        .order_by("due_date", "number"))
    jurisdiction = contract_jurisdiction(customer, org)
    book = rate_book(org)
    rows = []
    for inv in invoices:
        # Principal and charges as the payment order in force splits them (recoup.core.charges):
        # interest runs on the principal only, and a waived charge is not owed.
        parts = invoice_parts(inv, as_of=on)
        charged_interest = sum(c.charge.amount_minor for c in parts.charges if c.charge.kind == ChargeKind.INTEREST)
        interest, how = 0, []
        if inv.open_minor > 0 and on > inv.due_date:
            try:
                result = statutory_charges(jurisdiction, customer.kind, inv.total_minor, inv.currency, inv.due_date, on,
                                           book, {"interest": charged_interest},
                                           part_payments=list(parts.split.principal_reductions))
            except Exception as exc:  # a missing rate must not hide the rest of the account
                how.append(f"statutory interest not computed: {exc}")
            else:
                if result.blocked:
                    how.append(f"no statutory interest: {result.blocked}")
                else:
                    interest = sum(c.amount_minor for c in result.charges if c.kind == "interest")
                    if result.result is not None:
                        for p in result.result.periods:
                            how.append(f"{p.start.isoformat()} to {p.end.isoformat()}: {p.days} days on "
                                       f"{money_text(p.principal_minor, inv.currency)} at {p.rate} % a year "
                                       f"({p.basis})")
                    if interest:
                        how.append(f"less interest already charged: {money_text(charged_interest, inv.currency)}")
        rows.append(InvoiceOwed(invoice=inv, principal_open_minor=parts.principal_open_minor,
                                charges_minor=sum(c.open_minor for c in parts.open_charges), interest_minor=interest,
                                interest_how=how, limitation=limitation_for_invoice(inv, on=on)))
    currency = invoices[0].currency if invoices else org.base_currency
    return Owed(currency=currency, invoices=rows)


def latest_letter(*, org: Organization, customer: Customer) -> LetterBeforeAction | None:
    return LetterBeforeAction.objects.for_org(org).filter(customer=customer).order_by("-sent_on", "-id").first()


def response_period_running(*, org: Organization, customer: Customer, on: date) -> LetterBeforeAction | None:
    """The letter before action whose response period has not ended by ``on``, if any."""
    return (LetterBeforeAction.objects.for_org(org).filter(customer=customer, deadline__gte=on)
            .order_by("-deadline").first())


def live_placement(*, org: Organization, customer: Customer) -> Placement | None:
    return (Placement.objects.for_org(org).filter(customer=customer, status=PlacementStatus.PLACED)
            .select_related("agency").first())


@dataclass
class PlacementTotals:
    placed_minor: int
    collected_minor: int
    fees_minor: int

    @property
    def net_minor(self) -> int:
        return self.collected_minor - self.fees_minor


def placement_totals(placement: Placement) -> PlacementTotals:
    sums = AgencyCollection.objects.filter(placement=placement).aggregate(a=Sum("amount_minor"), f=Sum("fee_minor"))
    return PlacementTotals(placement.placed_minor, sums["a"] or 0, sums["f"] or 0)


def claims_over_threshold(*, org: Organization, year: int) -> int:
    """Small claims over USD 2,500 filed in California in ``year`` (at most two a year are allowed)."""
    return Case.objects.for_org(org).filter(forum=Forum.SMALL_CLAIMS, jurisdiction="US-CA", filing_date__year=year,
                                            currency="USD", claim_minor__gt=CA_FREQUENT_THRESHOLD).count()


def checklist(*, org: Organization, customer: Customer, on: date, owed: Owed | None = None) -> Checklist:
    owed = owed or amount_owed(org=org, customer=customer, on=on)
    limits = [i.limitation.last_day for i in owed.invoices if i.limitation is not None]
    letter = latest_letter(org=org, customer=customer)
    return small_claims_checklist(
        jurisdiction=contract_jurisdiction(customer, org), currency=owed.currency, amount_minor=owed.total_minor, on=on,
        claimant_individual=settings_for(org).claimant_is_individual,
        claims_over_threshold_this_year=claims_over_threshold(org=org, year=on.year),
        limitation_last_day=min(limits) if limits else None, lba_sent_on=letter.sent_on if letter else None,
        lba_deadline=letter.deadline if letter else None, money=lambda m: money_text(m, owed.currency))


@dataclass
class AccountStory:
    customer: Customer
    on: date
    owed: Owed
    invoices: list[Invoice]
    payments: list[Payment]
    log: list
    plans: list[PaymentPlan]
    promises: list[Promise]
    broken_promises: int
    broken_plans: int
    disputes: list[Dispute]
    letters: list[LetterBeforeAction]
    placements: list[Placement]
    cases: list[Case]
    reviews: list[EscalationReview]
    pauses: list[Pause]
    checklist: Checklist
    running_letter: LetterBeforeAction | None

    @property
    def limitation(self):
        found = [i.limitation for i in self.owed.invoices if i.limitation is not None]
        return min(found, key=lambda lim: lim.last_day) if found else None


def account_story(*, org: Organization, customer: Customer, on: date) -> AccountStory:
    """Everything the operator needs on one page to decide what happens next."""
    if customer.org_id != org.pk:
        raise ValueError(f"customer {customer.ref} does not belong to {org.slug}")
    owed = amount_owed(org=org, customer=customer, on=on)
    plans = list(PaymentPlan.objects.for_org(org).filter(customer=customer).order_by("-created_at"))
    promises = list(Promise.objects.for_org(org).filter(customer=customer).order_by("-created_at"))
    return AccountStory(
        customer=customer, on=on, owed=owed,
        invoices=list(Invoice.objects.for_org(org).filter(customer=customer).order_by("issue_date", "number")),
        payments=list(Payment.objects.for_org(org).filter(customer=customer).order_by("date", "id")),
        log=communication_log(org=org, customer=customer),
        plans=plans, promises=promises,
        broken_promises=sum(p.status == PromiseStatus.BROKEN for p in promises),
        broken_plans=sum(p.status == PlanStatus.BROKEN for p in plans),
        disputes=list(Dispute.objects.for_org(org).filter(customer=customer).prefetch_related("invoices", "referrals")),
        letters=list(LetterBeforeAction.objects.for_org(org).filter(customer=customer)),
        placements=list(Placement.objects.for_org(org).filter(customer=customer).select_related("agency")),
        cases=list(Case.objects.for_org(org).filter(customer=customer)),
        reviews=list(EscalationReview.objects.for_org(org).filter(customer=customer)),
        pauses=list(Pause.objects.for_org(org).filter(customer=customer, lifted_at__isnull=True)
                    .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))),
        checklist=checklist(org=org, customer=customer, on=on, owed=owed),
        running_letter=response_period_running(org=org, customer=customer, on=on),
    )


def open_reviews(*, org: Organization):
    """Escalation review tasks the cycle opened and nobody has decided yet."""
    return (Task.objects.for_org(org).filter(kind=TaskKind.ESCALATION_REVIEW, status=TaskStatus.OPEN)
            .select_related("customer").order_by("created_at", "id"))


def upcoming_case_dates(*, org: Organization, today: date, days: int = 14):
    """Hearings, deadlines and enforcement steps of pending cases from ``today`` to ``days`` ahead."""
    return (CaseEvent.objects.for_org(org).filter(on__gte=today, on__lte=today + timedelta(days=days),
                                                  case__outcome=CaseOutcome.PENDING)
            .exclude(kind__in=("cost", "note")).select_related("case", "case__customer").order_by("on", "id"))


def audit_hashes(*, org: Organization, records: list[object]) -> dict[tuple[str, int], tuple[int, str]]:
    """For each record, its latest audit event's id and hash ("" before the hash chain exists)."""
    wanted: dict[str, set[int]] = {}
    for obj in records:
        wanted.setdefault(type(obj).__name__.lower(), set()).add(obj.pk)
    found: dict[tuple[str, int], tuple[int, str]] = {}
    q = Q(pk__in=[])
    for subject_type, ids in wanted.items():
        q |= Q(subject_type=subject_type, subject_id__in=ids)
    for event in AuditEvent.objects.for_org(org).filter(q).order_by("id"):
        found[(event.subject_type, event.subject_id)] = (event.pk, getattr(event, "hash", "") or "")
    return found


def placed_invoices(org: Organization, invoice_ids) -> dict[int, str]:
    """Which of ``invoice_ids`` are in a live placement with an agency, with "placed with <agency>"
    (registered as messaging's ``invoices_elsewhere`` hook: a queued reminder no longer asks for them)."""
    rows = Placement.objects.for_org(org).filter(status=PlacementStatus.PLACED, invoices__in=list(invoice_ids)) \
        .values_list("invoices", "agency__name")
    return {invoice_id: f"placed with {agency}" for invoice_id, agency in rows}
