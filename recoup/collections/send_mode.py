"""Which send mode a policy step runs in: its own, else the organization's (issue 11)."""

from __future__ import annotations

from recoup.core.policy import Step
from recoup.orgs.models import Organization, SendMode


def step_mode(org: Organization, step: Step) -> str:
    """``SendMode.AUTOMATIC``, ``REVIEW`` or ``OFF`` for the messages of ``step``."""
    return step.mode or org.send_mode or SendMode.AUTOMATIC
