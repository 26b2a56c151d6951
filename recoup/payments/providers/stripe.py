"""Stripe Checkout: create a hosted payment page, verify and read Stripe's signed webhooks.

No SDK: two HTTPS calls' worth of protocol, form-encoded as Stripe's API wants.
Amounts are Stripe's "smallest currency unit", which is Recoup's minor unit for
the currencies Recoup bills in.

Webhook signatures are checked exactly as Stripe's libraries do: the header
``Stripe-Signature: t=TIMESTAMP,v1=SIG[,v1=SIG...]`` carries HMAC-SHA256 of
``"{t}.{raw body}"`` keyed with the endpoint's signing secret (hex); any ``v1``
may match (secrets roll over), compared in constant time, and a timestamp more
than ``tolerance`` seconds old is refused so that a captured delivery cannot be
replayed later.
"""

from __future__ import annotations

import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from hashlib import sha256

from recoup.payments.providers.base import (
    CheckoutCreated, CheckoutRequest, PaymentEvent, ProviderError, WebhookRejected,
)

DEFAULT_TOLERANCE = 300
TIMEOUT = 20
PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header Stripe would send for ``payload`` at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(payload: bytes, header: str, secret: str, *, now: int,
                     tolerance: int = DEFAULT_TOLERANCE) -> int:
    """Check a ``Stripe-Signature`` header; return its timestamp or raise WebhookRejected."""
    timestamp, signatures = None, []
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise WebhookRejected("Unable to extract timestamp and signatures from header") from None
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise WebhookRejected("Unable to extract timestamp and signatures from header")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, sha256).hexdigest()
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise WebhookRejected("No signatures found matching the expected signature for payload")
    if tolerance and timestamp < now - tolerance:
        raise WebhookRejected("Timestamp outside the tolerance zone")
    return timestamp


def _form(data: Mapping, prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's nested form encoding: ``line_items[0][price_data][currency]=eur``."""
    out: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            out += _form(value, name)
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                out += _form(item, f"{name}[{i}]") if isinstance(item, Mapping) else [(f"{name}[{i}]", str(item))]
        elif value is not None and value != "":
            out.append((name, str(value)))
    return out


class StripeCheckout:
    name = "stripe"

    def __init__(self, *, secret_key: str, webhook_secret: str, api_base: str = "https://api.stripe.com",
                 tolerance: int = DEFAULT_TOLERANCE):
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.api_base = api_base.rstrip("/")
        self.tolerance = tolerance

    @property
    def checkout_origin(self) -> str:
        if urllib.parse.urlsplit(self.api_base).hostname == "api.stripe.com":
            return "https://checkout.stripe.com"
        parts = urllib.parse.urlsplit(self.api_base)
        return f"{parts.scheme}://{parts.netloc}"

    def create_checkout(self, request: CheckoutRequest) -> CheckoutCreated:
        body = _form({
            "mode": "payment",
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "client_reference_id": request.reference,
            "customer_email": request.customer_email,
            "line_items": [{
                "quantity": 1,
                "price_data": {
                    "currency": request.currency.lower(),
                    "unit_amount": request.amount_minor,
                    "product_data": {"name": request.description[:250]},
                },
            }],
            "metadata": dict(request.metadata),
        })
        data = self._post("/v1/checkout/sessions", body, idempotency_key=request.idempotency_key)
        if not data.get("id") or not data.get("url"):
            raise ProviderError("Stripe answered without a session id or URL")
        return CheckoutCreated(session_id=data["id"], url=data["url"])

    def _post(self, path: str, body: list[tuple[str, str]], *, idempotency_key: str) -> dict:
        req = urllib.request.Request(
            self.api_base + path, data=urllib.parse.urlencode(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.secret_key}", "Idempotency-Key": idempotency_key,
                     "Content-Type": "application/x-www-form-urlencoded", "Stripe-Version": "2024-06-20"})
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # noqa: S310 (configured https URL)
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read())["error"]["message"]
            except Exception:  # noqa: BLE001 (any unreadable error body)
                message = exc.reason
            raise ProviderError(f"Stripe refused ({exc.code}): {message}", permanent=400 <= exc.code < 500) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ProviderError(f"Stripe could not be reached: {exc}") from None

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str], *, now: int) -> PaymentEvent:
        verify_signature(payload, headers.get("Stripe-Signature", ""), self.webhook_secret, now=now,
                         tolerance=self.tolerance)
        try:
            event = json.loads(payload)
            event_id, kind = str(event["id"]), str(event["type"])
        except (ValueError, KeyError, TypeError):
            raise WebhookRejected("the webhook body is not a Stripe event") from None
        if kind not in PAID_EVENTS:
            return PaymentEvent(event_id=event_id, kind=kind)
        session = (event.get("data") or {}).get("object") or {}
        return PaymentEvent(
            event_id=event_id, kind=kind, session_id=str(session.get("id", "")),
            paid=session.get("payment_status") == "paid",
            amount_minor=int(session.get("amount_total") or 0),
            currency=str(session.get("currency", "")).upper(),
            provider_reference=str(session.get("payment_intent") or session.get("id", "")),
        )
