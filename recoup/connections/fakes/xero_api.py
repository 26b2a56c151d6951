"""The Accounting API routes of the Xero fake (``/api.xro/2.0/...``): reads, writes, paging.

A mixin for ``FakeXero`` (see xero.py for the public API). Reads follow Xero's documented
behaviour: ``page`` (1-based) and ``pageSize`` (default 100, at most 1000) with a
``pagination`` block, no ``page`` meaning everything at once (invoices then without line
items, as Xero does); ``If-Modified-Since`` keeps records whose UpdatedDateUTC is at or
after it; ``IDs``, ``Statuses``, ``ContactIDs``, ``includeArchived`` and the ``where``
clauses ``Field=="value"`` (Type, Status, ContactStatus, PaymentType, Reference,
InvoiceNumber, Contact.ContactID and Invoice.InvoiceID with ``Guid("...")``) joined by AND. A ``where`` the fake does not understand is refused with a
400 naming it, never silently ignored. Writes take Xero's wrapper (``{"Invoices": [...]}``)
and honour ``Idempotency-Key``. With several elements in one request, the fake saves the
valid ones and answers 400 listing the invalid (Xero's ``summarizeErrors=true`` refuses the
whole batch): Recoup writes one payment per request, so the difference does not reach it.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from recoup.connections.fakes.server import Request, Response
from recoup.connections.fakes.xero_books import Books, BooksError, msdatetime, public

API = "/api.xro/2.0"
GUID = r"(?P<id>[0-9a-fA-F-]{36})"
WHERE = re.compile(r'\s*(?P<field>[A-Za-z.]+)\s*==\s*(?:"(?P<text>[^"]*)"|[Gg]uid\("(?P<guid>[^"]*)"\))\s*')
WHERE_FIELDS = {"Type", "Status", "ContactStatus", "Contact.ContactID", "InvoiceNumber", "CreditNoteNumber",
                "IsCustomer", "PaymentType", "Reference", "Invoice.InvoiceID"}

# (route collection, Books attribute, id field, wrapper key, has line items)
COLLECTIONS = {
    "Contacts": ("contacts", "ContactID", False),
    "Invoices": ("invoices", "InvoiceID", True),
    "CreditNotes": ("credit_notes", "CreditNoteID", True),
    "Payments": ("payments", "PaymentID", False),
    "Overpayments": ("overpayments", "OverpaymentID", True),
    "Prepayments": ("prepayments", "PrepaymentID", True),
}


class XeroAccountingRoutes:
    api_routes = [
        ("GET", API + r"/Organisation", "api_organisation"),
        ("GET", API + r"/Accounts", "api_accounts"),
        *[("GET", API + f"/{name}", "api_list") for name in COLLECTIONS],
        *[("GET", API + f"/{name}/{GUID}", "api_one") for name in COLLECTIONS],
        ("PUT", API + r"/Contacts", "api_put_contacts"),
        ("POST", API + r"/Contacts", "api_put_contacts"),
        ("POST", API + rf"/Contacts/{GUID}", "api_put_contacts"),
        ("PUT", API + r"/Invoices", "api_put_invoices"),
        ("POST", API + r"/Invoices", "api_put_invoices"),
        ("POST", API + rf"/Invoices/{GUID}", "api_put_invoices"),
        ("PUT", API + r"/CreditNotes", "api_put_credit_notes"),
        ("POST", API + r"/CreditNotes", "api_put_credit_notes"),
        ("POST", API + rf"/CreditNotes/{GUID}", "api_put_credit_notes"),
        ("PUT", API + rf"/(?P<kind>CreditNotes|Overpayments|Prepayments)/{GUID}/Allocations", "api_allocate"),
        ("PUT", API + r"/Payments", "api_put_payments"),
        ("POST", API + r"/Payments", "api_put_payments"),
        ("POST", API + rf"/Payments/{GUID}", "api_delete_payment"),
        ("PUT", API + r"/BankTransactions", "api_bank_transactions"),
    ]

    # -- plumbing -----------------------------------------------------------------------------

    def _tenant_books(self, request: Request) -> Books | Response:
        grant = self._grant(request)
        if isinstance(grant, Response):
            return grant
        tenant_id = request.header("xero-tenant-id")
        if tenant_id not in {c["tenantId"] for c in self.connections_of(grant)}:
            return Response.json(403, {"Type": None, "Title": "Forbidden", "Status": 403,
                                       "Detail": "AuthenticationUnsuccessful"})
        return self.tenants[tenant_id]

    def _envelope(self, key: str, records: list[dict], **extra) -> Response:
        return Response.json(200, {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": "Recoup",
                                   "DateTimeUTC": msdatetime(self.clock()).replace("+0000", ""), **extra,
                                   key: records})

    @staticmethod
    def _validation_error(messages: list[tuple[str, dict]]) -> Response:
        elements = [{"ValidationErrors": [{"Message": m}], **ids} for m, ids in messages]
        return Response.json(400, {"ErrorNumber": 10, "Type": "ValidationException",
                                   "Message": "A validation exception occurred", "Elements": elements})

    def _write(self, request: Request, work) -> Response:
        """Run a write once per Idempotency-Key (per tenant): a repeat gets the first answer."""
        books = self._tenant_books(request)
        if isinstance(books, Response):
            return books
        key = request.header("idempotency-key")
        with self.lock:
            if key and (books.tenant_id, key) in self._idempotent:
                return self._idempotent[(books.tenant_id, key)]
            try:
                payload = request.json()
            except ValueError as exc:
                return self._validation_error([(f"The request body is not valid JSON: {exc}", {})])
            response = work(books, payload, request)
            if key and response.status < 500:
                self._idempotent[(books.tenant_id, key)] = response
            return response

    def _batch(self, books: Books, payload: object, wrapper: str, id_field: str, put, request: Request) -> Response:
        items = payload.get(wrapper) if isinstance(payload, dict) and wrapper in payload else [payload]
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            return self._validation_error([(f"The body must be {{\"{wrapper}\": [...]}}", {})])
        done, failed = [], []
        for item in items:
            if request.params.get("id"):
                item = {**item, id_field: request.params["id"]}
            try:
                done.append(public(put(books, item, self.clock())))
            except BooksError as exc:
                failed.append((str(exc), {"InvoiceID": exc.record_id} if exc.record_id and id_field == "InvoiceID"
                               else {}))
        return self._validation_error(failed) if failed else self._envelope(wrapper, done)

    # -- reads --------------------------------------------------------------------------------

    def api_organisation(self, request: Request) -> Response:
        books = self._tenant_books(request)
        if isinstance(books, Response):
            return books
        return self._envelope("Organisations", [{
            "OrganisationID": books.tenant_id, "Name": books.name, "LegalName": books.name,
            "BaseCurrency": books.currency, "ShortCode": books.short_code, "OrganisationStatus": "ACTIVE",
            "OrganisationType": "COMPANY", "Version": "GLOBAL", "IsDemoCompany": False}])

    def api_accounts(self, request: Request) -> Response:
        books = self._tenant_books(request)
        if isinstance(books, Response):
            return books
        return self._envelope("Accounts", [dict(a) for a in books.accounts])

    def api_one(self, request: Request) -> Response:
        books = self._tenant_books(request)
        if isinstance(books, Response):
            return books
        name = request.path[len(API) + 1:].split("/")[0]
        attribute, _, _ = COLLECTIONS[name]
        record = getattr(books, attribute).get(request.params["id"])
        if record is None:
            return Response.json(404, {"Title": "Not Found", "Status": 404, "Detail": f"{name} not found"})
        return self._envelope(name, [public(record)])

    def api_list(self, request: Request) -> Response:
        books = self._tenant_books(request)
        if isinstance(books, Response):
            return books
        name = request.path[len(API) + 1:]
        attribute, id_field, has_lines = COLLECTIONS[name]
        records = list(getattr(books, attribute).values())
        try:
            records = self._filter(request, records, id_field)
        except ValueError as exc:
            return self._validation_error([(str(exc), {})])
        order = (request.arg("order") or "").strip()
        if order:
            field, _, direction = order.partition(" ")
            if field != "UpdatedDateUTC":
                return self._validation_error([(f"The fake orders by UpdatedDateUTC only, not {field!r}", {})])
            records.sort(key=lambda r: r["_updated"], reverse=direction.strip().upper() == "DESC")
        page = request.arg("page")
        if page is None:
            shaped = [public({k: v for k, v in r.items() if not (has_lines and k == "LineItems"
                                                                  and name == "Invoices")}) for r in records]
            return self._envelope(name, shaped)
        size = min(max(int(request.arg("pageSize") or 100), 1), 1000)
        number = max(int(page), 1)
        chunk = records[(number - 1) * size: number * size]
        pagination = {"page": number, "pageSize": size, "pageCount": -(-len(records) // size),
                      "itemCount": len(records)}
        return self._envelope(name, [public(r) for r in chunk], pagination=pagination)

    def _filter(self, request: Request, records: list[dict], id_field: str) -> list[dict]:
        since = request.header("if-modified-since")
        if since:
            moment = _parse_since(since)
            records = [r for r in records if r["_updated"] >= moment]
        if request.arg("IDs"):
            wanted = set(request.arg("IDs").split(","))
            records = [r for r in records if r[id_field] in wanted]
        if request.arg("Statuses"):
            wanted = set(request.arg("Statuses").split(","))
            records = [r for r in records if r.get("Status") in wanted]
        if request.arg("ContactIDs"):
            wanted = set(request.arg("ContactIDs").split(","))
            records = [r for r in records if r.get("Contact", {}).get("ContactID") in wanted]
        if id_field == "ContactID" and request.arg("includeArchived", "false").lower() != "true":
            records = [r for r in records if r["ContactStatus"] != "ARCHIVED"]
        for field, value in _where(request.arg("where") or ""):
            records = [r for r in records if _field(r, field) == value]
        return records

    # -- writes -------------------------------------------------------------------------------

    def api_put_contacts(self, request: Request) -> Response:
        return self._write(request, lambda b, p, r: self._batch(b, p, "Contacts", "ContactID", Books.put_contact, r))

    def api_put_invoices(self, request: Request) -> Response:
        return self._write(request, lambda b, p, r: self._batch(b, p, "Invoices", "InvoiceID", Books.put_invoice, r))

    def api_put_credit_notes(self, request: Request) -> Response:
        return self._write(request, lambda b, p, r: self._batch(b, p, "CreditNotes", "CreditNoteID",
                                                                Books.put_credit_note, r))

    def api_put_payments(self, request: Request) -> Response:
        return self._write(request, lambda b, p, r: self._batch(b, p, "Payments", "PaymentID", Books.put_payment, r))

    def api_delete_payment(self, request: Request) -> Response:
        def work(books: Books, payload: object, req: Request) -> Response:
            if not isinstance(payload, dict) or payload.get("Status") != "DELETED":
                return self._validation_error([("Only {\"Status\": \"DELETED\"} can be posted to a payment", {})])
            try:
                return self._envelope("Payments", [public(books.delete_payment(req.params["id"], self.clock()))])
            except BooksError as exc:
                return self._validation_error([(str(exc), {})])
        return self._write(request, work)

    def api_allocate(self, request: Request) -> Response:
        kind = {"CreditNotes": "credit note", "Overpayments": "overpayment", "Prepayments": "prepayment"}
        store = {"CreditNotes": "credit_notes", "Overpayments": "overpayments", "Prepayments": "prepayments"}

        def work(books: Books, payload: object, req: Request) -> Response:
            source = getattr(books, store[req.params["kind"]]).get(req.params["id"])
            if source is None:
                return Response.json(404, {"Title": "Not Found", "Status": 404, "Detail": "not found"})
            items = payload.get("Allocations", [payload]) if isinstance(payload, dict) else []
            try:
                done = [public(books.allocate(source, kind[req.params["kind"]], item, self.clock())) for item in items]
            except BooksError as exc:
                return self._validation_error([(str(exc), {"InvoiceID": exc.record_id} if exc.record_id else {})])
            return self._envelope("Allocations", done)
        return self._write(request, work)

    def api_bank_transactions(self, request: Request) -> Response:
        return self._write(request, lambda b, p, r: self._batch(b, p, "BankTransactions", "BankTransactionID",
                                                                Books.receive_money, r))


def _parse_since(value: str) -> datetime:
    """If-Modified-Since as ISO 8601 (the description's date-time; no offset means UTC) or RFC 1123."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            raise ValueError(f"If-Modified-Since {value!r} is not a date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _where(text: str) -> list[tuple[str, str]]:
    clauses = []
    for part in re.split(r"\s+(?:AND|and)\s+|\s*&&\s*", text.strip()) if text.strip() else []:
        match = WHERE.fullmatch(part)
        if not match or match["field"] not in WHERE_FIELDS:
            raise ValueError(f"The Xero fake does not understand the where clause {part!r}")
        clauses.append((match["field"], match["text"] if match["text"] is not None else match["guid"]))
    return clauses


def _field(record: dict, dotted: str) -> str:
    value: object = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return str(value).lower() if isinstance(value, bool) else str(value)
