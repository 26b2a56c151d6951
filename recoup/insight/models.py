"""Credit checks of customers and the payment-date models trained per organization."""

from __future__ import annotations

from django.db import models

from recoup.orgs.models import OrgOwned


class CreditDecision(models.TextChoices):
    APPROVED = "approved", "Approved"
    APPROVED_WITH_LIMIT = "limit", "Approved with a credit limit"
    REFERRED = "referred", "Referred (needs more information)"
    DECLINED = "declined", "Declined (cash in advance only)"


class CreditCheck(OrgOwned):
    """A credit check of a customer: where the information came from and what was decided.

    ``review_on`` is one year after ``checked_on``: the dashboard and ``recoup risk`` list
    checks due for review.
    """

    customer = models.ForeignKey("ledger.Customer", on_delete=models.CASCADE, related_name="credit_checks")
    checked_on = models.DateField()
    source = models.CharField(max_length=200, help_text="Credit agency, bank, trade references, accounts")
    score = models.CharField(max_length=40, blank=True, help_text="The score or rating as the source gave it")
    references = models.TextField(blank=True, help_text="Trade or bank references taken, one a line")
    documents = models.TextField(blank=True, help_text="Documents seen (accounts, ID, guarantee), one a line")
    decision = models.CharField(max_length=10, choices=CreditDecision.choices)
    credit_limit_minor = models.BigIntegerField(null=True, blank=True, help_text="In the organization's currency")
    notes = models.TextField(blank=True)
    review_on = models.DateField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-checked_on", "-id"]
        indexes = [models.Index(fields=["org", "review_on"]), models.Index(fields=["org", "customer"])]

    def __str__(self) -> str:
        return f"credit check {self.customer_id} on {self.checked_on}: {self.decision}"


class PredictionModel(OrgOwned):
    """A payment-date model trained on one organization's settled invoices in one currency.

    The fitted estimator is stored (pickled, written only by ``prediction_train`` from this
    database's own data) with the scikit-learn version that made it; a different version
    at load time means "retrain", and until then the transparent fallback is used.
    """

    currency = models.CharField(max_length=3)
    trained_at = models.DateTimeField()
    trained_on = models.DateField(help_text="History up to this date was used")
    n_train = models.PositiveIntegerField()
    n_customers = models.PositiveIntegerField()
    mae_days = models.FloatField(null=True, help_text="Mean absolute error on the later 30% (held out)")
    baseline_mae_days = models.FloatField(null=True, help_text="Same, for the customer's past average")
    residuals = models.JSONField(default=list, help_text="Held-out actual - predicted days, for ranges")
    features = models.JSONField(default=list)
    sklearn_version = models.CharField(max_length=20)
    estimator = models.BinaryField()

    class Meta:
        ordering = ["-trained_at", "-id"]
        indexes = [models.Index(fields=["org", "currency", "trained_at"])]

    def __str__(self) -> str:
        return f"payment model {self.currency} trained {self.trained_on} on {self.n_train} invoices"


class InsightSnapshot(OrgOwned):
    """The insight figures of one currency as of one day, computed once (after the daily cycle,
    by ``recoup insight-snapshot``, or for a day nobody computed when a page first asks: by the page or,
    for a large ledger, by a worker) so that the
    dashboard, insight and forecast pages read one row instead of every invoice.

    ``data`` holds what the pages show (recoup/insight/snapshot.py): the metrics, the charts as
    SVG, the tables and the forecast; ``exports`` the rows only downloads need (every customer's
    risk), not read by the pages. Pages say when it was computed.
    """

    currency = models.CharField(max_length=3)
    on = models.DateField(help_text="The figures are as of this day")
    computed_at = models.DateTimeField()
    data = models.JSONField(default=dict)
    exports = models.JSONField(default=dict, help_text="Rows only the exports need (every customer's risk)")

    class Meta:
        ordering = ["-on", "-id"]
        constraints = [models.UniqueConstraint(fields=["org", "currency", "on"], name="insight_snapshot_one_a_day")]

    def __str__(self) -> str:
        return f"insight snapshot {self.currency} as of {self.on}"


class InsightSnapshotRequest(OrgOwned):
    """A snapshot a page asked for and a worker is computing (a ledger too large to read while the page
    waits): one per organization, currency and day, so many visits ask once. Removed when done."""

    currency = models.CharField(max_length=3)
    on = models.DateField()
    requested_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "currency", "on"], name="insight_snapshot_asked_once")]

    def __str__(self) -> str:
        return f"insight snapshot {self.currency} as of {self.on}, asked {self.requested_at}"
