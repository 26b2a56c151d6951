"""What every payment provider adapter offers: start a hosted checkout, read a signed webhook."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


class ProviderError(Exception):
    """The provider refused or could not be reached; ``permanent`` when retrying will not help."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class WebhookRejected(ProviderError):
    """A webhook that is not provably from the provider (bad or old signature, malformed body)."""


@dataclass(frozen=True)
class CheckoutRequest:
    amount_minor: int
    currency: str
    description: str
    success_url: str
    cancel_url: str
    reference: str
    idempotency_key: str
    customer_email: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckoutCreated:
    session_id: str
    url: str


@dataclass(frozen=True)
class PaymentEvent:
    """A verified event. ``paid`` is True only when money is confirmed for ``session_id``."""

    event_id: str
    kind: str
    session_id: str = ""
    paid: bool = False
    amount_minor: int = 0
    currency: str = ""
    provider_reference: str = ""


class Provider(Protocol):
    name: str
    checkout_origin: str  # where the payer's browser is sent (for the portal's form-action CSP)

    def create_checkout(self, request: CheckoutRequest) -> CheckoutCreated: ...

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str], *, now: int) -> PaymentEvent: ...
