"""Which audit events become which webhook events (docs/api.md lists the same table).

Webhooks are read off the audit trail, so no other app has to know about them: every action
already writes an ``AuditEvent`` with a verb; ``events_for`` turns one into zero or more
webhook events ``(type, subject kind, subject id)``.
"""

from __future__ import annotations

from typing import Any

EVENT_TYPES = (
    "invoice.paid", "payment.received", "promise.made", "promise.broken", "plan.broken",
    "dispute.opened", "dispute.resolved", "message.bounced", "account.escalated",
)

# verb -> (event type, subject kind); subject id is the audit event's subject.
DIRECT = {
    "payment.recorded": ("payment.received", "payment"),
    "promise.made": ("promise.made", "promise"),
    "promise.broken": ("promise.broken", "promise"),
    "plan.broken": ("plan.broken", "plan"),
    "dispute.opened": ("dispute.opened", "dispute"),
    "dispute.resolved": ("dispute.resolved", "dispute"),
    "dispute.rejected": ("dispute.resolved", "dispute"),
}
# Verbs of the escalation app (issue 7) start with one of these: each one escalates an account.
ESCALATION_PREFIXES = ("escalation.", "placement.")
# Verbs after which an invoice may have become paid (checked against the invoice when dispatched).
MAY_PAY = ("payment.recorded", "credit.applied", "credit_note.issued")


def events_for(verb: str, subject_type: str, subject_id: int | None, data: dict[str, Any],
               customer_id: int | None) -> list[tuple[str, str, int | None]]:
    """The webhook events one audit event stands for (before the invoice.paid check)."""
    out: list[tuple[str, str, int | None]] = []
    if verb in DIRECT:
        event_type, kind = DIRECT[verb]
        out.append((event_type, kind, subject_id))
    if verb == "message.failed" and data.get("permanent"):
        out.append(("message.bounced", "message", subject_id))
    if verb.startswith(ESCALATION_PREFIXES):
        out.append(("account.escalated", "customer", customer_id))
    if verb == "payment.recorded":
        out += [("invoice.paid?", "invoice", int(pk)) for pk in (data.get("allocations") or {})]
    elif verb == "credit.applied" and subject_type == "allocation":
        out.append(("invoice.paid?", "allocation", subject_id))
    elif verb == "credit_note.issued":
        out.append(("invoice.paid?", "credit_note", subject_id))
    return out
