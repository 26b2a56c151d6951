"""Shared fixtures: two organizations, so every test can try to cross the line."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from datetime import date, datetime, timezone

import pytest

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)
_TESTS = itertools.count(1)


def require(what: str, available: bool, why: str) -> None:
    """Skip when an outside peer is missing, except in CI where it must be there."""
    if available:
        return
    if os.environ.get("RECOUP_REQUIRE_ALL") == "1":
        pytest.fail(f"{what} is required in CI but unavailable: {why}")
    pytest.skip(f"{what} unavailable: {why}")


def shared_data_dir() -> Path:
    """Where the shared sample files written by others live (read in place, never copied).

    RECOUP_SHARED_DATA overrides; otherwise ``../shared/data`` next to the checkout,
    else the workplace's ``/work/shared/data`` (a clean clone elsewhere, as CI makes).
    """
    if os.environ.get("RECOUP_SHARED_DATA"):
        return Path(os.environ["RECOUP_SHARED_DATA"])
    beside = Path(__file__).resolve().parent.parent / "shared" / "data"
    return beside if beside.is_dir() else Path("/work/shared/data")


@pytest.fixture
def shared_data() -> Path:
    """The shared sample data folder; a missing one skips (and fails in CI)."""
    path = shared_data_dir()
    require("shared sample data", path.is_dir(), f"{path} not found; set RECOUP_SHARED_DATA")
    return path


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture(scope="session")
def _audit_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("audit")


@pytest.fixture(autouse=True)
def audit_checkpoint_file(_audit_dir) -> Path:
    """Each test appends audit checkpoints to a file of its own (database ids repeat between tests), signed
    with one key made for the session, never the checkout's var/."""
    from django.conf import settings

    path = _audit_dir / f"checkpoints-{next(_TESTS)}.jsonl"
    before = settings.RECOUP_AUDIT_CHECKPOINT_FILE, settings.RECOUP_AUDIT_KEY_FILE
    settings.RECOUP_AUDIT_CHECKPOINT_FILE, settings.RECOUP_AUDIT_KEY_FILE = path, _audit_dir / "signing-key.pem"
    yield path
    settings.RECOUP_AUDIT_CHECKPOINT_FILE, settings.RECOUP_AUDIT_KEY_FILE = before


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_audit_trigger():
    """A transactional test ends with Django's flush, a TRUNCATE of every table, which PostgreSQL's audit
    trigger refuses (migration audit 0005): the test database is flushed as a replica session, in which
    no trigger fires. Production keeps the refusal."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with self.connection.cursor() as cur:
            cur.execute("SET session_replication_role = replica")
        try:
            original(self, sql_list)
        finally:
            with self.connection.cursor() as cur:
                cur.execute("SET session_replication_role = DEFAULT")

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original


@pytest.fixture
def system():
    from recoup.audit.actions import Actor

    return Actor.system("test")


@pytest.fixture
def org_a(db, system):
    from recoup.orgs.actions import org_create

    return org_create(slug="acme", legal_name="Acme Supplies Ltd", currency="GBP", country="GB",
                      timezone="Europe/London", actor=system, now=NOW)


@pytest.fixture
def org_b(db, system):
    from recoup.orgs.actions import org_create

    return org_create(slug="bolt", legal_name="Bolt Widgets Inc", currency="USD", country="US", region="CA",
                      timezone="America/Los_Angeles", actor=system, now=NOW)


@pytest.fixture
def make_customer():
    from recoup.ledger.models import Customer

    def make(org, ref="C001", name="Customer One", **kw):
        return Customer.objects.create(org=org, ref=ref, legal_name=name, **kw)

    return make


@pytest.fixture
def make_invoice(system):
    from decimal import Decimal

    from recoup.ledger.actions import LineInput, invoice_create

    def make(org, customer, number, amount, issue=date(2026, 1, 1), due=None, currency=None):
        return invoice_create(
            org=org, customer=customer, number=number, issue_date=issue, due_date=due,
            currency=currency or org.base_currency,
            lines=[LineInput(description="Goods", quantity=Decimal(1), unit_price=Decimal(amount))],
            actor=system, now=NOW,
        )

    return make


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres"):
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
        require("PostgreSQL", "postgresql" in engine,
                "this test needs PostgreSQL; set RECOUP_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test")
