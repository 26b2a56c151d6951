"""Time the aging report at a million invoices against a bare read of the same rows.

    .venv/bin/python bench/aging_bench.py [--customers 200000] [--invoices 1000000]
                                          [--db PATH] [--keep] [--seed 1] [--as-of 2026-03-31]

Builds a FRESH SQLite database (migrated, one organization), fills it with
bulk SQL inserts in one transaction (the ledger actions would take hours at
this size), checks that every stored open balance equals total - allocations,
then times, best of 3:

- aging: ``recoup.reports.aging.aging(...)`` plus its JSON rendering, the code
  path of ``recoup aging --as-of DATE --format json``;
- bare: one SELECT fetching (id, customer_id, currency, due_date, open_minor)
  of the open invoices issued on or before the date;

for the as-of date and for a date 90 days earlier, and prints both timings
and their ratio (aim: aging within 3x of the bare read).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 50_000
BARE_SQL = """
    SELECT id, customer_id, currency, due_date, open_minor FROM ledger_invoice
     WHERE org_id = %s AND open_minor <> 0 AND issue_date <= %s
"""


def build_parser(description: str) -> argparse.ArgumentParser:
    """The options of the database builder, shared by every benchmark that uses it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="SQLite file to build (must not exist; default: a temp file)")
    parser.add_argument("--keep", action="store_true", help="keep the database file afterwards")
    parser.add_argument("--seed", type=int, default=1)
    return parser


def checked_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if args.customers < 1 or args.invoices < 1:
        parser.error("--customers and --invoices must be at least 1")
    return args


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = build_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 3, 31))
    parser.add_argument("--repeat", type=int, default=3, help="timings are the best of this many runs")
    parser.add_argument("--past-days", type=int, default=90, help="the second as-of date is this many days earlier")
    parser.add_argument("--limit", type=float, default=300, help="interrupt one timed run after this many seconds")
    return checked_args(parser, argv)


def setup_django(db: Path, var_dir: Path) -> None:
    """Point Recoup at the fresh database before Django reads its settings."""
    os.environ["RECOUP_DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["RECOUP_VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "recoup.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


class Inserter:
    """executemany INSERTs for one model, filling the columns we do not vary with their defaults."""

    def __init__(self, cursor, model, varying: list[str], fixed: dict):
        fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in varying]
        self.cursor = cursor
        self.columns = [f.column for f in fields]
        self.template = []
        for f in fields:
            if f.attname in varying:
                self.template.append(None)
            elif f.attname in fixed:
                self.template.append(fixed[f.attname])
            elif f.has_default() or (not f.null and f.empty_strings_allowed and f.blank):
                self.template.append(f.get_db_prep_save(f.get_default(), connection=cursor.db))
            elif f.null:
                self.template.append(None)
            else:
                raise SystemExit(f"bench: no value for {model.__name__}.{f.attname}; add it to fixed")
        self.positions = [next(i for i, f in enumerate(fields) if f.attname == name) for name in varying]
        marks = ", ".join(["%s"] * len(fields))
        self.sql = f"INSERT INTO {model._meta.db_table} ({', '.join(self.columns)}) VALUES ({marks})"
        self.pending: list[tuple] = []
        self.count = 0

    def add(self, *values) -> None:
        row = self.template.copy()
        for pos, value in zip(self.positions, values):
            row[pos] = value
        self.pending.append(tuple(row))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.cursor.executemany(self.sql, self.pending)
            self.count += len(self.pending)
            self.pending = []


def build(args: argparse.Namespace) -> dict:
    """Fill the database; returns counts. Ids are assigned here: the tables start empty."""
    from django.db import connection, transaction

    from recoup.audit.actions import Actor
    from recoup.core.terms import Terms
    from recoup.ledger.models import Allocation, Customer, Invoice, Payment
    from recoup.orgs.actions import org_create

    rng = random.Random(args.seed)
    created = datetime(2026, 1, 1, tzinfo=timezone.utc)
    org = org_create(slug="bench", legal_name="Bench Ltd", currency="GBP", country="GB", actor=Actor.system("bench"),
                     now=created)
    start = args.as_of - timedelta(days=730)
    agreed = json.dumps(Terms().to_dict())
    with transaction.atomic(), connection.cursor() as cur:
        common = {"org_id": org.pk, "created_at": created}
        customers = Inserter(cur, Customer, ["id", "ref", "legal_name", "kind"], common)
        for cid in range(1, args.customers + 1):
            customers.add(cid, f"C{cid:07d}", f"Customer {cid}", "consumer" if cid % 4 == 0 else "business")
        customers.flush()
        invoices = Inserter(cur, Invoice, ["id", "customer_id", "number", "issue_date", "due_date", "currency",
                                           "net_minor", "tax_minor", "total_minor", "open_minor", "status"],
                            {**common, "agreed_terms": agreed, "terms_id": org.default_terms_id})
        payments = Inserter(cur, Payment, ["id", "customer_id", "date", "amount_minor", "currency", "reference",
                                           "named_invoice_id", "unapplied_minor"], common)
        allocations = Inserter(cur, Allocation, ["invoice_id", "payment_id", "date", "amount_minor"], common)
        pid = 0
        for iid in range(1, args.invoices + 1):
            customer = rng.randint(1, args.customers)
            issue = start + timedelta(days=rng.randint(0, 730))
            due = issue + timedelta(days=30)
            currency = "EUR" if customer % 20 == 0 else "GBP"
            net = rng.randint(5_000, 500_000)
            tax = net // 5
            total = net + tax
            fate = rng.random()
            paid_on = due + timedelta(days=rng.randint(-25, 45))
            paid = 0
            if fate < 0.72 and paid_on <= args.as_of:
                paid = total if fate < 0.64 else total * rng.choice([3, 5, 7]) // 10
            open_minor = total - paid
            invoices.add(iid, customer, f"INV-{iid:07d}", issue, due, currency, net, tax, total, open_minor,
                         "open" if open_minor else "paid")
            if paid:
                pid += 1
                payments.add(pid, customer, paid_on, paid, currency, f"INV-{iid:07d}", iid, 0)
                allocations.add(iid, pid, paid_on, paid)
        for inserter in (invoices, payments, allocations):
            inserter.flush()
    return {"customers": customers.count, "invoices": invoices.count, "payments": payments.count,
            "allocations": allocations.count, "org": org}


def check_balances(org) -> tuple[int, int]:
    """(open invoices, invoices whose stored open balance is not total - allocations)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""
            SELECT SUM(CASE WHEN i.open_minor <> 0 THEN 1 ELSE 0 END),
                   SUM(CASE WHEN i.open_minor <> i.total_minor - COALESCE(a.amt, 0) THEN 1 ELSE 0 END)
              FROM ledger_invoice i
              LEFT JOIN (SELECT invoice_id, SUM(amount_minor) AS amt FROM ledger_allocation GROUP BY invoice_id) a
                ON a.invoice_id = i.id
             WHERE i.org_id = %s""", [org.pk])
        open_count, broken = cur.fetchone()
    return int(open_count or 0), int(broken or 0)


def best_of(repeat: int, fn, limit_s: float) -> tuple[float, object]:
    """Best time of ``repeat`` runs; a run over ``limit_s`` is interrupted and reported as inf."""
    from django.db import connection, utils

    best, result = float("inf"), None
    for _ in range(repeat):
        connection.ensure_connection()
        timer = threading.Timer(limit_s, connection.connection.interrupt)
        timer.start()
        started = time.perf_counter()
        try:
            result = fn()
        except utils.OperationalError as exc:
            if "interrupt" not in str(exc):
                raise
            return float("inf"), None
        finally:
            timer.cancel()
        best = min(best, time.perf_counter() - started)
    return best, result


def time_date(org, as_of: date, repeat: int, limit_s: float) -> dict:
    from django.db import connection

    from recoup.reports.aging import aging

    def run_aging():
        return json.dumps(aging(org=org, as_of=as_of).as_json())

    def run_bare():
        with connection.cursor() as cur:
            cur.execute(BARE_SQL, [org.pk, connection.ops.adapt_datefield_value(as_of)])
            return cur.fetchall()

    bare_s, rows = best_of(repeat, run_bare, limit_s)
    aging_s, text = best_of(repeat, run_aging, limit_s)
    return {"as_of": as_of.isoformat(), "bare_s": bare_s, "aging_s": aging_s, "ratio": aging_s / bare_s,
            "open_rows": len(rows), "report_rows": len(json.loads(text)["rows"]) if text else None}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="recoup-bench-"))
    db = args.db.resolve() if args.db else work / "bench.sqlite3"
    if db.exists():
        raise SystemExit(f"bench: {db} exists; the benchmark needs a fresh database")
    setup_django(db, work)
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, skip_checks=True)
    counts = build(args)
    build_s = time.perf_counter() - started
    open_count, broken = check_balances(counts["org"])
    size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
    print(f"built {counts['customers']:,} customers, {counts['invoices']:,} invoices, {counts['payments']:,} payments,"
          f" {counts['allocations']:,} allocations in {build_s:.1f} s; database {size / 2**20:.0f} MiB ({db})")
    print(f"open invoices: {open_count:,} ({open_count / counts['invoices']:.0%}); "
          f"stored balances inconsistent: {broken}", flush=True)
    for as_of in (args.as_of, args.as_of - timedelta(days=args.past_days)):
        r = time_date(counts["org"], as_of, args.repeat, args.limit)
        aging_text = (f"aging {r['aging_s'] * 1000:.0f} ms ({r['report_rows']:,} report rows)"
                      if r["report_rows"] is not None else f"aging interrupted after {args.limit:.0f} s")
        print(f"as of {r['as_of']}: {aging_text}, bare SELECT {r['bare_s'] * 1000:.0f} ms ({r['open_rows']:,} rows), "
              f"ratio {r['ratio']:.2f}x (best of {args.repeat})", flush=True)
    if not args.keep:
        for p in db.parent.glob(db.name + "*"):
            p.unlink()
        shutil.rmtree(work, ignore_errors=True)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
