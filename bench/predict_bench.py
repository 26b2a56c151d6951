"""Evaluate the payment-date model on IBM's "Accounts Receivable" data set, honestly.

    .venv/bin/python bench/predict_bench.py [--data PATH] [--seeds 5]

Time-ordered splits (train on invoices settled before the cut, test on invoices issued
from the cut), features only from what was known at each invoice's date (see
recoup/core/prediction.py). Prints the mean absolute error of days-to-settle and the
late/on-time accuracy of the model against two baselines (the overall mean; the
customer's own past average) for cuts at 60%, 70% and 80% of the invoices, the model
averaged over several seeds. The data is read in place (test-only; never copied).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recoup.core import prediction  # noqa: E402

DEFAULT = Path("/work/shared/data/ar-dataset/WA_Fn-UseC_-Accounts-Receivable.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    with args.data.open(newline="") as fh:
        records = prediction.ibm_records(csv.DictReader(fh))
    print(f"{len(records)} invoices, {len({r.customer for r in records})} customers from {args.data.name}")
    for share in (0.6, 0.7, 0.8):
        cut = prediction.time_cut(records, share)
        runs = [prediction.evaluate(records, cut=cut, seed=s) for s in range(args.seeds)]
        first = runs[0]
        mae = dict(first.mae, model=sum(r.mae["model"] for r in runs) / len(runs))
        acc = dict(first.accuracy, model=sum(r.accuracy["model"] for r in runs) / len(runs))
        print(f"\ncut {cut} ({share:.0%} of invoices before it), model averaged over {args.seeds} seeds")
        print("\n".join(prediction.Evaluation(first.n_train, first.n_test, mae, acc).lines()))
    print(f"\n{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
