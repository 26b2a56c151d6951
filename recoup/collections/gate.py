"""The one compliance gate every automatic contact attempt passes (DESIGN invariant 5).

Issue 4 brings the real rules (contact hours, frequency limits, jurisdictions); until then
the gate allows everything. The cycle calls it for every message it would send and
reports its answer, so the rules can arrive here without touching the cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from recoup.ledger.models import Customer
from recoup.orgs.models import Organization


@dataclass(frozen=True)
class GateAnswer:
    verdict: str  # "allow", "defer" or "block"
    reason: str | None = None
    until: datetime | None = None

    @property
    def allowed(self) -> bool:
        return self.verdict == "allow"


ALLOW = GateAnswer("allow")


def contact_gate(*, org: Organization, customer: Customer, channel: str, step_key: str, on: date,
                 now: datetime) -> GateAnswer:
    """May Recoup contact ``customer`` on ``channel`` now? Allow for now (issue 4 adds the rules)."""
    return ALLOW
