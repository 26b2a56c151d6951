"""Time a first sync and an incremental sync from the local Xero (recoup/connections/fakes).

    .venv/bin/python bench/sync_bench.py [--contacts 2000] [--invoices 10000] [--changes 100] [--db PATH]
                                         [--profile PATH]

Builds a FRESH SQLite database, starts the Xero fake over HTTP (its rate limits off: the real
Xero's 60 calls a minute would add waiting, not work), seeds it through its books' rules
(``xero_seed.seed_bulk``: 3% drafts, 2% voided, 40% paid or part paid), connects through the
OAuth flow, then times:

- first: the first sync of everything (contacts, invoices, credit notes, payments);
- incremental: a sync after ``--changes`` changes made in Xero (half payments, a quarter voids,
  a quarter new invoices);

and checks that Recoup's open amount per customer equals Xero's amounts due to the cent.
Aims (issue 22): first sync of 10,000 invoices and 2,000 contacts under 60 s, 100 changes under 3 s.
"""

from __future__ import annotations

import argparse
import cProfile
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
import aging_bench  # noqa: E402  (setup_django)

NOW = datetime(2026, 3, 31, 6, 0, tzinfo=timezone.utc)
REDIRECT = "http://127.0.0.1:8000/connections/callback/"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--invoices", type=int, default=10000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--profile", type=Path, help="write cProfile stats of each sync to PATH.first and PATH.incremental")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    db = args.db or tmp / "bench.sqlite3"
    if db.exists():
        db.unlink()
    try:
        aging_bench.setup_django(db, tmp)
        return run(args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if args.db is None and db.exists():
            db.unlink()


def run(args) -> int:
    from django.conf import settings
    from django.core.management import call_command

    from recoup.audit.actions import Actor
    from recoup.connections.actions import connect_complete, connect_start
    from recoup.connections.fakes.server import FrozenClock
    from recoup.connections.fakes.xero import FakeXero
    from recoup.connections.fakes.xero_seed import seed_bulk
    from recoup.connections.sync import sync_connection
    from recoup.ledger.models import Invoice
    from recoup.orgs.actions import org_create

    call_command("migrate", verbosity=0, skip_checks=True)
    org = org_create(slug="bench", legal_name="Bench Ltd", currency="GBP", country="GB", timezone="Europe/London",
                     actor=Actor.system("bench"), now=NOW)
    # The fake checks every exchange against the description in tests; here it would time itself, not Recoup.
    with FakeXero(redirect_uris=[REDIRECT], clock=FrozenClock(NOW), limits=False, validate=False) as xero:
        settings.RECOUP_BOOKS = {**settings.RECOUP_BOOKS, "xero": {
            "client_id": xero.client_id, "client_secret": xero.client_secret, "webhook_key": "", "url": xero.url}}
        books = xero.add_tenant("Bench Ltd", currency="GBP")
        seeded = seed_bulk(books, contacts=args.contacts, invoices=args.invoices, now=NOW - timedelta(hours=1))
        print(f"seeded Xero: {seeded}")
        url = connect_start(org=org, provider="xero", redirect_uri=REDIRECT, user=None, now=NOW)
        back = {k: v[0] for k, v in parse_qs(urlparse(xero.approve(url)).query).items()}
        connection = connect_complete(state=back["state"], code=back["code"], callback=back,
                                      actor=Actor.system("bench"), now=NOW, org=org)
        started, cpu = time.perf_counter(), time.process_time()
        with profiled(args.profile, "first"):
            first = sync_connection(connection=connection, now=NOW)
        first_s, first_cpu = time.perf_counter() - started, time.process_time() - cpu
        assert first.ok, first.error
        print(f"first sync: {first_s:.1f} s ({first_cpu:.1f} s of CPU, the fake's threads included); {Invoice.objects.for_org(org).count():,} invoices, {first.counts}")
        check(org, books)

        later = NOW + timedelta(hours=1)
        xero.clock.set(later)
        open_ids = [i["InvoiceID"] for i in books.invoices.values()
                    if i["Type"] == "ACCREC" and i["Status"] == "AUTHORISED" and i["AmountDue"] == i["Total"]]
        contact = next(iter(books.contacts.values()))["ContactID"]
        pays, voids = args.changes // 2, args.changes // 4
        for invoice_id in open_ids[:pays]:
            xero.mark_paid(invoice_id, at=later)
        for invoice_id in open_ids[pays:pays + voids]:
            xero.mark_voided(invoice_id, at=later)
        for n in range(args.changes - pays - voids):
            books.put_invoice({"Type": "ACCREC", "Contact": {"ContactID": contact}, "Status": "AUTHORISED",
                               "Date": "2026-03-31", "DueDate": "2026-04-30",
                               "LineItems": [{"Description": "More", "Quantity": 1, "UnitAmount": Decimal("12.34"),
                                              "AccountCode": "200"}]}, later)
        started, cpu = time.perf_counter(), time.process_time()
        with profiled(args.profile, "incremental"):
            again = sync_connection(connection=connection, now=later)
        incremental_s, incremental_cpu = time.perf_counter() - started, time.process_time() - cpu
        assert again.ok, again.error
        print(f"incremental sync of {args.changes} changes: {incremental_s:.2f} s ({incremental_cpu:.2f} s of CPU); "
              f"{again.counts}")
        check(org, books)
        xero.check()
    print(f"aims: first < 60 s ({'met' if first_s < 60 else 'MISSED'}), "
          f"incremental < 3 s ({'met' if incremental_s < 3 else 'MISSED'})")
    return 0


@contextmanager
def profiled(path: Path | None, name: str):
    """cProfile the block into ``PATH.name`` (read with ``python -m pstats``), or nothing without a path."""
    if path is None:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(f"{path}.{name}")


def check(org, books) -> None:
    from recoup.ledger.models import Invoice

    theirs: dict[str, Decimal] = {}
    for inv in books.invoices.values():
        if inv["Type"] == "ACCREC" and inv["Status"] in ("AUTHORISED", "PAID") and inv["AmountDue"]:
            name = books.contacts[inv["Contact"]["ContactID"]]["Name"]
            theirs[name] = theirs.get(name, Decimal(0)) + inv["AmountDue"]
    ours: dict[str, Decimal] = {}
    for inv in Invoice.objects.for_org(org).select_related("customer").filter(open_minor__gt=0):
        ours[inv.customer.legal_name] = ours.get(inv.customer.legal_name, Decimal(0)) + inv.open_amount
    assert ours == theirs, "Recoup's open amounts per customer differ from Xero's amounts due"
    print(f"open per customer equals Xero's amounts due for {len(ours):,} customers, to the cent")


if __name__ == "__main__":
    sys.exit(main())
