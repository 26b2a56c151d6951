"""A local stand-in for Stripe's Checkout API, for tests and the demo: never the network.

It speaks the part of Stripe that Recoup uses:
- ``POST /v1/checkout/sessions`` (Bearer secret key, form-encoded, Idempotency-Key honoured),
- ``GET /v1/checkout/sessions/<id>``,
- a hosted payment page ``/c/pay/<id>`` with a card number field and a Pay button;
  paying sends ``checkout.session.completed``, signed like Stripe's
  (``Stripe-Signature: t=...,v1=...``), to ``webhook_url`` before redirecting the
  payer to the session's success URL. Card ``4000 0000 0000 0002`` is declined.

    with FakeStripe(webhook_url=..., webhook_secret=...) as fake:
        ... fake.url is the api_base; fake.events the events sent; fake.redeliver(event_id)
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from recoup.payments.providers.stripe import sign

DECLINED_CARD = "4000000000000002"


def _unflatten(pairs: list[tuple[str, str]]) -> dict:
    """``line_items[0][price_data][currency]=eur`` back into nested dicts (lists as index-keyed dicts)."""
    out: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


class FakeStripe:
    def __init__(self, *, secret_key: str = "sk_test_fake", webhook_secret: str = "whsec_fake",
                 webhook_url: str = "", host: str = "127.0.0.1", port: int = 0):
        self.secret_key, self.webhook_secret, self.webhook_url = secret_key, webhook_secret, webhook_url
        self.sessions: dict[str, dict] = {}
        self.events: list[dict] = []
        self.deliveries: list[tuple[str, int]] = []  # (event id, HTTP status)
        self._by_key: dict[str, str] = {}
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet in tests
                pass

            def do_GET(self) -> None:
                fake._get(self)

            def do_POST(self) -> None:
                fake._post(self)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "FakeStripe":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "FakeStripe":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the API ---------------------------------------------------------------------------

    def _authorized(self, h: BaseHTTPRequestHandler) -> bool:
        if h.headers.get("Authorization") == f"Bearer {self.secret_key}":
            return True
        self._json(h, 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}})
        return False

    def _json(self, h: BaseHTTPRequestHandler, status: int, data: dict) -> None:
        body = json.dumps(data).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _html(self, h: BaseHTTPRequestHandler, status: int, text: str) -> None:
        body = f"<!doctype html><html lang=en><meta charset=utf-8><title>Fake Stripe</title>{text}".encode()
        h.send_response(status)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _redirect(self, h: BaseHTTPRequestHandler, location: str) -> None:
        h.send_response(303)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _body(self, h: BaseHTTPRequestHandler) -> list[tuple[str, str]]:
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0)).decode()
        return urllib.parse.parse_qsl(raw, keep_blank_values=True)

    def _get(self, h: BaseHTTPRequestHandler) -> None:
        path = urllib.parse.urlsplit(h.path).path
        if path.startswith("/v1/checkout/sessions/"):
            if self._authorized(h):
                session = self.sessions.get(path.rsplit("/", 1)[1])
                if session is None:
                    self._json(h, 404, {"error": {"type": "invalid_request_error", "message": "No such session"}})
                else:
                    self._json(h, 200, session)
        elif path.startswith("/c/pay/") and path[7:] in self.sessions:
            self._html(h, 200, self._page(self.sessions[path[7:]]))
        else:
            self._json(h, 404, {"error": {"message": "Unrecognized request URL"}})

    def _post(self, h: BaseHTTPRequestHandler) -> None:
        path = urllib.parse.urlsplit(h.path).path
        if path == "/v1/checkout/sessions":
            if self._authorized(h):
                self._create(h, _unflatten(self._body(h)))
        elif path.startswith("/c/pay/") and path[7:] in self.sessions:
            self._pay(h, self.sessions[path[7:]], dict(self._body(h)))
        else:
            self._json(h, 404, {"error": {"message": "Unrecognized request URL"}})

    def _create(self, h: BaseHTTPRequestHandler, form: dict) -> None:
        key = h.headers.get("Idempotency-Key", "")
        with self._lock:
            if key and key in self._by_key:
                self._json(h, 200, self.sessions[self._by_key[key]])
                return
            try:
                item = form["line_items"]["0"]
                amount = int(item["price_data"]["unit_amount"])
                currency = item["price_data"]["currency"]
                name = item["price_data"]["product_data"]["name"]
                success, cancel = form["success_url"], form["cancel_url"]
            except (KeyError, ValueError):
                self._json(h, 400, {"error": {"type": "invalid_request_error", "message": "Missing required param"}})
                return
            session_id = "cs_test_" + secrets.token_hex(12)
            session = {
                "id": session_id, "object": "checkout.session", "mode": form.get("mode", "payment"),
                "amount_total": amount, "currency": currency, "payment_status": "unpaid", "status": "open",
                "client_reference_id": form.get("client_reference_id"), "customer_email": form.get("customer_email"),
                "metadata": form.get("metadata", {}), "description": name, "payment_intent": None,
                "success_url": success.replace("{CHECKOUT_SESSION_ID}", session_id),
                "cancel_url": cancel, "url": f"{self.url}/c/pay/{session_id}", "created": int(time.time()),
            }
            self.sessions[session_id] = session
            if key:
                self._by_key[key] = session_id
        self._json(h, 200, session)

    # -- the hosted page -------------------------------------------------------------------

    def _page(self, session: dict, error: str = "") -> str:
        amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        return (f"<main><h1>Pay {html.escape(amount)}</h1><p>{html.escape(session['description'])}</p>"
                + (f'<p role="alert">{html.escape(error)}</p>' if error else "")
                + f'<form method="post" action="/c/pay/{session["id"]}">'
                '<label for="card">Card number</label> <input id="card" name="card" autocomplete="off">'
                ' <button type="submit">Pay</button></form>'
                f'<p><a href="{html.escape(session["cancel_url"])}">Cancel and go back</a></p></main>')

    def _pay(self, h: BaseHTTPRequestHandler, session: dict, form: dict) -> None:
        card = form.get("card", "").replace(" ", "")
        if card == DECLINED_CARD or not card.isdigit():
            self._html(h, 402, self._page(session, "Your card was declined."))
            return
        with self._lock:
            if session["payment_status"] != "paid":
                session.update(payment_status="paid", status="complete",
                               payment_intent="pi_test_" + secrets.token_hex(12))
                event = self.event("checkout.session.completed", session)
            else:
                event = None
        if event is not None:
            self.deliver(event)
        self._redirect(h, session["success_url"])

    # -- events ----------------------------------------------------------------------------

    def event(self, kind: str, obj: dict) -> dict:
        event = {"id": "evt_" + secrets.token_hex(12), "object": "event", "type": kind, "created": int(time.time()),
                 "api_version": "2024-06-20", "livemode": False, "data": {"object": dict(obj)}}
        self.events.append(event)
        return event

    def deliver(self, event: dict, *, timestamp: int | None = None, secret: str | None = None) -> int:
        """POST ``event`` to the webhook URL, signed; returns the HTTP status."""
        payload = json.dumps(event).encode()
        header = sign(payload, secret or self.webhook_secret, int(time.time()) if timestamp is None else timestamp)
        req = urllib.request.Request(self.webhook_url, data=payload, method="POST",
                                     headers={"Content-Type": "application/json", "Stripe-Signature": header})
        try:
            with urllib.request.urlopen(req, timeout=20) as resp:  # noqa: S310 (local test URL)
                status = resp.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        self.deliveries.append((event["id"], status))
        return status

    def redeliver(self, event_id: str) -> int:
        """Send an event again, as Stripe does when it saw no 2xx (or just because)."""
        return self.deliver(next(e for e in self.events if e["id"] == event_id))
