"""Peak memory of checking a large invoices CSV, as the web import does (a dry run).

    nice .venv/bin/python bench/import_memory.py [--mb 62] [--customers 2000] [--keep]

Builds a FRESH SQLite database in a temporary folder (migrated, one organization,
``--customers`` customers inserted in bulk), writes a synthetic invoices CSV of about
``--mb`` megabytes, then runs ``import_csv(..., dry_run=True)`` on the file as the web
view hands it over (an open file; before the upload limits it was the file's bytes),
under ``tracemalloc``, and prints the peak of Python allocations, the time taken, the
rows read and the first error (a file over the row or byte cap is refused early).
Raise the caps for a run over them with RECOUP_IMPORT_MAX_BYTES / RECOUP_IMPORT_MAX_ROWS.
"""

from __future__ import annotations

import argparse
import inspect
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_csv(path: Path, megabytes: float, customers: int) -> int:
    """Write invoices until the file is about ``megabytes`` big; returns the rows written."""
    target = int(megabytes * 1_000_000)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("number,customer_ref,issue_date,due_date,amount,po_number,description\n")
        size = 0
        while size < target:
            line = (f"INV-{rows:08d},C{rows % customers:05d},2026-01-{1 + rows % 28:02d},,"
                    f"{(rows % 9000) + 10}.{rows % 100:02d},PO-{rows % 977},Deliveries for week {rows % 52}\n")
            out.write(line)
            size += len(line)
            rows += 1
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=62.0)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="recoup-import-mem-"))
    os.environ["RECOUP_VAR_DIR"] = str(work)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recoup.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from recoup.audit.actions import Actor
    from recoup.ledger.imports import import_csv
    from recoup.ledger.models import Customer
    from recoup.orgs.actions import org_create

    try:
        call_command("migrate", interactive=False, verbosity=0)
        now = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
        org = org_create(slug="bench", legal_name="Bench Ltd", currency="GBP", country="GB",
                         actor=Actor.system("bench"), now=now)
        Customer.objects.bulk_create([Customer(org=org, ref=f"C{i:05d}", legal_name=f"Customer {i}")
                                      for i in range(args.customers)])
        path = work / "invoices.csv"
        written = write_csv(path, args.mb, args.customers)
        print(f"file: {path.stat().st_size / 1e6:.1f} MB, {written} rows")
        takes_files = "BinaryIO" in str(inspect.signature(import_csv).parameters["data"].annotation)
        tracemalloc.start()
        started = time.perf_counter()
        with path.open("rb") as handle:
            data = handle if takes_files else handle.read()
            result = import_csv(org=org, kind="invoices", name="invoices.csv", data=data,
                                actor=Actor.system("bench"), now=now, dry_run=True)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"handed over as: {'an open file' if takes_files else 'bytes'}")
        print(f"peak Python allocations: {peak / 1e6:.0f} MB; {elapsed:.1f} s; rows read {result.rows}; "
              f"to create {result.created}; errors {len(result.errors)}")
        if result.errors:
            print(f"first error: {result.errors[0]}")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
