"""The daily scheduler: run each organization's collections cycle once a day, at its
``cycle_time`` in its own time zone, then deliver the outbox.

An organization is due when its local clock has passed ``cycle_time`` and its local date has
no real (non-dry) cycle run yet, whoever ran it (the scheduler or ``recoup cycle``). Only
today is ever due: after days of downtime the scheduler runs today once, and the cycle
itself catches up the steps missed meanwhile, each decided once; their messages wait in the
outbox for the send window (the next morning in the debtor's time, when the day's window has
passed) and delivery sends them then. Before running, a scheduler claims the day
with a ``ScheduledRun`` row (unique per organization and date), so two schedulers at once
run an organization's day once. Of several ``recoup scheduler`` processes only the one holding
the leader lock (``recoup.ops.leader``) runs passes; it finishes a day a dead leader left claimed.
A day with more than ``RECOUP_CYCLE_PART_SIZE`` customers to look at is split into parts the
workers run (``cycle_parts``); each pass then looks after the split days not finished yet, and wraps up
(``wrap_up``) the days finished lately whose wrap-up was never taken (their process died first).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from recoup.arrangements.check import arrangements_check
from recoup.audit.actions import Actor
from recoup.collections.cycle import CycleResult, cycle_run
from recoup.collections.cycle_parts import day_split, days_in_parts, part_size, parts_tend
from recoup.collections.hooks import run_before_cycle, workers_alive
from recoup.collections.models import CycleRun, ScheduledRun
from recoup.collections.wrap_up import day_wrap_up, wrap_ups_tend
from recoup.escalation.case_actions import case_reminders
from recoup.lib.planner import planner_statistics_refresh
from recoup.lib.uploads import uploads_sweep
from recoup.messaging.delivery import DeliveryReport, deliver_due
from recoup.ops.backup import backup_daily
from recoup.orgs.models import Organization

log = logging.getLogger(__name__)

# A claim this old and unfinished belongs to a scheduler that died mid-cycle: take it over
# (the cycle is idempotent, so a second run of a half-done day decides nothing twice).
STALE_CLAIM = timedelta(hours=6)


def local_now(org: Organization, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(org.timezone))


def due_runs(*, orgs: Iterable[Organization], now: datetime) -> list[tuple[Organization, date]]:
    """The organizations whose daily cycle is due at ``now``, each with its local date."""
    candidates = []
    for org in orgs:
        local = local_now(org, now)
        if local.time() >= org.cycle_time:
            candidates.append((org, local.date()))
    if not candidates:
        return []
    # A run that never finished (it failed) does not count: the day is tried again.
    ran = set(CycleRun.objects.filter(dry_run=False, finished_at__isnull=False, org__in=[o for o, _ in candidates],
                                      date__in={d for _, d in candidates}).values_list("org_id", "date"))
    claimed = set(ScheduledRun.objects.filter(org__in=[o for o, _ in candidates], finished_at__isnull=False,
                                              date__in={d for _, d in candidates}).values_list("org_id", "date"))
    return [(org, day) for org, day in candidates if (org.pk, day) not in ran | claimed]


def claim_day(*, org: Organization, on: date, now: datetime, stale: timedelta = STALE_CLAIM) -> ScheduledRun | None:
    """Claim ``org``'s day for this scheduler; None when another holds it (or finished it).

    An unfinished claim older than ``stale`` is taken over; the scheduler holding the leader
    lock passes 0, since the lock proves the claim's holder is gone."""
    try:
        with transaction.atomic():
            return ScheduledRun.objects.create(org=org, date=on, claimed_at=now)
    except IntegrityError:
        pass
    # A day split into parts is never taken over: its parts are (``cycle_parts.parts_tend``).
    taken = ScheduledRun.objects.for_org(org).filter(date=on, finished_at__isnull=True, cycle_run__isnull=True,
                                                     claimed_at__lt=now - stale).update(claimed_at=now)
    return ScheduledRun.objects.for_org(org).get(date=on) if taken else None


def release_day(claim: ScheduledRun) -> None:
    """Give a claim back after a failed cycle, so the next tick tries again."""
    ScheduledRun.objects.filter(pk=claim.pk, finished_at__isnull=True).delete()


@dataclass
class TickReport:
    ran: list[tuple[Organization, CycleResult]] = field(default_factory=list)
    failed: list[tuple[Organization, str]] = field(default_factory=list)
    split: list[tuple[Organization, CycleRun]] = field(default_factory=list)  # days handed to the workers
    wrapped_up: list[CycleRun] = field(default_factory=list)  # days finished earlier, wrapped up late
    delivery: DeliveryReport | None = None


def scheduler_tick(*, now: datetime, orgs: Iterable[Organization] | None = None, deliver: bool = True,
                   backup: bool = False, take_over: bool = False) -> TickReport:
    """One pass: run every due cycle (each org on its own: one failing does not stop the
    others), sign its audit checkpoint and e-mail the digest carrying it to the operators,
    take the day's backup (``backup``), then deliver what is due. ``take_over``: this scheduler
    holds the leader lock, so a day another left unfinished is its to finish now (``claim_day``)."""
    report = TickReport()
    orgs = list(Organization.objects.order_by("slug")) if orgs is None else list(orgs)
    # Days split into parts earlier: finish those whose parts are all done, enqueue again what a dead worker left.
    in_parts = set()
    for claim in days_in_parts(orgs):
        in_parts.add((claim.org_id, claim.date))
        if parts_tend(run=claim.cycle_run, now=now).finished:
            run = CycleRun.objects.get(pk=claim.cycle_run_id)
            report.ran.append((claim.org, CycleResult(date=run.date, dry_run=False, counts=Counter(run.counts),
                                                      run_id=run.pk)))
    # Days finished whose wrap-up was never taken: the process finishing them died first.
    report.wrapped_up = wrap_ups_tend(orgs=orgs, now=now)
    for org, on in due_runs(orgs=orgs, now=now):
        if (org.pk, on) in in_parts:
            continue
        claim = claim_day(org=org, on=on, now=now, stale=timedelta(0) if take_over else STALE_CLAIM)
        if claim is None:
            continue
        # The books first (hooks: the connections app syncs), so nothing is chased on stale data.
        run_before_cycle(org, now)
        try:
            # Arrangements first, so a plan or promise broken today is chased today.
            arrangements_check(org=org, on=on, now=now)
            case_reminders(org=org, on=on, now=now, actor=Actor.system("scheduler"))
            # A large day goes to the workers in parts; the last part to finish wraps the day up.
            # Only while a worker beats: with none (`recoup run --no-worker`) the day would wait for ever.
            split = day_split(org=org, on=on, now=now, claim=claim, size=part_size() if workers_alive() else 0)
            result = cycle_run(org=org, on=on, now=now) if split is None else None
        except Exception as exc:  # noqa: BLE001 - logged, released, retried on the next tick
            log.exception("collections cycle of %s for %s failed", org.slug, on)
            release_day(claim)
            report.failed.append((org, f"{type(exc).__name__}: {exc}"))
            continue
        if result is None:
            report.split.append((org, split))
            continue
        ScheduledRun.objects.filter(pk=claim.pk).update(finished_at=now, cycle_run_id=result.run_id)
        report.ran.append((org, result))
        # Insight's snapshot, the day's audit checkpoint and the digest carrying it.
        day_wrap_up(run_id=result.run_id, now=now)
    if report.ran or report.split:  # a day has begun: import uploads abandoned before confirmation go too
        try:
            uploads_sweep(now=now)
        except OSError:
            log.exception("sweeping abandoned uploads failed")
        try:
            planner_statistics_refresh()  # the planner's statistics, fresh after the day's imports
        except Exception:  # noqa: BLE001 - slower pages, not a reason to stop the chase
            log.exception("refreshing the query planner's statistics failed")
    if backup:
        try:
            backup_daily(now=now)
        except Exception:  # noqa: BLE001 - a full disk must not stop the chase; the log says it
            log.exception("daily backup failed")
    if deliver:
        report.delivery = deliver_due(now=now)
    return report
