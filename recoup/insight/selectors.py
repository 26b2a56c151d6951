"""Reads for insight: ledger rows adapted to the pure metrics, risk, prediction and forecast code."""

from __future__ import annotations

import math
import pickle
from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Sum

from recoup.arrangements.selectors import held_invoice_ids
from recoup.collections.selectors import active_pauses
from recoup.core import forecast as fc
from recoup.core import metrics, prediction, risk
from recoup.insight.models import CreditCheck, InsightSnapshot, PredictionModel
from recoup.ledger.models import (
    Allocation, Charge, Channel, Contact, Customer, CustomerStatus, Invoice, WriteOff,
)
from recoup.ledger.selectors import invoice_currencies
from recoup.orgs.models import Organization


# --- peers -----------------------------------------------------------------------------------

def record_counts(*, org: Organization, customer_ids: list[int]) -> dict[int, dict[str, int]]:
    """Promises, broken promises and disputes per customer (zeros for a customer without any)."""
    from recoup.arrangements.selectors import customer_record_counts

    zeros = {"promises": 0, "broken_promises": 0, "disputes": 0}
    counts = customer_record_counts(org=org, customer_ids=customer_ids)
    return {cid: {**zeros, **counts.get(cid, {})} for cid in customer_ids}


# --- the ledger as facts -----------------------------------------------------------------------

def currencies(org: Organization) -> list[str]:
    found = invoice_currencies(org)
    return sorted(found, key=lambda c: (c != org.base_currency, c))


def invoice_count_over(*, org: Organization, currency: str, limit: int) -> bool:
    """Whether ``org`` has more than ``limit`` invoices in ``currency`` (counts at most limit + 1 rows)."""
    return Invoice.objects.for_org(org).filter(currency=currency).order_by()[:limit + 1].count() > limit


def latest_snapshot(*, org: Organization, currency: str, on: date, exact: bool = False) -> InsightSnapshot | None:
    """The snapshot of ``currency`` as of ``on`` (``exact``), else the newest one as of ``on`` or before."""
    qs = InsightSnapshot.objects.for_org(org).filter(currency=currency).defer("exports")
    return (qs.filter(on=on) if exact else qs.filter(on__lte=on)).order_by("-on").first()


# Within ``facts_read_once`` (the daily snapshot), the ledger is read once per currency and date, not
# once by each figure that needs it (metrics, habits and risk, predictions, the forecast).
_FACTS_READ: ContextVar[dict | None] = ContextVar("insight_facts_read", default=None)


@contextmanager
def facts_read_once():
    token = _FACTS_READ.set({})
    try:
        yield
    finally:
        _FACTS_READ.reset(token)


def invoice_facts(*, org: Organization, currency: str, on: date) -> list[metrics.InvoiceFacts]:
    """Every invoice of ``org`` in ``currency`` issued by ``on``, with its movements up to ``on``."""
    read = _FACTS_READ.get()
    if read is None:
        return _invoice_facts(org=org, currency=currency, on=on)
    key = (org.pk, currency, on)
    if key not in read:
        read[key] = _invoice_facts(org=org, currency=currency, on=on)
    return list(read[key])


def _invoice_facts(*, org: Organization, currency: str, on: date) -> list[metrics.InvoiceFacts]:
    invoices = list(Invoice.objects.for_org(org).filter(currency=currency, issue_date__lte=on)
                    .values_list("id", "customer_id", "issue_date", "due_date", "total_minor"))
    ids = {row[0] for row in invoices}
    reductions: dict[int, list] = defaultdict(list)
    charges: dict[int, list] = defaultdict(list)
    written: set[int] = set()
    for model, target in ((Allocation, reductions), (WriteOff, reductions), (Charge, charges)):
        rows = (model.objects.for_org(org).filter(date__lte=on, invoice__currency=currency)
                .values_list("invoice_id", "date", "amount_minor"))
        for iid, d, amount in rows:
            if iid in ids:
                target[iid].append((d, amount))
                if model is WriteOff:
                    written.add(iid)
    return [metrics.InvoiceFacts(key=str(i), customer=str(c), issue_date=issued, due_date=due, total_minor=total,
                                 reductions=tuple(reductions[i]), charges=tuple(charges[i]), written_off=i in written)
            for i, c, issued, due, total in invoices]


def org_metrics(*, org: Organization, on: date, months: int = 12,
                currency: str | None = None) -> list[metrics.Summary]:
    """The organization's metrics per currency as of ``on`` (of ``currency`` only, when given)."""
    return [metrics.summarize(invoice_facts(org=org, currency=cur, on=on), on, currency=cur, months=months)
            for cur in currencies(org) if currency is None or cur == currency]


@dataclass
class CustomerInsight:
    customer: Customer
    currency: str
    open_minor: int
    overdue_minor: int
    habits: metrics.CustomerHabits
    risk: risk.RiskScore
    limit_use: object  # Decimal | None


def customer_insights(*, org: Organization, on: date, currency: str | None = None) -> list[CustomerInsight]:
    """Per customer (with invoices in ``currency``, default the base one): habits and risk, riskiest first."""
    currency = currency or org.base_currency
    facts = invoice_facts(org=org, currency=currency, on=on)
    by_customer: dict[str, list[metrics.InvoiceFacts]] = defaultdict(list)
    for f in facts:
        by_customer[f.customer].append(f)
    ids = [int(c) for c in by_customer]
    customers = Customer.objects.for_org(org).in_bulk(ids)
    counts = record_counts(org=org, customer_ids=ids)
    out = []
    for cid, items in by_customer.items():
        customer = customers[int(cid)]
        n = counts[int(cid)]
        habits = metrics.customer_habits(items, on, customer=cid, broken_promises=n["broken_promises"],
                                         disputes=n["disputes"])
        open_minor = sum(i.open_as_of(on) for i in items)
        overdue = sum(i.open_as_of(on) for i in items if i.due_date < on)
        limit = customer.credit_limit_minor if currency == org.base_currency else None
        score = risk.score(paid_count=habits.paid_count, average_days_late=habits.average_days_late,
                           on_time_rate=habits.on_time_rate, trend=habits.trend, open_minor=open_minor,
                           overdue_minor=overdue, credit_limit_minor=limit,
                           broken_promises=habits.broken_promises, disputes=habits.disputes)
        out.append(CustomerInsight(customer, currency, open_minor, overdue, habits, score,
                                   risk.limit_use(open_minor, limit)))
    out.sort(key=lambda c: (-c.risk.score, -c.open_minor, c.customer.ref))
    return out


def credit_position(*, org: Organization, customer: Customer) -> tuple[int, bool]:
    """A customer's open balance in the organization's currency and whether it is on credit hold."""
    open_minor = (Invoice.objects.for_org(org).filter(customer=customer, currency=org.base_currency)
                  .aggregate(s=Sum("open_minor"))["s"] or 0)
    return open_minor, customer.status == CustomerStatus.CREDIT_HOLD


def credit_checks_due(*, org: Organization, on: date, within_days: int = 30):
    """The latest check of each customer whose yearly review falls by ``on + within_days``."""
    latest: dict[int, CreditCheck] = {}
    for check in CreditCheck.objects.for_org(org).select_related("customer").order_by("checked_on", "id"):
        latest[check.customer_id] = check
    return sorted((c for c in latest.values() if c.review_on <= on + timedelta(days=within_days)),
                  key=lambda c: c.review_on)


def credit_checks(*, org: Organization, customer: Customer | None = None):
    qs = CreditCheck.objects.for_org(org).select_related("customer")
    return qs.filter(customer=customer) if customer is not None else qs


# --- what works ------------------------------------------------------------------------------

@dataclass
class StepRow:
    step_key: str
    channel: str
    messages: int
    invoices: int
    paid_7: int
    paid_14: int

    @property
    def share_7(self) -> float | None:
        return self.paid_7 / self.invoices if self.invoices else None

    @property
    def share_14(self) -> float | None:
        return self.paid_14 / self.invoices if self.invoices else None


def step_effectiveness(*, org: Organization, on: date) -> list[StepRow]:
    """Per policy step and channel: messages sent and the share of their invoices paid within 7 and 14 days.

    A decision's invoice counts as paid within N days when its balance reached zero by the
    message's date + N (sent date, else the day it was created); messages younger than N days
    count in the denominator only once N days have passed. Written-off invoices never count as paid.
    """
    from recoup.collections.models import StepDecision
    from recoup.messaging.models import MessageStatus

    sent = [MessageStatus.SENT, MessageStatus.POSTED, MessageStatus.DONE]
    decisions = (StepDecision.objects.for_org(org).filter(message__isnull=False, message__status__in=sent)
                 .values_list("step_key", "message__channel", "message_id", "message__sent_at",
                              "message__created_at", "invoice_id", "invoice__currency"))
    rows: dict[tuple[str, str], StepRow] = {}
    messages: dict[tuple[str, str], set] = defaultdict(set)
    facts_cache: dict[str, dict[str, metrics.InvoiceFacts]] = {}
    for step, channel, mid, sent_at, created_at, iid, cur in decisions:
        when = (sent_at or created_at).date()
        if when > on:
            continue
        if cur not in facts_cache:
            facts_cache[cur] = {f.key: f for f in invoice_facts(org=org, currency=cur, on=on)}
        inv = facts_cache[cur].get(str(iid))
        row = rows.setdefault((step, channel), StepRow(step, channel, 0, 0, 0, 0))
        messages[(step, channel)].add(mid)
        if inv is None or when + timedelta(days=14) > on:
            continue
        row.invoices += 1
        settled = None if inv.written_off else inv.settled_on(on)
        row.paid_7 += settled is not None and settled <= when + timedelta(days=7)
        row.paid_14 += settled is not None and settled <= when + timedelta(days=14)
    for key, row in rows.items():
        row.messages = len(messages[key])
    return sorted(rows.values(), key=lambda r: (r.step_key, r.channel))


# --- prediction and forecast ------------------------------------------------------------------

def _electronic_customers(org: Organization) -> set[str]:
    """Customers whose billing contact prefers e-mail or SMS (the data set's "paperless")."""
    rows = (Contact.objects.for_org(org).filter(is_billing=True, preferred_channel__in=[Channel.EMAIL, Channel.SMS])
            .values_list("customer_id", flat=True))
    return {str(c) for c in rows}


def invoice_records(*, org: Organization, currency: str, on: date) -> list[prediction.InvoiceRecord]:
    """Recoup's ledger adapted to the predictor's records: settled = the day the balance reached zero by payment."""
    facts = invoice_facts(org=org, currency=currency, on=on)
    electronic = _electronic_customers(org)
    out = []
    for f in facts:
        settled = None if f.written_off else f.settled_on(on)
        out.append(prediction.InvoiceRecord(key=f.key, customer=f.customer, issue_date=f.issue_date,
                                            due_date=f.due_date, amount_minor=f.open_as_of(f.issue_date),
                                            electronic=f.customer in electronic, settled=settled))
    return out


def latest_model(*, org: Organization, currency: str):
    """The newest stored model and its estimator, or (row, None) when it cannot be used here."""
    import sklearn

    row = PredictionModel.objects.for_org(org).filter(currency=currency).first()
    if row is None:
        return None, None
    if row.sklearn_version != sklearn.__version__ or list(row.features) != list(prediction.FEATURES):
        return row, None
    return row, pickle.loads(bytes(row.estimator))


@dataclass
class Predictions:
    currency: str
    method: str  # "model" | "fallback"
    items: list[fc.OpenItem]
    records: dict[str, prediction.InvoiceRecord]
    residuals: list[float]
    model: PredictionModel | None


FALLBACK_RESIDUALS = [-10.0, -5.0, -2.0, 0.0, 0.0, 2.0, 5.0, 10.0, 20.0, 40.0]


def predictions(*, org: Organization, currency: str, on: date) -> Predictions:
    """Predicted settlement date of each open invoice: the stored model, else the transparent fallback."""
    records = invoice_records(org=org, currency=currency, on=on)
    open_now = [r for r in records if r.settled is None]
    balances = {f.key: f.open_as_of(on) for f in invoice_facts(org=org, currency=currency, on=on)}
    open_now = [r for r in open_now if balances.get(r.key, 0) > 0]
    rows = prediction.features(records, open_now, as_of=on)
    row, estimator = latest_model(org=org, currency=currency)
    # The model is used only where it earned it: less held-out error than the fallback.
    earned = row is not None and (row.mae_days is None or row.baseline_mae_days is None
                                  or row.mae_days < row.baseline_mae_days)
    if estimator is not None and earned and open_now:
        days = list(estimator.predict(rows))
        method, residuals = "model", list(row.residuals) or FALLBACK_RESIDUALS
    else:
        fb = prediction.fallback_for(records)
        days = [fb.days(x, r.terms_days) for x, r in zip(rows, open_now)]
        method = "fallback"
        residuals = _fallback_residuals(records, fb)
    items = [fc.OpenItem(r.key, r.customer, balances[r.key], r.issue_date + timedelta(days=round(d)))
             for r, d in zip(open_now, days) if not math.isnan(d)]
    return Predictions(currency, method, items, {r.key: r for r in open_now}, residuals, row)


def _fallback_residuals(records: list[prediction.InvoiceRecord], fb: prediction.Fallback) -> list[float]:
    """Residuals of the fallback on the organization's own settled invoices (by their own dates)."""
    settled = [r for r in records if r.settled is not None]
    if len(settled) < 20:
        return FALLBACK_RESIDUALS
    rows = prediction.features(records, settled)
    return [r.days_to_settle - fb.days(x, r.terms_days) for x, r in zip(rows, settled)]


def held_invoice_keys(*, org: Organization, on: date) -> set[str]:
    """Invoices nobody should call about on ``on`` (as the forecast's keys): paused, alone or with their
    customer, disputed, in a proposed or active plan, or promised and not yet past the promised day."""
    held = held_invoice_ids(org=org, on=on)
    customers = set()
    for customer_id, invoice_id in active_pauses(org=org, on=on).values_list("customer_id", "invoice_id"):
        if invoice_id:
            held.add(invoice_id)
        else:
            customers.add(customer_id)
    if customers:
        held.update(Invoice.objects.for_org(org).filter(customer_id__in=customers, open_minor__gt=0)
                    .values_list("pk", flat=True))
    return {str(pk) for pk in held}


def cash_forecast(*, org: Organization, currency: str, on: date, call_lift: float | None = None):
    """(Predictions, Forecast, work queue) for one currency as of ``on``. Every open invoice counts
    in the forecast; the work queue, calls to make, leaves out those held (``held_invoice_keys``)."""
    preds = predictions(org=org, currency=currency, on=on)
    forecast = fc.forecast(preds.items, preds.residuals, as_of=on)
    lift = call_lift if call_lift is not None else call_lift_from_history(org=org, on=on)
    held = held_invoice_keys(org=org, on=on)
    queue = fc.work_queue([i for i in preds.items if i.key not in held], forecast.p_late, call_lift=lift)
    return preds, forecast, queue


def call_lift_from_history(*, org: Organization, on: date) -> float:
    """How much more often invoices are paid within 14 days after a call than after other steps; the default
    (0.25) until at least 20 called invoices and 20 others have had 14 days."""
    rows = step_effectiveness(org=org, on=on)
    calls = [r for r in rows if r.channel == "call"]
    others = [r for r in rows if r.channel != "call"]
    n_call, n_other = sum(r.invoices for r in calls), sum(r.invoices for r in others)
    if n_call < 20 or n_other < 20:
        return fc.DEFAULT_CALL_LIFT
    lift = sum(r.paid_14 for r in calls) / n_call - sum(r.paid_14 for r in others) / n_other
    return min(1.0, max(0.05, lift))


def open_invoice_labels(*, org: Organization, keys: list[str]) -> dict[str, Invoice]:
    return Invoice.objects.for_org(org).select_related("customer").in_bulk([int(k) for k in keys])

