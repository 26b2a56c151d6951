"""Write back: a payment recorded in Recoup reaches the books once, and comes back linked."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from recoup.audit.actions import Actor
from recoup.connections.actions import books_settings_update
from recoup.connections.models import Writeback, WritebackStatus
from recoup.connections.sync import sync_connection
from recoup.connections.tests.xero_double import XeroDouble
from recoup.connections.writeback import writeback_run
from recoup.ledger.actions import payment_record
from recoup.ledger.models import Invoice, Payment

ROOT = Path(__file__).resolve().parents[3]


def _pay_in_recoup(org, number: str, minor: int, now):
    invoice = Invoice.objects.for_org(org).get(number=number)
    return payment_record(org=org, customer=invoice.customer, date=now.date(), amount_minor=minor,
                          currency=invoice.currency, invoice=invoice, method="card", reference="portal",
                          actor=Actor.system("portal"), now=now)


def test_a_payment_recorded_in_recoup_is_written_to_xero_once_and_linked_by_the_next_sync(
        org_a, connection, seeded, xero, now):
    sync_connection(connection=connection, now=now)
    _pay_in_recoup(org_a, "INV-0004", 2000, now)
    report = writeback_run(now=now, org=org_a)
    assert (report.collected, report.written) == (1, 1)
    written = [p for p in xero.payments.values() if p["Reference"].startswith("Recoup ")]
    assert len(written) == 1 and written[0]["Amount"] == Decimal("20.00")
    put = [r for r in xero.requests if r.method == "PUT"]
    assert put[0].headers["Idempotency-Key"] == Writeback.objects.get().key
    assert writeback_run(now=now, org=org_a).written == 0  # nothing twice
    payments = Payment.objects.for_org(org_a).count()
    result = sync_connection(connection=connection, now=now)
    assert result.ok and not result.counts.get("payments_created")
    assert Payment.objects.for_org(org_a).count() == payments
    assert Invoice.objects.for_org(org_a).get(number="INV-0004").open_minor == 3050
    assert xero.invoices[seeded["c1"]]["AmountDue"] == Decimal("30.50")


def test_payments_that_came_from_the_books_are_not_written_back(org_a, connection, seeded, xero, now):
    sync_connection(connection=connection, now=now)
    assert writeback_run(now=now, org=org_a).collected == 0


def test_the_organization_can_turn_write_back_off(org_a, connection, seeded, xero, now, system):
    sync_connection(connection=connection, now=now)
    books_settings_update(org=org_a, actor=system, now=now, writeback=False)
    _pay_in_recoup(org_a, "INV-0004", 2000, now)
    assert writeback_run(now=now, org=org_a).collected == 0
    assert not [p for p in xero.payments.values() if p["Reference"].startswith("Recoup ")]


def test_a_refused_write_is_kept_with_the_error_and_a_server_error_is_retried(org_a, connection, seeded, xero, now):
    sync_connection(connection=connection, now=now)
    _pay_in_recoup(org_a, "INV-0004", 2000, now)
    xero.down = True
    report = writeback_run(now=now, org=org_a)
    row = Writeback.objects.get()
    assert report.retried == 1 and row.status == WritebackStatus.PENDING and "unreachable" in row.last_error
    xero.down = False
    assert writeback_run(now=now + timedelta(minutes=2), org=org_a).written == 1


def test_a_worker_killed_after_sending_and_before_recording_writes_the_payment_once(tmp_path):
    double = XeroDouble()
    contact = double.add_contact("Alpha Ltd", number="A-1")
    invoice_id = double.add_invoice(contact, "INV-0001", "100.00")
    server, url = double.serve()
    received, hold = threading.Event(), threading.Event()

    def stall():  # the answer waits until the worker is dead
        received.set()
        hold.wait(30)
    double.after_put = stall
    env = {**os.environ, "RECOUP_DATABASE_URL": f"sqlite:///{tmp_path / 'wb.sqlite3'}", "RECOUP_VAR_DIR": str(tmp_path),
           "RECOUP_SECRET_KEY": "wb", "RECOUP_XERO_URL": url, "RECOUP_XERO_CLIENT_ID": "c",
           "RECOUP_XERO_CLIENT_SECRET": "s", "DJANGO_SETTINGS_MODULE": "recoup.settings"}

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    try:
        run("-m", "recoup.cli", "migrate", "-v0")
        run("-m", "recoup.connections.tests.writebackload", "setup")
        worker = subprocess.Popen([sys.executable, "-m", "recoup.cli", "writeback", "--now", "2026-03-31T09:00+00:00"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert received.wait(60), "the worker never sent the payment"
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        double.after_put = None
        hold.set()
        state = json.loads(run("-m", "recoup.connections.tests.writebackload", "report"))
        assert state["writebacks"][0][0] == "sending"  # the answer was never recorded
        # Later (the claim is stale), another worker takes it back: the payment is found, not sent again.
        run("-m", "recoup.cli", "writeback", "--now", "2026-03-31T09:10+00:00")
        run("-m", "recoup.connections.tests.writebackload", "sync")
        state = json.loads(run("-m", "recoup.connections.tests.writebackload", "report"))
    finally:
        hold.set()
        server.shutdown()
    ours = [p for p in double.payments.values() if p["Invoice"]["InvoiceID"] == invoice_id]
    assert len(ours) == 1 and ours[0]["Amount"] == Decimal("40.00")
    assert double.invoices[invoice_id]["AmountDue"] == Decimal("60.00")
    assert state["open_minor"] == 6000 and state["payments"] == 1  # not reduced twice
    assert state["writebacks"][0][0] == "written" and state["writebacks"][0][2] == ours[0]["PaymentID"]


def test_the_write_back_loop_writes_and_keeps_itself_going(org_a, connection, seeded, xero, now,
                                                         django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    from recoup.connections import tasks

    sync_connection(connection=connection, now=now)
    _pay_in_recoup(org_a, "INV-0004", 2000, now)
    result = tasks.run_writeback.call()
    assert result["written"] == 1
    waiting = DBTaskResult.objects.filter(task_path=tasks.run_writeback.module_path, status="READY")
    assert waiting.count() == 1  # the next round is queued while a connection is active
