"""A local Stripe Billing: Connect OAuth, customers, invoices, credit notes and the events list.

Served from one root (``fake.url``) under Stripe's own paths: ``/oauth/authorize``,
``/oauth/token`` and ``/oauth/deauthorize`` (connect.stripe.com), ``/v1/...``
(api.stripe.com). It stands beside the Checkout fake (``recoup.payments.fake_stripe``)
rather than extending it: Checkout is the payments app's peer, reached with the
business's own secret key, while Billing is reached through Stripe Connect with a token
per connected account, and the payments app must not depend on the connections app. Both
sign webhooks with the same ``recoup.payments.providers.stripe.sign``; run both (on two
ports) when a test needs a portal card payment and its write-back.

    with FakeStripeBilling(redirect_uris=[CB], clock=FrozenClock(NOW)) as stripe:
        account = stripe.add_account("Acme Inc")
        callback = stripe.approve(authorize_url)              # ?code=ac_...&scope=read_write&state=...
        stripe.mark_paid(invoice_id, at=...); stripe.deliver_webhooks(url=..., timestamp=...)

Public API (stable): ``FakeStripeBilling(client_id, platform_secret, redirect_uris,
webhook_url, webhook_secret, clock, limits, strict, validate, host, port)``;
``add_account``, ``accounts`` (id -> ``Account``), ``account(name_or_id)``; ``approve``,
``deny``, ``authority``; ``seed_bulk(account, customers=, invoices=, now=)``;
``mark_paid / mark_voided / mark_deleted(invoice_id, at=...)``; ``deliver_webhooks``,
``signed_webhooks``; and
from ``FakeServer``: ``storm``, ``unreachable``, ``log``, ``violations``, ``check()``.

Published behaviour followed: form-encoded requests, an unknown parameter refused by
name, lists with ``limit`` (1-100, default 10), ``starting_after``/``ending_before`` and
``has_more``, newest first; events kept 30 days; ``Idempotency-Key`` on POST (a repeat
returns the first answer with ``Idempotent-Replayed: true``; the same key with other
parameters is an ``idempotency_error``); ``POST /v1/invoices/{id}/pay`` with
``paid_out_of_band=true``, ``/void``, ``/finalize``, ``/mark_uncollectible``, ``DELETE`` of
a draft; 25 requests a second per account in test mode (429 ``rate_limit``); webhooks
signed ``Stripe-Signature: t=...,v1=...``. Connect access tokens do not expire.
Every object answered is checked against Stripe's sample objects (fixtures3.json).
"""

from __future__ import annotations

import html
import json
import random
import secrets
import urllib.parse
from datetime import datetime, timedelta

from recoup.connections.fakes.oauth import Authority, OAuthError, TokenProblem
from recoup.connections.fakes.server import Clock, FakeServer, RateLimit, Request, Response, dumps, post
from recoup.connections.fakes.spec import stripe_shapes
from recoup.connections.fakes.stripe_books import Account, StripeError, new_id
from recoup.payments.providers.stripe import sign

ID = r"(?P<id>[A-Za-z0-9_]+)"
PARAMS = {  # what each write accepts (Stripe refuses any other parameter by name)
    "customers": {"name", "email", "phone", "description", "metadata"},
    "invoices": {"customer", "collection_method", "days_until_due", "due_date", "description", "metadata",
                 "currency", "auto_advance", "pending_invoice_items_behavior"},
    "invoiceitems": {"customer", "invoice", "amount", "currency", "description", "metadata"},
    "credit_notes": {"invoice", "amount", "memo", "reason", "metadata"},
    "pay": {"paid_out_of_band"}, "void": set(), "finalize": {"auto_advance"}, "mark_uncollectible": set(),
}


def unflatten(pairs: list[tuple[str, str]]) -> dict:
    """``metadata[order]=42`` back into nested dicts."""
    out: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


class FakeStripeBilling(FakeServer):
    name = "Stripe"
    routes = [
        ("GET", r"/oauth/authorize", "authorize_page"),
        ("POST", r"/oauth/authorize", "authorize_submit"),
        ("POST", r"/oauth/token", "token"),
        ("POST", r"/oauth/deauthorize", "deauthorize"),
        ("GET", r"/v1/(?P<what>customers|invoices|credit_notes|events)", "api_list"),
        ("GET", rf"/v1/(?P<what>customers|invoices|credit_notes|events)/{ID}", "api_read"),
        ("POST", r"/v1/(?P<what>customers|invoices|invoiceitems|credit_notes)", "api_create"),
        ("POST", rf"/v1/invoices/{ID}/(?P<action>pay|void|finalize|mark_uncollectible)", "api_invoice_action"),
        ("DELETE", rf"/v1/invoices/{ID}", "api_delete_invoice"),
    ]

    def __init__(self, *, client_id: str = "ca_recoupfake", platform_secret: str = "sk_test_platform",
                 redirect_uris: list[str] | None = None, webhook_url: str = "", webhook_secret: str = "whsec_billing",
                 clock: Clock | None = None, limits: bool = True, **kw):
        super().__init__(clock=clock, **kw)
        self.authority = Authority(clock=self.clock, prefix="sk_test_", access_ttl=None, refresh_ttl=None,
                                   rotate_refresh=False, pkce=False, redirect_uri_in_token=False)
        self.client_id, self.platform_secret = client_id, platform_secret
        self.authority.register_client(client_id, platform_secret, redirect_uris or [])
        self.webhook_url, self.webhook_secret = webhook_url, webhook_secret
        self.accounts: dict[str, Account] = {}
        self._idempotent: dict[tuple[str, str], tuple[str, Response]] = {}
        if limits:
            self.limits = [RateLimit("second", 25, 1, lambda r: r.headers.get("x-fake-account"))]

    def add_account(self, name: str, *, currency: str = "usd") -> Account:
        account = Account(account_id=new_id("acct"), name=name, currency=currency)
        self.accounts[account.account_id] = account
        return account

    def account(self, name_or_id: str) -> Account:
        for account in self.accounts.values():
            if name_or_id in (account.account_id, account.name):
                return account
        raise KeyError(f"no account {name_or_id!r} in the Stripe fake")

    # -- Connect OAuth ------------------------------------------------------------------------

    def approve(self, authorize_url: str, account: str | None = None) -> str:
        chosen = self.account(account) if account else next(iter(self.accounts.values()))
        scope = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query)).get("scope", "read_write")
        return self.authority.approve(authorize_url, chosen.account_id, {"scope": scope})

    def deny(self, authorize_url: str) -> str:
        return self.authority.deny(authorize_url)

    def authorize_page(self, request: Request) -> Response:
        params = {k: v[-1] for k, v in request.query.items()}
        try:
            self.authority.check_authorization(params)
        except OAuthError as exc:
            return Response.html(400, "Stripe", f"<main><h1>Error</h1><p>{html.escape(exc.description)}</p></main>")
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in params.items())
        radios = "".join(f'<li><label><input type="radio" name="account" value="{a.account_id}"'
                         f'{" checked" if i == 0 else ""}> {html.escape(a.name)}</label></li>'
                         for i, a in enumerate(self.accounts.values()))
        return Response.html(200, "Stripe | Connect", (
            f"<main><h1>Connect your Stripe account to {html.escape(params.get('client_id', ''))}</h1>"
            f'<form method="post" action="/oauth/authorize">{hidden}<ul>{radios}</ul>'
            '<button type="submit" name="decision" value="allow">Connect</button> '
            '<button type="submit" name="decision" value="deny">Cancel</button></form></main>'))

    def authorize_submit(self, request: Request) -> Response:
        fields = request.form()
        params = {k: v for k, v in fields.items() if k not in ("account", "decision")}
        try:
            self.authority.check_authorization(params)
            if fields.get("decision") != "allow" or fields.get("account") not in self.accounts:
                return Response.redirect(self.authority.deny("/?" + urllib.parse.urlencode(params)))
            return Response.redirect(self.authority.approve_params(params, fields["account"],
                                                                   {"scope": params.get("scope", "read_write")}))
        except OAuthError as exc:
            return Response.html(400, "Stripe", f"<main><h1>Error</h1><p>{html.escape(exc.description)}</p></main>")

    def token(self, request: Request) -> Response:
        # Stripe's token request carries only the platform's secret key (as client_secret or as
        # a Bearer key), never the client_id: the fake finds the client by that key.
        form = request.form()
        secret = form.get("client_secret") or request.header("authorization").partition(" ")[2]
        form.update(client_id=self.client_id, client_secret=secret)
        proxy = Request(request.method, request.path, request.query, {}, urllib.parse.urlencode(form).encode())
        try:
            grant = self.authority.token(proxy)
        except OAuthError as exc:
            return Response.json(exc.status, {"error": exc.error, "error_description": exc.description})
        return Response.json(200, {"access_token": grant.access_token, "livemode": False,
                                   "refresh_token": grant.refresh_token, "token_type": "bearer",
                                   "stripe_publishable_key": "pk_test_" + secrets.token_hex(12),
                                   "stripe_user_id": grant.subject, "scope": grant.scope or "read_write"})

    def deauthorize(self, request: Request) -> Response:
        form = request.form()
        for grant in self.authority.grants:
            if grant.subject == form.get("stripe_user_id"):
                self.authority.revoke(grant)
        return Response.json(200, {"stripe_user_id": form.get("stripe_user_id")})

    # -- plumbing -----------------------------------------------------------------------------

    def is_api(self, request: Request) -> bool:
        return request.path.startswith("/v1/")

    def before(self, request: Request) -> Response | None:
        if self.is_api(request):
            found = self._account(request)
            if isinstance(found, Account):
                request.headers["x-fake-account"] = found.account_id
        return super().before(request)

    def _account(self, request: Request) -> Account | Response:
        key = request.header("authorization").partition(" ")[2]
        if key == self.platform_secret and request.header("stripe-account") in self.accounts:
            return self.accounts[request.header("stripe-account")]
        found = self.authority.bearer(request.header("authorization"))
        if isinstance(found, TokenProblem) or found.subject not in self.accounts:
            return Response.json(401, {"error": {"type": "invalid_request_error",
                                                 "message": "Invalid API Key provided"}})
        return self.accounts[found.subject]

    def too_many(self, request: Request, retry_after: int, problem: str) -> Response:
        return Response.json(429, {"error": {"type": "invalid_request_error", "code": "rate_limit",
                                             "message": "Request rate limit exceeded."}},
                             {"Retry-After": str(retry_after)})

    def _params(self, request: Request, allowed: set[str]) -> dict:
        params = unflatten(urllib.parse.parse_qsl(request.body.decode(), keep_blank_values=True))
        for name in params:
            if name not in allowed:
                raise StripeError(f"Received unknown parameter: {name}", param=name)
        return params

    def _error(self, exc: StripeError) -> Response:
        return Response.json(exc.status, exc.body())

    def _write(self, request: Request, account: Account, work) -> Response:
        key = request.header("idempotency-key")
        with self.lock:
            if key and (account.account_id, key) in self._idempotent:
                body, first = self._idempotent[(account.account_id, key)]
                if body != request.body.decode():
                    return self._error(StripeError(
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{key}' if you meant to execute a different "
                        "request.", kind="idempotency_error"))
                return Response(first.status, first.body, {**first.headers, "Idempotent-Replayed": "true"})
            try:
                response = Response.json(200, work())
            except StripeError as exc:
                response = self._error(exc)
            if key and response.status != 500:
                self._idempotent[(account.account_id, key)] = (request.body.decode(), response)
            return response

    # -- the API ------------------------------------------------------------------------------

    def api_list(self, request: Request) -> Response:
        account = self._account(request)
        if isinstance(account, Response):
            return account
        what = request.params["what"]
        if what == "events":
            horizon = int((self.clock() - timedelta(days=30)).timestamp())
            rows = [e for e in reversed(account.events) if e["created"] >= horizon]
            if request.arg("type"):
                rows = [e for e in rows if e["type"] == request.arg("type")]
        else:
            rows = list(reversed(list(getattr(account, what).values())))
            for field in ("customer", "status", "invoice"):
                if request.arg(field):
                    rows = [r for r in rows if r.get(field) == request.arg(field)]
        try:
            limit = int(request.arg("limit") or 10)
        except ValueError:
            return self._error(StripeError("Invalid integer: limit", param="limit"))
        if not 1 <= limit <= 100:
            return self._error(StripeError("This value must be between 1 and 100.", param="limit"))
        ids = [r["id"] for r in rows]
        after, before = request.arg("starting_after"), request.arg("ending_before")
        for cursor, param in ((after, "starting_after"), (before, "ending_before")):
            if cursor and cursor not in ids:
                return self._error(StripeError(f"No such object: '{cursor}'", param=param, status=404,
                                               code="resource_missing"))
        if after:
            start = ids.index(after) + 1
            page, more = rows[start:start + limit], len(rows) > start + limit
        elif before:
            end = ids.index(before)
            page, more = rows[max(0, end - limit):end], end - limit > 0
        else:
            page, more = rows[:limit], len(rows) > limit
        return Response.json(200, {"object": "list", "data": page, "has_more": more, "url": f"/v1/{what}"})

    def api_read(self, request: Request) -> Response:
        account = self._account(request)
        if isinstance(account, Response):
            return account
        what = request.params["what"]
        if what == "events":
            found = next((e for e in account.events if e["id"] == request.params["id"]), None)
            return Response.json(200, found) if found else self._error(
                StripeError(f"No such event: '{request.params['id']}'", status=404, code="resource_missing"))
        try:
            return Response.json(200, account.get(getattr(account, what), request.params["id"], what[:-1]))
        except StripeError as exc:
            return self._error(exc)

    def api_create(self, request: Request) -> Response:
        account = self._account(request)
        if isinstance(account, Response):
            return account
        what = request.params["what"]
        make = {"customers": account.create_customer, "invoices": account.create_invoice,
                "invoiceitems": account.add_item, "credit_notes": account.create_credit_note}[what]
        return self._write(request, account, lambda: make(self._params(request, PARAMS[what]), self.clock()))

    def api_invoice_action(self, request: Request) -> Response:
        account = self._account(request)
        if isinstance(account, Response):
            return account
        action, invoice_id = request.params["action"], request.params["id"]

        def work() -> dict:
            params = self._params(request, PARAMS[action])
            if action == "pay":
                return account.pay(invoice_id, params, self.clock())
            return getattr(account, action)(invoice_id, self.clock())
        return self._write(request, account, work)

    def api_delete_invoice(self, request: Request) -> Response:
        account = self._account(request)
        if isinstance(account, Response):
            return account
        return self._write(request, account, lambda: account.delete(request.params["id"], self.clock()))

    # -- checking against Stripe's sample objects ---------------------------------------------

    def spec_check(self, request: Request, response: Response) -> list[str]:
        if not self.is_api(request) or response.status != 200:
            return []
        data = json.loads(response.body)
        if request.path.startswith("/v1/invoiceitems"):
            return []  # answered as a minimal invoiceitem; Recoup reads invoices, not their items
        return [f"{request.method} {request.path}: {p}" for p in stripe_shapes().check(data)]

    # -- webhooks and controls ----------------------------------------------------------------

    def signed_webhooks(self, *, secret: str | None = None, timestamp: int | None = None,
                        signature: str | None = None) -> list[tuple[bytes, str]]:
        """Each undelivered event as (body, ``Stripe-Signature``), now taken off the queue; a
        ``timestamp`` in the past makes a stale one, ``secret`` or ``signature`` a forged one."""
        out = []
        with self.lock:
            for account in self.accounts.values():
                while account.undelivered:
                    event = account.undelivered.pop(0)
                    self.violations += [f"webhook event: {p}" for p in stripe_shapes().check(event)]
                    body = dumps({**event, "account": account.account_id})  # Connect events name the account
                    stamp = int(self.clock().timestamp()) if timestamp is None else timestamp
                    out.append((body, signature or sign(body, secret or self.webhook_secret, stamp)))
        return out

    def deliver_webhooks(self, *, url: str | None = None, secret: str | None = None, timestamp: int | None = None,
                         signature: str | None = None) -> list[int]:
        """POST each undelivered event, signed (see ``signed_webhooks``); the HTTP statuses."""
        return [post(url or self.webhook_url, body, {"Content-Type": "application/json", "Stripe-Signature": header})
                for body, header in self.signed_webhooks(secret=secret, timestamp=timestamp, signature=signature)]

    def _of_invoice(self, invoice_id: str) -> Account:
        for account in self.accounts.values():
            if invoice_id in account.invoices:
                return account
        raise KeyError(f"no invoice {invoice_id} in the Stripe fake")

    def mark_paid(self, invoice_id: str, *, at: datetime) -> dict:
        with self.lock:
            return self._of_invoice(invoice_id).pay(invoice_id, {"paid_out_of_band": "true"}, at)

    def mark_voided(self, invoice_id: str, *, at: datetime) -> dict:
        with self.lock:
            return self._of_invoice(invoice_id).void(invoice_id, at)

    def mark_deleted(self, invoice_id: str, *, at: datetime) -> dict:
        with self.lock:
            return self._of_invoice(invoice_id).delete(invoice_id, at)


def seed_bulk(account: Account, *, customers: int = 2000, invoices: int = 10000, now: datetime, seed: int = 1) -> dict:
    """A year of finalized invoices (a share paid, a few voided), customers named from the examples."""
    from recoup.connections.fakes.xero_seed import example_pools

    rng = random.Random(seed)
    people, lines = example_pools()
    account.recording = False  # history from before the connection: no events, no webhooks
    made = [account.create_customer({"name": f"{people[n % len(people)][0]} {n + 1:05d}",
                                     "email": people[n % len(people)][1].replace("@", f"+{n + 1}@")},
                                    now - timedelta(days=400)) for n in range(customers)]
    counts = {"customers": customers, "invoices": invoices, "paid": 0, "voided": 0}
    for _ in range(invoices):
        issued = now - timedelta(days=rng.randint(1, 365))
        invoice = account.create_invoice({"customer": made[rng.randrange(len(made))]["id"]}, issued)
        description, unit = lines[rng.randrange(len(lines))]
        account.add_item({"invoice": invoice["id"], "amount": int(unit * 100) * rng.randint(1, 5),
                          "description": description}, issued)
        account.finalize(invoice["id"], issued)
        roll = rng.random()
        if roll < 0.02:
            account.void(invoice["id"], issued + timedelta(days=2))
            counts["voided"] += 1
        elif roll < 0.42:
            account.pay(invoice["id"], {"paid_out_of_band": "true"}, min(issued + timedelta(days=20), now))
            counts["paid"] += 1
    account.recording = True
    return counts
