"""Users of every role in org_a, one user of org_b, and a little ledger in each."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.fixture
def members(org_a, org_b, system, now):
    from recoup.orgs.actions import member_add

    made = {}
    for role in ("owner", "collector", "viewer"):
        made[role] = member_add(org=org_a, username=f"a-{role}", role=role, actor=system, now=now).user
    made["outsider"] = member_add(org=org_b, username="b-owner", role="owner", actor=system, now=now).user
    return made


@pytest.fixture
def ledger_a(org_a, make_customer, make_invoice):
    customer = make_customer(org_a, ref="C001", name="Northwind Traders")
    old = make_invoice(org_a, customer, "A-1", "100.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    new = make_invoice(org_a, customer, "A-2", "50.00", issue=date(2026, 3, 1), due=date(2026, 4, 30))
    return {"customer": customer, "old": old, "new": new}


@pytest.fixture
def ledger_b(org_b, make_customer, make_invoice):
    customer = make_customer(org_b, ref="B001", name="Bolt Customer")
    invoice = make_invoice(org_b, customer, "B-1", "70.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    return {"customer": customer, "invoice": invoice}


@pytest.fixture
def as_user(client, members):
    def login(role: str):
        client.force_login(members[role])
        return client

    return login


@pytest.fixture
def frozen_clock(monkeypatch, now):
    """Views read the clock at the entry point; pin it to the shared NOW (2026-03-31 12:00 UTC)."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: now)
    return now
