"""Real peers for the channels: an aiosmtpd server and a fake Twilio API on localhost."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """An aiosmtpd handler that keeps every message it accepts and refuses chosen recipients.

    ``refuse[address] = "550 ..."`` answers RCPT with that reply.
    """

    def __init__(self) -> None:
        self.received: list[email.message.EmailMessage] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.received]


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp(smtp_server, settings):
    """Django's SMTP backend pointed at the local aiosmtpd server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "collections@recoup.example"
    return smtp_server


class FakeTwilio(BaseHTTPRequestHandler):
    """Answers POST /2010-04-01/Accounts/{sid}/Messages.json like Twilio, by destination number."""

    requests: list[dict] = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        self.server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "form": form})
        to = form.get("To", "")
        if to == "+15005550001":
            self._reply(400, {"code": 21211, "message": f"The 'To' number {to} is not a valid phone number.",
                              "status": 400})
        elif to == "+15005550500":
            self._reply(500, {"code": 20500, "message": "Internal Server Error", "status": 500})
        else:
            self._reply(201, {"sid": f"SM{len(self.server.requests):032d}", "status": "queued", "to": to})

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def twilio_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def customer_a(org_a, make_customer):
    from recoup.ledger.models import Contact

    org_a.sender_email = "accounts@acme.example"
    org_a.address = "1 High Street\nLondon\nEC1A 1AA"
    org_a.save()
    customer = make_customer(org_a, ref="C001", name="Customer One Ltd")
    customer.billing = Contact.objects.create(
        org=org_a, customer=customer, name="Pat Payer", email="pat@customer.example", phone="+447700900123",
        postal_address="Pat Payer\nCustomer One Ltd\n2 Low Road\nLeeds\nLS1 1AA")
    return customer


@pytest.fixture
def queue(system, now):
    """Queue a message with sensible defaults: ``queue(org, customer, key, **overrides)``."""
    from recoup.messaging.actions import message_queue

    def make(org, customer, key, **kw):
        contact = kw.pop("contact", getattr(customer, "billing", None))
        values = dict(channel="email", to_address=contact.email if contact else "x@example.com",
                      subject=f"Reminder {key}", body_text=f"Please pay ({key}).",
                      body_html=f"<p>Please pay <b>({key})</b>.</p>", idempotency_key=key, actor=system,
                      now=now, contact=contact)
        values.update(kw)
        return message_queue(org=org, customer=customer, **values)

    return make
