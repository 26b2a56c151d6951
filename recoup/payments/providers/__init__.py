"""Payment providers behind one small interface (``base.Provider``); ``for_account`` picks the adapter."""

from __future__ import annotations

from recoup.payments.providers.base import (
    CheckoutCreated, CheckoutRequest, PaymentEvent, Provider, ProviderError, WebhookRejected,
)

__all__ = ["CheckoutCreated", "CheckoutRequest", "PaymentEvent", "Provider", "ProviderError", "WebhookRejected",
           "for_account"]


def for_account(account) -> Provider:
    """The adapter for a ``ProviderAccount`` row."""
    from recoup.payments.providers.stripe import StripeCheckout

    adapters = {"stripe": StripeCheckout}
    try:
        adapter = adapters[account.provider]
    except KeyError:
        raise ProviderError(f"no adapter for provider {account.provider!r}", permanent=True) from None
    return adapter(secret_key=account.secret_key, webhook_secret=account.webhook_secret, api_base=account.api_base)
