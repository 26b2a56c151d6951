"""Use cases that make arrangements: payment plans and disputes, and what every arrangement shares.

Every action is keyword-only, runs in one transaction, checks that what it touches belongs
to the organization, writes one audit event on the customer's timeline, holds or releases
the covered invoices through the cycle's pauses, and tells the operator (a worklist task)
when the debtor acted. A refusal raises ``ArrangementError`` with a sentence fit to show the
debtor. Promises to pay are in ``promise_actions``, settlements in ``settlement_actions``, working a
dispute in ``dispute_actions``, the daily check in ``check``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from recoup.arrangements.models import (
    ArrangementSettings, Dispute, DisputeAttachment, DisputeCategory, Frequency, Instalment, PaymentPlan,
    PlanStatus, Promise, Source,
)
from recoup.arrangements.selectors import busy_invoice_ids, limits_for, settings_for
from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.audit.models import ActorKind
from recoup.collections.actions import pause_add, pause_lift
from recoup.core.instalments import InstalmentError, build_schedule, limit_breaches
from recoup.core.money import minor_to_text
from recoup.ledger.models import Customer, Invoice
from recoup.messaging.actions import task_open
from recoup.messaging.models import TaskKind
from recoup.orgs.models import Organization, check_same_org


class ArrangementError(ValueError):
    """A request refused, with a sentence fit to show the debtor (or the operator)."""


MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
# Content type -> the bytes such a file starts with (None: any text).
ATTACHMENT_TYPES = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff",
                    "text/plain": None}


def debtor_actor(customer: Customer) -> Actor:
    """The actor for something the debtor did in the portal."""
    return Actor(kind=ActorKind.DEBTOR, label=f"{customer.ref} via portal")


def org_date(org: Organization, now: datetime) -> date:
    """The organization's calendar date at ``now``."""
    return now.astimezone(ZoneInfo(org.timezone or "UTC")).date()


def money_text(minor: int, currency: str) -> str:
    return f"{minor_to_text(minor, currency)} {currency}"


def source_of(actor: Actor) -> str:
    return Source.PORTAL if actor.kind == ActorKind.DEBTOR else Source.OPERATOR


def covered_invoices(*, org: Organization, customer: Customer, invoices: Sequence[Invoice],
                     open_only: bool = True) -> tuple[list[Invoice], str]:
    """The customer's invoices an arrangement covers (fresh from the database) and their currency."""
    check_same_org(org, customer, *invoices, error=ArrangementError)
    if not invoices:
        raise ArrangementError("Please choose at least one invoice.")
    ids = {inv.pk for inv in invoices}
    fresh = list(Invoice.objects.for_org(org).filter(pk__in=ids).order_by("due_date", "number"))
    for inv in fresh:
        if inv.customer_id != customer.pk:
            raise ArrangementError(f"Invoice {inv.number} is not one of this customer's invoices.")
        if open_only and inv.open_minor <= 0:
            raise ArrangementError(f"Invoice {inv.number} has nothing left to pay.")
    currencies = {inv.currency for inv in fresh}
    if len(currencies) > 1:
        raise ArrangementError("The chosen invoices are in different currencies; choose invoices in one currency.")
    return fresh, currencies.pop()


def hold(*, org: Organization, customer: Customer, invoices: Sequence[Invoice], label: str, starts_on: date,
         ends_on: date | None, actor: Actor, now: datetime, on: object) -> None:
    """Pause the invoices' collection for arrangement ``on`` (kept in ``on.pauses``)."""
    pauses = [pause_add(org=org, customer=customer, invoice=inv, reason=label, starts_on=starts_on,
                        ends_on=ends_on, actor=actor, now=now) for inv in invoices]
    on.pauses.add(*pauses)


def release(*, org: Organization, on: object, actor: Actor, now: datetime) -> int:
    """Lift the arrangement's pauses still in force (each once); returns how many were lifted."""
    lifted = 0
    for pause in on.pauses.filter(lifted_at__isnull=True):
        pause_lift(org=org, pause=pause, actor=actor, now=now)
        lifted += 1
    return lifted


def notify_operator(*, org: Organization, customer: Customer, text: str, actor: Actor, now: datetime,
                    about=None) -> None:
    """A task for the operator: a dispute or a promise (``about``) goes to the inbox, the rest to the worklist."""
    kind = {Dispute: TaskKind.DISPUTE, Promise: TaskKind.PROMISE}.get(type(about), TaskKind.REVIEW)
    task_open(org=org, customer=customer, kind=kind, text=text, actor=actor, now=now, about=about)


def lock_row(model, obj):
    """``obj``'s row again, locked until the transaction ends (FOR NO KEY UPDATE)."""
    return model.objects.select_for_update(no_key=True).get(pk=obj.pk)


# --- payment plans -------------------------------------------------------------------------------

def _check_plan_request(*, org: Organization, invoices: list[Invoice], frequency: str, first_date: date,
                        today: date, exclude: PaymentPlan | None = None) -> None:
    if frequency not in Frequency.values:
        raise ArrangementError("Please choose weekly, every two weeks or monthly.")
    if first_date < today:
        raise ArrangementError("The first payment cannot be in the past.")
    busy = busy_invoice_ids(org=org, invoice_ids=[i.pk for i in invoices], kind="plan")
    if exclude is not None:
        busy = {k: v for k, v in busy.items() if v != f"plan #{exclude.pk}"}
    for inv in invoices:
        if inv.pk in busy:
            raise ArrangementError(f"Invoice {inv.number} is already in a payment plan ({busy[inv.pk]}).")


def _schedule(*, total: int, instalments: int, frequency: str, first_date: date, down_payment_minor: int,
              today: date):
    try:
        return build_schedule(total_minor=total, count=instalments, frequency=frequency, first_date=first_date,
                              down_payment_minor=down_payment_minor, down_payment_date=today)
    except InstalmentError as exc:
        raise ArrangementError(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None


def _breaches(settings: ArrangementSettings, org: Organization, currency: str, schedule, today: date) -> list[str]:
    reasons = []
    if currency != org.base_currency:
        reasons.append(f"The invoices are in {currency}; plans online are in {org.base_currency}.")
    else:
        reasons += limit_breaches(limits=limits_for(settings), schedule=schedule, today=today)
    if schedule[0].due_date > today + timedelta(days=settings.promise_horizon_days):
        reasons.append(f"The first payment is more than {settings.promise_horizon_days} days away.")
    return reasons


def _write_instalments(org: Organization, plan: PaymentPlan, schedule) -> None:
    plan.instalments.all().delete()
    Instalment.objects.bulk_create([Instalment(org=org, plan=plan, number=s.number, due_date=s.due_date,
                                               amount_minor=s.amount_minor) for s in schedule])


def _plan_hold(*, org: Organization, plan: PaymentPlan, invoices: list[Invoice], settings: ArrangementSettings,
               today: date, actor: Actor, now: datetime) -> None:
    # A proposal holds reminders while it waits for the operator, not for ever.
    ends_on = None if plan.status == PlanStatus.ACTIVE else today + timedelta(days=settings.decision_days)
    hold(org=org, customer=plan.customer, invoices=invoices, label=f"plan #{plan.pk}", starts_on=today,
         ends_on=ends_on, actor=actor, now=now, on=plan)


def _describe(plan: PaymentPlan) -> str:
    down = f" after {money_text(plan.down_payment_minor, plan.currency)} down" if plan.down_payment_minor else ""
    return (f"{plan.instalment_count} {plan.get_frequency_display().lower()} instalments{down}, "
            f"from {plan.first_date}, total {money_text(plan.total_minor, plan.currency)}")


@transaction.atomic
def plan_propose(*, org: Organization, customer: Customer, invoices: Sequence[Invoice], instalments: int,
                 frequency: str, first_date: date, down_payment_minor: int = 0, actor: Actor,
                 now: datetime) -> PaymentPlan:
    """A plan asked for (by the debtor, usually): active at once within the organization's limits,
    else "proposed" for the operator to accept or reject."""
    return _plan_make(org=org, customer=customer, invoices=invoices, instalments=instalments, frequency=frequency,
                      first_date=first_date, down_payment_minor=down_payment_minor, actor=actor, now=now,
                      check_limits=True)


@transaction.atomic
def plan_create(*, org: Organization, customer: Customer, invoices: Sequence[Invoice], instalments: int,
                frequency: str, first_date: date, down_payment_minor: int = 0, actor: Actor, now: datetime,
                note: str = "") -> PaymentPlan:
    """A plan the operator agreed with the debtor: active at once, whatever the online limits."""
    return _plan_make(org=org, customer=customer, invoices=invoices, instalments=instalments, frequency=frequency,
                      first_date=first_date, down_payment_minor=down_payment_minor, actor=actor, now=now,
                      check_limits=False, note=note)


def _plan_make(*, org, customer, invoices, instalments, frequency, first_date, down_payment_minor, actor, now,
               check_limits: bool, note: str = "") -> PaymentPlan:
    today = org_date(org, now)
    customer = lock_row(Customer, customer)
    invs, currency = covered_invoices(org=org, customer=customer, invoices=invoices)
    _check_plan_request(org=org, invoices=invs, frequency=frequency, first_date=first_date, today=today)
    total = sum(inv.open_minor for inv in invs)
    schedule = _schedule(total=total, instalments=instalments, frequency=frequency, first_date=first_date,
                         down_payment_minor=down_payment_minor, today=today)
    settings = settings_for(org)
    reasons = _breaches(settings, org, currency, schedule, today) if check_limits else []
    plan = PaymentPlan.objects.create(
        org=org, customer=customer, currency=currency, total_minor=total, down_payment_minor=down_payment_minor,
        instalment_count=instalments, frequency=frequency, first_date=first_date, start_date=today,
        status=PlanStatus.PROPOSED if reasons else PlanStatus.ACTIVE, source=source_of(actor),
        limit_reasons="\n".join(reasons), note=note, created_by=actor.label, created_at=now,
        decided_at=None if reasons else now, decided_by="" if reasons else "within limits" if check_limits
        else actor.label)
    plan.invoices.set(invs)
    _write_instalments(org, plan, schedule)
    _plan_hold(org=org, plan=plan, invoices=invs, settings=settings, today=today, actor=actor, now=now)
    numbers = ", ".join(inv.number for inv in invs)
    verb = "plan.proposed" if reasons else "plan.started"
    summary = f"Payment plan #{plan.pk} {'proposed' if reasons else 'started'} for {numbers}: {_describe(plan)}"
    audit.record(org=org, actor=actor, at=now, verb=verb, subject=plan, customer=customer, summary=summary,
                 data={"invoices": [i.number for i in invs], "reasons": reasons,
                       "schedule": [[s.number, s.due_date.isoformat(), s.amount_minor] for s in schedule]})
    if plan.source == Source.PORTAL:
        ask = (" It needs your decision: " + " ".join(reasons)) if reasons else \
            " It was within your limits and is active."
        notify_operator(org=org, customer=customer, actor=actor, now=now,
                        text=f"{customer.ref} asked for a payment plan (plan #{plan.pk}) for {numbers}.{ask}")
    return plan


@transaction.atomic
def plan_accept(*, org: Organization, plan: PaymentPlan, actor: Actor, now: datetime) -> PaymentPlan:
    """The operator accepts a proposed plan; its invoices are held until it ends."""
    check_same_org(org, plan, error=ArrangementError)
    plan = lock_row(PaymentPlan, plan)
    if plan.status != PlanStatus.PROPOSED:
        raise ArrangementError(f"Plan #{plan.pk} is {plan.get_status_display().lower()}, not awaiting a decision.")
    release(org=org, on=plan, actor=actor, now=now)
    plan.status, plan.decided_at, plan.decided_by = PlanStatus.ACTIVE, now, actor.label
    plan.save(update_fields=["status", "decided_at", "decided_by"])
    _plan_hold(org=org, plan=plan, invoices=list(plan.invoices.all()), settings=settings_for(org),
               today=org_date(org, now), actor=actor, now=now)
    audit.record(org=org, actor=actor, at=now, verb="plan.accepted", subject=plan, customer=plan.customer,
                 summary=f"Payment plan #{plan.pk} accepted: {_describe(plan)}")
    return plan


def _plan_end(*, org: Organization, plan: PaymentPlan, status: str, verb: str, summary: str, actor: Actor,
              now: datetime, allowed: tuple[str, ...]) -> PaymentPlan:
    check_same_org(org, plan, error=ArrangementError)
    plan = lock_row(PaymentPlan, plan)
    if plan.status not in allowed:
        raise ArrangementError(f"Plan #{plan.pk} is {plan.get_status_display().lower()}.")
    plan.status, plan.ended_on = status, org_date(org, now)
    if plan.decided_at is None:
        plan.decided_at, plan.decided_by = now, actor.label
    plan.save(update_fields=["status", "ended_on", "decided_at", "decided_by"])
    release(org=org, on=plan, actor=actor, now=now)
    audit.record(org=org, actor=actor, at=now, verb=verb, subject=plan, customer=plan.customer, summary=summary)
    return plan


@transaction.atomic
def plan_reject(*, org: Organization, plan: PaymentPlan, reason: str, actor: Actor, now: datetime) -> PaymentPlan:
    """The operator turns down a proposed plan; reminders resume."""
    if not reason.strip():
        raise ArrangementError("Please give a reason.")
    return _plan_end(org=org, plan=plan, status=PlanStatus.REJECTED, verb="plan.rejected", actor=actor, now=now,
                     summary=f"Payment plan #{plan.pk} rejected: {reason.strip()}", allowed=(PlanStatus.PROPOSED,))


@transaction.atomic
def plan_cancel(*, org: Organization, plan: PaymentPlan, reason: str, actor: Actor, now: datetime) -> PaymentPlan:
    """End a proposed or active plan by agreement; reminders resume."""
    if not reason.strip():
        raise ArrangementError("Please give a reason.")
    return _plan_end(org=org, plan=plan, status=PlanStatus.CANCELLED, verb="plan.cancelled", actor=actor, now=now,
                     summary=f"Payment plan #{plan.pk} cancelled: {reason.strip()}",
                     allowed=(PlanStatus.PROPOSED, PlanStatus.ACTIVE))


@transaction.atomic
def plan_update(*, org: Organization, plan: PaymentPlan, instalments: int, frequency: str, first_date: date,
                down_payment_minor: int = 0, actor: Actor, now: datetime) -> PaymentPlan:
    """The operator changes a proposed or active plan's schedule; the total stays what the plan covers."""
    check_same_org(org, plan, error=ArrangementError)
    plan = lock_row(PaymentPlan, plan)
    if plan.status not in (PlanStatus.PROPOSED, PlanStatus.ACTIVE):
        raise ArrangementError(f"Plan #{plan.pk} is {plan.get_status_display().lower()} and can no longer change.")
    if frequency not in Frequency.values:
        raise ArrangementError("Please choose weekly, every two weeks or monthly.")
    before = _describe(plan)
    schedule = _schedule(total=plan.total_minor, instalments=instalments, frequency=frequency,
                         first_date=first_date, down_payment_minor=down_payment_minor,
                         today=min(plan.start_date, first_date))
    plan.instalment_count, plan.frequency, plan.first_date = instalments, frequency, first_date
    plan.down_payment_minor = down_payment_minor
    plan.save(update_fields=["instalment_count", "frequency", "first_date", "down_payment_minor"])
    _write_instalments(org, plan, schedule)
    audit.record(org=org, actor=actor, at=now, verb="plan.updated", subject=plan, customer=plan.customer,
                 summary=f"Payment plan #{plan.pk} changed to {_describe(plan)}",
                 data={"before": before, "schedule": [[s.number, s.due_date.isoformat(), s.amount_minor]
                                                      for s in schedule]})
    return plan


# --- disputes ------------------------------------------------------------------------------------

def _clean_attachments(attachments: Sequence[tuple[str, str, bytes]]) -> list[tuple[str, str, bytes]]:
    if len(attachments) > MAX_ATTACHMENTS:
        raise ArrangementError(f"Please attach at most {MAX_ATTACHMENTS} files.")
    clean = []
    for name, content_type, data in attachments:
        name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or "attachment"
        content_type = (content_type or "").split(";")[0].strip().lower()
        if content_type not in ATTACHMENT_TYPES:
            raise ArrangementError(f"{name}: please attach a PDF, PNG, JPEG or plain text file.")
        if not data:
            raise ArrangementError(f"{name} is empty.")
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise ArrangementError(f"{name} is larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB.")
        magic = ATTACHMENT_TYPES[content_type]
        if magic is not None and not bytes(data).startswith(magic):
            raise ArrangementError(f"{name} is not the kind of file its name says.")
        clean.append((name, content_type, bytes(data)))
    return clean


@transaction.atomic
def dispute_open(*, org: Organization, customer: Customer, invoices: Sequence[Invoice], category: str,
                 amount_minor: int | None, message: str, attachments: Sequence[tuple[str, str, bytes]] = (),
                 actor: Actor, now: datetime) -> Dispute:
    """Raise a dispute about invoices: they are held until the operator resolves it."""
    today = org_date(org, now)
    customer = lock_row(Customer, customer)
    invs, currency = covered_invoices(org=org, customer=customer, invoices=invoices)
    if category not in DisputeCategory.values:
        raise ArrangementError("Please choose what the dispute is about.")
    if not message.strip():
        raise ArrangementError("Please tell us what is wrong.")
    if len(message) > 5000:
        raise ArrangementError("Please keep the message under 5,000 characters.")
    total = sum(inv.total_minor for inv in invs)
    if amount_minor is not None and not 0 < amount_minor <= total:
        raise ArrangementError(f"The disputed amount must be more than zero and at most {money_text(total, currency)}.")
    files = _clean_attachments(attachments)
    dispute = Dispute.objects.create(org=org, customer=customer, category=category, currency=currency,
                                     amount_minor=amount_minor, message=message.strip(), source=source_of(actor),
                                     opened_on=today, created_by=actor.label, created_at=now)
    dispute.invoices.set(invs)
    DisputeAttachment.objects.bulk_create([DisputeAttachment(org=org, dispute=dispute, filename=n, content_type=t,
                                                             data=d, size=len(d)) for n, t, d in files])
    hold(org=org, customer=customer, invoices=invs, label=f"dispute #{dispute.pk}", starts_on=today, ends_on=None,
         actor=actor, now=now, on=dispute)
    numbers = ", ".join(inv.number for inv in invs)
    amount = f" ({money_text(amount_minor, currency)})" if amount_minor else ""
    summary = f"Dispute #{dispute.pk} raised on {numbers}: {dispute.get_category_display().lower()}{amount}"
    audit.record(org=org, actor=actor, at=now, verb="dispute.opened", subject=dispute, customer=customer,
                 summary=summary, data={"invoices": [i.number for i in invs], "category": category,
                                        "amount_minor": amount_minor, "attachments": [n for n, _, _ in files]})
    if dispute.source == Source.PORTAL:
        notify_operator(org=org, customer=customer, actor=actor, now=now, text=f"{customer.ref}: {summary}.",
                        about=dispute)
    return dispute
