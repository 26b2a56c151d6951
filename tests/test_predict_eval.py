"""The payment-date model beats both honest baselines on IBM's real data set (quick version).

The full evaluation (three cuts, several seeds) is bench/predict_bench.py.
"""

from __future__ import annotations

import csv

from recoup.core import prediction

FILE = "ar-dataset/WA_Fn-UseC_-Accounts-Receivable.csv"


def test_the_model_beats_the_overall_mean_and_the_customers_own_past_average(shared_data):
    with (shared_data / FILE).open(newline="") as fh:
        records = prediction.ibm_records(csv.DictReader(fh))
    assert len(records) == 2466 and len({r.customer for r in records}) == 100

    ev = prediction.evaluate(records, cut=prediction.time_cut(records, 0.7))

    assert ev.n_train > 1500 and ev.n_test > 700
    # A clear margin: at least 5% less error and 2 points more accuracy than the better baseline.
    best_mae = min(ev.mae["overall mean"], ev.mae["customer past average"])
    best_acc = max(ev.accuracy["overall mean"], ev.accuracy["customer past average"])
    assert ev.mae["model"] < best_mae * 0.95, ev.lines()
    assert ev.accuracy["model"] > best_acc + 0.02, ev.lines()


def test_features_never_see_a_settlement_after_the_invoice_date(shared_data):
    with (shared_data / FILE).open(newline="") as fh:
        records = prediction.ibm_records(csv.DictReader(fh))
    # Rewriting every outcome that is unknown at an invoice's date leaves its features unchanged.
    target = sorted(records, key=lambda r: r.issue_date)[1500]
    known = [r if r.settled is not None and r.settled < target.issue_date
             else prediction.InvoiceRecord(r.key, r.customer, r.issue_date, r.due_date, r.amount_minor,
                                           r.electronic, None, False)
             for r in records if r.issue_date <= target.issue_date]
    full = prediction.features(records, [target])[0]
    cut = prediction.features(known, [target])[0]
    assert [round(x, 9) for x in full if x == x] == [round(x, 9) for x in cut if x == x]
