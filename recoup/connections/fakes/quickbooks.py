"""A local QuickBooks Online: Intuit's OAuth 2.0, the Accounting API v3 parts Recoup uses.

Served from one root (``fake.url``) under Intuit's own paths: ``/connect/oauth2``
(appcenter.intuit.com), ``/oauth2/v1/tokens/bearer`` and ``/oauth2/v1/tokens/revoke``
(oauth.platform.intuit.com), ``/v3/company/<realmId>/...`` (quickbooks.api.intuit.com).

    with FakeQuickBooks(redirect_uris=[CB], clock=FrozenClock(NOW)) as qbo:
        company = qbo.add_company("Acme Inc")
        callback = qbo.approve(authorize_url, company="Acme Inc")   # ?code=...&state=...&realmId=...
        qbo.mark_paid(invoice_id, at=...); qbo.mark_voided(...); qbo.mark_deleted(...)
        qbo.deliver_webhooks(url=...)        # intuit-signature; format="cloudevents" or "legacy"

Public API (stable): ``FakeQuickBooks(client_id, client_secret, redirect_uris, webhook_url,
verifier_token, clock, limits, strict, validate, host, port)``; ``add_company``,
``companies`` (realm id -> ``Company``), ``company(name_or_realm)``; ``approve``, ``deny``,
``authority``; ``seed_bulk`` (quickbooks_seed); ``mark_paid / mark_voided /
mark_deleted(invoice_id, at=...)``; ``deliver_webhooks``, ``sign``; and from
``FakeServer``: ``storm``, ``unreachable``, ``log``, ``violations``, ``check()``.

Published behaviour followed: ``query`` with STARTPOSITION/MAXRESULTS and CDC (see
quickbooks_query.py), ``requestid`` on writes (a repeat answers the first result and
creates nothing), ``SyncToken`` on updates, ``operation=void`` and ``operation=delete``,
500 calls a minute and 10 at once per company (429 ``ThrottleExceeded`` with
``Retry-After``), access tokens for an hour, refresh tokens for 100 days and rotated on
use. PKCE is not part of Intuit's published flow: a ``code_challenge`` is ignored. The
description in shared/specs is a third party's and lacks CDC, CreditMemo, CompanyInfo and
webhooks; for those the fake follows Intuit's documentation (and says so where it does).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import uuid
from datetime import datetime
from urllib.parse import parse_qs

from recoup.connections.fakes import spec
from recoup.connections.fakes.oauth import Authority, Grant, OAuthError, TokenProblem
from recoup.connections.fakes.quickbooks_books import Company, QboError, public, stamp
from recoup.connections.fakes.quickbooks_query import run_cdc, run_query
from recoup.connections.fakes.server import Clock, FakeServer, RateLimit, Request, Response, dumps, post

V3 = r"/v3/company/(?P<realm>\d+)"
KIND_BY_PATH = {"customer": "Customer", "invoice": "Invoice", "payment": "Payment", "creditmemo": "CreditMemo"}
IN_DESCRIPTION = {"customer", "invoice", "payment", "query"}  # paths the third-party file describes


class FakeQuickBooks(FakeServer):
    name = "QuickBooks Online"
    routes = [
        ("GET", r"/connect/oauth2", "authorize_page"),
        ("POST", r"/connect/oauth2", "authorize_submit"),
        ("POST", r"/oauth2/v1/tokens/bearer", "token"),
        ("POST", r"/oauth2/v1/tokens/revoke", "revoke"),
        ("GET", V3 + r"/query", "api_query"),
        ("GET", V3 + r"/cdc", "api_cdc"),
        ("GET", V3 + r"/companyinfo/(?P<id>\d+)", "api_company_info"),
        ("GET", V3 + r"/(?P<kind>customer|invoice|payment|creditmemo)/(?P<id>\d+)", "api_read"),
        ("POST", V3 + r"/(?P<kind>customer|invoice|payment|creditmemo)", "api_write"),
    ]

    def __init__(self, *, client_id: str = "recoup-qbo-client", client_secret: str = "recoup-qbo-secret",
                 redirect_uris: list[str] | None = None, webhook_url: str = "", verifier_token: str = "qbo-verifier",
                 clock: Clock | None = None, limits: bool = True, **kw):
        super().__init__(clock=clock, **kw)
        self.authority = Authority(clock=self.clock, prefix="qbo_", access_ttl=3600, refresh_ttl=100 * 86400,
                                   rotate_refresh=True, pkce=False)
        self.client_id, self.client_secret = client_id, client_secret
        self.authority.register_client(client_id, client_secret, redirect_uris or [])
        self.webhook_url, self.verifier_token = webhook_url, verifier_token
        self.companies: dict[str, Company] = {}
        self._idempotent: dict[tuple[str, str, str], Response] = {}
        if limits:
            self.limits = [RateLimit("minute", 500, 60, lambda r: r.params.get("realm"))]
            self.concurrent_limit = 10

    def add_company(self, name: str, *, currency: str = "USD", realm_id: str | None = None) -> Company:
        company = Company(realm_id=realm_id or str(9130350000000000 + secrets.randbelow(10**9)), name=name,
                          currency=currency)
        self.companies[company.realm_id] = company
        return company

    def company(self, name_or_realm: str) -> Company:
        for company in self.companies.values():
            if name_or_realm in (company.realm_id, company.name):
                return company
        raise KeyError(f"no company {name_or_realm!r} in the QuickBooks fake")

    # -- OAuth 2.0 ----------------------------------------------------------------------------

    def approve(self, authorize_url: str, company: str | None = None) -> str:
        """The redirect after the user picks ``company`` (the first by default) and connects."""
        chosen = self.company(company) if company else next(iter(self.companies.values()))
        return self.authority.approve(authorize_url, chosen.realm_id, {"realmId": chosen.realm_id})

    def deny(self, authorize_url: str) -> str:
        return self.authority.deny(authorize_url)

    def authorize_page(self, request: Request) -> Response:
        params = {k: v[-1] for k, v in request.query.items()}
        try:
            self.authority.check_authorization(params)
        except OAuthError as exc:
            return Response.html(400, "Intuit", f"<main><h1>Error</h1><p>{html.escape(exc.description)}</p></main>")
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in params.items())
        radios = "".join(f'<li><label><input type="radio" name="realm" value="{c.realm_id}"{" checked" if i == 0 else ""}>'
                         f" {html.escape(c.name)}</label></li>" for i, c in enumerate(self.companies.values()))
        return Response.html(200, "Intuit | Connect", (
            f"<main><h1>Connect {html.escape(params.get('client_id', ''))} to QuickBooks</h1>"
            f'<form method="post" action="/connect/oauth2">{hidden}<ul>{radios}</ul>'
            '<button type="submit" name="decision" value="allow">Connect</button> '
            '<button type="submit" name="decision" value="deny">Cancel</button></form></main>'))

    def authorize_submit(self, request: Request) -> Response:
        fields = {k: v[-1] for k, v in parse_qs(request.body.decode(), keep_blank_values=True).items()}
        params = {k: v for k, v in fields.items() if k not in ("realm", "decision")}
        try:
            self.authority.check_authorization(params)
            if fields.get("decision", "allow") != "allow" or fields.get("realm") not in self.companies:
                return Response.redirect(self.authority.deny("/?" + _encode(params)))
            realm = fields["realm"]
            return Response.redirect(self.authority.approve_params(params, realm, {"realmId": realm}))
        except OAuthError as exc:
            return Response.html(400, "Intuit", f"<main><h1>Error</h1><p>{html.escape(exc.description)}</p></main>")

    def token(self, request: Request) -> Response:
        try:
            grant = self.authority.token(request)
        except OAuthError as exc:
            return Response.json(exc.status, {"error": exc.error, "error_description": exc.description})
        left = int((grant.refresh_expires - self.clock()).total_seconds()) if grant.refresh_expires else 0
        return Response.json(200, {"token_type": "bearer", "access_token": grant.access_token,
                                   "expires_in": self.authority.access_ttl, "refresh_token": grant.refresh_token,
                                   "x_refresh_token_expires_in": left})

    def revoke(self, request: Request) -> Response:
        try:
            token = request.json().get("token", "") if request.content_type == "application/json" else \
                request.form().get("token", "")
        except (ValueError, AttributeError):
            token = ""
        grant = self.authority.grant_for_token(token)
        if grant is not None:
            self.authority.revoke(grant)
        return Response(200)

    # -- plumbing -----------------------------------------------------------------------------

    def is_api(self, request: Request) -> bool:
        return request.path.startswith("/v3/")

    def concurrency_key(self, request: Request) -> str | None:
        match = re.match(V3, request.path)
        return match["realm"] if match else None

    def _fault(self, status: int, error: QboError, kind: str = "ValidationFault") -> Response:
        return Response.json(status, {"Fault": {"Error": [{"Message": str(error), "Detail": error.detail,
                                                           "code": error.code, "element": error.element}],
                                                "type": kind}, "time": stamp(self.clock())})

    def _company(self, request: Request) -> Company | Response:
        found = self.authority.bearer(request.header("authorization"))
        if isinstance(found, TokenProblem):
            return Response.json(401, {"fault": {"error": [{
                "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "detail": f"Token {found.reason}", "code": "3200"}], "type": "AUTHENTICATION"},
                "time": stamp(self.clock())})
        realm = request.params["realm"]
        if not isinstance(found, Grant) or found.subject != realm or realm not in self.companies:
            return Response.json(403, {"fault": {"error": [{
                "message": "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                "detail": "The token does not grant access to this company", "code": "3100"}],
                "type": "AUTHORIZATION"}, "time": stamp(self.clock())})
        return self.companies[realm]

    def too_many(self, request: Request, retry_after: int, problem: str) -> Response:
        return Response.json(429, {"fault": {"error": [{
            "message": "message=ThrottleExceeded; errorCode=003001; statusCode=429",
            "detail": "The request limit was reached.", "code": "3001"}], "type": "SERVICE"},
            "time": stamp(self.clock())}, {"Retry-After": str(retry_after)})

    def _answer(self, data: dict) -> Response:
        return Response.json(200, {**data, "time": stamp(self.clock())})

    # -- the API ------------------------------------------------------------------------------

    def api_query(self, request: Request) -> Response:
        company = self._company(request)
        if isinstance(company, Response):
            return company
        try:
            return self._answer(run_query(company, request.arg("query") or ""))
        except QboError as exc:
            return self._fault(400, exc)

    def api_cdc(self, request: Request) -> Response:
        company = self._company(request)
        if isinstance(company, Response):
            return company
        try:
            return self._answer(run_cdc(company, request.arg("entities") or "", request.arg("changedSince") or "",
                                        self.clock()))
        except QboError as exc:
            return self._fault(400, exc)

    def api_company_info(self, request: Request) -> Response:
        company = self._company(request)
        if isinstance(company, Response):
            return company
        return self._answer({"CompanyInfo": {"Id": "1", "CompanyName": company.name, "LegalName": company.name,
                                             "Country": "US", "SyncToken": "0"}})

    def api_read(self, request: Request) -> Response:
        company = self._company(request)
        if isinstance(company, Response):
            return company
        kind = KIND_BY_PATH[request.params["kind"]]
        try:
            return self._answer({kind: public(company.get(kind, request.params["id"]))})
        except QboError as exc:
            return self._fault(400, exc)

    def api_write(self, request: Request) -> Response:
        company = self._company(request)
        if isinstance(company, Response):
            return company
        kind = KIND_BY_PATH[request.params["kind"]]
        request_id = request.arg("requestid") or ""
        with self.lock:
            key = (company.realm_id, kind, request_id)
            if request_id and key in self._idempotent:
                return self._idempotent[key]
            try:
                data = request.json()
                if not isinstance(data, dict):
                    raise QboError("Request has invalid or unsupported property", code="2010")
                response = self._answer({kind: public(self._apply(company, kind, request.arg("operation"), data))})
            except QboError as exc:
                response = self._fault(400, exc)
            except ValueError:
                response = self._fault(400, QboError("Request has invalid or unsupported property", code="2010"))
            if request_id:
                self._idempotent[key] = response
            return response

    def _apply(self, company: Company, kind: str, operation: str | None, data: dict) -> dict:
        now = self.clock()
        if operation == "delete":
            return company.delete(kind, data, now)
        if operation == "void":
            if kind != "Invoice":
                raise QboError(f"The fake voids invoices only, not {kind}", code="6000")
            return company.void_invoice(data, now)
        if operation not in (None, "update", "create"):
            raise QboError(f"Unsupported operation {operation!r}", code="2010")
        save = {"Customer": company.save_customer, "Invoice": company.save_invoice,
                "Payment": company.save_payment, "CreditMemo": company.save_credit_memo}[kind]
        return save(data, now)

    # -- checking against the description -----------------------------------------------------

    def spec_check(self, request: Request, response: Response) -> list[str]:
        match = re.match(V3 + r"/(?P<what>\w+)", request.path)
        if not match:
            return []  # the OAuth endpoints are RFC 6749's, not in the description
        description = spec.quickbooks()
        headers = {k: v for k, v in request.headers.items() if not k.startswith("x-fake-")}
        problems: list[str] = []
        if match["what"] in IN_DESCRIPTION:
            problems += description.check_request(request.method, request.path, query=request.query,
                                                  headers=headers, body=request.body)
            if response.status == 200:  # the description declares no error answers
                problems += description.check_response(request.method, request.path, response.status,
                                                        response.body, query=request.query, headers=headers,
                                                        response_headers=response.headers)
        if response.status == 200:  # every entity answered, also inside query and CDC answers
            problems += [f"{request.method} {request.path}: {p}" for p in self._check_entities(response.data())]
        return problems

    def _check_entities(self, node: object) -> list[str]:
        described = ("Customer", "Invoice", "Payment")  # no CreditMemo or CompanyInfo in the description
        problems: list[str] = []
        if isinstance(node, dict):
            for key, value in node.items():
                rows = value if isinstance(value, list) else [value]
                if key in described:
                    for row in rows:
                        problems += spec.quickbooks().check_schema(key, json.loads(dumps(row)))
                else:
                    problems += self._check_entities(value)
        elif isinstance(node, list):
            for item in node:
                problems += self._check_entities(item)
        return problems

    # -- webhooks -----------------------------------------------------------------------------

    def sign(self, payload: bytes, token: str | None = None) -> str:
        """``intuit-signature``: base64 of HMAC-SHA256 of the raw body keyed with the verifier token."""
        mac = hmac.new((token or self.verifier_token).encode(), payload, hashlib.sha256).digest()
        return base64.b64encode(mac).decode()

    def webhook_payload(self, fmt: str = "cloudevents") -> bytes:
        """Every change not yet delivered: Intuit's CloudEvents array (the format required from
        15 May 2026) or the legacy ``eventNotifications`` envelope."""
        with self.lock:
            events = [(c, change) for c in self.companies.values() for change in c.changes]
            for company in self.companies.values():
                company.changes.clear()
        if fmt == "legacy":
            by_realm: dict[str, list[dict]] = {}
            for company, change in events:
                by_realm.setdefault(company.realm_id, []).append(
                    {"name": change.kind, "id": change.entity_id, "operation": change.operation,
                     "lastUpdated": stamp(change.at)})
            return dumps({"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": entities}}
                                                 for realm, entities in by_realm.items()]})
        past = {"Create": "created", "Update": "updated", "Delete": "deleted", "Void": "voided"}
        return dumps([{"specversion": "1.0", "id": str(uuid.uuid4()), "source": f"intuit.{self.client_id}",
                       "type": f"qbo.{change.kind.lower()}.{past[change.operation]}.v1",
                       "datacontenttype": "application/json", "time": stamp(change.at),
                       "intuitentityid": change.entity_id, "intuitaccountid": company.realm_id, "data": {}}
                      for company, change in events])

    def deliver_webhooks(self, *, url: str | None = None, token: str | None = None, signature: str | None = None,
                         fmt: str = "cloudevents") -> int:
        body = self.webhook_payload(fmt)
        header = signature if signature is not None else self.sign(body, token)
        return post(url or self.webhook_url, body, {"Content-Type": "application/json", "intuit-signature": header})

    # -- controls: what a user does in QuickBooks ---------------------------------------------

    def _of_invoice(self, invoice_id: str) -> tuple[Company, dict]:
        for company in self.companies.values():
            if invoice_id in company.entities["Invoice"]:
                return company, company.entities["Invoice"][invoice_id]
        raise KeyError(f"no invoice {invoice_id} in the QuickBooks fake")

    def mark_paid(self, invoice_id: str, *, at: datetime, amount=None, reference: str = "") -> dict:
        with self.lock:
            company, invoice = self._of_invoice(invoice_id)
            paid = invoice["Balance"] if amount is None else amount
            return company.save_payment({"CustomerRef": invoice["CustomerRef"], "TotalAmt": paid,
                                         "TxnDate": at.date().isoformat(), "PaymentRefNum": reference,
                                         "Line": [{"Amount": paid, "LinkedTxn": [{"TxnId": invoice_id,
                                                                                   "TxnType": "Invoice"}]}]}, at)

    def mark_voided(self, invoice_id: str, *, at: datetime) -> dict:
        with self.lock:
            company, invoice = self._of_invoice(invoice_id)
            return company.void_invoice({"Id": invoice_id, "SyncToken": invoice["SyncToken"]}, at)

    def mark_deleted(self, invoice_id: str, *, at: datetime) -> dict:
        with self.lock:
            company, invoice = self._of_invoice(invoice_id)
            return company.delete("Invoice", {"Id": invoice_id, "SyncToken": invoice["SyncToken"]}, at)


def _encode(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)
