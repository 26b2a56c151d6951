"""Fixtures for the connections tests: an in-memory Xero, a connection to it, a fake clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from recoup.connections.tests.xero_double import XeroDouble

SPECS = Path("/work/shared/specs")


class FakeClock:
    """A monotonic clock that sleeping moves forward (no real waiting in tests)."""

    def __init__(self):
        self.t = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


@pytest.fixture(autouse=True)
def books_env(monkeypatch, settings):
    monkeypatch.setenv("RECOUP_CONNECTIONS_KEY", Fernet.generate_key().decode())
    settings.RECOUP_BOOKS = {name: {"client_id": f"{name}-client", "client_secret": "s3cret",
                                    "webhook_key": "hook-key", "url": f"https://{name}.fake.test"}
                             for name in ("xero", "quickbooks", "stripe_billing")}


@pytest.fixture
def clock(monkeypatch):
    from recoup.connections import providers

    c = FakeClock()
    monkeypatch.setattr(providers, "CLOCK", c)
    monkeypatch.setattr(providers, "SLEEP", c.sleep)
    return c


@pytest.fixture
def xero(monkeypatch, clock):
    from recoup.connections import providers

    double = XeroDouble()
    monkeypatch.setattr(providers, "TRANSPORT", double.transport())
    return double


@pytest.fixture
def connection(org_a, xero, now):
    from recoup.connections import crypto
    from recoup.connections.models import Connection, ConnectionStatus

    return Connection.objects.create(
        org=org_a, provider="xero", status=ConnectionStatus.ACTIVE, remote_id="tenant-1",
        remote_name="Demo Company (UK)", access_token_enc=crypto.encrypt("access-1"),
        refresh_token_enc=crypto.encrypt("refresh-1"), token_expires_at=now + timedelta(days=365),
        payment_account="090", connected_at=now)


@pytest.fixture
def seeded(xero):
    """Three contacts, five invoices, a part payment, a credit note, a draft."""
    a = xero.add_contact("Alpha Ltd", "ap@alpha.test", "A-1")
    b = xero.add_contact("Beta GmbH", "", "B-1")
    c = xero.add_contact("Gamma LLC", "billing@gamma.test")
    ids = {
        "a1": xero.add_invoice(a, "INV-0001", "120.00", tax="20.00"),
        "a2": xero.add_invoice(a, "INV-0002", "99.99", due="2026-04-15"),
        "b1": xero.add_invoice(b, "INV-0003", "1000.00", tax="166.67"),
        "c1": xero.add_invoice(c, "INV-0004", "50.50"),
        "c2": xero.add_invoice(c, "INV-0005", "10.00", status="DRAFT"),
    }
    xero.pay(ids["b1"], "400.00")
    xero.credit(ids["a1"], "CN-0001", "20.00")
    return ids


def when(hour: int, minute: int = 0, day: int = 31) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=timezone.utc)
