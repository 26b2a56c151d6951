"""Use cases that write payments state: provider accounts, checkout sessions, webhooks received.

A confirmed card payment is recorded and allocated at once through
``recoup.ledger.actions.payment_record`` (which lowers the invoices' open
balances, so the cycle stops chasing them), lands on the customer's timeline
and opens a task for the operator. A webhook that fails verification writes
nothing; one already seen (same event id) changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.core.money import format_money, from_minor
from recoup.ledger.actions import payment_record
from recoup.ledger.models import Customer, Invoice, InvoiceStatus, PaymentMethod
from recoup.messaging.actions import task_open
from recoup.messaging.models import TaskKind
from recoup.orgs.models import Organization, check_same_org
from recoup.payments.models import (
    CheckoutSession, CheckoutStatus, ProviderAccount, ProviderName, WebhookEvent, WebhookOutcome,
)
from recoup.payments.providers import CheckoutRequest, ProviderError, WebhookRejected, for_account


class PaymentsError(ValueError):
    """A payments request Recoup refuses, with a sentence fit to show the payer or operator."""


def _same_org(org: Organization, *objs: object) -> None:
    check_same_org(org, *objs, error=PaymentsError)


def _money(minor: int, currency: str) -> str:
    return format_money(from_minor(minor, currency), currency)


@transaction.atomic
def provider_configure(*, org: Organization, secret_key: str, webhook_secret: str, actor: Actor, now: datetime,
                       provider: str = ProviderName.STRIPE, api_base: str = "https://api.stripe.com",
                       enabled: bool = True) -> ProviderAccount:
    """Set (or replace) the organization's card payment provider keys."""
    if provider not in ProviderName.values:
        raise PaymentsError(f"provider: {provider!r} is not one of {', '.join(ProviderName.values)}")
    if not secret_key.strip() or not webhook_secret.strip():
        raise PaymentsError("secret_key and webhook_secret: both are needed")
    if not api_base.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise PaymentsError(f"api_base: {api_base!r} must be an https:// URL (or a local fake)")
    account, created = ProviderAccount.objects.update_or_create(
        org=org, provider=provider,
        defaults={"secret_key": secret_key.strip(), "webhook_secret": webhook_secret.strip(),
                  "api_base": api_base.rstrip("/"), "enabled": enabled, "updated_at": now})
    audit.record(org=org, actor=actor, at=now, verb="payments.provider_configured", subject=account,
                 summary=f"{account.get_provider_display()} {'set up' if created else 'keys changed'}"
                         f" ({'enabled' if enabled else 'disabled'}, API {account.api_base})",
                 data={"provider": provider, "api_base": account.api_base, "enabled": enabled})
    return account


def checkout_start(*, org: Organization, customer: Customer, invoices: Sequence[Invoice], success_url: str,
                   cancel_url: str, actor: Actor, now: datetime) -> CheckoutSession:
    """Open a hosted card checkout for the open balance of ``invoices`` (one currency).

    ``success_url`` may contain ``{CHECKOUT_SESSION_ID}``. The provider is called
    before anything is written: a provider failure leaves no row behind.
    Raises PaymentsError with a sentence for the payer.
    """
    _same_org(org, customer, *invoices)
    account = ProviderAccount.objects.for_org(org).filter(enabled=True).first()
    if account is None:
        raise PaymentsError("Card payment is not available; please pay by bank transfer.")
    invoices = list(Invoice.objects.for_org(org).filter(pk__in=[i.pk for i in invoices], customer=customer,
                                                        status=InvoiceStatus.OPEN, open_minor__gt=0))
    if not invoices:
        raise PaymentsError("Choose at least one open invoice to pay.")
    currencies = {i.currency for i in invoices}
    if len(currencies) > 1:
        raise PaymentsError("Pay invoices in one currency at a time.")
    currency = currencies.pop()
    amount = sum(i.open_minor for i in invoices)
    numbers = sorted(i.number for i in invoices)
    provider = for_account(account)
    try:
        created = provider.create_checkout(CheckoutRequest(
            amount_minor=amount, currency=currency,
            description=f"{org.legal_name}: invoice{'s' if len(numbers) > 1 else ''} {', '.join(numbers)}"[:250],
            success_url=success_url, cancel_url=cancel_url, reference=f"{org.slug}:{customer.ref}",
            idempotency_key=f"recoup-{org.pk}-{customer.pk}-{'-'.join(str(i.pk) for i in invoices)}-{amount}-{now.timestamp():.0f}",
            customer_email=next((c.email for c in customer.contacts.all() if c.email), ""),
            metadata={"org": org.slug, "customer": customer.ref, "invoices": ",".join(numbers)[:500]},
        ))
    except ProviderError as exc:
        raise PaymentsError("Card payment is not available just now; please try again later or pay by "
                            f"bank transfer. ({exc})") from None
    with transaction.atomic():
        session = CheckoutSession.objects.create(
            org=org, customer=customer, provider=account.provider, provider_session_id=created.session_id,
            url=created.url, amount_minor=amount, currency=currency,
            invoice=invoices[0] if len(invoices) == 1 else None, invoice_numbers=numbers, created_at=now)
        audit.record(org=org, actor=actor, at=now, verb="payment.checkout_started", subject=session,
                     customer=customer, summary=f"Card payment of {_money(amount, currency)} started for "
                                                f"{', '.join(numbers)}",
                     data={"provider": account.provider, "session": created.session_id, "amount_minor": amount})
    return session


def webhook_receive(*, org: Organization, provider: str, payload: bytes, headers: Mapping[str, str],
                    now: datetime) -> WebhookOutcome:
    """Verify and act on one provider webhook. Raises WebhookRejected (nothing written) when unverified."""
    account = ProviderAccount.objects.for_org(org).filter(provider=provider).first()
    if account is None:
        raise WebhookRejected("no such provider account")
    event = for_account(account).parse_webhook(payload, headers, now=int(now.timestamp()))
    return _webhook_apply(org=org, provider=provider, event=event, now=now)


@transaction.atomic
def _webhook_apply(*, org: Organization, provider: str, event, now: datetime) -> WebhookOutcome:
    try:
        with transaction.atomic():
            seen = WebhookEvent.objects.create(org=org, provider=provider, event_id=event.event_id, kind=event.kind,
                                               received_at=now, outcome=WebhookOutcome.IGNORED)
    except IntegrityError:
        return WebhookOutcome(WebhookEvent.objects.for_org(org).get(provider=provider, event_id=event.event_id).outcome)
    if not event.session_id or not event.paid:
        return WebhookOutcome.IGNORED
    session = (CheckoutSession.objects.for_org(org).select_for_update(no_key=True)
               .filter(provider=provider, provider_session_id=event.session_id).first())
    if session is None:
        outcome = WebhookOutcome.UNKNOWN_SESSION
    elif session.status == CheckoutStatus.PAID:
        outcome = WebhookOutcome.ALREADY_PAID
    elif event.currency != session.currency or event.amount_minor <= 0:
        outcome = WebhookOutcome.MISMATCH
    else:
        outcome = WebhookOutcome.RECORDED
        _record(org=org, session=session, event=event, now=now)
    seen.outcome, seen.session = outcome, session
    seen.save(update_fields=["outcome", "session"])
    return outcome


def _record(*, org: Organization, session: CheckoutSession, event, now: datetime) -> None:
    actor = Actor.system(f"{session.get_provider_display()} webhook")
    customer = session.customer
    invoice = session.invoice
    if invoice is not None and invoice.open_minor <= 0:
        invoice = None  # paid meanwhile by other means: the money follows the ledger's rule
    payment = payment_record(
        org=org, customer=customer, date=now.astimezone(ZoneInfo(org.timezone)).date(),
        amount_minor=event.amount_minor, currency=session.currency, actor=actor, now=now,
        method=PaymentMethod.CARD, reference=f"{session.provider} {event.provider_reference}"[:140],
        payer=customer.name[:200], invoice=invoice)
    session.status, session.payment, session.paid_at = CheckoutStatus.PAID, payment, now
    session.save(update_fields=["status", "payment", "paid_at"])
    paid = _money(event.amount_minor, session.currency)
    audit.record(org=org, actor=actor, at=now, verb="payment.online_confirmed", subject=session, customer=customer,
                 summary=f"Card payment of {paid} confirmed by {session.get_provider_display()} for "
                         f"{', '.join(session.invoice_numbers)}",
                 data={"event": event.event_id, "session": session.provider_session_id, "payment": payment.pk})
    task_open(org=org, customer=customer, kind=TaskKind.REVIEW, actor=actor, now=now,
              text=f"{customer.name} paid {paid} by card in the portal ({', '.join(session.invoice_numbers)}); "
                   "recorded and allocated.")

