"""The Stripe Checkout adapter against the local fake; webhooks verified exactly as Stripe signs them."""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from recoup.payments.providers import CheckoutRequest, ProviderError, WebhookRejected
from recoup.payments.providers.stripe import StripeCheckout, sign, verify_signature

SECRET = "whsec_acme"


def _request(**kw):
    base = dict(amount_minor=12000, currency="GBP", description="Invoice INV-1", success_url="http://x/ok?s={CHECKOUT_SESSION_ID}",
                cancel_url="http://x/cancel", reference="acme:C1", idempotency_key="k1", metadata={"invoices": "INV-1"})
    return CheckoutRequest(**{**base, **kw})


def test_stripes_own_example_header_verifies_and_a_changed_byte_does_not():
    payload, now = b'{"id": "evt_1"}', 1_700_000_000
    header = sign(payload, SECRET, now)
    assert verify_signature(payload, header, SECRET, now=now + 10) == now
    with pytest.raises(WebhookRejected, match="No signatures found"):
        verify_signature(payload + b" ", header, SECRET, now=now)
    with pytest.raises(WebhookRejected, match="No signatures found"):
        verify_signature(payload, header, "whsec_other", now=now)


def test_any_v1_signature_may_match_and_v0_is_ignored():
    payload, now = b"{}", 1_700_000_000
    good = sign(payload, SECRET, now).split(",")[1]
    assert verify_signature(payload, f"t={now},v0=abc,v1=deadbeef,{good}", SECRET, now=now) == now
    with pytest.raises(WebhookRejected):
        verify_signature(payload, f"t={now},v0={good[3:]}", SECRET, now=now)


def test_an_old_timestamp_is_outside_the_tolerance():
    payload, then = b"{}", 1_700_000_000
    header = sign(payload, SECRET, then)
    assert verify_signature(payload, header, SECRET, now=then + 300)
    with pytest.raises(WebhookRejected, match="tolerance"):
        verify_signature(payload, header, SECRET, now=then + 301)


@pytest.mark.parametrize("header", ["", "t=abc,v1=00", "v1=00", "t=1"])
def test_a_malformed_header_is_refused(header):
    with pytest.raises(WebhookRejected, match="Unable to extract"):
        verify_signature(b"{}", header, SECRET, now=1)


def test_a_session_is_created_on_the_fake_with_stripes_form_encoding(fake_stripe):
    stripe = StripeCheckout(secret_key="sk_test_acme", webhook_secret=SECRET, api_base=fake_stripe.url)
    created = stripe.create_checkout(_request())
    session = fake_stripe.sessions[created.session_id]
    assert created.url == f"{fake_stripe.url}/c/pay/{created.session_id}"
    assert (session["amount_total"], session["currency"], session["client_reference_id"]) == (12000, "gbp", "acme:C1")
    assert session["success_url"] == f"http://x/ok?s={created.session_id}"
    assert session["metadata"] == {"invoices": "INV-1"}
    assert stripe.create_checkout(_request()).session_id == created.session_id  # same idempotency key
    assert stripe.checkout_origin == fake_stripe.url


def test_a_wrong_key_is_a_permanent_error_and_no_server_a_temporary_one(fake_stripe):
    with pytest.raises(ProviderError, match="Invalid API Key") as exc:
        StripeCheckout(secret_key="sk_wrong", webhook_secret=SECRET, api_base=fake_stripe.url).create_checkout(_request())
    assert exc.value.permanent
    with pytest.raises(ProviderError, match="could not be reached") as exc:
        StripeCheckout(secret_key="sk", webhook_secret=SECRET, api_base="http://127.0.0.1:9").create_checkout(_request())
    assert not exc.value.permanent


def _post(client, org, event, *, secret=SECRET, timestamp=None):
    payload = json.dumps(event).encode()
    return client.post(reverse("payments_webhook", args=["stripe", org.slug]), data=payload,
                       content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=sign(payload, secret, timestamp or int(time.time())))


def _paid_session(org, invoice, fake_stripe, system):
    from django.utils import timezone

    from recoup.payments.actions import checkout_start

    session = checkout_start(org=org, customer=invoice.customer, invoices=[invoice], success_url="http://x/ok",
                             cancel_url="http://x/no", actor=system, now=timezone.now())
    obj = dict(fake_stripe.sessions[session.provider_session_id], payment_status="paid", status="complete",
               payment_intent="pi_test_1")
    return session, fake_stripe.event("checkout.session.completed", obj)


def test_a_paid_checkout_is_recorded_and_allocated_once_however_often_it_is_delivered(client, debtor_invoice,
                                                                                      fake_stripe, system):
    from recoup.audit.models import AuditEvent
    from recoup.ledger.models import Payment
    from recoup.messaging.models import Task
    from recoup.payments.models import CheckoutStatus, WebhookEvent

    org = debtor_invoice.org
    session, event = _paid_session(org, debtor_invoice, fake_stripe, system)
    response = _post(client, org, event)
    assert response.status_code == 200 and response.content == b"recorded"
    debtor_invoice.refresh_from_db()
    session.refresh_from_db()
    assert debtor_invoice.open_minor == 0 and debtor_invoice.status == "paid"
    payment = Payment.objects.for_org(org).get()
    assert (payment.amount_minor, payment.method, payment.reference) == (12000, "card", "stripe pi_test_1")
    assert session.status == CheckoutStatus.PAID and session.payment == payment
    assert Task.objects.for_org(org).filter(customer=debtor_invoice.customer, text__contains="paid £120.00").count() == 1
    assert AuditEvent.objects.for_org(org).filter(verb="payment.online_confirmed", customer=debtor_invoice.customer).exists()

    replay = _post(client, org, event)  # Stripe retries, or someone replays a captured delivery
    assert replay.status_code == 200 and replay.content == b"recorded"
    again = dict(event, id="evt_other")  # a second event for the same session
    assert _post(client, org, again).content == b"already_paid"
    assert Payment.objects.for_org(org).count() == 1
    assert WebhookEvent.objects.for_org(org).count() == 2


def test_forged_stale_or_misdirected_webhooks_change_nothing(client, debtor_invoice, fake_stripe, system, org_b):
    from recoup.ledger.models import Payment
    from recoup.payments.actions import provider_configure
    from recoup.payments.models import WebhookEvent

    org = debtor_invoice.org
    _session, event = _paid_session(org, debtor_invoice, fake_stripe, system)
    assert _post(client, org, event, secret="whsec_guess").status_code == 400
    assert _post(client, org, event, timestamp=int(time.time()) - 3600).status_code == 400
    unsigned = client.post(reverse("payments_webhook", args=["stripe", org.slug]), data=json.dumps(event),
                           content_type="application/json")
    assert unsigned.status_code == 400
    # Another organization's endpoint, even correctly signed with its own secret, knows no such session.
    from django.utils import timezone
    provider_configure(org=org_b, secret_key="sk_b", webhook_secret="whsec_b", api_base=fake_stripe.url,
                       actor=system, now=timezone.now())
    assert _post(client, org_b, event, secret="whsec_b").content == b"unknown_session"
    assert _post(client, org_b, event).status_code == 400  # org A's secret does not open org B's endpoint
    assert client.post("/hooks/payments/stripe/nobody/", data="{}", content_type="application/json").status_code == 404
    assert not Payment.objects.exists()
    debtor_invoice.refresh_from_db()
    assert debtor_invoice.open_minor == 12000
    assert not WebhookEvent.objects.for_org(org).exists()


def test_events_recoup_does_not_act_on_are_acknowledged(client, debtor_invoice, fake_stripe):
    event = fake_stripe.event("payment_intent.created", {"id": "pi_1"})
    assert _post(client, debtor_invoice.org, event).content == b"ignored"
    unpaid = fake_stripe.event("checkout.session.completed", {"id": "cs_x", "payment_status": "unpaid"})
    assert _post(client, debtor_invoice.org, unpaid).content == b"ignored"


def test_checkout_refuses_other_customers_invoices_and_mixed_currencies(debtor_invoice, make_customer, make_invoice,
                                                                        system, now):
    from recoup.payments.actions import PaymentsError, checkout_start
    from recoup.payments.models import CheckoutSession

    org = debtor_invoice.org
    other = make_invoice(org, make_customer(org, ref="C2"), "INV-2", "5.00")
    usd = make_invoice(org, debtor_invoice.customer, "INV-3", "5.00", currency="USD")
    with pytest.raises(PaymentsError, match="at least one open invoice"):
        checkout_start(org=org, customer=debtor_invoice.customer, invoices=[other], success_url="http://x",
                       cancel_url="http://x", actor=system, now=now)
    with pytest.raises(PaymentsError, match="one currency"):
        checkout_start(org=org, customer=debtor_invoice.customer, invoices=[debtor_invoice, usd],
                       success_url="http://x", cancel_url="http://x", actor=system, now=now)
    assert not CheckoutSession.objects.exists()


def test_without_a_provider_card_payment_is_not_offered(org_b, make_customer, make_invoice, system, now):
    from recoup.payments.actions import PaymentsError, checkout_start

    invoice = make_invoice(org_b, make_customer(org_b), "B-1", "5.00")
    with pytest.raises(PaymentsError, match="bank transfer"):
        checkout_start(org=org_b, customer=invoice.customer, invoices=[invoice], success_url="http://x",
                       cancel_url="http://x", actor=system, now=now)
