"""A customer locked for its work must not block a row that merely names it (PostgreSQL).

The load test found this deadlock: a portal message appends to the audit chain (the head row
locked), and its event names the customer, so at COMMIT PostgreSQL checks that foreign key with
a KEY SHARE lock on the customer's row; meanwhile a promise locked that customer ``FOR UPDATE``
and waited for the audit head. ``FOR UPDATE`` blocks ``KEY SHARE``; ``FOR NO KEY UPDATE`` does not,
and it still serializes every writer that locks the customer. Recoup never changes a key, so every
lock it takes is ``no_key``.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from recoup.audit.actions import record
from recoup.ledger.actions import payment_record
from recoup.ledger.models import Payment

RECOUP = Path(__file__).resolve().parents[2]


def test_every_row_lock_in_the_code_leaves_foreign_key_checks_alone():
    bare = [f"{path.relative_to(RECOUP.parent)}:{n}" for path in sorted(RECOUP.rglob("*.py")) if "tests" not in path.parts
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(r"select_for_update\((?![^)]*no_key=True)", line)]
    assert bare == [], "lock with select_for_update(no_key=True): " + ", ".join(bare)


def _someone_waits_for_a_lock(timeout: float = 10.0) -> bool:
    """True once another session waits for a lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connections["default"].cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")  # live, unlike pg_stat_activity
            if cur.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_event_naming_a_customer_commits_while_a_payment_holds_the_customer(
        org_a, make_customer, make_invoice, system, now):
    customer = make_customer(org_a)
    make_invoice(org_a, customer, "INV-1", "100.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    head_taken = threading.Event()
    errors: list[BaseException] = []

    def message_from_the_portal() -> None:
        # Appends to the chain first (the head locked), naming the customer; commits once the payment waits.
        try:
            with transaction.atomic():
                record(org=org_a, actor=system, at=now, verb="portal.message", subject=customer,
                       summary="A message from the portal", customer=customer)
                head_taken.set()
                assert _someone_waits_for_a_lock(), "the payment never got as far as waiting for the head"
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    def payment() -> None:
        # Locks the customer, then appends to the chain: the other order.
        try:
            head_taken.wait(10)
            payment_record(org=org_a, customer=customer, date=date(2026, 2, 1), amount_minor=6000,
                           currency="GBP", actor=system, now=now)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=message_from_the_portal), threading.Thread(target=payment)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert errors == []
    assert Payment.objects.filter(customer=customer).count() == 1
