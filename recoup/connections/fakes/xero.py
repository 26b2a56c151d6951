"""A local Xero: OAuth 2.0 identity, /connections and the Accounting API parts Recoup uses.

Everything is served from one root (``fake.url``), under the same paths as Xero's hosts:
``/identity/connect/authorize`` (login.xero.com), ``/connect/token`` and
``/connect/revocation`` (identity.xero.com), ``/connections`` and ``/api.xro/2.0/...``
(api.xero.com). Point a client at it by replacing each of those hosts with ``fake.url``.

    with FakeXero(redirect_uris=["http://testserver/cb"], clock=FrozenClock(NOW)) as xero:
        acme = xero.add_tenant("Acme Ltd", currency="GBP")
        callback = xero.approve(authorize_url)           # or click "Allow access" in a browser
        ...the connector exchanges the code at xero.url + "/connect/token"...
        xero.mark_paid(invoice_id, at=...); xero.deliver_webhooks(); xero.log; xero.violations

Public API (stable): ``FakeXero(client_id, client_secret, redirect_uris, webhook_url,
webhook_key, clock, limits, strict, validate, host, port)``; ``add_tenant``,
``tenants`` (id -> ``Books``), ``tenant(name_or_id)``; ``approve(url, tenants=None)``,
``deny(url)``, ``authority`` (token controls: ``expire_access_tokens()``);
``seed_examples(books)``, ``seed_bulk(books, contacts=, invoices=, now=)`` (xero_seed);
``mark_paid / mark_voided / mark_deleted(invoice_id, at=...)``; ``deliver_webhooks(...)``,
``intent_to_receive(...)``; and from ``FakeServer``: ``storm``, ``unreachable``, ``log``,
``violations``, ``check()``.

Published behaviour followed: pages of 100 (``page``, ``pageSize`` up to 1000, a
``pagination`` block), ``If-Modified-Since`` on UpdatedDateUTC, ``Idempotency-Key`` on
PUT/POST (a repeat answers the first result and changes nothing), limits per tenant of 60
calls a minute, 5,000 a day and 5 at once, and 10,000 a minute per app, each answered
with 429, ``Retry-After`` and ``X-Rate-Limit-Problem``; access tokens live 30 minutes,
refresh tokens 60 days and rotate on use (the used one still works for a 30-minute grace).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import uuid
from datetime import datetime

from recoup.connections.fakes import spec
from recoup.connections.fakes.oauth import Authority, Grant, OAuthError, TokenProblem
from recoup.connections.fakes.server import Clock, FakeServer, RateLimit, Request, Response, dumps, post
from recoup.connections.fakes.xero_api import XeroAccountingRoutes
from recoup.connections.fakes.xero_books import Books

API = "/api.xro/2.0"
DAY = 86400


class FakeXero(XeroAccountingRoutes, FakeServer):
    name = "Xero"
    routes = [
        ("GET", r"/identity/connect/authorize", "authorize_page"),
        ("POST", r"/identity/connect/authorize", "authorize_submit"),
        ("POST", r"/connect/token", "token"),
        ("POST", r"/connect/revocation", "revocation"),
        ("GET", r"/connections", "connections"),
        ("DELETE", r"/connections/(?P<id>[^/]+)", "disconnect"),
        *XeroAccountingRoutes.api_routes,
    ]

    def __init__(self, *, client_id: str = "recoup-xero-client", client_secret: str = "recoup-xero-secret",
                 redirect_uris: list[str] | None = None, webhook_url: str = "", webhook_key: str = "xero-webhook-key",
                 clock: Clock | None = None, limits: bool = True, **kw):
        super().__init__(clock=clock, **kw)
        self.authority = Authority(clock=self.clock, prefix="xero_", access_ttl=1800, refresh_ttl=60 * DAY,
                                   refresh_grace=1800, rotate_refresh=True, pkce=True)
        self.client_id, self.client_secret = client_id, client_secret
        self.authority.register_client(client_id, client_secret, redirect_uris or [])
        self.webhook_url, self.webhook_key = webhook_url, webhook_key
        self.tenants: dict[str, Books] = {}
        self.consents: dict[str, list[dict]] = {}  # authEventId -> the connections it made
        self._idempotent: dict[tuple[str, str], Response] = {}
        self._sequence = 0
        self.limits = [
            RateLimit("minute", 60, 60, lambda r: r.header("xero-tenant-id") or None),
            RateLimit("day", 5000, DAY, lambda r: r.header("xero-tenant-id") or None),
            RateLimit("appminute", 10_000, 60, lambda r: "app"),
        ] if limits else []
        self.concurrent_limit = 5 if limits else 0

    # -- organisations ------------------------------------------------------------------------

    def add_tenant(self, name: str, *, currency: str = "NZD", tenant_id: str | None = None) -> Books:
        from recoup.connections.fakes.xero_seed import default_accounts

        books = Books(tenant_id=tenant_id or str(uuid.uuid4()), name=name, currency=currency,
                      short_code="!" + secrets.token_hex(3))
        books.accounts = default_accounts()
        self.tenants[books.tenant_id] = books
        return books

    def tenant(self, name_or_id: str) -> Books:
        for books in self.tenants.values():
            if name_or_id in (books.tenant_id, books.name):
                return books
        raise KeyError(f"no tenant {name_or_id!r} in the Xero fake")

    # -- OAuth 2.0 ----------------------------------------------------------------------------

    def approve(self, authorize_url: str, tenants: list[str] | None = None) -> str:
        """The redirect a browser gets after ticking ``tenants`` (all by default) and "Allow access"."""
        chosen = [self.tenant(t).tenant_id for t in tenants] if tenants else list(self.tenants)
        return self.authority.approve(authorize_url, self._consent(chosen))

    def deny(self, authorize_url: str) -> str:
        return self.authority.deny(authorize_url)

    def _consent(self, tenant_ids: list[str]) -> str:
        event, now = str(uuid.uuid4()), self.clock()
        stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
        self.consents[event] = [{"id": str(uuid.uuid4()), "authEventId": event, "tenantId": t,
                                    "tenantType": "ORGANISATION", "tenantName": self.tenants[t].name,
                                    "createdDateUtc": stamp, "updatedDateUtc": stamp} for t in tenant_ids]
        return event

    def authorize_page(self, request: Request) -> Response:
        params = {k: v[-1] for k, v in request.query.items()}
        try:
            self.authority.check_authorization(params)
        except OAuthError as exc:
            return Response.html(400, "Xero", f"<main><h1>Error</h1><p>{html.escape(exc.description)}</p></main>")
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in params.items())
        boxes = "".join(f'<li><label><input type="checkbox" name="tenant" value="{t.tenant_id}" checked> '
                        f"{html.escape(t.name)}</label></li>" for t in self.tenants.values())
        return Response.html(200, "Xero | Authorise", (
            f'<main><h1>{html.escape(params.get("client_id", ""))} wants to access your Xero organisations</h1>'
            f'<form method="post" action="/identity/connect/authorize">{hidden}<ul>{boxes}</ul>'
            '<button type="submit" name="decision" value="allow">Allow access</button> '
            '<button type="submit" name="decision" value="deny">Cancel</button></form></main>'))

    def authorize_submit(self, request: Request) -> Response:
        from urllib.parse import parse_qs

        fields = parse_qs(request.body.decode(), keep_blank_values=True)
        params = {k: v[-1] for k, v in fields.items() if k not in ("tenant", "decision")}
        try:
            if fields.get("decision", ["allow"])[-1] != "allow":
                self.authority.check_authorization(params)
                return Response.redirect(self.authority.deny(_url_with(params)))
            chosen = [t for t in fields.get("tenant", []) if t in self.tenants]
            return Response.redirect(self.authority.approve_params(params, self._consent(chosen)))
        except OAuthError as exc:
            return Response.html(400, "Xero", f"<main><h1>Error</h1><p>{html.escape(exc.description)}</p></main>")

    def token(self, request: Request) -> Response:
        try:
            grant = self.authority.token(request)
        except OAuthError as exc:
            return Response.json(exc.status, {"error": exc.error, "error_description": exc.description})
        return Response.json(200, {"access_token": grant.access_token, "expires_in": self.authority.access_ttl,
                                   "token_type": "Bearer", "refresh_token": grant.refresh_token,
                                   "scope": grant.scope}, {"Cache-Control": "no-store"})

    def revocation(self, request: Request) -> Response:
        grant = self.authority.grant_for_token(request.form().get("token", ""))
        if grant is not None:
            self.authority.revoke(grant)
            self.consents.pop(str(grant.subject), None)
        return Response(200)

    def _grant(self, request: Request) -> Grant | Response:
        found = self.authority.bearer(request.header("authorization"))
        if isinstance(found, TokenProblem):
            detail = {"expired": "TokenExpired: token expired", "missing": "AuthenticationUnsuccessful",
                      "invalid": "AuthenticationUnsuccessful", "revoked": "AuthenticationUnsuccessful"}[found.reason]
            return Response.json(401, {"Type": None, "Title": "Unauthorized", "Status": 401, "Detail": detail},
                                 {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return found

    def connections_of(self, grant: Grant) -> list[dict]:
        return [c for event, conns in self.consents.items() if event == grant.subject for c in conns]

    def connections(self, request: Request) -> Response:
        grant = self._grant(request)
        if isinstance(grant, Response):
            return grant
        return Response.json(200, self.connections_of(grant))

    def disconnect(self, request: Request) -> Response:
        grant = self._grant(request)
        if isinstance(grant, Response):
            return grant
        conns = self.consents.get(str(grant.subject), [])
        kept = [c for c in conns if c["id"] != request.params["id"]]
        if len(kept) == len(conns):
            return Response(404)
        self.consents[str(grant.subject)] = kept
        return Response(204)

    # -- limits, faults and checking ----------------------------------------------------------

    def is_api(self, request: Request) -> bool:
        return request.path.startswith(API)

    def concurrency_key(self, request: Request) -> str | None:
        return request.header("xero-tenant-id") or None if self.is_api(request) else None

    def dispatch(self, request: Request) -> Response:
        return self._with_limit_headers(request, super().dispatch(request))

    def _with_limit_headers(self, request: Request, response: Response) -> Response:
        names = {"minute": "X-MinLimit-Remaining", "day": "X-DayLimit-Remaining", "appminute": "X-AppMinLimit-Remaining"}
        for key, header in names.items():
            value = request.headers.get(f"x-fake-{key}-remaining")
            if value is not None:
                response.headers.setdefault(header, value)
        return response

    def too_many(self, request: Request, retry_after: int, problem: str) -> Response:
        return Response(429, b"", {"Retry-After": str(retry_after), "X-Rate-Limit-Problem": problem})

    def spec_check(self, request: Request, response: Response) -> list[str]:
        if request.path.startswith(API):
            description = spec.xero_accounting()
        elif request.path.startswith("/connections"):
            description = spec.xero_identity()
        else:
            return []  # the OAuth endpoints are RFC 6749's, not in Xero's descriptions
        headers = {k: v for k, v in request.headers.items() if not k.startswith("x-fake-")}
        problems = description.check_request(request.method, request.path, query=request.query, headers=headers,
                                             body=request.body)
        if response.status in (401, 403, 404, 429) or response.status >= 500:
            return problems  # protocol answers the descriptions leave out
        return problems + description.check_response(request.method, request.path, response.status, response.body,
                                                      query=request.query, headers=headers,
                                                      response_headers=response.headers)

    # -- webhooks -----------------------------------------------------------------------------

    def webhook_payload(self) -> bytes:
        """Every event not yet delivered, in Xero's batch shape; an empty batch when there are none."""
        with self.lock:
            events = []
            for books in self.tenants.values():
                for event in books.events:
                    path = {"INVOICE": "Invoices", "CONTACT": "Contacts", "CREDITNOTE": "CreditNotes"}[event.category]
                    events.append({"resourceUrl": f"https://api.xero.com{API}/{path}/{event.resource_id}",
                                   "resourceId": event.resource_id,
                                   "eventDateUtc": event.at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
                                   "eventType": event.kind, "eventCategory": event.category,
                                   "tenantId": books.tenant_id, "tenantType": "ORGANISATION"})
                books.events.clear()
            first = self._sequence + 1
            self._sequence += max(1, len(events))
            return dumps({"events": events, "firstEventSequence": first, "lastEventSequence": self._sequence,
                          "entropy": secrets.token_hex(10).upper()})

    def sign(self, payload: bytes, key: str | None = None) -> str:
        """``x-xero-signature``: base64 of HMAC-SHA256 of the raw body keyed with the webhook key."""
        mac = hmac.new((key or self.webhook_key).encode(), payload, hashlib.sha256).digest()
        return base64.b64encode(mac).decode()

    def deliver_webhooks(self, *, url: str | None = None, key: str | None = None, signature: str | None = None,
                         payload: bytes | None = None) -> int:
        """POST the pending events, signed (``key`` or a forged ``signature`` to test refusal); the status."""
        body = self.webhook_payload() if payload is None else payload
        problems = spec.xero_webhooks().check_schema("WebhookEvent", json.loads(body))
        with self.lock:
            self.violations += [f"webhook payload: {p}" for p in problems]
        header = signature if signature is not None else self.sign(body, key)
        return post(url or self.webhook_url, body, {"Content-Type": "application/json", "x-xero-signature": header})

    def intent_to_receive(self, url: str | None = None) -> bool:
        """Xero's check before it enables a webhook: 200 to a signed empty batch, 401 to a badly signed one."""
        empty = dumps({"events": [], "firstEventSequence": 1, "lastEventSequence": 1,
                       "entropy": secrets.token_hex(10).upper()})
        good = self.deliver_webhooks(url=url, payload=empty)
        bad = self.deliver_webhooks(url=url, payload=empty, signature=self.sign(empty, "not-the-key"))
        return good == 200 and bad == 401

    # -- controls: what a user does in Xero ---------------------------------------------------

    def _books_of_invoice(self, invoice_id: str) -> Books:
        for books in self.tenants.values():
            if invoice_id in books.invoices:
                return books
        raise KeyError(f"no invoice {invoice_id} in the Xero fake")

    def mark_paid(self, invoice_id: str, *, at: datetime, amount=None, account_code: str = "091",
                  reference: str = "") -> dict:
        """Pay the invoice (its whole AmountDue by default) on ``at``, as PUT /Payments would."""
        with self.lock:
            books = self._books_of_invoice(invoice_id)
            due = books.invoices[invoice_id]["AmountDue"]
            return books.put_payment({"Invoice": {"InvoiceID": invoice_id}, "Account": {"Code": account_code},
                                      "Date": at.date().isoformat(), "Amount": due if amount is None else amount,
                                      "Reference": reference}, at)

    def mark_voided(self, invoice_id: str, *, at: datetime) -> dict:
        with self.lock:
            return self._books_of_invoice(invoice_id).put_invoice({"InvoiceID": invoice_id, "Status": "VOIDED"}, at)

    def mark_deleted(self, invoice_id: str, *, at: datetime) -> dict:
        with self.lock:
            return self._books_of_invoice(invoice_id).put_invoice({"InvoiceID": invoice_id, "Status": "DELETED"}, at)


def _url_with(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return "/identity/connect/authorize?" + urlencode(params)

