"""Hooks that apps above messaging register, so messaging imports none of them.

Messaging delivers; the apps that decide what to send (collections, escalation) know more
about a message than its row does. They register here in their ``AppConfig.ready()``:

- ``invoices_elsewhere``: ``(org, invoice_ids) -> {invoice_id: why}`` for invoices no longer
  the business's own to ask for (escalation: placed with an agency). Delivery counts them as
  no longer owed (``still_owed``).
- ``message_withdrawn``: ``(message) -> dict`` called in the transaction that withdraws a
  message the ledger overtook (all or part of what it asks was paid); collections gives the
  step decisions it carried back to the cycle. What it returns goes into the audit event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

InvoicesElsewhere = Callable[[Any, Sequence[int]], "dict[int, str]"]
MessageWithdrawn = Callable[[Any], "dict[str, Any]"]

_ELSEWHERE: list[InvoicesElsewhere] = []
_WITHDRAWN: list[MessageWithdrawn] = []


def register_invoices_elsewhere(hook: InvoicesElsewhere) -> None:
    if hook not in _ELSEWHERE:
        _ELSEWHERE.append(hook)


def register_message_withdrawn(hook: MessageWithdrawn) -> None:
    if hook not in _WITHDRAWN:
        _WITHDRAWN.append(hook)


def invoices_elsewhere(org, invoice_ids: Sequence[int]) -> dict[int, str]:
    """Which of ``invoice_ids`` another app has taken over, with why ("placed with Acme Recoveries")."""
    found: dict[int, str] = {}
    if not invoice_ids:
        return found
    for hook in _ELSEWHERE:
        for invoice_id, why in hook(org, invoice_ids).items():
            found.setdefault(invoice_id, why)
    return found


def message_withdrawn(message) -> dict[str, Any]:
    """Tell the registered apps that ``message`` was withdrawn; their answers merged."""
    data: dict[str, Any] = {}
    for hook in _WITHDRAWN:
        data.update(hook(message) or {})
    return data
