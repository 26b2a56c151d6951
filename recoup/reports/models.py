"""The stored aging of today: every customer's row of the aging report, kept up to date.

``StoredAgingRow`` holds, per organization, the rows ``aging(org, as_of=day)`` returns (default
buckets), written after the day's cycle (``aging_store.store_write``); ``AgingDay`` says which day
they are for. Every change to a customer's ledger after that is noted in ``AgingChange`` by
database triggers (migration 0002: inserts, deletes and updates of the amounts, dates, currency
or customer of invoices, payments, credit notes, allocations, charges, waivers and write-offs,
and of a customer's names), whatever code made it; a reader recomputes the noted customers
before reading (``aging_store.stored_aging``). See docs/architecture.md.
"""

from __future__ import annotations

from django.db import models

from recoup.ledger.models import Customer
from recoup.orgs.models import Organization

# The stored rows have one column per bucket of DEFAULT_EDGES (30, 60, 90): current, 1-30, 31-60, 61-90, 91+.
BUCKET_COLUMNS = ("b0_minor", "b1_minor", "b2_minor", "b3_minor", "b4_minor")


class AgingDay(models.Model):
    """Which day an organization's stored aging rows are for; ``on`` is null while they are rewritten
    (readers then compute live). Its existence arms the triggers that note ledger changes."""

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, primary_key=True, related_name="+")
    on = models.DateField(null=True)
    computed_at = models.DateTimeField(null=True)
    generation = models.PositiveBigIntegerField(default=0, help_text="bumped by each rewrite; the last one begun wins")


class StoredAgingRow(models.Model):
    """One customer and currency of the aging report as of ``AgingDay.on``, amounts in minor units.

    On PostgreSQL ``sort_name`` and ``ref`` are collated "C" (migration 0002), so the SQL order is
    Python's string order, the order of the live report."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3)
    ref = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    sort_name = models.CharField(max_length=200, help_text="name.lower(): the report's order")
    b0_minor = models.BigIntegerField(default=0)
    b1_minor = models.BigIntegerField(default=0)
    b2_minor = models.BigIntegerField(default=0)
    b3_minor = models.BigIntegerField(default=0)
    b4_minor = models.BigIntegerField(default=0)
    credit_minor = models.BigIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0)
    overdue_minor = models.BigIntegerField(default=0, help_text="past due on invoices owing more than nothing")
    oldest_overdue = models.DateField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "currency"], name="stored_aging_one_row"),
        ]
        indexes = [
            models.Index(fields=["org", "sort_name", "ref", "currency"], name="stored_aging_page_order"),
            models.Index(fields=["org", "-overdue_minor", "ref", "currency"], name="stored_aging_most_overdue"),
            # The totals (``aging_store.stored_totals``) summed off this index alone, in currency order: 37 ms
            # for the 172,000 rows of 1,000,000 invoices on SQLite, against 240-300 ms through the row of
            # each entry of another index, which SQLite's planner took for the organization's rows.
            models.Index(fields=["org", "currency", "b0_minor", "b1_minor", "b2_minor", "b3_minor", "b4_minor",
                                 "credit_minor", "total_minor"], name="stored_aging_totals"),
        ]


class AgingChange(models.Model):
    """A customer whose ledger changed after its stored aging row was computed. Written only by the
    triggers of migration 0002 (no foreign keys: a note may outlive what it names)."""

    id = models.BigAutoField(primary_key=True)
    org_id = models.BigIntegerField()
    customer_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["org_id", "id"], name="aging_change_by_org")]
