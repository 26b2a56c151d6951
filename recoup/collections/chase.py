"""The cycle's stored schedule: which customers it must look at on a given day.

Healthchecks keeps "when to look next" in a column so its loops read only what is due;
the daily cycle does the same with ``InvoiceChase``: one row per open invoice it has
decided, with the day it next has something to decide (``core.policy.next_look``) and what
the invoice and customer looked like then. The candidates of a day are the customers with an
invoice whose row is missing, stale or due; everyone else is skipped unread.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date

from django.db import connection

from recoup.collections.models import ChaseState, InvoiceChase, Policy, PolicyRule
from recoup.ledger.models import Customer, Invoice
from recoup.orgs.models import Organization

UPDATE_FIELDS = ["customer", "next_on", "epoch", "due_date", "open_minor", "kind", "country", "region"]


def chase_epoch(*, org: Organization) -> int:
    """The organization's current epoch, bumped here when its policies, tag rules, place or quiet
    days after a personal contact changed since the stored schedule was computed (such a change can move any invoice's
    next step, so every row becomes stale)."""
    policies = Policy.objects.for_org(org).order_by("pk").values_list("pk", "spec", "is_default", "default_for")
    rules = PolicyRule.objects.for_org(org).order_by("pk").values_list("tag", "policy_id", "position")
    basis = json.dumps([list(policies), list(rules), org.country, org.region,
                        org.manual_contact_quiet_days], sort_keys=True, default=str)
    digest = hashlib.sha256(basis.encode()).hexdigest()
    state, _ = ChaseState.objects.get_or_create(org=org)
    if state.basis != digest:
        state.epoch += 1
        state.basis = digest
        state.save(update_fields=["epoch", "basis"])
    return state.epoch


def customers_to_look_at(*, org: Organization, on: date, until: date, epoch: int,
                         within: tuple[int | None, int | None] | None = None) -> set[int]:
    """Customers with an open invoice due by ``until`` whose stored schedule is missing,
    stale (another epoch, another due date or open amount, another customer kind or place)
    or says to look on or before ``on``; ``within``: only customer ids from its first bound
    (inclusive) below its second (None: unbounded), a part of a split day."""
    invoice, chase, customer = Invoice._meta.db_table, InvoiceChase._meta.db_table, Customer._meta.db_table
    sql = f"""
        SELECT DISTINCT i.customer_id
        FROM {invoice} i
        JOIN {customer} cu ON cu.id = i.customer_id
        LEFT JOIN {chase} c ON c.invoice_id = i.id
        WHERE i.org_id = %s AND i.open_minor > 0 AND i.due_date <= %s
          AND (c.invoice_id IS NULL OR c.next_on <= %s OR c.epoch <> %s
               OR c.due_date <> i.due_date OR c.open_minor <> i.open_minor
               OR c.kind <> cu.kind OR c.country <> cu.country OR c.region <> cu.region)
    """
    params: list = [org.pk, until, on, epoch]
    for bound, op in zip(within or (), (">=", "<")):
        if bound is not None:
            sql += f" AND i.customer_id {op} %s"
            params.append(bound)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def chase_save(rows: Iterable[InvoiceChase]) -> None:
    """Store rows, replacing what is there (call after the customers' decisions committed)."""
    rows = list(rows)
    if rows:
        InvoiceChase.objects.bulk_create(rows, batch_size=2000, update_conflicts=True,
                                         unique_fields=["invoice"], update_fields=UPDATE_FIELDS)


def chase_forget(*, customer: Customer) -> None:
    """Make the next cycle look at ``customer`` again (its tags, policy or pauses changed)."""
    InvoiceChase.objects.filter(customer=customer).delete()
