"""Reconcile a noisy bank statement against a large ledger; print precision, recall and time.

    .venv/bin/python bench/reconcile.py [--lines 10000] [--invoices 100000] [--customers 20000]
                                        [--db PATH] [--keep] [--seed 1]

Builds a FRESH SQLite database (migrated; two organizations: ours and another business
using the same invoice numbering) with bulk inserts like bench/aging_bench.py, writes a
camt.053 file of ``--lines`` entries with known answers (see ``bench/reconcile_data.py``:
references with typos and truncation, RF references, combined payments, part payments,
remembered accounts, look-alike names, payments meant for the other organization's
customers, unrelated credits and money out), then times ``recoup.banking.actions.
statement_import`` on it: reading the file, matching every line, recording the sure
matches in the ledger (one named payment per invoice) and queueing the rest.

Prints, over the incoming lines:
- precision: automatic matches that paid exactly the right invoices / automatic matches;
- recall: right automatic matches / lines that have a right answer;
- review share: lines left for a person / incoming lines;
and the import time (aim: precision >= 99.5 %, recall >= 90 %, under 30 s at 10,000 x 100,000).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aging_bench import setup_django  # noqa: E402
from reconcile_data import build_ledger, make_statement  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=100_000, help="open invoices of our organization")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--db", type=Path, help="SQLite file to build (must not exist; default: a temp file)")
    parser.add_argument("--keep", action="store_true", help="keep the database file afterwards")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.lines < 10 or args.invoices < 100 or args.customers < 10 or args.customers > args.invoices:
        parser.error("need --lines >= 10, --invoices >= 100 and 10 <= --customers <= --invoices")
    return args


def score(org, truth: dict[str, tuple[frozenset[int], str]]) -> dict:
    from recoup.banking.models import APPLIED_STATES, LinePayment, StatementLine

    paid: dict[int, set[int]] = {}
    for line_id, invoice_id in (LinePayment.objects.for_org(org).exclude(invoice_number="")
                                .values_list("line_id", "payment__named_invoice_id")):
        paid.setdefault(line_id, set()).add(invoice_id)
    auto = right = answerable = review = incoming = 0
    by_kind: dict[str, list[int]] = {}  # kind -> [lines, automatic, right]
    for line_id, e2e, state in StatementLine.objects.for_org(org).filter(amount_minor__gt=0).values_list(
            "id", "end_to_end_id", "state"):
        expected, kind = truth[e2e]
        row = by_kind.setdefault(kind, [0, 0, 0])
        incoming += 1
        row[0] += 1
        answerable += bool(expected)
        if state in APPLIED_STATES:
            ok = bool(expected) and paid.get(line_id, set()) == set(expected)
            auto += 1
            right += ok
            row[1] += 1
            row[2] += ok
        else:
            review += 1
    return {"incoming": incoming, "auto": auto, "right": right, "answerable": answerable, "review": review,
            "precision": right / auto if auto else 1.0, "recall": right / answerable if answerable else 1.0,
            "review_share": review / incoming if incoming else 0.0, "by_kind": by_kind}


def decide_only(ledger, data: bytes) -> float:
    """Seconds to read the file and decide every line (no writes): the matching itself."""
    from recoup.banking.parsers import read_file
    from recoup.banking.selectors import build_index
    from recoup.core.matching import Credit

    started = time.perf_counter()
    [statement] = read_file("bench-camt053.xml", data)
    index = build_index(ledger.org, {"EUR"})
    for line in statement.lines:
        if line.amount_minor > 0:
            found = index.match(Credit(line.amount_minor, line.currency, " ".join((line.reference, line.remittance,
                                       line.end_to_end_id)), line.counterparty_name, line.counterparty_account))
            if found and found[0].confidence >= 0.9:
                for invoice_id, minor in found[0].parts:
                    index.settle(invoice_id, minor)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="recoup-reconcile-"))
    db = args.db.resolve() if args.db else work / "bench.sqlite3"
    if db.exists():
        raise SystemExit(f"bench: {db} exists; the benchmark needs a fresh database")
    setup_django(db, work)
    from django.core.management import call_command

    from recoup.audit.actions import Actor
    from recoup.banking.actions import statement_import

    started = time.perf_counter()
    call_command("migrate", verbosity=0, skip_checks=True)
    ledger = build_ledger(args)
    data, truth, kinds = make_statement(ledger, args)
    print(f"built {ledger.open_invoices:,} open invoices of {args.customers:,} customers (and another "
          f"organization's {ledger.other_invoices:,}) in {time.perf_counter() - started:.1f} s; "
          f"statement of {len(truth):,} lines, {len(data) / 2**20:.1f} MiB", flush=True)
    print("lines by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())), flush=True)
    import recoup.banking.reconcile as banking_reconcile

    ledger_time = {"calls": 0, "s": 0.0}
    payment_record = banking_reconcile.payment_record

    def timed_payment_record(**kw):  # how much of the import is the ledger's own per-payment work
        begun = time.perf_counter()
        try:
            return payment_record(**kw)
        finally:
            ledger_time["calls"] += 1
            ledger_time["s"] += time.perf_counter() - begun

    banking_reconcile.payment_record = timed_payment_record
    decide_s = decide_only(ledger, data)
    print(f"read and decided {len(truth):,} lines in {decide_s:.1f} s (no writes)", flush=True)
    started = time.perf_counter()
    result = statement_import(org=ledger.org, file_name="bench-camt053.xml", data=data,
                              actor=Actor.system("bench"), now=ledger.now)
    elapsed = time.perf_counter() - started
    s = score(ledger.org, truth)
    print(f"imported {result.lines:,} lines in {elapsed:.1f} s ({result.lines / elapsed:,.0f} lines/s)")
    print(f"of which recoup.ledger.actions.payment_record: {ledger_time['s']:.1f} s for {ledger_time['calls']:,} "
          f"payments ({1000 * ledger_time['s'] / max(1, ledger_time['calls']):.1f} ms each)")
    print(f"automatic matches: {s['auto']:,} of {s['incoming']:,} incoming lines; right: {s['right']:,}")
    print(f"precision {s['precision']:.2%}  recall {s['recall']:.2%} (of {s['answerable']:,} lines with an answer)"
          f"  sent to review {s['review_share']:.2%}")
    print("by kind (lines / automatic / right): " + ", ".join(
        f"{k} {v[0]}/{v[1]}/{v[2]}" for k, v in sorted(s["by_kind"].items())))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
        for p in db.parent.glob(db.name + "*"):
            p.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
