"""Xero: the Accounting API (api.xro/2.0) as described in shared/specs/xero/xero_accounting.yaml.

Read: Contacts, Invoices (ACCREC only), CreditNotes (ACCRECCREDIT), Payments (ACCRECPAYMENT),
Overpayments and Prepayments (RECEIVE-*), each with ``If-Modified-Since`` and ``page``/``pageSize``,
ordered by ``UpdatedDateUTC``. Written: ``PUT /Payments`` with an ``Idempotency-Key``.
Limits (Xero's published ones, per tenant): 60 calls a minute and 5,000 a day; a 429 carries
``Retry-After``. Webhooks: ``x-xero-signature`` is base64(HMAC-SHA256(webhook key, body)).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from recoup.connections.providers.base import (
    BooksProvider, OAuthEndpoints, Page, PaymentToWrite, RemoteCredit, RemoteCustomer, RemoteInvoice,
    RemotePayment, Tenant, base, header, signed_base64,
)
from recoup.connections.providers.http import ProviderError, money_json
from recoup.core.ratelimit import Limit

LIMITS = (Limit(60, 60.0), Limit(5000, 86400.0))
PAGE_SIZE = 500  # Xero pages up to 1,000 (pageSize): fewer calls against the 60-a-minute limit
# Records changed at the same instant as the last one read are read again on the next sync
# (re-reading is idempotent; skipping one would not be).
OVERLAP = timedelta(seconds=1)

_MSDATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")

STREAMS = {  # stream: (path, list key)
    "contacts": ("Contacts", "Contacts"),
    "invoices": ("Invoices", "Invoices"),
    "credit_notes": ("CreditNotes", "CreditNotes"),
    "payments": ("Payments", "Payments"),
    "overpayments": ("Overpayments", "Overpayments"),
    "prepayments": ("Prepayments", "Prepayments"),
}
WHERE = {
    "invoices": 'Type=="ACCREC"',
    "credit_notes": 'Type=="ACCRECCREDIT"',
    "payments": 'PaymentType=="ACCRECPAYMENT"',
    "overpayments": 'Type=="RECEIVE-OVERPAYMENT"',
    "prepayments": 'Type=="RECEIVE-PREPAYMENT"',
}


def parse_when(value: Any) -> datetime:
    """Xero's ``/Date(1552521600000+0000)/`` or an ISO 8601 text, as an aware UTC datetime."""
    text = str(value)
    match = _MSDATE.fullmatch(text)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=timezone.utc)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_day(value: Any) -> date:
    return parse_when(value).date()


def _decimal(record: Mapping[str, Any], key: str) -> Decimal:
    value = record.get(key, 0)
    if isinstance(value, float):
        raise ValueError(f"{key} read as a float")  # loads() reads every fraction as Decimal
    return Decimal(str(value))


class Xero(BooksProvider):
    name = "xero"
    label = "Xero"
    needs_account = True  # PUT /Payments needs the bank account the money went into
    stream_order = ("contacts", "invoices", "credit_notes", "payments", "overpayments", "prepayments")

    # --- OAuth -----------------------------------------------------------------------------
    def oauth(self) -> OAuthEndpoints:
        return OAuthEndpoints(
            authorize_url=base(self.config, "https://login.xero.com") + "/identity/connect/authorize",
            token_url=base(self.config, "https://identity.xero.com") + "/connect/token",
            scopes=("offline_access", "accounting.transactions", "accounting.contacts.read"),
            pkce=True)

    def api(self) -> str:
        return base(self.config, "https://api.xero.com") + "/api.xro/2.0"

    def tenants(self, *, access_token: str, callback: Mapping[str, str]) -> list[Tenant]:
        rows = self.http.json("GET", base(self.config, "https://api.xero.com") + "/connections",
                              headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"})
        return [Tenant(r["tenantId"], r.get("tenantName") or r["tenantId"]) for r in rows
                if r.get("tenantType", "ORGANISATION") == "ORGANISATION"]

    def headers(self) -> dict[str, str]:
        return {**self.auth_headers(), "xero-tenant-id": self.remote_id}

    # --- reading -------------------------------------------------------------------------------
    def pages(self, *, cursor: Mapping[str, Any]) -> Iterator[Page]:
        for stream in self.stream_order:
            state = dict(cursor.get(stream) or {"since": None, "page": 1, "max_seen": None})
            if state.get("done"):
                continue
            while True:
                rows = self._get(stream, state)
                max_seen = state.get("max_seen")
                for row in rows:
                    seen = parse_when(row["UpdatedDateUTC"]).isoformat() if row.get("UpdatedDateUTC") else None
                    if seen and (max_seen is None or seen > max_seen):
                        max_seen = seen
                records = [r for row in rows for r in self._records(stream, row)]
                if len(rows) < PAGE_SIZE:
                    since = (datetime.fromisoformat(max_seen) - OVERLAP).isoformat() if max_seen else state.get("since")
                    after = {"since": since, "page": 1, "max_seen": max_seen, "done": True}
                    yield Page(stream, records, after, done=True)
                    break
                state = {"since": state.get("since"), "page": state.get("page", 1) + 1, "max_seen": max_seen}
                yield Page(stream, records, dict(state), done=False)

    def _get(self, stream: str, state: Mapping[str, Any]) -> list[dict[str, Any]]:
        path, key = STREAMS[stream]
        params: dict[str, Any] = {"page": state.get("page", 1), "pageSize": PAGE_SIZE, "order": "UpdatedDateUTC ASC"}
        if stream in WHERE:
            params["where"] = WHERE[stream]
        headers = self.headers()
        if state.get("since"):
            headers["If-Modified-Since"] = state["since"]
        body = self.http.json("GET", f"{self.api()}/{path}", params=params, headers=headers)
        return list(body.get(key) or [])

    def _records(self, stream: str, row: dict[str, Any]) -> list[Any]:
        return getattr(self, f"_{stream}")(row)

    def _contacts(self, row: dict[str, Any]) -> list[RemoteCustomer]:
        return [self._customer(row)]

    @staticmethod
    def _customer(row: Mapping[str, Any]) -> RemoteCustomer:
        phones = [p for p in row.get("Phones") or [] if p.get("PhoneNumber")]
        phone = "".join(filter(None, (phones[0].get("PhoneCountryCode"), phones[0].get("PhoneAreaCode"),
                                      phones[0].get("PhoneNumber")))) if phones else ""
        return RemoteCustomer(remote_id=row["ContactID"], version=str(row.get("UpdatedDateUTC", "")),
                              name=row.get("Name") or row["ContactID"], number=row.get("ContactNumber") or "",
                              email=row.get("EmailAddress") or "", phone=phone)

    def _invoices(self, row: dict[str, Any]) -> list[RemoteInvoice]:
        if row.get("Type", "ACCREC") != "ACCREC":
            return []
        status = row.get("Status", "")
        state = {"AUTHORISED": "open", "PAID": "open", "VOIDED": "void", "DELETED": "void"}.get(status, "draft")
        issued = parse_day(row["Date"]) if row.get("Date") else parse_when(row["UpdatedDateUTC"]).date()
        return [RemoteInvoice(
            remote_id=row["InvoiceID"], version=str(row.get("UpdatedDateUTC", "")),
            number=row.get("InvoiceNumber") or row["InvoiceID"][:8], customer=self._customer(row["Contact"]),
            issue_date=issued, due_date=parse_day(row["DueDate"]) if row.get("DueDate") else issued,
            currency=row.get("CurrencyCode") or "", subtotal=_decimal(row, "SubTotal"), tax=_decimal(row, "TotalTax"),
            total=_decimal(row, "Total"), amount_due=_decimal(row, "AmountDue"), state=state,
            reference=row.get("Reference") or "")]

    def _payments(self, row: dict[str, Any]) -> list[RemotePayment]:
        if row.get("PaymentType", "ACCRECPAYMENT") != "ACCRECPAYMENT" or not row.get("Invoice"):
            return []
        invoice = row["Invoice"]
        return [RemotePayment(
            remote_id=row["PaymentID"], version=str(row.get("UpdatedDateUTC", "")),
            invoice_remote_id=invoice["InvoiceID"], date=parse_day(row["Date"]), amount=_decimal(row, "Amount"),
            currency=invoice.get("CurrencyCode") or "", reference=row.get("Reference") or "",
            deleted=row.get("Status") == "DELETED")]

    def _allocations(self, row: dict[str, Any], source: str, id_key: str, number: str) -> list[RemoteCredit]:
        gone = row.get("Status") in ("VOIDED", "DELETED")
        out = []
        for a in row.get("Allocations") or []:
            invoice = a.get("Invoice") or {}
            if not invoice.get("InvoiceID"):
                continue
            out.append(RemoteCredit(
                remote_id=a.get("AllocationID") or f"{row[id_key]}:{invoice['InvoiceID']}:{a.get('Date')}",
                version=str(row.get("UpdatedDateUTC", "")), source=source, number=number,
                invoice_remote_id=invoice["InvoiceID"], date=parse_day(a.get("Date") or row["Date"]),
                amount=_decimal(a, "Amount"), currency=row.get("CurrencyCode") or "",
                deleted=gone or bool(a.get("IsDeleted"))))
        return out

    def _credit_notes(self, row: dict[str, Any]) -> list[RemoteCredit]:
        if row.get("Type", "ACCRECCREDIT") != "ACCRECCREDIT":
            return []
        return self._allocations(row, "credit_note", "CreditNoteID",
                                 row.get("CreditNoteNumber") or row["CreditNoteID"][:8])

    def _overpayments(self, row: dict[str, Any]) -> list[RemoteCredit]:
        return self._allocations(row, "overpayment", "OverpaymentID", f"Overpayment {row['OverpaymentID'][:8]}")

    def _prepayments(self, row: dict[str, Any]) -> list[RemoteCredit]:
        return self._allocations(row, "prepayment", "PrepaymentID", f"Prepayment {row['PrepaymentID'][:8]}")

    # --- writing -------------------------------------------------------------------------------
    def write_payment(self, payment: PaymentToWrite) -> str:
        body = {"Payments": [{"Invoice": {"InvoiceID": payment.invoice_remote_id},
                              "Account": {"Code": payment.account}, "Date": payment.date.isoformat(),
                              "Amount": payment.amount, "Reference": payment.reference}]}
        answer = self.http.json("PUT", f"{self.api()}/Payments", content=money_json(body),
                                headers={**self.headers(), "Content-Type": "application/json",
                                         "Idempotency-Key": payment.key})
        rows = answer.get("Payments") or []
        if not rows or not rows[0].get("PaymentID"):
            raise ProviderError("Xero answered without a PaymentID", permanent=False)
        errors = rows[0].get("ValidationErrors") or []
        if errors:
            raise ProviderError("Xero refused the payment: " + "; ".join(e.get("Message", "") for e in errors),
                                permanent=True)
        return rows[0]["PaymentID"]

    def find_written(self, payment: PaymentToWrite) -> str | None:
        body = self.http.json("GET", f"{self.api()}/Payments", headers=self.headers(),
                              params={"where": f'Reference=="{payment.reference}"', "page": 1})
        for row in body.get("Payments") or []:
            if row.get("Reference") == payment.reference and row.get("Status") != "DELETED":
                return row["PaymentID"]
        return None

    # --- webhooks --------------------------------------------------------------------------------
    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes) -> bool:
        return signed_base64(self.config.webhook_key, body, header(headers, "x-xero-signature"))

    @staticmethod
    def webhook_tenants(body: bytes) -> set[str]:
        """The tenants a (verified) webhook names; empty for Xero's intent-to-receive check."""
        try:
            events = json.loads(body).get("events") or []
        except (ValueError, AttributeError):
            return set()
        return {e.get("tenantId") for e in events if e.get("tenantId")}

    def invoice_url(self, remote_id: str) -> str:
        return base(self.config, "https://go.xero.com") + f"/AccountsReceivable/View.aspx?InvoiceID={remote_id}"

    def customer_url(self, remote_id: str) -> str:
        return base(self.config, "https://go.xero.com") + f"/Contacts/View/{remote_id}"
