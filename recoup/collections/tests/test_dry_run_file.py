"""`recoup cycle --dry-run` leaves the SQLite database file byte-for-byte unchanged."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SETUP = """
from datetime import date, datetime, timezone
from decimal import Decimal
from recoup.audit.actions import Actor
from recoup.ledger.actions import LineInput, invoice_create
from recoup.ledger.models import Contact, Customer
from recoup.orgs.actions import org_create
now, actor = datetime(2026, 3, 1, tzinfo=timezone.utc), Actor.system("test")
org = org_create(slug="acme", legal_name="Acme", currency="GBP", country="GB", actor=actor, now=now,
                 sender_email="accounts@acme.example")
for i in range(1, 4):
    customer = Customer.objects.create(org=org, ref=f"C{i:03}", legal_name=f"Customer {i}")
    Contact.objects.create(org=org, customer=customer, name="Accounts", email=f"c{i}@debtor.example")
    invoice_create(org=org, customer=customer, number=f"INV-{i}", issue_date=date(2026, 1, 1),
                   due_date=date(2026, 3, i), currency="GBP", actor=actor, now=now,
                   lines=[LineInput("Goods", Decimal(1), Decimal("100.00"))])
"""


def _recoup(env, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "recoup.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _fingerprint(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("db.sqlite3*"))}


def test_dry_run_leaves_the_database_file_byte_identical(tmp_path):
    env = {**os.environ, "RECOUP_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "RECOUP_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    _recoup(env, "migrate", "--no-input")
    _recoup(env, "shell", "-c", SETUP)
    before = _fingerprint(tmp_path)

    dry = json.loads(_recoup(env, "cycle", "--date", "2026-03-20", "--dry-run", "--format", "json"))

    assert _fingerprint(tmp_path) == before
    # The default business policy's second reminder goes by e-mail and SMS; these customers
    # have no phone, so the SMS is blocked with its reason and the e-mail still goes.
    assert [(a["customer_ref"], a["step"], a["channel"], a["status"]) for a in dry["actions"]] == [
        (ref, "second-reminder", channel, status) for ref in ("C001", "C002", "C003")
        for channel, status in (("email", "queued"), ("sms", "blocked"))]
    real = json.loads(_recoup(env, "cycle", "--date", "2026-03-20", "--format", "json"))
    assert real == dry
    assert _fingerprint(tmp_path) != before
