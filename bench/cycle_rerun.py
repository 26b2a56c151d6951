"""Run the daily cycle again on a copy of a database kept by ``cycle_bench.py --keep``: time it, count its SQL.

    .venv/bin/python bench/cycle_rerun.py /tmp/first.sqlite3 [--date 2026-03-31] [--real] [--sites] [--warm]
                                                             [--bare] [--profile FILE] [--breakdown]

A dry run by default (``--real`` commits on the copy); the kept file is never touched. Prints the
wall-clock and CPU seconds of ``cycle_run`` and the statements it ran (``--sites``: by the line of
Recoup that ran them). To compare two versions of the code on the same data, run it with
``PYTHONPATH=<other checkout>`` (the ``recoup`` package is then imported from there; otherwise
from this checkout). ``--bare`` also times ``cycle_bench.py``'s bare read of the open invoices on the
copy (best of 3) and prints the ratio; ``--profile FILE`` writes a cProfile of the timed run.
``--breakdown`` prints the seconds the timed run spent in each part of the work (reading the day's
facts, rendering the messages, queuing them, ...), timed around those calls without a profiler, then
the run in two: reading, deciding and rescheduling the customers looked at (grows with the ledger)
and acting for those with something due (grows with the messages sent), each against the bare read.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path


def package_dirs(init_file: str) -> tuple[str, ...]:
    """The folder of the imported ``recoup`` package, as imported and with links resolved, each ending in
    a separator: the prefixes of the code's own frames. Not any path containing ``/recoup/``: a clone
    in a folder named recoup holds its virtual environment, and Django's frames, under such a path."""
    folder = os.path.dirname(os.path.abspath(init_file))
    return tuple(dict.fromkeys(os.path.join(path, "") for path in (folder, os.path.realpath(folder))))


def in_package(filename: str, package: tuple[str, ...]) -> str | None:
    """``filename`` relative to the package folder ("collections/cycle.py"), or None when outside it."""
    for prefix in package:
        if filename.startswith(prefix):
            return filename[len(prefix):]
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path, help="a database kept by cycle_bench.py --keep")
    parser.add_argument("--date", dest="on", type=date.fromisoformat, default=date(2026, 3, 31))
    parser.add_argument("--real", action="store_true", help="commit the run (on the copy) instead of a dry run")
    parser.add_argument("--sites", action="store_true", help="count the statements by the line that ran them")
    parser.add_argument("--warm", action="store_true",
                        help="first run the dry run once untimed (templates, rules and locale data loaded), "
                             "then time the run: the steady cost per customer of a long run")
    parser.add_argument("--bare", action="store_true", help="time the bare read of the open invoices too")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the timed run to this file")
    parser.add_argument("--breakdown", action="store_true", help="time the parts of the run (see BREAKDOWN)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="recoup-cycle-rerun-"))
    copy = work / "copy.sqlite3"
    shutil.copy(args.db, copy)
    os.environ["RECOUP_DATABASE_URL"] = f"sqlite:///{copy}"
    os.environ["RECOUP_VAR_DIR"] = str(work)
    os.environ["DJANGO_SETTINGS_MODULE"] = "recoup.settings"
    if not os.environ.get("PYTHONPATH"):
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's recoup
    import django

    django.setup()
    from django.db import connection

    import recoup
    from recoup.collections.cycle import cycle_run
    from recoup.orgs.models import Organization

    sites: Counter = Counter()
    package = package_dirs(recoup.__file__)

    def count(execute, sql, params, many, context):
        sites["all"] += 1
        if args.sites:
            for frame in reversed(traceback.extract_stack()[:-1]):
                inside = in_package(frame.filename, package)
                if inside is not None:
                    sites[f"{inside}:{frame.lineno} {frame.name}"] += 1
                    break
        return execute(sql, params, many, context)

    parts = _time_parts() if args.breakdown else None
    org = Organization.objects.order_by("pk").first()
    now = datetime.combine(args.on, datetime.min.time(), tzinfo=timezone.utc).replace(hour=7)
    if args.warm:
        cycle_run(org=org, on=args.on, now=now, dry_run=True)
    for tally in (parts or {}).values():
        tally[:] = [0, 0.0]  # the warm-up run is not counted
    profiler = cProfile.Profile() if args.profile else None
    with connection.execute_wrapper(count):
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        result = cycle_run(org=org, on=args.on, now=now, dry_run=not args.real)
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profiler:
        profiler.dump_stats(args.profile)
    c = result.counts
    print(f"recoup from {Path(recoup.__file__).parent}")
    print(f"cycle ({'real' if args.real else 'dry run'}) for {args.on}: {wall:.2f} s wall, {cpu:.2f} s CPU; "
          f"{c['customers']:,} customers, {c['decisions']:,} decisions, {c['queued']:,} queued; "
          f"{sites.pop('all', 0):,} SQL statements")
    bare_s = None
    if args.bare:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from cycle_bench import BARE_SQL

        def bare() -> tuple[float, int]:
            started = time.perf_counter()
            with connection.cursor() as cur:
                cur.execute(BARE_SQL, [org.pk])
                rows = len(cur.fetchall())
            return time.perf_counter() - started, rows

        bare_s, rows = min(bare() for _ in range(3))
        print(f"bare SELECT {bare_s * 1000:.0f} ms ({rows:,} rows, best of 3); ratio {wall / bare_s:.1f}x "
              f"(aim: within 5x)")
    if parts is not None:
        for part, (calls, seconds) in parts.items():
            print(f"  {part:<40} {seconds:8.2f} s  {calls:>9,} calls  {seconds / max(calls, 1) * 1000:8.3f} ms each")
        ledger = sum(parts[name][1] for name in LEDGER_PARTS)
        messages = c["queued"] + c["draft"] + c["blocked"]
        versus = (lambda s: f" ({s / bare_s:.1f}x the read)") if bare_s else (lambda s: "")
        print(f"reading, deciding and rescheduling the {c['customers']:,} customers looked at: {ledger:.2f} s"
              f"{versus(ledger)}")
        print(f"acting for the {parts['_act'][0]:,} with something due ({messages:,} messages): {wall - ledger:.2f} s"
              f"{versus(wall - ledger)}, {(wall - ledger) / max(messages, 1) * 1000:.2f} ms a message")
    for site, n in sites.most_common(30):
        print(f"{n:8,d}  {site}")
    connection.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


# The parts of a run timed by --breakdown: (module where the cycle looks the function up, its name).
# Nested parts are included in their callers (send_plans holds the gate, rendering and queuing).
BREAKDOWN = (
    ("recoup.collections.cycle", "fetch_cycle_facts"),
    ("recoup.collections.cycle", "standing_facts"),
    ("recoup.collections.cycle", "_decide"),
    ("recoup.collections.cycle", "_act"),
    ("recoup.collections.cycle", "send_plans"),
    ("recoup.collections.cycle_send", "contact_gate"),
    ("recoup.collections.cycle_send", "portal_urls"),
    ("recoup.collections.cycle_send", "render_message"),
    ("recoup.collections.cycle_send", "message_queue"),
    ("recoup.collections.cycle_send", "_with_disclosures"),
    ("recoup.collections.cycle_send", "_waiting"),
    ("recoup.collections.cycle", "apply_step_action"),
    ("recoup.audit.actions", "record"),
    ("recoup.collections.cycle", "chase_save"),
    ("recoup.collections.cycle", "_chase_rows"),
)
# The parts that read, decide and reschedule every customer looked at, acting or not: what grows with
# the ledger. The rest of the run acts for the customers with a message due and grows with the messages.
LEDGER_PARTS = ("fetch_cycle_facts", "_decide", "_chase_rows", "chase_save")


def _time_parts() -> dict[str, list]:
    """Wrap each BREAKDOWN function where the cycle looks it up; returns {name: [calls, seconds]}."""
    import functools
    import importlib

    parts: dict[str, list] = {}
    for module_name, name in BREAKDOWN:
        module = importlib.import_module(module_name)
        original = getattr(module, name)
        tally = parts.setdefault(name, [0, 0.0])

        @functools.wraps(original)
        def timed(*args, __original=original, __tally=tally, **kwargs):
            started = time.perf_counter()
            try:
                return __original(*args, **kwargs)
            finally:
                __tally[0] += 1
                __tally[1] += time.perf_counter() - started

        setattr(module, name, timed)
    return parts


if __name__ == "__main__":
    sys.exit(main())
