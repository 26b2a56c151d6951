"""Time the daily collections cycle over a million open invoices against a bare read of the same rows.

    .venv/bin/python bench/cycle_bench.py [--customers 200000] [--invoices 1000000]
                                          [--db PATH] [--keep] [--seed 1] [--date 2026-03-31]

Builds a FRESH SQLite database with bench/aging_bench.py's builder, then leaves EVERY invoice
open (its payments removed), gives each customer a billing contact with an e-mail, a phone and a postal address, and
installs the default policies. Then it times:

- cycle: ``cycle_run(dry_run=True)`` for the date: every decision made, every step action
  applied, every message rendered and queued, then all of it rolled back: the whole work of
  a first run over a ledger that has never been chased;
- bare: one SELECT fetching (id, customer_id, number, due_date, open_minor, currency) of
  the open invoices;

and prints both timings and their ratio (aim: the cycle within 5x of the bare read).
``--after-yesterday`` first runs the cycle for real for the day before (untimed), so the timed
run is an ordinary day: only the steps that fell due since. ``--history`` also records, before
that, every step decision up to two days before (bulk inserts, as if the cycle had run every day
until then), so the real run for the day before is itself an ordinary day: the way to measure an
ordinary day at full size without sending 200,000 first-run messages first.
``--profile FILE`` writes a cProfile of the cycle (read it with ``python -m pstats FILE``).
"""

from __future__ import annotations

import argparse
import cProfile
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import aging_bench  # noqa: E402  (the builder, reused as is)

BARE_SQL = """
    SELECT id, customer_id, number, due_date, open_minor, currency FROM ledger_invoice
     WHERE org_id = %s AND open_minor > 0
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = aging_bench.build_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--date", dest="as_of", type=date.fromisoformat, default=date(2026, 3, 31),
                        help="the day the cycle runs for")
    parser.add_argument("--repeat", type=int, default=3, help="the bare read is the best of this many runs")
    parser.add_argument("--after-yesterday", action="store_true",
                        help="first run the cycle for real for the day before (untimed), so the timed run is an "
                             "ordinary day rather than the first run over a ledger never chased")
    parser.add_argument("--history", action="store_true",
                        help="with --after-yesterday: bulk-record every decision up to two days before first")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the cycle to this file")
    return aging_bench.checked_args(parser, argv)


def open_everything_and_add_contacts(org) -> int:
    """Every invoice open in full (payments removed); one billing contact per customer, reachable on
    every channel (e-mail, phone, postal address). Returns the number of open invoices."""
    from django.db import connection, transaction

    from recoup.ledger.models import Allocation, Contact, Customer, Invoice, Payment

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {Allocation._meta.db_table} WHERE org_id = %s", [org.pk])
        cur.execute(f"DELETE FROM {Payment._meta.db_table} WHERE org_id = %s", [org.pk])
        cur.execute(f"UPDATE {Invoice._meta.db_table} SET open_minor = total_minor, status = 'open' "
                    "WHERE org_id = %s", [org.pk])
        contacts = aging_bench.Inserter(cur, Contact, ["customer_id", "name", "email"],
                                        {"org_id": org.pk, "phone": "+442079460000",
                                         "postal_address": "1 High Street\nLondon\nSW1A 1AA"})
        for customer_id, ref in Customer.objects.for_org(org).values_list("id", "ref").iterator(chunk_size=50_000):
            contacts.add(customer_id, f"Accounts {ref}", f"{ref.lower()}@debtor.example")
        contacts.flush()
    return Invoice.objects.for_org(org).filter(open_minor__gt=0).count()


def seed_history(org, through: date) -> int:
    """Record what daily runs up to ``through`` would have decided (no messages): every occurrence
    due by then, the most advanced one per invoice "due", the rest "superseded"."""
    from django.db import connection, transaction

    from recoup.collections.cycle import _decide
    from recoup.collections.cycle_facts import fetch_cycle_facts
    from recoup.collections.models import StepDecision

    facts = fetch_cycle_facts(org=org, on=through, full=True)
    with transaction.atomic(), connection.cursor() as cur:
        rows = aging_bench.Inserter(cur, StepDecision, ["invoice_id", "customer_id", "policy_id", "step_key",
                                                        "number", "status", "outcome"],
                                    {"org_id": org.pk, "decided_on": through})
        for work in facts.customers:
            if work.policy_id is None:
                continue
            for d in _decide(facts.policies[work.policy_id], work, through):
                rows.add(d.invoice_id, work.id, work.policy_id, d.step_key, d.number, d.status,
                         "queued" if d.status == "due" else "")
        rows.flush()
    return rows.count


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="recoup-cycle-bench-"))
    db = args.db.resolve() if args.db else work / "bench.sqlite3"
    if db.exists():
        raise SystemExit(f"bench: {db} exists; the benchmark needs a fresh database")
    aging_bench.setup_django(db, work)
    from django.core.management import call_command
    from django.db import connection

    from recoup.audit.actions import Actor
    from recoup.collections.actions import policies_install_defaults
    from recoup.collections.cycle import cycle_run

    started = time.perf_counter()
    call_command("migrate", verbosity=0, skip_checks=True)
    counts = aging_bench.build(args)
    org = counts["org"]
    org.sender_email = "accounts@bench.example"
    org.save(update_fields=["sender_email"])
    open_count = open_everything_and_add_contacts(org)
    now = datetime.combine(args.as_of, datetime.min.time(), tzinfo=timezone.utc).replace(hour=7)
    policies_install_defaults(org=org, actor=Actor.system("bench"), now=now)
    print(f"built {counts['customers']:,} customers (one contact each), {counts['invoices']:,} invoices, "
          f"{open_count:,} open, in {time.perf_counter() - started:.1f} s ({db})", flush=True)

    if args.history:
        took, seeded = _timed(lambda: seed_history(org, args.as_of - timedelta(days=2)))
        print(f"recorded {seeded:,} decisions up to {args.as_of - timedelta(days=2)} in {took:.1f} s (not timed)",
              flush=True)
    if args.after_yesterday or args.history:
        took, _ = _timed(lambda: cycle_run(org=org, on=args.as_of - timedelta(days=1), now=now - timedelta(days=1)))
        print(f"ran the real cycle for {args.as_of - timedelta(days=1)} in {took:.1f} s (not timed)", flush=True)

    def bare():
        with connection.cursor() as cur:
            cur.execute(BARE_SQL, [org.pk])
            return cur.fetchall()

    bare_s = min(_timed(bare)[0] for _ in range(args.repeat))
    profiler = cProfile.Profile() if args.profile else None
    cycle_s, result = _timed(lambda: cycle_run(org=org, on=args.as_of, now=now, dry_run=True), profiler)
    if profiler:
        profiler.dump_stats(args.profile)
    c = result.counts
    print(f"bare SELECT {bare_s * 1000:.0f} ms ({open_count:,} rows, best of {args.repeat})", flush=True)
    print(f"cycle (dry run) for {args.as_of}: {cycle_s:.2f} s; {c['customers']:,} customers, "
          f"{c['decisions']:,} decisions, {c['queued']:,} queued, {c['blocked']:,} blocked, "
          f"{c['deferred']:,} deferred; {open_count / cycle_s:,.0f} open invoices/s", flush=True)
    day = "an ordinary day, after a real run for the day before" if args.after_yesterday or args.history else "the first run"
    print(f"ratio {cycle_s / bare_s:.1f}x ({day}; aim: within 5x)")
    if not args.keep:
        connection.close()
        for p in db.parent.glob(db.name + "*"):
            p.unlink()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _timed(fn, profiler: cProfile.Profile | None = None):
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    try:
        result = fn()
    finally:
        if profiler:
            profiler.disable()
    return time.perf_counter() - started, result


if __name__ == "__main__":
    sys.exit(main())
