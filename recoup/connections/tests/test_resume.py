"""A sync under a storm of 429s, or killed anywhere and run again, ends as an undisturbed one."""

from __future__ import annotations

import random

import httpx
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings, strategies as st

from recoup.connections import batches, providers
from recoup.connections.models import Connection
from recoup.connections.providers import xero as xero_module
from recoup.connections.sync import sync_connection
from recoup.connections.tests.snapshots import ledger_snapshot
from recoup.connections.tests.xero_double import XeroDouble


class Killed(Exception):
    """Stands for the process dying at this point."""


def seed(double: XeroDouble) -> None:
    rng = random.Random(7)
    contacts = [double.add_contact(f"Customer {i}", f"c{i}@example.test", f"C-{i}") for i in range(4)]
    invoices = [double.add_invoice(contacts[i % 4], f"INV-{i:04d}", f"{rng.randint(100, 99999) / 100:.2f}")
                for i in range(9)]
    double.pay(invoices[0], "1.00")
    double.pay(invoices[3], str(double.invoices[invoices[3]]["Total"]))
    double.credit(invoices[5], "CN-1", "0.50")
    double.void(invoices[7])


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(xero_module, "PAGE_SIZE", 3)


def fresh(monkeypatch) -> XeroDouble:
    from recoup.connections import providers

    double = XeroDouble()
    seed(double)
    monkeypatch.setattr(providers, "TRANSPORT", double.transport())
    return double


def undisturbed(org, connection, now, monkeypatch) -> dict:
    with transaction.atomic():
        fresh(monkeypatch)
        assert sync_connection(connection=Connection.objects.get(pk=connection.pk), now=now).ok
        snap = ledger_snapshot(org)
        transaction.set_rollback(True)
    return snap


def test_a_storm_of_429s_ends_as_an_undisturbed_sync(org_a, connection, clock, small_pages, monkeypatch, now):
    expected = undisturbed(org_a, connection, now, monkeypatch)
    double = fresh(monkeypatch)
    rng = random.Random(1)
    double.storm = lambda request: rng.random() < 0.6
    result = sync_connection(connection=Connection.objects.get(pk=connection.pk), now=now)
    assert result.ok, result.error
    assert ledger_snapshot(org_a) == expected
    assert clock.slept and all(s >= 1.0 for s in clock.slept)  # Retry-After: 1 honoured every time
    assert sum(1 for r in double.requests) > 20


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kill_at=st.integers(min_value=0, max_value=60), where=st.sampled_from(["http", "write"]))
def test_a_sync_killed_anywhere_and_run_again_ends_identical(org_a, connection, clock, small_pages, monkeypatch, now,
                                                            kill_at, where):
    expected = undisturbed(org_a, connection, now, monkeypatch)
    with transaction.atomic():
        double = fresh(monkeypatch)
        calls = {"n": 0}

        def maybe_kill():
            calls["n"] += 1
            if calls["n"] == kill_at:
                raise Killed()

        with monkeypatch.context() as dying:
            if where == "http":
                def killing(request):
                    maybe_kill()
                    return double.handle(request)
                dying.setattr(providers, "TRANSPORT", httpx.MockTransport(killing))
            else:
                real_add = batches.PageBatch.add

                def killing_add(self, record):  # every record of a page passes here, gathered or not
                    maybe_kill()
                    return real_add(self, record)
                dying.setattr(batches.PageBatch, "add", killing_add)
            try:
                sync_connection(connection=Connection.objects.get(pk=connection.pk), now=now)
            except Killed:
                pass
        # The process is restarted: the same books, no more killing.
        result = sync_connection(connection=Connection.objects.get(pk=connection.pk), now=now)
        assert result.ok, result.error
        assert ledger_snapshot(org_a) == expected
        transaction.set_rollback(True)
