"""A large day's cycle split into parts that any worker may take (docs/deploy.md, "Several machines").

When an organization's day has more than ``RECOUP_CYCLE_PART_SIZE`` customers to look at, the
scheduler does not act for them itself: ``day_split`` starts the day's one ``CycleRun`` (default
policies, expired drafts), cuts the customers to look at into ranges of ids (``core.parts``), records
one ``CyclePart`` per range and enqueues one task per part (``collections.tasks.cycle_part``), all in
one transaction with the day's claim, so a scheduler dying there leaves either nothing or the whole split.

A worker claims a part (a conditional UPDATE: one wins) and runs the cycle's own code over those
customers only, under the day's run and at the day's ``now`` (``part_run``). Each chunk of customers
commits its decisions, messages, stored schedule and the part's running counts together; a part
taken again after its worker died reads only the customers still to do, and a customer acted for
twice decides nothing twice (the unique step decisions: ``cycle._DecidedElsewhere``).

The day is finished once every part is: by the worker finishing the last part, or by the scheduler's
next pass (``parts_tend``), whichever locks the run first (``select_for_update(no_key=True)`` on the
``CycleRun``): the run's counts become the sum of its parts', ``cycle.ran`` is recorded, the claim is
marked finished; then, outside that transaction, the after-cycle hooks, the audit checkpoint and the
digest (``wrap_up.day_wrap_up``), taken once on the run (a process dying before it took it leaves it to the
scheduler's next pass).
``parts_tend`` also enqueues again a part whose worker stopped beating or made no progress for
``RECOUP_CYCLE_PART_STALE_SECONDS``, and a part whose task was lost.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F

from recoup.collections.actions import policies_install_defaults
from recoup.collections.chase import chase_save
from recoup.collections.cycle import ACTOR, CycleResult, cycle_act, cycle_ran_record, cycle_start
from recoup.collections.cycle_facts import cycle_customer_ids, fetch_cycle_facts
from recoup.collections.hooks import cycle_hold, part_enqueue, parts_in_queue, workers_gone
from recoup.collections.models import CyclePart, CycleRun, Policy, ScheduledRun
from recoup.collections.wrap_up import day_wrap_up
from recoup.core.parts import counts_sum, split_ranges
from recoup.messaging.template_store import wordings_read_once
from recoup.orgs.models import Organization

log = logging.getLogger(__name__)

# An unclaimed part whose task is not in the queue is enqueued again only this long after it was
# enqueued (a worker may be between taking the task and claiming the part).
LOST_GRACE = timedelta(seconds=30)


def part_size() -> int:
    return settings.RECOUP_CYCLE_PART_SIZE


def part_stale() -> timedelta:
    return timedelta(seconds=settings.RECOUP_CYCLE_PART_STALE_SECONDS)


def day_split(*, org: Organization, on: date, now: datetime, claim: ScheduledRun, size: int) -> CycleRun | None:
    """Split ``org``'s day into parts of ``size`` customers and enqueue them; None (nothing done) when
    the day has ``size`` customers to look at or fewer (``size`` 0: never), for the caller to run here."""
    if size <= 0:
        return None
    if not Policy.objects.for_org(org).exists():
        policies_install_defaults(org=org, actor=ACTOR, now=now)
    ids = cycle_customer_ids(org=org, on=on)
    if len(ids) <= size:
        return None
    bounds = split_ranges(ids, size)
    with transaction.atomic():
        run, counts = cycle_start(org=org, on=on, now=now)
        run.counts = dict(counts)
        run.save(update_fields=["counts"])
        parts = CyclePart.objects.bulk_create([
            CyclePart(org=org, cycle_run=run, number=n, from_customer=low, below_customer=high, enqueued_at=now,
                      planned=len(ids[n * size:(n + 1) * size]))
            for n, (low, high) in enumerate(bounds)])
        ScheduledRun.objects.filter(pk=claim.pk).update(cycle_run=run)
        for part in parts:
            part_enqueue(part.pk)
    log.info("%s: the cycle for %s split into %d parts of up to %d customers", org.slug, on, len(parts), size)
    return run


class _TakenAgain(Exception):
    """The part was given to another worker while this one ran it (it looked dead)."""


def part_run(*, part_id: int, clock: Callable[[], datetime], worker: str) -> str:
    """Claim part ``part_id`` and act for its customers: "finished" (this finished the day too), "done"
    (the part), "claimed" (another worker holds it), "taken again" (given to another meanwhile) or
    "nothing" (already done, or gone)."""
    part = CyclePart.objects.select_related("cycle_run", "org").filter(pk=part_id).first()
    if part is None or part.finished_at is not None or part.cycle_run.finished_at is not None:
        return "nothing"
    at = clock()
    if not CyclePart.objects.filter(pk=part.pk, finished_at__isnull=True, claimed_at__isnull=True).update(
            claimed_at=at, claimed_by=worker[:200], attempts=F("attempts") + 1, progress_at=at):
        return "claimed"
    run, org = part.cycle_run, part.org
    # What earlier runs of this part committed, chunk by chunk, is counted already.
    token, done = CyclePart.objects.values_list("attempts", "counts").get(pk=part.pk)
    on, now = run.date, run.started_at
    held = cycle_hold(org, now)
    result = CycleResult(date=on, dry_run=False, run_id=run.pk, counts=Counter(done))

    def chunk_done(chase) -> None:
        chase_save(chase)
        if not CyclePart.objects.filter(pk=part.pk, attempts=token, finished_at__isnull=True).update(
                counts=dict(result.counts), progress_at=clock()):
            raise _TakenAgain()  # the chunk rolls back; the worker that has the part now does it

    try:
        with wordings_read_once():
            facts = fetch_cycle_facts(org=org, on=on, within=(part.from_customer, part.below_customer))
            cycle_act(org=org, on=on, now=now, run=run, facts=facts, result=result, held=held, chunk_done=chunk_done)
    except _TakenAgain:
        return "taken again"
    return "finished" if part_finish(part=part, token=token, counts=result.counts, held=held, at=clock()) else "done"


def part_finish(*, part: CyclePart, token: int, counts: Counter, held: str | None, at: datetime) -> bool:
    """Mark the part done; finish the day when it was the last. True when this call finished the day."""
    with transaction.atomic():
        run = _locked_run(part.cycle_run_id)
        CyclePart.objects.filter(pk=part.pk, attempts=token, finished_at__isnull=True).update(
            finished_at=at, counts=dict(counts), held=held or "", progress_at=at)
        finished = _day_finish_locked(run, at)
    if finished:
        day_wrap_up(run_id=run.pk, now=at)
    return finished


def _locked_run(pk: int) -> CycleRun:
    """The run, its row locked until the transaction ends (FOR NO KEY UPDATE, the run's row only: never a
    plain FOR UPDATE, which would also block the inserts referencing it)."""
    return CycleRun.objects.select_for_update(no_key=True, of=("self",)).select_related("org").get(pk=pk)


def _day_finish_locked(run: CycleRun, at: datetime) -> bool:
    """With the run's row locked: finish the day if every part is done and nobody finished it yet."""
    if run.finished_at is not None:
        return False
    parts = list(CyclePart.objects.filter(cycle_run=run).values_list("finished_at", "counts", "held"))
    if not parts or any(finished is None for finished, _, _ in parts):
        return False
    counts = counts_sum((c for _, c, _ in parts), start=run.counts)
    held = next((h for *_, h in parts if h), None)
    run.finished_at = max(at, run.started_at)
    run.counts = counts
    run.save(update_fields=["finished_at", "counts"])
    ScheduledRun.objects.filter(org_id=run.org_id, date=run.date, finished_at__isnull=True).update(
        finished_at=run.finished_at, cycle_run=run)
    cycle_ran_record(org=run.org, run=run, now=run.started_at, counts=Counter(counts), held=held)
    return True


@dataclass
class Tended:
    finished: bool = False
    enqueued: int = 0  # parts enqueued again
    waiting: int = 0  # parts not done yet


def parts_tend(*, run: CycleRun, now: datetime, stale: timedelta | None = None) -> Tended:
    """The scheduler's look at a split day: finish it when every part is done (a worker died between its
    last part and the finish), else enqueue again the parts whose worker died (stopped beating, or no
    progress for ``stale``) and those whose task was lost."""
    stale = part_stale() if stale is None else stale
    with transaction.atomic():
        locked = _locked_run(run.pk)
        finished = _day_finish_locked(locked, now)
    if finished:
        day_wrap_up(run_id=locked.pk, now=now)
        return Tended(finished=True)
    report = Tended()
    open_parts = list(CyclePart.objects.filter(cycle_run_id=run.pk, finished_at__isnull=True))
    report.waiting = len(open_parts)
    gone = workers_gone() if any(p.claimed_at for p in open_parts) else set()
    queued = parts_in_queue()
    for part in open_parts:
        if part.claimed_at is not None:
            last = part.progress_at or part.claimed_at
            if part.claimed_by not in gone and last >= now - stale:
                continue
            again = CyclePart.objects.filter(pk=part.pk, attempts=part.attempts, finished_at__isnull=True).update(
                claimed_at=None, claimed_by="", enqueued_at=now)
        else:
            lost = part.pk not in queued if queued is not None else part.enqueued_at < now - stale
            if not lost or part.enqueued_at > now - LOST_GRACE:
                continue
            again = CyclePart.objects.filter(pk=part.pk, claimed_at__isnull=True, finished_at__isnull=True).update(
                enqueued_at=now)
        if again:
            log.warning("%s: part %d of the cycle for %s enqueued again (%s)", run.org_id, part.number, run.date,
                        f"worker {part.claimed_by} gone or stalled" if part.claimed_by else "its task was lost")
            part_enqueue(part.pk)
            report.enqueued += 1
    return report


def days_in_parts(orgs: list[Organization]):
    """The claims of days split into parts and not finished yet, of ``orgs``."""
    return ScheduledRun.objects.filter(org__in=orgs, finished_at__isnull=True, cycle_run__isnull=False) \
        .select_related("cycle_run", "org").order_by("org__slug", "date")
