"""The readiness checks' registry: each app registers what "healthy" means for its part.

A check is a function ``check(now) -> iterable of problems``: nothing when all is well, else
one ``Problem`` (or a plain string) per thing that is wrong. An app registers its checks in
its ``AppConfig.ready()``, so this module imports no app and every app may use it:

    from recoup.lib import health

    health.register("cycle", cycle_problems)

``/readyz`` (recoup.ops.views) runs them all; so does the dashboard's banner for owners, which
shows only the problems of the owner's organization and those of the whole install. A check
that raises (the database is down) counts as failing, with the error as its problem.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    text: str
    org_id: int | None = None  # set when it concerns one organization only


@dataclass(frozen=True)
class CheckResult:
    name: str
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Report:
    results: tuple[CheckResult, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def failing_for(self, org_id: int) -> list[tuple[str, str]]:
        """(check, problem) pairs an owner of ``org_id`` may see: theirs and the install's."""
        return [(r.name, p.text) for r in self.results for p in r.problems if p.org_id in (None, org_id)]


Check = Callable[[datetime], Iterable["Problem | str"]]
_CHECKS: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    """Add (or replace, by name) a readiness check; checks run in the order first registered."""
    _CHECKS[name] = check


def registered() -> list[str]:
    return list(_CHECKS)


def run_checks(*, now: datetime, only: Iterable[str] | None = None) -> Report:
    """Run every registered check (or those named in ``only``) at ``now``."""
    wanted = None if only is None else set(only)
    results = []
    for name, check in _CHECKS.items():
        if wanted is not None and name not in wanted:
            continue
        try:
            problems = tuple(p if isinstance(p, Problem) else Problem(str(p)) for p in check(now))
        except Exception as exc:  # noqa: BLE001 - a check that cannot run is a failing check
            log.warning("readiness check %s could not run", name, exc_info=True)
            problems = (Problem(f"the check could not run: {type(exc).__name__}: {exc}"[:500]),)
        results.append(CheckResult(name, problems))
    return Report(tuple(results))
