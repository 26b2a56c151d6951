"""Time the customers worklist (its SQL: count and one page of 50, each sort) and the next steps of a page.

    .venv/bin/python bench/worklist_bench.py [--customers 20000] [--invoices 100000] [--db PATH] [--keep]

Builds a FRESH SQLite database with bench/aging_bench.py's builder (payments leave part of the
invoices open), installs the default policies, then times, best of ``--repeat``, for each sort
of the worklist: the paginator's count and the first page's rows (every column annotated in SQL),
and ``collections.next_steps`` for that page's 50 customers. Aim: each well under a second at
20,000 customers and 100,000 invoices.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import aging_bench  # noqa: E402  (the builder, reused as is)

SORTS = ["", "-overdue", "-days_late", "last_contact", "next_on"]


def best(repeat: int, fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def main(argv: list[str] | None = None) -> int:
    parser = aging_bench.build_parser(__doc__.split("\n\n")[0])
    parser.set_defaults(customers=20_000, invoices=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="print each sort's query plan")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 3, 31), help="the worklist's today")
    args = aging_bench.checked_args(parser, argv)
    work = Path(tempfile.mkdtemp(prefix="recoup-worklist-bench-"))
    db = args.db.resolve() if args.db else work / "bench.sqlite3"
    if db.exists():
        raise SystemExit(f"bench: {db} exists; the benchmark needs a fresh database")
    aging_bench.setup_django(db, work)
    from django.core.management import call_command

    from recoup.audit.actions import Actor
    from recoup.collections.actions import policies_install_defaults
    from recoup.collections.next_steps import next_steps
    from recoup.ledger.models import Customer
    from recoup.web.customer_worklist import worklist, worklist_page, worklist_sort

    call_command("migrate", verbosity=0, skip_checks=True)
    counts = aging_bench.build(args)
    org = counts["org"]
    today = args.as_of
    policies_install_defaults(org=org, actor=Actor.system("bench"),
                              now=datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc))
    print(f"built {counts['customers']:,} customers, {counts['invoices']:,} invoices ({db})", flush=True)
    base = worklist(Customer.objects.for_org(org), org=org, today=today, currency=org.base_currency)
    for sort in SORTS:
        ordered = worklist_sort(base, sort)
        if args.explain:
            print(ordered.values_list("pk", flat=True)[:50].explain())
        took_count, total = best(args.repeat, lambda: ordered.count())
        took_page, page = best(args.repeat, lambda: worklist_page(
            base, list(ordered.values_list("pk", flat=True)[:50])))
        took_steps, steps = best(args.repeat, lambda: next_steps(org=org, customer_ids=[c.pk for c in page],
                                                                  today=today))
        print(f"sort {sort or 'name (default)':<12} count {total:,} in {took_count * 1000:.0f} ms; "
              f"page of {len(page)} in {took_page * 1000:.0f} ms; next steps of the page ({len(steps)} invoices) "
              f"in {took_steps * 1000:.0f} ms", flush=True)
    if not args.keep:
        db.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
