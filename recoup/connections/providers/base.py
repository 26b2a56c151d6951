"""The one small interface every provider of books implements, and the records it hands over.

A provider turns its API into plain records (``RemoteCustomer``, ``RemoteInvoice``,
``RemotePayment``, ``RemoteCredit``) grouped in pages, each page carrying the cursor to save once
it is committed; it writes a payment back; it checks a webhook's signature; and it names its
OAuth 2.0 endpoints and scopes (the flow itself is Authlib's, in ``oauth.py``).
Amounts are Decimal as the provider states them; ``sync.py`` turns them into minor units and
refuses what the currency cannot hold.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from recoup.connections.providers.http import BooksHttp


@dataclass(frozen=True)
class ProviderConfig:
    """The app registered with the provider, and where its servers are (a fake's URL in tests)."""

    client_id: str = ""
    client_secret: str = ""
    webhook_key: str = ""
    url: str = ""  # one base URL for every endpoint (a local fake); empty: the real servers


@dataclass(frozen=True)
class RemoteCustomer:
    remote_id: str
    version: str
    name: str
    number: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class RemoteInvoice:
    """A sales invoice. ``state``: "open" (issued; paid or not), "void" (voided or deleted there),
    "draft" (not a debt yet)."""

    remote_id: str
    version: str
    number: str
    customer: RemoteCustomer
    issue_date: date
    due_date: date
    currency: str
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    amount_due: Decimal
    state: str
    reference: str = ""


@dataclass(frozen=True)
class RemotePayment:
    """Money received against one invoice (``deleted``: removed or voided there)."""

    remote_id: str
    version: str
    invoice_remote_id: str
    date: date
    amount: Decimal
    currency: str
    reference: str = ""
    deleted: bool = False


@dataclass(frozen=True)
class RemoteCredit:
    """Part of a credit note (or an overpayment or prepayment) applied to one invoice there.

    ``source`` says which: "credit_note" becomes a Recoup credit note, "overpayment" and
    "prepayment" a payment. Credit not applied there is not imported: it is not applied here either.
    """

    remote_id: str
    version: str
    source: str
    number: str
    invoice_remote_id: str
    date: date
    amount: Decimal
    currency: str
    deleted: bool = False


@dataclass(frozen=True)
class RemoteDeletion:
    """A record deleted in the books (QuickBooks CDC, Stripe's ``*.deleted`` events): ``kind`` is
    "customer", "invoice" or "payment"."""

    kind: str
    remote_id: str


@dataclass
class Page:
    """Records of one stream, and the stream's cursor to save once they are committed."""

    stream: str
    records: list[Any]
    cursor: dict[str, Any]
    done: bool


@dataclass(frozen=True)
class PaymentToWrite:
    key: str  # the idempotency key; also in the reference, so a sync recognises the payment
    invoice_remote_id: str
    date: date
    amount: Decimal
    currency: str
    reference: str
    account: str = ""  # Xero bank account code / QuickBooks deposit account id
    customer_remote_id: str = ""  # the invoice's customer in the books (QuickBooks and Stripe need it)


@dataclass(frozen=True)
class OAuthEndpoints:
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    pkce: bool
    extra: Mapping[str, str] = field(default_factory=dict)
    token_auth: str = "client_secret_basic"  # Stripe: "client_secret_post" (its secret key in the form)


@dataclass(frozen=True)
class Tenant:
    remote_id: str
    name: str


class BooksProvider(ABC):
    name: str
    label: str
    stream_order: tuple[str, ...]

    def __init__(self, *, config: ProviderConfig, http: BooksHttp, access_token: str = "", remote_id: str = ""):
        self.config, self.http = config, http
        self.access_token, self.remote_id = access_token, remote_id

    @abstractmethod
    def oauth(self) -> OAuthEndpoints:
        """The provider's authorization and token endpoints, scopes and whether it takes PKCE."""

    @abstractmethod
    def tenants(self, *, access_token: str, callback: Mapping[str, str]) -> list[Tenant]:
        """The organizations an authorization reaches (``callback``: the callback's query, where
        QuickBooks names its realm)."""

    @abstractmethod
    def pages(self, *, cursor: Mapping[str, Any]) -> Iterator[Page]:
        """The changes since ``cursor`` (empty: everything), stream by stream, page by page."""

    @abstractmethod
    def write_payment(self, payment: PaymentToWrite) -> str:
        """Record the payment in the books against its invoice; returns the remote payment id."""

    def find_written(self, payment: PaymentToWrite) -> str | None:
        """The remote id of a payment written earlier with this key, when the provider can say."""
        return None

    @abstractmethod
    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether the webhook was signed with the organization's key."""

    @abstractmethod
    def invoice_url(self, remote_id: str) -> str:
        """Where the invoice is seen in the provider's own app."""

    @abstractmethod
    def customer_url(self, remote_id: str) -> str:
        """Where the customer (contact) is seen in the provider's own app."""

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}", "Accept": "application/json"}


def base(config: ProviderConfig, real: str) -> str:
    return (config.url or real).rstrip("/")


def signed_base64(key: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is base64(HMAC-SHA256(key, body)) (Xero's and Intuit's webhooks)."""
    if not key or not signature:
        return False
    expected = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature)


def header(headers: Mapping[str, str], name: str) -> str:
    """A header by case-insensitive name ('' when absent)."""
    return httpx.Headers(dict(headers)).get(name, "")
