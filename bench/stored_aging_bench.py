"""Time the aging report and the dashboard on today's stored aging rows, at sizes where writing the
whole insight snapshot would not fit a bench run (200,000 customers / 1,000,000 invoices).

    .venv/bin/python bench/stored_aging_bench.py [--customers 200000] [--invoices 1000000]
                                                 [--db PATH] [--keep] [--repeat 5] [--changes 200]
                                                 [--database-url postgres://.../recoup_agingbench]

Builds the ledger with bench/aging_bench.py's generator (or reuses ``--db`` / a built
``--database-url``), refreshes the planner's statistics, then times:

- the day's aging rows written (``reports.aging_store.store_write``, the scheduler's job after the
  cycle), and the live figures the pages computed before (``aging()`` for the report,
  ``aging_totals`` + ``most_overdue`` for the dashboard), best of 3;
- the aging report (page 1 and a page deep in the list) and the dashboard through Django's test
  client as an owner, warm, median and best of ``--repeat``, with the process's CPU time. The
  dashboard's insight cards are left out (``_at_a_glance`` returns nothing): they read one stored
  insight row, and computing that snapshot at this size is what this bench avoids;
- ``--changes`` customers paid through ``payments_record_named`` (a bank statement's matched lines)
  after the rows were stored: the first visit, which folds them in, and a check that every stored
  row and the totals equal ``aging(org, as_of=today)``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import page_bench  # noqa: E402  (setup, clock, client and page timing shared with the page benchmark)


def timed(fn, repeat: int = 3) -> tuple[float, float, object]:
    """Best wall and CPU ms of ``repeat`` calls, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return min(walls) * 1000, min(cpus) * 1000, result


def main(argv: list[str] | None = None) -> int:
    parser = page_bench.aging_bench.build_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--changes", type=int, default=200, help="customers paid after the rows were stored")
    parser.add_argument("--today", type=page_bench.date.fromisoformat, default=page_bench.date(2026, 3, 31))
    parser.add_argument("--database-url")
    args = page_bench.aging_bench.checked_args(parser, argv)
    args.as_of = args.today
    started = time.perf_counter()
    must_build, where = page_bench.setup(args)
    page_bench.pin_clock(args.today)
    if must_build:
        counts = page_bench.aging_bench.build(args)
        print(f"built {counts['customers']:,} customers, {counts['invoices']:,} invoices in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
    else:
        print(f"reusing the database at {where}", flush=True)

    from django.db import connection
    from django.urls import reverse
    from django.utils import timezone

    from recoup.audit.actions import Actor
    from recoup.ledger.bulk_actions import NamedPayment, payments_record_named
    from recoup.ledger.models import Invoice
    from recoup.lib.planner import planner_statistics_refresh
    from recoup.reports import aging_store
    from recoup.reports.aging import aging, aging_totals
    from recoup.web import selectors
    from recoup.web.views import dashboard

    org, client = page_bench.owner_client()
    today = args.today
    planner_statistics_refresh()
    print(f"{connection.vendor}; load average {os.getloadavg()[0]:.2f}", flush=True)

    wall, cpu, rows = timed(lambda: aging_store.store_write(org=org, on=today, now=timezone.now()), repeat=1)
    print(f"stored aging rows written: {rows:,} rows in {wall:,.0f} ms ({cpu:,.0f} ms CPU)", flush=True)
    wall, cpu, report = timed(lambda: aging(org=org, as_of=today))
    print(f"live aging() (the report before): {wall:,.0f} ms ({cpu:,.0f} ms CPU), {len(report.rows):,} rows")
    wall, cpu, _ = timed(lambda: (aging_totals(org=org, as_of=today), selectors.most_overdue(org, today=today)))
    print(f"live aging_totals + most_overdue (the dashboard before): {wall:,.0f} ms ({cpu:,.0f} ms CPU)", flush=True)

    dashboard._at_a_glance = lambda org, today: {}
    deep = max(1, len(report.rows) // 100 // 2)
    pages = [("dashboard (no insight cards)", reverse("dashboard", args=[org.slug])),
             ("aging", reverse("aging", args=[org.slug])),
             (f"aging page {deep}", reverse("aging", args=[org.slug]) + f"?page={deep}")]
    print(f"{'page':32} {'median ms':>10} {'best ms':>9} {'cpu ms':>7} {'queries':>8}  status")
    for name, url in pages:
        r = page_bench.time_page(client, url, args.repeat)
        print(f"{name:32} {r['median_ms']:10.0f} {r['best_ms']:9.0f} {r['cpu_ms']:7.0f} {r['queries']:8d}  "
              f"{r['status']}", flush=True)

    chosen, seen = [], set()
    owing = Invoice.objects.for_org(org).filter(open_minor__gt=0, issue_date__lte=today).order_by("pk")
    for invoice in owing.iterator():
        if invoice.customer_id not in seen:
            seen.add(invoice.customer_id)
            chosen.append(invoice)
            if len(chosen) == args.changes:
                break
    if connection.vendor == "postgresql":  # the generator inserts its own ids: move the sequences past them
        from django.core.management.color import no_style

        from recoup.ledger.models import Allocation, Payment

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Payment, Allocation]):
                cursor.execute(sql)
    payments_record_named(org=org, actor=Actor.system("bench"), now=timezone.now(), items=[
        NamedPayment(invoice=i, date=today, amount_minor=max(1, i.open_minor // 2), reference="bench")
        for i in chosen])
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    status = client.get(reverse("aging", args=[org.slug])).status_code
    print(f"first aging visit after {len(chosen)} customers paid (folds them in): "
          f"{(time.perf_counter() - wall_started) * 1000:,.0f} ms ({(time.process_time() - cpu_started) * 1000:,.0f} ms"
          f" CPU), {status}", flush=True)
    live = aging(org=org, as_of=today)
    stored = [aging_store.as_aging_row(r) for r in aging_store.stored_rows(org).iterator()]
    same = ([(r.customer_id, r.currency, r.buckets_minor, r.credit_minor) for r in stored]
            == [(r.customer_id, r.currency, r.buckets_minor, r.credit_minor) for r in live.rows]
            and aging_store.stored_totals(org, today).totals_minor == live.totals_minor)
    print(f"stored rows and totals equal aging(org, as_of=today): {same}")
    if not args.keep and not args.database_url and must_build:
        for p in where.parent.glob(where.name + "*"):
            p.unlink()
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
