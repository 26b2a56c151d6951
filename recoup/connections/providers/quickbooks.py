"""QuickBooks Online: the Accounting API v3 (shared/specs/quickbooks-online/openapi.yaml, a third
party's description; Change Data Capture, CreditMemo and webhooks follow Intuit's documentation).

First sync: ``query`` paging (``STARTPOSITION``/``MAXRESULTS``) over Customer, Invoice and Payment.
Later syncs: Change Data Capture since the cursor (``/cdc?entities=...&changedSince=``), which
also reports deletions; a cursor older than CDC's 30 days starts the query pass again.
Payments link invoices line by line; lines that link a CreditMemo mean part of what the payment
applied to invoices was credit: that part becomes a Recoup credit note, the rest a payment.
Written: ``POST /payment?requestid=KEY`` (Intuit's idempotency). Limit: 500 calls a minute per
realm. Webhooks: ``intuit-signature`` = base64(HMAC-SHA256(verifier token, body)).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from recoup.connections.providers.base import (
    BooksProvider, OAuthEndpoints, Page, PaymentToWrite, RemoteCredit, RemoteCustomer, RemoteDeletion, RemoteInvoice,
    RemotePayment, Tenant, base, header, signed_base64,
)
from recoup.connections.providers.http import ProviderError, money_json
from recoup.core.ratelimit import Limit

LIMITS = (Limit(500, 60.0),)
PAGE_SIZE = 1000
CDC_DAYS = 30
STREAMS = {"customers": "Customer", "invoices": "Invoice", "payments": "Payment"}


def _when(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _amount(row: Mapping[str, Any], key: str) -> Decimal:
    return Decimal(str(row.get(key, 0)))


class QuickBooks(BooksProvider):
    name = "quickbooks"
    label = "QuickBooks Online"
    limits = LIMITS
    stream_order = tuple(STREAMS)

    def oauth(self) -> OAuthEndpoints:
        return OAuthEndpoints(
            authorize_url=base(self.config, "https://appcenter.intuit.com") + "/connect/oauth2",
            token_url=base(self.config, "https://oauth.platform.intuit.com") + "/oauth2/v1/tokens/bearer",
            scopes=("com.intuit.quickbooks.accounting",), pkce=False)

    def company(self, realm: str | None = None) -> str:
        return base(self.config, "https://quickbooks.api.intuit.com") + f"/v3/company/{realm or self.remote_id}"

    def tenants(self, *, access_token: str, callback: Mapping[str, str]) -> list[Tenant]:
        realm = callback.get("realmId", "")
        if not realm.isdigit():
            raise ProviderError("QuickBooks did not name the company (realmId) in the callback", permanent=True)
        body = self.http.json("GET", f"{self.company(realm)}/companyinfo/{realm}",
                              headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"})
        info = body.get("CompanyInfo") or {}
        return [Tenant(realm, info.get("CompanyName") or f"QuickBooks company {realm}")]

    # --- reading -------------------------------------------------------------------------------
    def pages(self, *, cursor: Mapping[str, Any]) -> Iterator[Page]:
        complete = all((cursor.get(s) or {}).get("complete") for s in self.stream_order)
        since = (cursor.get("cdc") or {}).get("since")
        if complete and since:
            try:
                yield from self._cdc(since)
                return
            except ProviderError as exc:
                if "2040" not in str(exc):  # changedSince older than CDC's 30 days: read everything again
                    raise
            cursor = {}
        latest: list[str] = []
        for stream in self.stream_order:
            state = dict(cursor.get(stream) or {})
            if state.get("done"):
                if state.get("max_seen"):
                    latest.append(state["max_seen"])
                continue
            if state.get("complete"):
                state = {}  # a new full pass
            start, max_seen = state.get("start", 1), state.get("max_seen")
            while True:
                rows = self._query(STREAMS[stream], start)
                for row in rows:
                    seen = (row.get("MetaData") or {}).get("LastUpdatedTime")
                    if seen and (max_seen is None or _when(seen) > _when(max_seen)):
                        max_seen = seen
                records = [r for row in rows for r in self._records(stream, row)]
                if len(rows) < PAGE_SIZE:
                    yield Page(stream, records, {"complete": True, "done": True, "max_seen": max_seen}, done=True)
                    break
                start += len(rows)
                yield Page(stream, records, {"start": start, "max_seen": max_seen}, done=False)
            if max_seen:
                latest.append(max_seen)
        # The next sync reads the changes since the latest one this pass saw (re-reading is idempotent).
        yield Page("cdc", [], {"since": max(latest, key=_when) if latest else since}, done=True)

    def _query(self, entity: str, start: int) -> list[dict[str, Any]]:
        text = f"SELECT * FROM {entity} ORDERBY Id STARTPOSITION {start} MAXRESULTS {PAGE_SIZE}"
        body = self.http.json("GET", f"{self.company()}/query", params={"query": text, "minorversion": "75"},
                              headers=self.auth_headers())
        return list((body.get("QueryResponse") or {}).get(entity) or [])

    def _cdc(self, since: str) -> Iterator[Page]:
        body = self.http.json("GET", f"{self.company()}/cdc", headers=self.auth_headers(),
                              params={"entities": ",".join(STREAMS.values()), "changedSince": since,
                                      "minorversion": "75"})
        answers = (body.get("CDCResponse") or [{}])[0].get("QueryResponse") or []
        by_kind: dict[str, list[dict]] = {}
        for answer in answers:
            for kind in STREAMS.values():
                by_kind.setdefault(kind, []).extend(answer.get(kind) or [])
        latest = since
        records: list[Any] = []
        for stream, kind in STREAMS.items():
            for row in by_kind.get(kind, []):
                seen = (row.get("MetaData") or {}).get("LastUpdatedTime")
                if seen and _when(seen) > _when(latest):
                    latest = seen
                if row.get("status") == "Deleted":
                    records.append(RemoteDeletion(kind=stream[:-1], remote_id=row["Id"]))
                else:
                    records += self._records(stream, row)
        yield Page("cdc", records, {"since": latest}, done=True)

    def _records(self, stream: str, row: dict[str, Any]) -> list[Any]:
        return getattr(self, f"_{stream}")(row)

    def _customers(self, row: dict[str, Any]) -> list[RemoteCustomer]:
        return [RemoteCustomer(remote_id=row["Id"], version=str(row.get("SyncToken", "")),
                               name=row.get("DisplayName") or row.get("CompanyName") or row["Id"],
                               number="", email=(row.get("PrimaryEmailAddr") or {}).get("Address", ""),
                               phone=(row.get("PrimaryPhone") or {}).get("FreeFormNumber", ""))]

    def _invoices(self, row: dict[str, Any]) -> list[RemoteInvoice]:
        voided = row.get("PrivateNote") == "Voided" and _amount(row, "TotalAmt") == 0
        total = _amount(row, "TotalAmt")
        tax = Decimal(str((row.get("TxnTaxDetail") or {}).get("TotalTax", 0)))
        issued = date.fromisoformat(row["TxnDate"])
        customer = row.get("CustomerRef") or {}
        return [RemoteInvoice(
            remote_id=row["Id"], version=str(row.get("SyncToken", "")), number=row.get("DocNumber") or f"QBO-{row['Id']}",
            customer=RemoteCustomer(customer.get("value", ""), "", customer.get("name") or customer.get("value", "")),
            issue_date=issued, due_date=date.fromisoformat(row["DueDate"]) if row.get("DueDate") else issued,
            currency=(row.get("CurrencyRef") or {}).get("value", ""), subtotal=total - tax, tax=tax, total=total,
            amount_due=_amount(row, "Balance"), state="void" if voided else "open",
            reference=row.get("CustomerMemo", {}).get("value", "") if isinstance(row.get("CustomerMemo"), dict) else "")]

    def _payments(self, row: dict[str, Any]) -> list[Any]:
        invoices = [(Decimal(str(line["Amount"])), line["LinkedTxn"][0]["TxnId"]) for line in row.get("Line") or []
                    if (line.get("LinkedTxn") or [{}])[0].get("TxnType") == "Invoice"]
        credits = [[Decimal(str(line["Amount"])), line["LinkedTxn"][0]["TxnId"]] for line in row.get("Line") or []
                   if (line.get("LinkedTxn") or [{}])[0].get("TxnType") == "CreditMemo"]
        cash = sum((a for a, _ in invoices), Decimal(0)) - sum((c[0] for c in credits), Decimal(0))
        version, day = str(row.get("SyncToken", "")), date.fromisoformat(row["TxnDate"])
        currency = (row.get("CurrencyRef") or {}).get("value", "")
        out: list[Any] = []
        for amount, invoice_id in invoices:
            from_cash = min(amount, max(cash, Decimal(0)))
            cash -= from_cash
            if from_cash:
                out.append(RemotePayment(remote_id=f"{row['Id']}:{invoice_id}", version=version,
                                         invoice_remote_id=invoice_id, date=day, amount=from_cash, currency=currency,
                                         reference=row.get("PrivateNote") or row.get("PaymentRefNum") or ""))
            rest = amount - from_cash
            for credit in credits:
                if rest <= 0:
                    break
                used = min(rest, credit[0])
                if used > 0:
                    credit[0] -= used
                    rest -= used
                    out.append(RemoteCredit(remote_id=f"{row['Id']}:{invoice_id}:{credit[1]}", version=version,
                                            source="credit_note", number=f"CM-{credit[1]}", invoice_remote_id=invoice_id,
                                            date=day, amount=used, currency=currency))
        return out

    # --- writing -------------------------------------------------------------------------------
    def write_payment(self, payment: PaymentToWrite) -> str:
        body = {"CustomerRef": {"value": payment.customer_remote_id}, "TotalAmt": payment.amount,
                "TxnDate": payment.date.isoformat(), "PrivateNote": payment.reference,
                "Line": [{"Amount": payment.amount,
                          "LinkedTxn": [{"TxnId": payment.invoice_remote_id, "TxnType": "Invoice"}]}]}
        if payment.account:
            body["DepositToAccountRef"] = {"value": payment.account}
        answer = self.http.json("POST", f"{self.company()}/payment", content=money_json(body),
                                params={"requestid": payment.key, "minorversion": "75"},
                                headers={**self.auth_headers(), "Content-Type": "application/json"})
        created = answer.get("Payment") or {}
        if not created.get("Id"):
            raise ProviderError("QuickBooks answered without a payment Id")
        return f"{created['Id']}:{payment.invoice_remote_id}"

    # --- webhooks --------------------------------------------------------------------------------
    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes) -> bool:
        return signed_base64(self.config.webhook_key, body, header(headers, "intuit-signature"))

    @staticmethod
    def webhook_tenants(body: bytes) -> set[str]:
        try:
            data = json.loads(body)
        except ValueError:
            return set()
        if isinstance(data, list):  # CloudEvents
            return {str(e.get("intuitaccountid")) for e in data if isinstance(e, dict) and e.get("intuitaccountid")}
        if isinstance(data, dict):
            return {str(n.get("realmId")) for n in data.get("eventNotifications") or [] if n.get("realmId")}
        return set()

    def invoice_url(self, remote_id: str) -> str:
        return base(self.config, "https://app.qbo.intuit.com") + f"/app/invoice?txnId={remote_id}"

    def customer_url(self, remote_id: str) -> str:
        return base(self.config, "https://app.qbo.intuit.com") + f"/app/customerdetail?nameId={remote_id}"
