"""A day's wrap-up once its cycle finished: the after-cycle hooks (insight's snapshot), the audit
checkpoint and the operators' digest carrying it.

Whoever finishes the day (the scheduler running it whole, the worker finishing its last part, the
scheduler's ``parts_tend``) commits the finish first and wraps the day up after, outside that
transaction. The wrap-up is taken with a conditional UPDATE of the ``CycleRun`` (``wrap_up_started_at``:
one process wins, once) and marked done (``wrapped_up_at``) once its three steps ran. A process dying
between the finish and taking the wrap-up leaves a day finished and never taken: the scheduler's next
pass (``wrap_ups_tend``) wraps it up. A wrap-up once taken is never taken again, even when its process
died doing it: the digest goes at most once (a wrap-up taken again by its age was sent twice in the
production-setup test, whose clock moves hours in a second while the first was still at it).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Iterable

from django.db.models import Q

from recoup.audit.checkpoints import checkpoint_take
from recoup.collections.digest import digest_send
from recoup.collections.hooks import run_after_cycle
from recoup.collections.models import CycleRun, ScheduledRun
from recoup.orgs.models import Organization

log = logging.getLogger(__name__)

# Days finished longer ago are never wrapped up late (an upgrade does not send a digest per old day).
WRAP_UP_RECENT = timedelta(days=7)
# A run whose wrap-up nobody took: the only one a process may take (once).
NOT_TAKEN = Q(wrapped_up_at__isnull=True, wrap_up_started_at__isnull=True)


def day_wrap_up(*, run_id: int, now: datetime) -> bool:
    """Take the wrap-up of the finished run ``run_id`` and do it; False (nothing done) when another
    process took it or it was done already."""
    if not CycleRun.objects.filter(NOT_TAKEN, pk=run_id, finished_at__isnull=False).update(
            wrap_up_started_at=now):
        return False
    run = CycleRun.objects.select_related("org").get(pk=run_id)
    wrap_up_steps(org=run.org, on=run.date, now=now)
    CycleRun.objects.filter(pk=run_id).update(wrapped_up_at=now)
    return True


def wrap_up_steps(*, org: Organization, on: date, now: datetime) -> None:
    """The hooks, the audit checkpoint and the digest carrying it. None of them may undo or repeat the
    day's run: failures are logged (and the wrap-up counts as done)."""
    run_after_cycle(org, on, now)
    try:
        audit = checkpoint_take(org=org, now=now)  # the day's checkpoint, carried by the digest
    except Exception:  # noqa: BLE001 - an unreadable key file must not undo or repeat the day's run
        log.exception("audit checkpoint of %s for %s failed", org.slug, on)
        audit = None
    try:
        digest_send(org=org, on=on, audit=audit)
    except Exception:  # noqa: BLE001 - a mail server down must not undo or repeat the day's run
        log.exception("daily digest of %s for %s could not be sent", org.slug, on)


def wrap_ups_left(*, orgs: Iterable[Organization], now: datetime):
    """The scheduled days of ``orgs`` finished in the last ``WRAP_UP_RECENT`` whose wrap-up was never
    taken."""
    claimed = ScheduledRun.objects.filter(org__in=orgs, finished_at__isnull=False, cycle_run__isnull=False)
    return CycleRun.objects.filter(NOT_TAKEN, org__in=orgs, dry_run=False, finished_at__isnull=False,
                                   finished_at__gte=now - WRAP_UP_RECENT,
                                   pk__in=claimed.values("cycle_run_id")) \
        .select_related("org").order_by("finished_at", "pk")


def wrap_ups_tend(*, orgs: Iterable[Organization], now: datetime) -> list[CycleRun]:
    """The scheduler's pass: wrap up the days whose finishing process died before taking the wrap-up;
    the runs this pass wrapped up."""
    orgs = list(orgs)
    done = []
    for run in wrap_ups_left(orgs=orgs, now=now):
        log.warning("%s: the cycle of %s finished at %s without its wrap-up: wrapping it up now",
                    run.org.slug, run.date, run.finished_at)
        if day_wrap_up(run_id=run.pk, now=now):
            done.append(run)
    return done
