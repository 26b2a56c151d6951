"""Collection metrics as of any date: DSO (standard, countback, best possible), average
days delinquent, CEI, percent current, the aging trend, and per-customer payment habits.

Pure: invoices come in as ``InvoiceFacts`` (one currency at a time), the date as an
argument. Definitions, formulas and hand-worked examples are in ``docs/metrics.md``;
the examples are asserted in ``recoup/core/tests/test_metrics.py``.

Ratios are Decimals rounded half up to one decimal (days, percent); amounts stay
integer minor units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta

from recoup.core.aging import DEFAULT_EDGES, AgingItem, age_items, bucket_labels

ONE_PLACE = Decimal("0.1")
DSO_PERIOD_DAYS = 90
COUNTBACK_MAX_MONTHS = 24


def _ratio(num: int | Decimal, den: int | Decimal, scale: int = 1) -> Decimal | None:
    if not den:
        return None
    return (Decimal(num) * scale / Decimal(den)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class InvoiceFacts:
    """An invoice and what happened to it, in minor units of one currency.

    ``reductions``: (date, amount) of payments and credits allocated to it and write-offs;
    ``charges``: (date, amount) of late fees and interest added to it;
    ``written_off``: True when any write-off reduced it (it then never counts as paid).
    """

    key: str
    customer: str
    issue_date: date
    due_date: date
    total_minor: int
    reductions: tuple[tuple[date, int], ...] = ()
    charges: tuple[tuple[date, int], ...] = ()
    written_off: bool = False

    def open_as_of(self, on: date) -> int:
        """The open balance at the end of ``on`` (0 before the issue date)."""
        if self.issue_date > on:
            return 0
        return (self.total_minor + sum(a for d, a in self.charges if d <= on)
                - sum(a for d, a in self.reductions if d <= on))

    def settled_on(self, on: date) -> date | None:
        """The day the balance reached zero for good, if it had by ``on``; None otherwise."""
        if self.open_as_of(on) > 0:
            return None
        days = sorted({d for d, _ in self.reductions if d <= on} | {d for d, _ in self.charges if d <= on})
        settled = None
        for d in days:
            if self.open_as_of(d) <= 0 and settled is None:
                settled = d
            elif self.open_as_of(d) > 0:
                settled = None
        return settled or self.issue_date


def receivables(invoices: Sequence[InvoiceFacts], on: date) -> int:
    """Total open balance at the end of ``on``."""
    return sum(i.open_as_of(on) for i in invoices)


def current_receivables(invoices: Sequence[InvoiceFacts], on: date) -> int:
    """Open balance of invoices not yet past due on ``on`` (due on or after it)."""
    return sum(i.open_as_of(on) for i in invoices if i.due_date >= on)


def sales(invoices: Sequence[InvoiceFacts], after: date, upto: date) -> int:
    """Credit sales: totals of invoices issued in (after, upto]."""
    return sum(i.total_minor for i in invoices if after < i.issue_date <= upto)


def dso(invoices: Sequence[InvoiceFacts], on: date, days: int = DSO_PERIOD_DAYS) -> Decimal | None:
    """Standard DSO = receivables(on) / sales(last ``days``) x days; None without sales."""
    return _ratio(receivables(invoices, on) * days, sales(invoices, on - timedelta(days=days), on))


def best_possible_dso(invoices: Sequence[InvoiceFacts], on: date, days: int = DSO_PERIOD_DAYS) -> Decimal | None:
    """Best possible DSO = current receivables(on) / sales(last ``days``) x days."""
    return _ratio(current_receivables(invoices, on) * days, sales(invoices, on - timedelta(days=days), on))


def average_days_delinquent(invoices: Sequence[InvoiceFacts], on: date,
                            days: int = DSO_PERIOD_DAYS) -> Decimal | None:
    """ADD = DSO - best possible DSO."""
    a, b = dso(invoices, on, days), best_possible_dso(invoices, on, days)
    return None if a is None or b is None else a - b


def countback_dso(invoices: Sequence[InvoiceFacts], on: date) -> Decimal | None:
    """Countback DSO: walk back month by month, subtracting each month's sales from receivables.

    Months end on ``on``: (on - 1 month, on], (on - 2 months, on - 1 month], ... Each month whose
    sales are fully used counts its days; the last, partly used month counts the same share of
    its days. None when there is nothing owed; capped at 24 months.
    """
    left = Decimal(receivables(invoices, on))
    if left <= 0:
        return None
    total = Decimal(0)
    end = on
    for k in range(1, COUNTBACK_MAX_MONTHS + 1):
        start = on - relativedelta(months=k)
        month_days = (end - start).days
        month_sales = sales(invoices, start, end)
        if month_sales >= left:
            total += month_days * left / month_sales
            return total.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
        total += month_days
        left -= month_sales
        end = start
    return total.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def cei(invoices: Sequence[InvoiceFacts], after: date, upto: date) -> Decimal | None:
    """Collection effectiveness index over (after, upto], in percent.

    CEI = (B + S - E) / (B + S - Ec) x 100 with B = receivables(after), S = sales in the
    period, E = receivables(upto), Ec = current receivables(upto).
    """
    b, s = receivables(invoices, after), sales(invoices, after, upto)
    e, ec = receivables(invoices, upto), current_receivables(invoices, upto)
    return _ratio(b + s - e, b + s - ec, 100)


def percent_current(invoices: Sequence[InvoiceFacts], on: date) -> Decimal | None:
    """Share of receivables not yet past due, in percent."""
    return _ratio(current_receivables(invoices, on), receivables(invoices, on), 100)


def month_ends(on: date, months: int) -> list[date]:
    """The last ``months`` month ends before ``on``, oldest first, then ``on`` itself."""
    first = on.replace(day=1)
    ends = [first - relativedelta(months=k) - timedelta(days=1) for k in range(months - 1, -1, -1)]
    return ends + [on]


@dataclass(frozen=True)
class TrendPoint:
    on: date
    buckets_minor: list[int]
    dso: Decimal | None

    @property
    def total_minor(self) -> int:
        return sum(self.buckets_minor)


def aging_trend(invoices: Sequence[InvoiceFacts], on: date, months: int = 12,
                edges: Sequence[int] = DEFAULT_EDGES) -> list[TrendPoint]:
    """Aging buckets and DSO at each of the last ``months`` month ends and on ``on``."""
    points = []
    for end in month_ends(on, months):
        # Each invoice's balance once per month end: the buckets and the DSO's receivables both sum it.
        opens = [(i, i.open_as_of(end)) for i in invoices if i.issue_date <= end]
        items = [AgingItem(i.issue_date, i.due_date, amount) for i, amount in opens if amount]
        owed = sum(amount for _, amount in opens)
        period = sales(invoices, end - timedelta(days=DSO_PERIOD_DAYS), end)
        points.append(TrendPoint(end, age_items(items, as_of=end, edges=edges),
                                 _ratio(owed * DSO_PERIOD_DAYS, period)))
    return points


@dataclass(frozen=True)
class CustomerHabits:
    """How one customer pays, from its invoices settled by payment up to the date."""

    customer: str
    paid_count: int
    average_days_late: Decimal | None
    on_time_rate: Decimal | None  # percent
    recent_days_late: Decimal | None  # settled in the last 90 days
    earlier_days_late: Decimal | None  # settled 91-180 days ago
    broken_promises: int = 0
    disputes: int = 0
    trend: str = field(default="")

    def as_json(self) -> dict:
        def s(v):
            return None if v is None else str(v)
        return {"customer": self.customer, "paid_count": self.paid_count,
                "average_days_late": s(self.average_days_late), "on_time_rate": s(self.on_time_rate),
                "trend": self.trend, "recent_days_late": s(self.recent_days_late),
                "earlier_days_late": s(self.earlier_days_late), "broken_promises": self.broken_promises,
                "disputes": self.disputes}


TREND_MARGIN = Decimal(3)


def trend_word(recent: Decimal | None, earlier: Decimal | None) -> str:
    """"worse" / "better" when recent average days late moved by more than 3 days, else "steady"."""
    if recent is None or earlier is None:
        return "unknown"
    if recent > earlier + TREND_MARGIN:
        return "worse"
    if recent < earlier - TREND_MARGIN:
        return "better"
    return "steady"


def customer_habits(invoices: Sequence[InvoiceFacts], on: date, *, customer: str,
                    broken_promises: int = 0, disputes: int = 0) -> CustomerHabits:
    """Average days late (max(0, settled - due)), on-time rate and trend of one customer's paid invoices.

    Written-off invoices are left out (never paid); so are invoices still open.
    """
    late: list[tuple[date, int]] = []
    for inv in invoices:
        if inv.customer != customer or inv.written_off:
            continue
        settled = inv.settled_on(on)
        if settled is not None:
            late.append((settled, max(0, (settled - inv.due_date).days)))

    def avg(xs: list[int]) -> Decimal | None:
        return _ratio(sum(xs), len(xs)) if xs else None

    recent = avg([d for s, d in late if s > on - timedelta(days=90)])
    earlier = avg([d for s, d in late if on - timedelta(days=180) < s <= on - timedelta(days=90)])
    return CustomerHabits(
        customer=customer, paid_count=len(late), average_days_late=avg([d for _, d in late]),
        on_time_rate=_ratio(sum(1 for _, d in late if d == 0), len(late), 100) if late else None,
        recent_days_late=recent, earlier_days_late=earlier, broken_promises=broken_promises,
        disputes=disputes, trend=trend_word(recent, earlier),
    )


@dataclass(frozen=True)
class Summary:
    """The organization's metrics in one currency as of a date."""

    currency: str
    on: date
    receivables_minor: int
    current_minor: int
    sales_minor: int
    dso: Decimal | None
    countback_dso: Decimal | None
    best_possible_dso: Decimal | None
    average_days_delinquent: Decimal | None
    cei: Decimal | None
    percent_current: Decimal | None
    trend: list[TrendPoint]
    labels: list[str]


def summarize(invoices: Sequence[InvoiceFacts], on: date, *, currency: str, months: int = 12,
              edges: Sequence[int] = DEFAULT_EDGES) -> Summary:
    """Every organization-level metric for one currency; CEI over the month ending on ``on``."""
    return Summary(
        currency=currency, on=on, receivables_minor=receivables(invoices, on),
        current_minor=current_receivables(invoices, on),
        sales_minor=sales(invoices, on - timedelta(days=DSO_PERIOD_DAYS), on),
        dso=dso(invoices, on), countback_dso=countback_dso(invoices, on),
        best_possible_dso=best_possible_dso(invoices, on),
        average_days_delinquent=average_days_delinquent(invoices, on),
        cei=cei(invoices, on - relativedelta(months=1), on), percent_current=percent_current(invoices, on),
        trend=aging_trend(invoices, on, months, edges), labels=bucket_labels(edges),
    )
