"""Stripe Billing through Stripe Connect: the connected account's customers, invoices and credit
notes (shared/specs/stripe/fixtures3.json shows the objects).

First sync: the lists (``limit=100``, ``starting_after``), after noting the newest event, so
what changes during the pass is read again from the events list. Later syncs: ``/v1/events``
newer than the cursor (``ending_before``), applied oldest first. Amounts are integers in the
currency's minor unit; currencies are lower case. A paid invoice is a payment of
``amount_paid`` on ``status_transitions.paid_at``. Written: ``POST /v1/invoices/{id}/pay`` with
``paid_out_of_band=true`` and an ``Idempotency-Key``; Stripe marks a whole invoice paid, so a
part payment is refused by name. Limits: 25 requests a second in test mode, 100 live.
Webhooks: ``Stripe-Signature: t=...,v1=...`` (HMAC-SHA256 of "t.body"), refused when older than
5 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from recoup.connections.providers.base import (
    BooksProvider, OAuthEndpoints, Page, PaymentToWrite, RemoteCredit, RemoteCustomer, RemoteDeletion, RemoteInvoice,
    RemotePayment, Tenant, base, header,
)
from recoup.connections.providers.http import ProviderError
from recoup.core.money import minor_exponent
from recoup.core.ratelimit import Limit

LIMITS = (Limit(25, 1.0),)  # test mode; live mode allows 100 a second
PAGE = 100
TOLERANCE = 300  # seconds a signed webhook stays acceptable
LISTS = {"customers": "customers", "invoices": "invoices", "credit_notes": "credit_notes"}


def _day(stamp: int | None) -> date | None:
    return datetime.fromtimestamp(int(stamp), tz=timezone.utc).date() if stamp else None


def _major(minor: int, currency: str) -> Decimal:
    """Stripe's integer minor units as a Decimal in major units (an unknown currency stays as it is,
    for the sync to refuse by name)."""
    try:
        return Decimal(int(minor)).scaleb(-minor_exponent(currency))
    except ValueError:
        return Decimal(int(minor))


class StripeBilling(BooksProvider):
    name = "stripe_billing"
    label = "Stripe Billing"
    limits = LIMITS
    stream_order = ("customers", "invoices", "credit_notes")

    def oauth(self) -> OAuthEndpoints:
        return OAuthEndpoints(authorize_url=base(self.config, "https://connect.stripe.com") + "/oauth/authorize",
                              token_url=base(self.config, "https://connect.stripe.com") + "/oauth/token",
                              scopes=("read_write",), pkce=False, token_auth="client_secret_post")

    def api(self) -> str:
        return base(self.config, "https://api.stripe.com") + "/v1"

    def tenants(self, *, access_token: str, callback: Mapping[str, str]) -> list[Tenant]:
        account = callback.get("stripe_user_id", "")
        if not account:
            raise ProviderError("Stripe did not name the connected account (stripe_user_id)", permanent=True)
        return [Tenant(account, f"Stripe account {account}")]

    def _get(self, path: str, params: Mapping[str, Any]) -> dict:
        return self.http.json("GET", f"{self.api()}/{path}", params=dict(params), headers=self.auth_headers())

    # --- reading -------------------------------------------------------------------------------
    def pages(self, *, cursor: Mapping[str, Any]) -> Iterator[Page]:
        events = dict(cursor.get("events") or {})
        complete = all((cursor.get(s) or {}).get("complete") for s in self.stream_order)
        if complete and "after" in events:
            yield from self._events(events["after"])
            return
        if "after" not in events:
            newest = self._get("events", {"limit": 1}).get("data") or []
            events = {"after": newest[0]["id"] if newest else ""}
            yield Page("events", [], events, done=False)
        for stream in self.stream_order:
            state = dict(cursor.get(stream) or {})
            if state.get("done"):
                continue
            after = "" if state.get("complete") else state.get("after", "")
            while True:
                params: dict[str, Any] = {"limit": PAGE}
                if after:
                    params["starting_after"] = after
                if stream == "invoices":
                    params["status"] = None
                body = self._get(LISTS[stream], {k: v for k, v in params.items() if v is not None})
                rows = body.get("data") or []
                records = [r for row in rows for r in self._records(stream, row)]
                if not body.get("has_more"):
                    yield Page(stream, records, {"complete": True, "done": True}, done=True)
                    break
                after = rows[-1]["id"]
                yield Page(stream, records, {"after": after}, done=False)
        yield from self._events(events.get("after", ""))

    def _events(self, after: str) -> Iterator[Page]:
        while True:
            # Newer than the cursor; with none yet (an account with no events when connected), the newest.
            body = self._get("events", {"limit": PAGE, **({"ending_before": after} if after else {})})
            rows = list(reversed(body.get("data") or []))  # newest first in the answer: apply oldest first
            if not rows:
                yield Page("events", [], {"after": after}, done=True)
                return
            records: list[Any] = []
            for event in rows:
                records += self._event_records(event)
            after = rows[-1]["id"]
            yield Page("events", records, {"after": after}, done=not body.get("has_more"))
            if not body.get("has_more"):
                return

    def _event_records(self, event: dict) -> list[Any]:
        kind, obj = event.get("type", ""), (event.get("data") or {}).get("object") or {}
        if kind == "invoice.deleted":
            return [RemoteDeletion("invoice", obj["id"])]
        if kind.startswith("invoice."):
            return self._invoices(obj)
        if kind.startswith("customer.") and obj.get("object") == "customer":
            return [] if kind == "customer.deleted" else self._customers(obj)
        if kind.startswith("credit_note."):
            return self._credit_notes(obj)
        return []

    def _records(self, stream: str, row: dict[str, Any]) -> list[Any]:
        return getattr(self, f"_{stream}")(row)

    def _customers(self, row: dict[str, Any]) -> list[RemoteCustomer]:
        return [RemoteCustomer(remote_id=row["id"], version="", name=row.get("name") or row.get("email") or row["id"],
                               email=row.get("email") or "", phone=row.get("phone") or "")]

    def _invoices(self, row: dict[str, Any]) -> list[Any]:
        currency = (row.get("currency") or "").upper()
        status = row.get("status")
        state = {"draft": "draft", "void": "void"}.get(status, "open")
        total = int(row.get("total") or 0)
        tax = sum(int(t.get("amount") or 0) for t in row.get("total_taxes") or [])
        issued = _day(row.get("status_transitions", {}).get("finalized_at") or row.get("created")) or date(1970, 1, 1)
        customer = row.get("customer") or ""
        customer_id = customer if isinstance(customer, str) else customer.get("id", "")
        version = f"{status}:{row.get('amount_paid')}:{row.get('amount_remaining')}:{row.get('due_date')}"
        out: list[Any] = [RemoteInvoice(
            remote_id=row["id"], version=version, number=row.get("number") or row["id"],
            customer=RemoteCustomer(customer_id, "", row.get("customer_name") or customer_id),
            issue_date=issued, due_date=_day(row.get("due_date")) or issued, currency=currency,
            subtotal=_major(total - tax, currency), tax=_major(tax, currency), total=_major(total, currency),
            amount_due=_major(int(row.get("amount_remaining") or 0), currency), state=state)]
        paid = int(row.get("amount_paid") or 0)
        if status == "paid" and paid > 0:
            paid_on = _day(row.get("status_transitions", {}).get("paid_at")) or issued
            out.append(RemotePayment(remote_id=f"paid:{row['id']}", version="", invoice_remote_id=row["id"],
                                     date=paid_on, amount=_major(paid, currency), currency=currency,
                                     reference=(row.get("metadata") or {}).get("recoup_reference", "")))
        return out

    def _credit_notes(self, row: dict[str, Any]) -> list[RemoteCredit]:
        currency = (row.get("currency") or "").upper()
        invoice = row.get("invoice") or ""
        invoice_id = invoice if isinstance(invoice, str) else invoice.get("id", "")
        return [RemoteCredit(remote_id=row["id"], version="", source="credit_note", number=row.get("number") or row["id"],
                             invoice_remote_id=invoice_id, date=_day(row.get("created")) or date(1970, 1, 1),
                             amount=_major(int(row.get("amount") or 0), currency), currency=currency,
                             deleted=row.get("status") == "void")]

    # --- writing -------------------------------------------------------------------------------
    def write_payment(self, payment: PaymentToWrite) -> str:
        invoice = self._get(f"invoices/{payment.invoice_remote_id}", {})
        remaining = _major(int(invoice.get("amount_remaining") or 0), payment.currency)
        if invoice.get("status") == "paid":
            return f"paid:{payment.invoice_remote_id}"
        if remaining != payment.amount:
            raise ProviderError(f"Stripe marks a whole invoice paid: {payment.amount} {payment.currency} is not the "
                                f"{remaining} still open on {invoice.get('number') or payment.invoice_remote_id}",
                                permanent=True)
        self.http.json("POST", f"{self.api()}/invoices/{payment.invoice_remote_id}/pay",
                       content=urlencode({"paid_out_of_band": "true"}).encode(),
                       headers={**self.auth_headers(), "Content-Type": "application/x-www-form-urlencoded",
                                "Idempotency-Key": payment.key})
        return f"paid:{payment.invoice_remote_id}"

    # --- webhooks --------------------------------------------------------------------------------
    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes) -> bool:
        return False  # Stripe's signature carries a time: verify_webhook_at

    def verify_webhook_at(self, *, headers: Mapping[str, str], body: bytes, now: datetime) -> bool:
        parts = [p.split("=", 1) for p in header(headers, "Stripe-Signature").split(",") if "=" in p]
        stamp = next((v for k, v in parts if k == "t"), "")
        signatures = [v for k, v in parts if k == "v1"]
        if not self.config.webhook_key or not stamp.isdigit() or not signatures:
            return False
        if abs(now.timestamp() - int(stamp)) > TOLERANCE:
            return False
        expected = hmac.new(self.config.webhook_key.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        return any(hmac.compare_digest(expected, s) for s in signatures)

    @staticmethod
    def webhook_tenants(body: bytes) -> set[str]:
        try:
            event = json.loads(body)
        except ValueError:
            return set()
        return {event["account"]} if isinstance(event, dict) and event.get("account") else set()

    def invoice_url(self, remote_id: str) -> str:
        return base(self.config, "https://dashboard.stripe.com") + f"/invoices/{remote_id}"

    def customer_url(self, remote_id: str) -> str:
        return base(self.config, "https://dashboard.stripe.com") + f"/customers/{remote_id}"
