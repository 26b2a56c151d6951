"""Hooks that apps above or beside collections register, so collections imports none of them.

- ``before_cycle``: called by the scheduler right before an organization's daily cycle (the
  connections app syncs the organization's books here). A hook that raises is logged and the
  cycle goes on: whether it may then act is the hold's decision.
- ``after_cycle``: called by the scheduler after an organization's daily cycle ran, with its
  local date (insight writes the day's snapshot of its figures here). A hook that raises is logged.
- ``cycle_hold``: asked by the cycle at its ``now``; a sentence (e.g. "books not synced since
  2026-03-30 02:00 UTC") defers every step of the day with that reason, None lets it act.
- ``workers_gone``: the names (``host:pid``) of worker processes that stopped beating (ops registers
  its heartbeats here); a part of a split day claimed by one of them is taken again at once.
- ``workers_alive``: whether any worker beats now; the scheduler splits a large day only then.
- ``part_queue``: how a part of a split day is enqueued and which parts wait in the queue; registered by
  collections' own ``apps.py`` with ``tasks`` (the task runs ``cycle_parts``, which so need not import it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

from recoup.orgs.models import Organization

log = logging.getLogger(__name__)

BeforeCycle = Callable[[Organization, datetime], None]
CycleHold = Callable[[Organization, datetime], "str | None"]

_BEFORE: list[BeforeCycle] = []
_HOLDS: list[CycleHold] = []
AfterCycle = Callable[[Organization, date, datetime], None]
_AFTER: list[AfterCycle] = []


def register_before_cycle(hook: BeforeCycle) -> None:
    if hook not in _BEFORE:
        _BEFORE.append(hook)


def register_after_cycle(hook: AfterCycle) -> None:
    if hook not in _AFTER:
        _AFTER.append(hook)


def run_after_cycle(org: Organization, on: date, now: datetime) -> None:
    for hook in _AFTER:
        try:
            hook(org, on, now)
        except Exception:  # noqa: BLE001 - derived figures failing must not undo or repeat the day's run
            log.exception("after-cycle hook %s failed for %s", getattr(hook, "__name__", hook), org.slug)


def register_cycle_hold(hook: CycleHold) -> None:
    if hook not in _HOLDS:
        _HOLDS.append(hook)


def run_before_cycle(org: Organization, now: datetime) -> None:
    for hook in _BEFORE:
        try:
            hook(org, now)
        except Exception:  # noqa: BLE001 - a books server down must not stop the day; the hold decides
            log.exception("before-cycle hook %s failed for %s", getattr(hook, "__name__", hook), org.slug)


def cycle_hold(org: Organization, now: datetime) -> str | None:
    """The first hold's reason to defer every step of ``org``'s cycle at ``now``, or None."""
    for hook in _HOLDS:
        reason = hook(org, now)
        if reason:
            return reason
    return None


WorkersGone = Callable[[], "set[str]"]
_GONE: list[WorkersGone] = []


def register_workers_gone(hook: WorkersGone) -> None:
    if hook not in _GONE:
        _GONE.append(hook)


def workers_gone() -> set[str]:
    """Worker processes known to have died (no hook: none known; parts then wait for their claim to go stale)."""
    gone: set[str] = set()
    for hook in _GONE:
        gone |= hook()
    return gone


WorkersAlive = Callable[[], bool]
_ALIVE: list[WorkersAlive] = []


def register_workers_alive(hook: WorkersAlive) -> None:
    if hook not in _ALIVE:
        _ALIVE.append(hook)


def workers_alive() -> bool:
    """Whether any worker process is beating now (no hook: none known, so a day is not split: a split day
    waits for workers, and an installation without any runs its days whole in the scheduler)."""
    return any(hook() for hook in _ALIVE)


@dataclass(frozen=True)
class PartQueue:
    enqueue: Callable[[int], None]
    waiting: Callable[[], "set[int] | None"]


_PART_QUEUE: list[PartQueue] = []


def register_part_queue(queue: PartQueue) -> None:
    _PART_QUEUE[:] = [queue]


def part_enqueue(part_id: int) -> None:
    """Enqueue the task of part ``part_id`` (inside the caller's transaction with the database backend)."""
    if not _PART_QUEUE:
        raise RuntimeError("no task queue registered for the parts of a split day (collections' AppConfig)")
    _PART_QUEUE[0].enqueue(part_id)


def parts_in_queue() -> set[int] | None:
    """The parts whose task waits in the queue; None when the queue cannot say (or none is registered)."""
    return _PART_QUEUE[0].waiting() if _PART_QUEUE else None
