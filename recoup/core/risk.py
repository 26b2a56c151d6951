"""An explainable risk score per customer: points per factor, each shown with its reason.

Pure. 0 is no sign of risk, 100 the most; each factor adds at most its cap, so the
list of factors is the whole explanation ("which factors, how much each"). Weights
and caps are in ``docs/metrics.md`` ("Risk score").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

LOW_BELOW = 25
HIGH_FROM = 50


@dataclass(frozen=True)
class Factor:
    name: str
    detail: str
    points: int


@dataclass(frozen=True)
class RiskScore:
    score: int
    band: str  # "low" | "medium" | "high"
    factors: list[Factor]

    def as_json(self) -> dict:
        return {"score": self.score, "band": self.band,
                "factors": [{"name": f.name, "detail": f.detail, "points": f.points} for f in self.factors]}


def _pts(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def score(*, paid_count: int, average_days_late: Decimal | None, on_time_rate: Decimal | None,
          trend: str, open_minor: int, overdue_minor: int, credit_limit_minor: int | None,
          broken_promises: int, disputes: int) -> RiskScore:
    """The score and its factors (only those adding points, largest first).

    - average days late: 0.5 point per day, at most 30;
    - late share (100 - on-time rate): 0.2 point per percent, at most 20;
    - no payment history yet: 15;
    - trend "worse": 10;
    - share of the balance overdue now: 0.15 point per percent, at most 15;
    - broken promises: 5 each, at most 15; disputes: 5 each, at most 10;
    - balance over the credit limit: 10.
    """
    factors: list[Factor] = []
    if paid_count == 0:
        factors.append(Factor("no payment history", "no invoice paid yet", 15))
    else:
        if average_days_late:
            factors.append(Factor("average days late", f"{average_days_late} days over {paid_count} paid invoices",
                                  min(30, _pts(average_days_late / 2))))
        if on_time_rate is not None and on_time_rate < 100:
            late = Decimal(100) - on_time_rate
            factors.append(Factor("pays late often", f"{late}% of paid invoices were late", min(20, _pts(late / 5))))
    if trend == "worse":
        factors.append(Factor("getting later", "paid later in the last 90 days than the 90 before", 10))
    if open_minor > 0 and overdue_minor > 0:
        share = Decimal(overdue_minor) * 100 / open_minor
        factors.append(Factor("overdue now", f"{_pts(share)}% of the balance is past due",
                              min(15, _pts(share * Decimal("0.15")))))
    if broken_promises:
        factors.append(Factor("broken promises", f"{broken_promises} promise(s) to pay broken",
                              min(15, 5 * broken_promises)))
    if disputes:
        factors.append(Factor("disputes", f"{disputes} dispute(s) raised", min(10, 5 * disputes)))
    if credit_limit_minor is not None and open_minor > credit_limit_minor:
        factors.append(Factor("over credit limit", "the balance is above the credit limit", 10))
    factors = sorted((f for f in factors if f.points > 0), key=lambda f: -f.points)
    total = min(100, sum(f.points for f in factors))
    band = "low" if total < LOW_BELOW else "medium" if total < HIGH_FROM else "high"
    return RiskScore(score=total, band=band, factors=factors)


def limit_use(open_minor: int, credit_limit_minor: int | None) -> Decimal | None:
    """Credit limit use in percent (one decimal), None without a limit; a zero limit with a balance is 100+."""
    if credit_limit_minor is None:
        return None
    if credit_limit_minor <= 0:
        return Decimal(100) if open_minor <= 0 else Decimal(999)
    return (Decimal(open_minor) * 100 / credit_limit_minor).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def credit_warning(*, open_minor: int, new_minor: int, credit_limit_minor: int | None, on_hold: bool) -> list[str]:
    """Warnings for a new invoice (never a refusal): on credit hold, or taking the balance over the limit."""
    out = []
    if on_hold:
        out.append("This customer is on credit hold.")
    if credit_limit_minor is not None and open_minor + new_minor > credit_limit_minor:
        out.append("This invoice takes the customer's balance over its credit limit.")
    return out
