"""Collections: escalation policies, who follows which, pauses, and what the daily cycle decided.

A policy's steps live in ``Policy.spec``, the plain dict of ``recoup.core.policy.Policy.to_dict()``;
the rules that read it are in the core. ``StepDecision`` is the cycle's memory: one row per
(invoice, step, occurrence), made unique by the database, so a step is decided at most once
however often, and in however many processes, the cycle runs.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from recoup.orgs.models import OrgOwned


class DefaultFor(models.TextChoices):
    ANY = "", "Any customer"
    BUSINESS = "business", "Business customers"
    CONSUMER = "consumer", "Consumers"


class Policy(OrgOwned):
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    spec = models.JSONField(help_text="recoup.core.policy.Policy.to_dict()")
    is_default = models.BooleanField(default=False)
    # With is_default: the customer kind this policy is the default for ("" = any kind).
    default_for = models.CharField(max_length=10, choices=DefaultFor.choices, blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "policies"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="policy_name_unique_per_org"),
            models.UniqueConstraint(fields=["org", "default_for"], condition=Q(is_default=True),
                                    name="one_default_policy_per_kind"),
        ]

    def __str__(self) -> str:
        return self.name


class PolicyRule(OrgOwned):
    """Customers carrying ``tag`` follow ``policy``; the lowest position wins when several match."""

    tag = models.CharField(max_length=50)
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["org", "tag"], name="policy_rule_tag_unique_per_org")]

    def __str__(self) -> str:
        return f"tag {self.tag} -> {self.policy}"


class CustomerPolicy(OrgOwned):
    """A per-customer override: this customer follows this policy whatever its kind or tags."""

    customer = models.OneToOneField("ledger.Customer", on_delete=models.CASCADE, related_name="collections_policy")
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="customer_overrides")

    def __str__(self) -> str:
        return f"{self.customer} -> {self.policy}"


class CustomerTag(OrgOwned):
    customer = models.ForeignKey("ledger.Customer", on_delete=models.CASCADE, related_name="collections_tags")
    tag = models.CharField(max_length=50)

    class Meta:
        ordering = ["tag"]
        constraints = [models.UniqueConstraint(fields=["customer", "tag"], name="customer_tag_unique")]
        indexes = [models.Index(fields=["org", "tag"])]

    def __str__(self) -> str:
        return self.tag


class Pause(OrgOwned):
    """No automatic collection for a customer (or one of its invoices) from ``starts_on``
    through ``ends_on`` (inclusive; open-ended when empty), until lifted."""

    customer = models.ForeignKey("ledger.Customer", on_delete=models.CASCADE, related_name="collections_pauses")
    invoice = models.ForeignKey("ledger.Invoice", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="collections_pauses")
    reason = models.CharField(max_length=500)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["org", "customer"], condition=Q(lifted_at__isnull=True),
                                name="pause_not_lifted")]

    def __str__(self) -> str:
        what = f"invoice {self.invoice}" if self.invoice_id else f"customer {self.customer}"
        return f"pause {what} from {self.starts_on}: {self.reason}"


class CycleRun(OrgOwned):
    date = models.DateField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    counts = models.JSONField(default=dict)
    # The day's wrap-up (``wrap_up``: snapshot, audit checkpoint, digest), taken once after the run finished.
    wrap_up_started_at = models.DateTimeField(null=True, blank=True, help_text="When a process took the wrap-up")
    wrapped_up_at = models.DateTimeField(null=True, blank=True,
                                         help_text="Set once the wrap-up completed, to the time it ran as of")

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["org", "date"]),
                   # The scheduler's pass looks each minute for the few runs not wrapped up (``wrap_up``).
                   models.Index(fields=["finished_at"], condition=models.Q(wrapped_up_at__isnull=True),
                                name="cycle_run_wrap_up_left")]

    def __str__(self) -> str:
        return f"cycle {self.date}"


class DecisionStatus(models.TextChoices):
    DUE = "due", "Due (acted on)"
    SUPERSEDED = "superseded", "Superseded (caught up by a later step)"


class Outcome(models.TextChoices):
    QUEUED = "queued", "Message queued"
    # Review mode: the message waits as a draft for the operator's approval; the step is decided.
    DRAFT = "draft", "Draft awaiting approval"
    DEFERRED = "deferred", "Deferred"
    BLOCKED = "blocked", "Blocked"
    LISTED = "listed", "Listed in the customer's message"
    NONE = "", "No message"


class StepDecision(OrgOwned):
    invoice = models.ForeignKey("ledger.Invoice", on_delete=models.CASCADE, related_name="step_decisions")
    customer = models.ForeignKey("ledger.Customer", on_delete=models.CASCADE, related_name="step_decisions")
    policy = models.ForeignKey(Policy, null=True, on_delete=models.SET_NULL, related_name="+")
    step_key = models.CharField(max_length=64)
    number = models.PositiveIntegerField(help_text="0 for the step itself, 1.. for its repeats")
    decided_on = models.DateField()
    status = models.CharField(max_length=12, choices=DecisionStatus.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True, default="")
    reason = models.CharField(max_length=500, blank=True)
    message = models.ForeignKey("messaging.Message", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="step_decisions")
    cycle_run = models.ForeignKey(CycleRun, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="decisions")

    class Meta:
        ordering = ["decided_on", "id"]
        constraints = [
            # The cycle's guarantee: each step occurrence of an invoice is decided once, ever.
            models.UniqueConstraint(fields=["invoice", "step_key", "number"], name="step_decided_once"),
        ]
        indexes = [
            models.Index(fields=["org", "customer", "decided_on"]),
            # The cycle stamps each customer's outcomes by (run, customer): without this
            # index every stamp scans the whole run so far (quadratic at scale).
            models.Index(fields=["cycle_run", "customer"]),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} {self.step_key}#{self.number} {self.status} on {self.decided_on}"


class ScheduledRun(OrgOwned):
    """The scheduler's claim on an organization's day: one row per (organization, local date).

    The unique constraint, not luck, makes two schedulers at once run an organization's
    daily cycle once: the one whose INSERT wins runs it, the other skips.
    """

    date = models.DateField(help_text="The organization's local date the cycle ran for")
    claimed_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    cycle_run = models.ForeignKey(CycleRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [models.UniqueConstraint(fields=["org", "date"], name="one_scheduled_run_per_org_day")]

    def __str__(self) -> str:
        return f"scheduled cycle {self.date}"


class CyclePart(OrgOwned):
    """One part of a large day's cycle (``cycle_parts``): the customers whose id is from
    ``from_customer`` (inclusive) below ``below_customer`` (None: unbounded), acted for under the
    day's one ``CycleRun`` by whichever worker claims the part.

    A claim is ``claimed_at``/``claimed_by`` with ``attempts`` as its token; ``progress_at`` moves at
    every chunk the part commits, together with ``counts`` (what its committed chunks did), so a part
    taken again after its worker died counts nothing twice. The day is finished when every part is.
    """

    cycle_run = models.ForeignKey(CycleRun, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveIntegerField()
    from_customer = models.BigIntegerField(null=True, blank=True)
    below_customer = models.BigIntegerField(null=True, blank=True)
    planned = models.PositiveIntegerField(default=0, help_text="Customers to look at when the day was split")
    enqueued_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict)
    held = models.CharField(max_length=500, blank=True, help_text="The hold that deferred the part's steps")

    class Meta:
        ordering = ["cycle_run", "number"]
        constraints = [models.UniqueConstraint(fields=["cycle_run", "number"], name="cycle_part_unique")]

    def __str__(self) -> str:
        return f"part {self.number} of {self.cycle_run}"


class ChaseState(models.Model):
    """Per organization: what the cycle's stored schedule (``InvoiceChase``) was computed under.

    ``basis`` fingerprints the organization's policies, tag rules and place (its holidays);
    when the cycle finds it changed it bumps ``epoch``, which makes every stored row stale.
    """

    org = models.OneToOneField("orgs.Organization", primary_key=True, on_delete=models.CASCADE, related_name="+")
    epoch = models.PositiveIntegerField(default=0)
    basis = models.CharField(max_length=64, blank=True)


class InvoiceChase(models.Model):
    """When the cycle next has to look at one open invoice, and what it saw when it decided so.

    The daily cycle reads a customer again when one of its invoices has no row, its
    ``next_on`` has come, its epoch is old, or the invoice (due date, open amount) or the
    customer (kind, place) no longer look as they did: any ledger change shows up without the
    ledger knowing. Changes in collections (tags, overrides, pauses) delete the customer's
    rows. A missing row only costs a look; a row is written after the customer's decisions
    are committed, never before.
    """

    invoice = models.OneToOneField("ledger.Invoice", primary_key=True, on_delete=models.CASCADE,
                                   related_name="chase")
    customer = models.ForeignKey("ledger.Customer", on_delete=models.CASCADE, related_name="+")
    next_on = models.DateField(null=True, help_text="None: nothing falls due by time alone")
    epoch = models.PositiveIntegerField()
    due_date = models.DateField()
    open_minor = models.BigIntegerField()
    kind = models.CharField(max_length=10)
    country = models.CharField(max_length=2)
    region = models.CharField(max_length=10)
