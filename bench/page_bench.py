"""Time every operator page reachable from the dashboard at a given ledger size.

    .venv/bin/python bench/page_bench.py [--customers 20000] [--invoices 100000]
                                         [--db PATH] [--keep] [--repeat 5] [--aim-ms 300]
                                         [--database-url postgres://.../recoup_pagebench]

Builds the ledger with bench/aging_bench.py's generator (or reuses ``--db`` when the file
exists: build once with ``--keep``), writes the day's insight snapshot as the scheduler
does after the daily cycle (timed separately), signs in an owner with Django's test
client, follows the links the dashboard renders (its navigation, then one page of each
kind linked from those: one customer, one invoice, ...) and the searches of the invoice and customer
lists (``searches``), and times each page warm: the
first visit is discarded, then the median and best of ``--repeat`` visits, server time
(the test client calls the WSGI handler in this process: middleware, view, template).
Prints page, median ms, best ms, the median CPU time of this process (with SQLite, the
server's whole work: on a shared machine wall time includes waiting for a core), queries, HTML size; pages over ``--aim-ms`` are flagged
and the exit status is 1 when any page is over the aim or does not answer 200.
The clock is pinned to ``--today`` (the generator's as-of date) so figures repeat.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone as dt_timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import aging_bench  # noqa: E402  (the shared ledger generator)

SKIP_SUFFIXES = (".pdf", ".csv", ".xlsx", ".yaml", ".json", ".zip")
# Pages that change state on GET never exist; these are followed no further than their first visit.
LINK = re.compile(r'href="(/o/[^"#?]+)(\?[^"#]*)?"')


def parse_args(argv: list[str] | None):
    parser = aging_bench.build_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed visits per page (after one warm-up visit)")
    parser.add_argument("--aim-ms", type=float, default=300.0, help="flag pages slower than this (median)")
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 3, 31))
    parser.add_argument("--database-url", help="build on this database instead of SQLite (must be empty or built)")
    parser.add_argument("--max-pages", type=int, default=80)
    parser.add_argument("--only", default="", help="time only these kinds of page, e.g. dashboard,aging")
    args = aging_bench.checked_args(parser, argv)
    args.as_of = args.today
    return args


def setup(args) -> tuple[bool, Path]:
    """Point Django at the database; True when the ledger must be built."""
    work = Path(tempfile.mkdtemp(prefix="recoup-pagebench-"))
    os.environ["RECOUP_VAR_DIR"] = str(work)
    os.environ["DJANGO_SETTINGS_MODULE"] = "recoup.settings"
    os.environ.setdefault("RECOUP_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    if args.database_url:
        os.environ["RECOUP_DATABASE_URL"] = args.database_url
        db = None
    else:
        db = args.db.resolve() if args.db else work / "pages.sqlite3"
        os.environ["RECOUP_DATABASE_URL"] = f"sqlite:///{db}"
    sys.path.insert(0, str(aging_bench.ROOT))
    import django

    django.setup()
    from recoup.orgs.models import Organization

    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)
    return not Organization.objects.filter(slug="bench").exists(), db or work


def pin_clock(today: date) -> None:
    from django.utils import timezone

    pinned = datetime(today.year, today.month, today.day, 12, 0, tzinfo=dt_timezone.utc)
    timezone.now = lambda: pinned


def owner_client():
    from django.test import Client

    from recoup.audit.actions import Actor
    from recoup.orgs.actions import member_add
    from recoup.orgs.models import Membership, Organization

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    org = Organization.objects.get(slug="bench")
    user = get_user_model().objects.filter(username="bench-owner").first()
    if user is None or not Membership.objects.filter(org=org, user=user).exists():
        user = member_add(org=org, username="bench-owner", role="owner", actor=Actor.system("bench"),
                          now=timezone.now()).user
    client = Client()
    client.force_login(user)
    return org, client


def write_snapshot(org) -> float:
    """What the scheduler does after the day's cycle: the planner's statistics (SQLite) and the
    day's insight snapshot; returns seconds."""
    from django.utils import timezone

    from recoup.insight import actions
    from recoup.web.views.common import org_today

    insight_snapshot_write = actions.insight_snapshot_write

    from recoup.lib.planner import planner_statistics_refresh

    started = time.perf_counter()
    now = timezone.now()
    planner_statistics_refresh()
    from recoup.insight.models import InsightSnapshot

    from recoup.reports.aging_store import store_write
    from recoup.reports.models import AgingDay

    today = org_today(org, now)
    if not InsightSnapshot.objects.for_org(org).filter(on=today).exists():  # reused --db: kept
        insight_snapshot_write(org=org, on=today, now=now)  # the day's aging rows too
    elif not AgingDay.objects.filter(org=org, on=today).exists():  # a --db built before the stored aging
        store_write(org=org, on=today, now=now)
    return time.perf_counter() - started


def kind_of(path: str) -> str | None:
    from django.urls import Resolver404, resolve

    if path.endswith(SKIP_SUFFIXES):
        return None
    try:
        return resolve(path).url_name
    except Resolver404:
        return None


def crawl(client, start: str, max_pages: int) -> list[tuple[str, str]]:
    """(kind, url): the dashboard, each page its links reach, then one of each kind linked from those."""
    seen_kinds: dict[str, str] = {}
    frontier = [start]
    for _depth in range(3):
        found = []
        for url in frontier:
            kind = kind_of(url.split("?")[0])
            if kind is None or kind in seen_kinds or len(seen_kinds) >= max_pages:
                continue
            response = client.get(url)
            seen_kinds[kind] = url
            if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
                continue
            for path, query in LINK.findall(response.content.decode()):
                found.append(path + (query or ""))
        frontier = found
    return list(seen_kinds.items())


def searches(org, customers: int, invoices: int) -> list[tuple[str, str]]:
    """(kind, url): the search box of the invoice and customer lists, by what an operator types: an
    invoice number, a customer's reference or name (a handful of matches), a part of every tenth number
    (many), and a word nothing matches (the whole ledger looked at for nothing)."""
    from urllib.parse import urlencode

    from django.urls import reverse

    invoice = max(1, invoices // 2)
    customer = max(1, customers // 2 + 7)
    wanted = {
        "invoice_list": {"number": f"INV-{invoice:07d}", "customer ref": f"C{customer:07d}",
                         "customer name": f"Customer {customer}", "many": f"INV-{invoice // 100_000:02d}",
                         "nothing": "no such thing"},
        "customer_list": {"ref": f"C{customer:07d}", "name": f"Customer {customer}", "nothing": "no such thing"},
    }
    return [(f"{page} ?q={label}", reverse(page, args=[org.slug]) + "?" + urlencode({"q": q}))
            for page, queries in wanted.items() for label, q in queries.items()]


def time_page(client, url: str, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = client.get(url)  # warm-up (also: status, size)
    times, cpu = [], []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        queries = len(ctx.captured_queries)
    return {"status": response.status_code if first.status_code == 200 else first.status_code,
            "median_ms": statistics.median(times) * 1000, "best_ms": min(times) * 1000,
            "cpu_ms": statistics.median(cpu) * 1000,
            "queries": queries, "bytes": len(response.content)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    must_build, where = setup(args)
    pin_clock(args.today)
    if must_build:
        counts = aging_bench.build(args)
        print(f"built {counts['customers']:,} customers, {counts['invoices']:,} invoices in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
    else:
        print(f"reusing the database at {where}", flush=True)
    org, client = owner_client()
    print(f"planner statistics and insight snapshot written in {write_snapshot(org):.1f} s"
          " (the scheduler's daily job)", flush=True)
    from django.urls import reverse

    pages = crawl(client, reverse("dashboard", args=[org.slug]), args.max_pages)
    pages += searches(org, args.customers, args.invoices)
    if args.only:
        pages = [(kind, url) for kind, url in pages if kind.split(" ")[0] in args.only.split(",")]
    print(f"load average {os.getloadavg()[0]:.2f}; {len(pages)} pages; median and best of {args.repeat} warm visits")
    print(f"{'page':32} {'median ms':>10} {'best ms':>9} {'cpu ms':>7} {'queries':>8} {'KB':>8}  status")
    bad = 0
    for kind, url in pages:
        r = time_page(client, url, args.repeat)
        over = r["median_ms"] > args.aim_ms
        bad += over or r["status"] != 200
        flag = ("OVER AIM" if over else "") + ("" if r["status"] == 200 else f" HTTP {r['status']}")
        print(f"{kind:32} {r['median_ms']:10.0f} {r['best_ms']:9.0f} {r['cpu_ms']:7.0f} {r['queries']:8d} "
              f"{r['bytes'] / 1024:8.1f}  {r['status']} {flag}".rstrip(), flush=True)
    print(f"pages over {args.aim_ms:.0f} ms or not 200: {bad}")
    if not args.keep and not args.database_url and must_build:
        for p in where.parent.glob(where.name + "*"):
            p.unlink()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
