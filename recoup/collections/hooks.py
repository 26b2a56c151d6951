"""Hooks that apps above or beside collections register, so collections imports none of them.

- ``before_cycle``: called by the scheduler right before an organization's daily cycle (the
  connections app syncs the organization's books here). A hook that raises is logged and the
  cycle goes on: whether it may then act is the hold's decision.
- ``cycle_hold``: asked by the cycle at its ``now``; a sentence (e.g. "books not synced since
  2026-03-30 02:00 UTC") defers every step of the day with that reason, None lets it act.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from recoup.orgs.models import Organization

log = logging.getLogger(__name__)

BeforeCycle = Callable[[Organization, datetime], None]
CycleHold = Callable[[Organization, datetime], "str | None"]

_BEFORE: list[BeforeCycle] = []
_HOLDS: list[CycleHold] = []


def register_before_cycle(hook: BeforeCycle) -> None:
    if hook not in _BEFORE:
        _BEFORE.append(hook)


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
