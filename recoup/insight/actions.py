"""Writes of insight: credit checks and trained payment-date models. Each writes one audit event."""

from __future__ import annotations

import pickle
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.core import prediction
from recoup.insight.models import CreditCheck, CreditDecision, InsightSnapshot, PredictionModel
from recoup.ledger.models import Customer
from recoup.orgs.models import Organization, check_same_org


class InsightError(ValueError):
    """A request insight cannot carry out; the message says why."""


def credit_check_record(
    *, org: Organization, customer: Customer, checked_on: date, source: str, decision: str, actor: Actor,
    now: datetime, score: str = "", references: str = "", documents: str = "",
    credit_limit_minor: int | None = None, notes: str = "",
) -> CreditCheck:
    """Record a credit check; its yearly review falls one year after ``checked_on``."""
    check_same_org(org, customer, error=InsightError)
    if not source.strip():
        raise InsightError("source: say where the information came from (agency, bank, references)")
    if decision not in CreditDecision.values:
        raise InsightError(f"decision: {decision!r} is not one of {', '.join(CreditDecision.values)}")
    if credit_limit_minor is not None and credit_limit_minor < 0:
        raise InsightError("credit limit: must not be negative")
    with transaction.atomic():
        check = CreditCheck.objects.create(
            org=org, customer=customer, checked_on=checked_on, source=source.strip(), score=score.strip(),
            references=references.strip(), documents=documents.strip(), decision=decision,
            credit_limit_minor=credit_limit_minor, notes=notes.strip(),
            review_on=checked_on + relativedelta(years=1), created_at=now,
        )
        audit.record(org=org, actor=actor, at=now, verb="credit_check.recorded", subject=check, customer=customer,
                     summary=f"Credit check of {customer.ref} from {check.source}: {check.get_decision_display()}",
                     data={"checked_on": checked_on.isoformat(), "decision": decision, "score": check.score})
    return check


def prediction_train(*, org: Organization, currency: str, records: list[prediction.InvoiceRecord], on: date,
                     actor: Actor, now: datetime) -> PredictionModel | None:
    """Train and store the payment-date model of one currency; None (nothing written) with too little history.

    The held-out error and residuals come from a time-ordered 70/30 split; the stored model is
    then refitted on every invoice settled by ``on``.
    """
    import sklearn

    settled = [r for r in records if r.settled is not None and r.settled <= on]
    if not prediction.enough_history(settled):
        return None
    cut = prediction.time_cut(settled, 0.7)
    train = [r for r in settled if r.settled < cut]
    test = [r for r in settled if r.issue_date >= cut]
    mae = base = None
    residuals: list[float] = []
    if len(train) >= 50 and test:
        held = prediction.fit(prediction.features(records, train), [r.days_to_settle for r in train])
        rows = prediction.features(records, test)
        predicted = held.predict(rows)
        residuals = [float(r.days_to_settle - p) for r, p in zip(test, predicted)]
        mae = sum(abs(x) for x in residuals) / len(residuals)
        fb = prediction.fallback_for(train)
        base = sum(abs(r.days_to_settle - fb.days(x, r.terms_days)) for x, r in zip(rows, test)) / len(test)
    model = prediction.fit(prediction.features(records, settled), [r.days_to_settle for r in settled])
    with transaction.atomic():
        row = PredictionModel.objects.create(
            org=org, currency=currency, trained_at=now, trained_on=on, n_train=len(settled),
            n_customers=len({r.customer for r in settled}), mae_days=mae, baseline_mae_days=base,
            residuals=sorted(residuals)[:: max(1, len(residuals) // 400)], features=list(prediction.FEATURES),
            sklearn_version=sklearn.__version__, estimator=pickle.dumps(model),
        )
        audit.record(org=org, actor=actor, at=now, verb="prediction.trained", subject=row,
                     summary=f"Payment-date model ({currency}) trained on {len(settled)} settled invoices",
                     data={"currency": currency, "n_train": len(settled), "mae_days": mae,
                           "baseline_mae_days": base})
    return row


def insight_snapshot_write(*, org: Organization, on: date, now: datetime,
                           currencies: list[str] | None = None) -> list[InsightSnapshot]:
    """Compute the insight figures as of ``on`` for each currency (default: every currency the
    organization invoices in) and store them, replacing that day's earlier snapshot; without ``currencies``, the day's
    aging rows too (``reports.aging_store``: the aging report and the dashboard read them). Derived
    data only, recomputable at any time: no audit event. The scheduler calls this after each daily cycle."""
    from recoup.insight import selectors, snapshot
    from recoup.reports.aging_store import store_write

    if currencies is None:  # the whole day's figures (the scheduler, the command), not a page's missing one
        store_write(org=org, on=on, now=now)

    out = []
    for currency in currencies if currencies is not None else selectors.currencies(org):
        with selectors.facts_read_once():  # one read of the currency's ledger for every figure
            data, exports = snapshot.compute(org=org, on=on, currency=currency)
        row, _ = InsightSnapshot.objects.update_or_create(
            org=org, currency=currency, on=on, defaults={"computed_at": now, "data": data, "exports": exports})
        out.append(row)
    return out


def snapshot_after_cycle(org: Organization, on: date, now: datetime) -> None:
    """The scheduler's after-cycle hook: the day's figures, so no page computes them."""
    insight_snapshot_write(org=org, on=on, now=now)
