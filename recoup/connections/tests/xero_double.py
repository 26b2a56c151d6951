"""A small in-memory Xero for the connector's unit tests, served through ``httpx.MockTransport``
(or over a real socket by ``serve()``), until and beside the full fake in ``connections/fakes``.

It answers the calls the connector makes as Xero's published description says (paging with
``page``/``pageSize``, ``If-Modified-Since``, ``order=UpdatedDateUTC ASC``, ``PUT /Payments`` with
an ``Idempotency-Key`` answered again with the first result, ``/connections``, the token
endpoint) and can answer 429 with Retry-After. Every request it sees is kept in ``requests``.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def ms(when: datetime) -> str:
    return f"/Date({int(when.timestamp() * 1000)}+0000)/"


class XeroDouble:
    def __init__(self, tenants=(("tenant-1", "Demo Company (UK)"),)):
        self.tenants = list(tenants)
        self.clock = T0
        self.contacts: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.payments: dict[str, dict] = {}
        self.credit_notes: dict[str, dict] = {}
        self.idempotent: dict[str, dict] = {}
        self.requests: list[httpx.Request] = []
        self.storm: Callable[[httpx.Request], bool] = lambda request: False
        self.down = False
        self.after_put: Callable[[], None] | None = None
        self.codes: dict[str, str] = {}
        self.refresh_tokens = {"refresh-1"}
        self._seq = 0

    def new_id(self) -> str:
        """Ids in creation order, the same for the same seeding (so two runs can be compared)."""
        self._seq += 1
        return str(uuid.UUID(int=self._seq))

    # --- seeding (as the provider's own API calls would) --------------------------------------
    def tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def add_contact(self, name: str, email: str = "", number: str = "") -> str:
        cid = self.new_id()
        self.contacts[cid] = {"ContactID": cid, "Name": name, "EmailAddress": email, "ContactNumber": number,
                              "ContactStatus": "ACTIVE", "UpdatedDateUTC": ms(self.tick())}
        return cid

    def add_invoice(self, contact_id: str, number: str, total: str, *, tax: str = "0.00", currency: str = "GBP",
                    date: str = "2026-02-01", due: str = "2026-03-01", status: str = "AUTHORISED") -> str:
        iid = self.new_id()
        total_d, tax_d = Decimal(total), Decimal(tax)
        self.invoices[iid] = {
            "Type": "ACCREC", "InvoiceID": iid, "InvoiceNumber": number, "Status": status,
            "Contact": {"ContactID": contact_id, "Name": self.contacts[contact_id]["Name"]},
            "Date": f"{date}T00:00:00", "DueDate": f"{due}T00:00:00", "CurrencyCode": currency,
            "SubTotal": total_d - tax_d, "TotalTax": tax_d, "Total": total_d, "AmountDue": total_d,
            "AmountPaid": Decimal("0.00"), "UpdatedDateUTC": ms(self.tick())}
        return iid

    def pay(self, invoice_id: str, amount: str, date: str = "2026-03-20", reference: str = "") -> str:
        invoice = self.invoices[invoice_id]
        pid = self.new_id()
        amount_d = Decimal(amount)
        self.payments[pid] = {
            "PaymentID": pid, "PaymentType": "ACCRECPAYMENT", "Status": "AUTHORISED", "Date": f"{date}T00:00:00",
            "Amount": amount_d, "Reference": reference, "UpdatedDateUTC": ms(self.tick()),
            "Invoice": {"InvoiceID": invoice_id, "InvoiceNumber": invoice["InvoiceNumber"],
                        "CurrencyCode": invoice["CurrencyCode"]}}
        invoice["AmountDue"] -= amount_d
        invoice["AmountPaid"] += amount_d
        if invoice["AmountDue"] == 0:
            invoice["Status"] = "PAID"
        invoice["UpdatedDateUTC"] = ms(self.tick())
        return pid

    def void(self, invoice_id: str) -> None:
        self.invoices[invoice_id].update(Status="VOIDED", AmountDue=Decimal("0.00"), UpdatedDateUTC=ms(self.tick()))

    def credit(self, invoice_id: str, number: str, amount: str, date: str = "2026-03-10") -> str:
        invoice = self.invoices[invoice_id]
        cid = self.new_id()
        amount_d = Decimal(amount)
        self.credit_notes[cid] = {
            "CreditNoteID": cid, "CreditNoteNumber": number, "Type": "ACCRECCREDIT", "Status": "PAID",
            "Contact": invoice["Contact"], "Date": f"{date}T00:00:00", "CurrencyCode": invoice["CurrencyCode"],
            "Total": amount_d, "UpdatedDateUTC": ms(self.tick()),
            "Allocations": [{"AllocationID": self.new_id(), "Amount": amount_d, "Date": f"{date}T00:00:00",
                             "Invoice": {"InvoiceID": invoice_id}}]}
        invoice["AmountDue"] -= amount_d
        invoice["UpdatedDateUTC"] = ms(self.tick())
        return cid

    def amounts_due(self) -> dict[str, Decimal]:
        """Per contact name, the sum of AmountDue over its open sales invoices."""
        out: dict[str, Decimal] = {}
        for inv in self.invoices.values():
            if inv["Status"] in ("AUTHORISED", "PAID"):
                name = self.contacts[inv["Contact"]["ContactID"]]["Name"]
                out[name] = out.get(name, Decimal(0)) + inv["AmountDue"]
        return out

    # --- HTTP -------------------------------------------------------------------------------------
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if self.storm(request):
            return httpx.Response(429, headers={"Retry-After": "1"}, json={"Title": "Too many requests"})
        path = request.url.path
        if path == "/connect/token":
            return self._token(request)
        if path.lower() == "/connections":
            return self._json([{"id": str(uuid.uuid4()), "tenantId": t, "tenantName": n, "tenantType": "ORGANISATION",
                                "createdDateUtc": "2026-01-01T00:00:00", "updatedDateUtc": "2026-01-01T00:00:00"}
                               for t, n in self.tenants])
        if not path.startswith("/api.xro/2.0/"):
            return httpx.Response(404)
        if request.headers.get("authorization") != "Bearer access-1" or \
                request.headers.get("xero-tenant-id") not in {t for t, _ in self.tenants}:
            return httpx.Response(401, json={"Title": "Unauthorized"})
        resource = path.rsplit("/", 1)[1]
        if request.method == "PUT" and resource == "Payments":
            return self._put_payment(request)
        table = {"Contacts": self.contacts, "Invoices": self.invoices, "Payments": self.payments,
                 "CreditNotes": self.credit_notes, "Overpayments": {}, "Prepayments": {}}[resource]
        return self._list(request, resource, table)

    def _json(self, body, status: int = 200) -> httpx.Response:
        return httpx.Response(status, content=json.dumps(body, default=_num).replace('"@@', "").replace('@@"', "")
                              .encode(), headers={"Content-Type": "application/json"})

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("grant_type") == "authorization_code" and form.get("code") in self.codes:
            self.codes.pop(form["code"])
        elif form.get("grant_type") == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
            pass
        else:
            return httpx.Response(400, json={"error": "invalid_grant"})
        new = f"refresh-{uuid.uuid4().hex[:6]}"
        self.refresh_tokens.add(new)
        return httpx.Response(200, json={"access_token": "access-1", "refresh_token": new, "expires_in": 1800,
                                         "token_type": "Bearer"})

    def _list(self, request: httpx.Request, resource: str, table: dict) -> httpx.Response:
        rows = sorted(table.values(), key=lambda r: r["UpdatedDateUTC"])
        since = request.headers.get("If-Modified-Since")
        if since:
            cut = datetime.fromisoformat(since)
            rows = [r for r in rows if _when(r["UpdatedDateUTC"]) > cut]
        where = request.url.params.get("where", "")
        if where.startswith("Reference=="):
            rows = [r for r in rows if r.get("Reference") == where.split("==", 1)[1].strip('"')]
        page, size = int(request.url.params.get("page", 1)), int(request.url.params.get("pageSize", 100))
        chunk = rows[(page - 1) * size: page * size]
        return self._json({"Status": "OK", "pagination": {"page": page, "pageSize": size,
                                                          "pageCount": max(1, -(-len(rows) // size)),
                                                          "itemCount": len(rows)}, resource: chunk})

    def _put_payment(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get("Idempotency-Key", "")
        if key and key in self.idempotent:
            return self._json(self.idempotent[key])
        body = json.loads(request.content, parse_float=Decimal)["Payments"][0]
        pid = self.pay(body["Invoice"]["InvoiceID"], str(body["Amount"]), date=body["Date"][:10],
                       reference=body.get("Reference", ""))
        answer = {"Status": "OK", "Payments": [self.payments[pid]]}
        if key:
            self.idempotent[key] = answer
        if self.after_put:
            self.after_put()
        return self._json(answer)

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        """Serve over a real socket on 127.0.0.1 (for a subprocess); returns (server, base URL)."""
        double = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = httpx.Request(self.command, f"http://{self.headers['Host']}{self.path}",
                                        headers=dict(self.headers), content=body)
                try:
                    response = double.handle(request)
                except httpx.ConnectError:
                    self.send_response(503)
                    self.end_headers()
                    return
                self.send_response(response.status_code)
                for k, v in response.headers.items():
                    if k.lower() not in ("content-length", "transfer-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(response.content)))
                self.end_headers()
                self.wfile.write(response.content)

            do_GET = do_PUT = do_POST = _any

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"


def _num(value):
    if isinstance(value, Decimal):
        return f"@@{value}@@"
    raise TypeError(type(value).__name__)


def _when(text: str) -> datetime:
    from recoup.connections.providers.xero import parse_when

    return parse_when(text)
