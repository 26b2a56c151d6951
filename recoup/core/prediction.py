"""Payment-date prediction: features from a customer's history, a model, a fallback.

Pure: no Django, no I/O, time passed in. The same code serves the IBM
"Accounts Receivable" evaluation (``bench/predict_bench.py``) and Recoup's own
ledger (``recoup.insight.selectors`` adapts ledger rows to ``InvoiceRecord``).

What is known at an invoice's date, and therefore all a feature may use:
- the invoice itself: amount, terms (due - issue), month, weekday, channel;
- the customer's earlier invoices that were SETTLED BEFORE this invoice's date
  (days late, days to settle, disputes, amounts) and how many of its earlier
  invoices were still open on that date.
Whether this invoice will itself be disputed is not known at its date, so it
is not a feature (only the customer's past dispute share is).

The model predicts days from issue to settlement (scikit-learn's
HistGradientBoostingRegressor, absolute-error loss, so the median). An invoice is
predicted late when the predicted settlement falls after its due date.
``fallback_days`` is the transparent rule used when an organization has too
little history: the customer's own past average, else the overall average,
else the terms.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

# An organization needs this much settled history before a model beats the fallback.
MIN_TRAIN_INVOICES = 200
MIN_TRAIN_CUSTOMERS = 10

FEATURES: tuple[str, ...] = (
    "past_count", "past_mean_days_late", "past_mean_days_to_settle", "past_late_share",
    "past_last_days_late", "past_recent3_days_late", "past_std_days_to_settle", "past_dispute_share",
    "past_max_days_late", "log_amount", "amount_vs_past_mean", "terms_days", "month", "weekday",
    "electronic", "open_count", "log_open_amount", "days_since_last_invoice",
)


@dataclass(frozen=True)
class InvoiceRecord:
    """One invoice as the predictor sees it; ``settled``/``disputed`` are outcomes (None/False while open)."""

    key: str
    customer: str
    issue_date: date
    due_date: date
    amount_minor: int
    electronic: bool = True
    settled: date | None = None
    disputed: bool = False

    @property
    def terms_days(self) -> int:
        return (self.due_date - self.issue_date).days

    @property
    def days_to_settle(self) -> int | None:
        return None if self.settled is None else (self.settled - self.issue_date).days

    @property
    def days_late(self) -> int | None:
        return None if self.settled is None else max(0, (self.settled - self.due_date).days)

    @property
    def late(self) -> bool | None:
        return None if self.settled is None else self.settled > self.due_date


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else math.nan


@dataclass
class _History:
    """One customer's invoices, sorted, for as-of lookups."""

    settled: list[InvoiceRecord] = field(default_factory=list)  # by settlement date
    settled_dates: list[date] = field(default_factory=list)
    issued: list[InvoiceRecord] = field(default_factory=list)  # by issue date
    issued_dates: list[date] = field(default_factory=list)


def _histories(records: Sequence[InvoiceRecord]) -> dict[str, _History]:
    by_customer: dict[str, _History] = defaultdict(_History)
    for r in sorted(records, key=lambda r: (r.issue_date, r.key)):
        h = by_customer[r.customer]
        h.issued.append(r)
        h.issued_dates.append(r.issue_date)
    for h in by_customer.values():
        h.settled = sorted((r for r in h.issued if r.settled is not None), key=lambda r: (r.settled, r.key))
        h.settled_dates = [r.settled for r in h.settled]
    return by_customer


def _row(r: InvoiceRecord, h: _History | None, *, on: date) -> list[float]:
    """The feature vector of ``r`` as known on ``on`` (its issue date, or later for an open invoice)."""
    past = h.settled[: bisect_left(h.settled_dates, on)] if h else []
    earlier = h.issued[: bisect_left(h.issued_dates, r.issue_date)] if h else []
    late = [p.days_late for p in past]
    settle = [p.days_to_settle for p in past]
    mean_settle = _mean(settle)
    std = math.sqrt(_mean([(s - mean_settle) ** 2 for s in settle])) if len(settle) > 1 else math.nan
    mean_amount = _mean([p.amount_minor for p in past])
    still_open = [e for e in earlier if e.settled is None or e.settled >= on]
    return [
        float(len(past)), _mean(late), mean_settle, _mean([float(x > 0) for x in late]),
        float(late[-1]) if late else math.nan, _mean(late[-3:]), std,
        _mean([float(p.disputed) for p in past]), float(max(late)) if late else math.nan,
        math.log1p(max(r.amount_minor, 0)),
        r.amount_minor / mean_amount if past and mean_amount else math.nan,
        float(r.terms_days), float(r.issue_date.month), float(r.issue_date.weekday()), float(r.electronic),
        float(len(still_open)), math.log1p(sum(max(e.amount_minor, 0) for e in still_open)),
        float((r.issue_date - earlier[-1].issue_date).days) if earlier else math.nan,
    ]


def features(records: Sequence[InvoiceRecord], targets: Sequence[InvoiceRecord] | None = None,
             *, as_of: date | None = None) -> list[list[float]]:
    """Feature rows (``FEATURES`` order) for ``targets`` (default: every record), from ``records``' history.

    Each target sees only what was known at its issue date, or on ``as_of`` when given (for
    open invoices being predicted today: their customers' settlements up to today count).
    Missing history is NaN, which the model handles natively.
    """
    hist = _histories(records)
    return [_row(r, hist.get(r.customer), on=as_of or r.issue_date) for r in (targets or records)]


@dataclass(frozen=True)
class Fallback:
    """The transparent rule: the customer's past average days to settle, else the overall one, else the terms."""

    overall_days: float | None

    def days(self, row: list[float], terms_days: int) -> float:
        mine = row[FEATURES.index("past_mean_days_to_settle")]
        if not math.isnan(mine):
            return mine
        return self.overall_days if self.overall_days is not None else float(terms_days)


def fallback_for(train: Sequence[InvoiceRecord]) -> Fallback:
    days = [r.days_to_settle for r in train if r.settled is not None]
    return Fallback(overall_days=_mean(days) if days else None)


def enough_history(train: Sequence[InvoiceRecord]) -> bool:
    settled = [r for r in train if r.settled is not None]
    return len(settled) >= MIN_TRAIN_INVOICES and len({r.customer for r in settled}) >= MIN_TRAIN_CUSTOMERS


def fit(rows: list[list[float]], days_to_settle: list[int], *, seed: int = 0):
    """Fit the days-to-settle model (median regression with gradient-boosted trees)."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    model = HistGradientBoostingRegressor(loss="absolute_error", max_iter=300, learning_rate=0.05,
                                          max_leaf_nodes=15, min_samples_leaf=20, l2_regularization=1.0,
                                          random_state=seed)
    # One thread: these tables are small, and OpenMP threads fighting over a busy machine's
    # cores made fitting several times slower, not faster.
    with threadpool_limits(limits=1, user_api="openmp"):
        model.fit(rows, days_to_settle)
    return model


def residual_quantiles(actual: Sequence[float], predicted: Sequence[float],
                       qs: Sequence[float] = (0.1, 0.5, 0.9)) -> dict[str, float]:
    """Quantiles of actual - predicted days (for a forecast's range), keyed "q10", "q50", "q90"."""
    res = sorted(a - p for a, p in zip(actual, predicted))
    if not res:
        return {f"q{round(q * 100)}": 0.0 for q in qs}
    out = {}
    for q in qs:
        pos = q * (len(res) - 1)
        lo, hi = math.floor(pos), math.ceil(pos)
        out[f"q{round(q * 100)}"] = res[lo] + (res[hi] - res[lo]) * (pos - lo)
    return out


@dataclass(frozen=True)
class Evaluation:
    """Mean absolute error (days to settle) and late/on-time accuracy of three predictors on one test set."""

    n_train: int
    n_test: int
    mae: dict[str, float]
    accuracy: dict[str, float]

    def lines(self) -> list[str]:
        out = [f"train {self.n_train} invoices (settled before the cut), test {self.n_test} (issued after it)"]
        for name in self.mae:
            out.append(f"{name:<22} MAE {self.mae[name]:6.2f} days   late/on-time accuracy "
                       f"{self.accuracy[name] * 100:5.1f}%")
        return out


def evaluate(records: Sequence[InvoiceRecord], *, cut: date, seed: int = 0) -> Evaluation:
    """Time-ordered evaluation: train on what was settled before ``cut``, test on invoices issued from it.

    Baselines: "overall mean" (the training set's mean days to settle for everyone) and
    "customer past average" (the customer's own earlier settled invoices, as of each invoice's
    date; the overall mean without history). Late means settled after the due date.
    """
    settled = [r for r in records if r.settled is not None]
    train = [r for r in settled if r.settled < cut]
    test = [r for r in settled if r.issue_date >= cut]
    # Training features are computed from history as of each invoice's date, like the test's.
    rows_train = features(records, train)
    rows_test = features(records, test)
    model = fit(rows_train, [r.days_to_settle for r in train], seed=seed)
    fb = fallback_for(train)
    actual = [r.days_to_settle for r in test]
    preds = {
        "overall mean": [fb.overall_days] * len(test),
        "customer past average": [fb.days(row, r.terms_days) for row, r in zip(rows_test, test)],
        "model": list(model.predict(rows_test)),
    }
    mae = {k: _mean([abs(a - p) for a, p in zip(actual, v)]) for k, v in preds.items()}
    acc = {k: _mean([float((p > r.terms_days) == r.late) for p, r in zip(v, test)]) for k, v in preds.items()}
    return Evaluation(n_train=len(train), n_test=len(test), mae=mae, accuracy=acc)


def time_cut(records: Sequence[InvoiceRecord], share: float = 0.7) -> date:
    """The issue date splitting ``records`` into the first ``share`` and the rest."""
    dates = sorted(r.issue_date for r in records)
    return dates[min(int(len(dates) * share), len(dates) - 1)]


def ibm_records(rows) -> list[InvoiceRecord]:
    """Adapt rows of IBM's "WA_Fn-UseC_-Accounts-Receivable.csv" (``csv.DictReader``) to records.

    Raises: ValueError naming the row (1 = first data row) and field on a bad value.
    """
    from datetime import datetime
    from decimal import Decimal, InvalidOperation

    def day(text: str) -> date:
        return datetime.strptime(text.strip(), "%m/%d/%Y").date()

    out = []
    for n, row in enumerate(rows, start=1):
        field_name = "?"
        try:
            field_name = "InvoiceDate"
            issued = day(row[field_name])
            field_name = "DueDate"
            due = day(row[field_name])
            field_name = "SettledDate"
            settled = day(row[field_name]) if row[field_name].strip() else None
            field_name = "InvoiceAmount"
            amount = int(Decimal(row[field_name]).scaleb(2).to_integral_value())
            field_name = "customerID"
            customer = row[field_name].strip()
        except (KeyError, ValueError, InvalidOperation) as exc:
            raise ValueError(f"row {n}, field {field_name}: {exc}") from None
        out.append(InvoiceRecord(
            key=row.get("invoiceNumber", str(n)), customer=customer, issue_date=issued, due_date=due,
            amount_minor=amount, electronic=row.get("PaperlessBill", "").strip() == "Electronic",
            settled=settled, disputed=row.get("Disputed", "").strip() == "Yes",
        ))
    return out
