"""Hooks that apps above messaging register, so messaging imports none of them.

Messaging delivers; the apps that decide what to send (collections, escalation) know more
about a message than its row does. They register here in their ``AppConfig.ready()``:

- ``invoices_elsewhere``: ``(org, invoice_ids) -> {invoice_id: why}`` for invoices no longer
  the business's own to ask for (escalation: placed with an agency). Delivery counts them as
  no longer owed (``still_owed``).
- ``message_withdrawn``: ``(message) -> dict`` called in the transaction that withdraws a
  message the ledger overtook (all or part of what it asks was paid); collections gives the
  step decisions it carried back to the cycle. What it returns goes into the audit event.
- ``delivery_gate``: ``(message, *, now) -> GateAnswer``, the compliance gate asked again before
  a message leaves (collections: a personal contact that overtook it, then ``message_gate``);
  ``message_blocked``: ``(message, answer) -> dict`` when that answer cancels it (collections
  gives an overtaken message's decisions back). With no gate registered nothing is sent.
- ``contact_gate``: the gate for an operator's own message (``message_send``), collections'
  ``contact_gate`` with its keyword arguments.
- ``message_failed``: ``(message, *, actor, now)`` when a message failed for good (a hard
  bounce, a wrong number, a returned letter): collections sends the step on its next channel.
- ``delivery_requested``: ``() -> None``, called by ``message_queue`` for a message that may leave
  now; messaging's own ``AppConfig.ready()`` registers ``tasks.request_delivery_on_commit``, so the
  actions that queue import neither the task nor delivery (which imports them).
- ``pause_for_reply``: ``(org, customer, *, now) -> bool`` pauses a customer's collection when
  a reply comes in; ``resume_after_reply``: ``(org, customer, *, actor, now) -> int`` lifts it
  (collections; without them replies pause nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

InvoicesElsewhere = Callable[[Any, Sequence[int]], "dict[int, str]"]
MessageWithdrawn = Callable[[Any], "dict[str, Any]"]

_ELSEWHERE: list[InvoicesElsewhere] = []
_WITHDRAWN: list[MessageWithdrawn] = []
_BLOCKED: list[Callable] = []
_FAILED: list[Callable] = []
# Hooks only one app answers: the last registration wins.
_ONE: dict[str, Callable] = {}


class NoHook(RuntimeError):
    """Nothing registered to answer a question delivery must not guess at (the compliance gate)."""


def register(name: str, hook: Callable) -> None:
    """Register the one answer to ``name``: "delivery_gate", "contact_gate", "delivery_requested",
    "pause_for_reply" or "resume_after_reply"."""
    if name not in ("delivery_gate", "contact_gate", "delivery_requested", "pause_for_reply", "resume_after_reply"):
        raise ValueError(f"hook: {name!r} is not a messaging hook")
    _ONE[name] = hook


def _one(name: str) -> Callable:
    try:
        return _ONE[name]
    except KeyError:
        raise NoHook(f"no {name} registered (is recoup.collections installed?)") from None


def delivery_requested() -> None:
    _one("delivery_requested")()


def delivery_gate(message, *, now):
    return _one("delivery_gate")(message, now=now)


def contact_gate(**kwargs):
    return _one("contact_gate")(**kwargs)


def pause_for_reply(org, customer, *, now) -> bool:
    hook = _ONE.get("pause_for_reply")
    return bool(hook and hook(org, customer, now=now))


def resume_after_reply(org, customer, *, actor, now) -> int:
    hook = _ONE.get("resume_after_reply")
    return hook(org, customer, actor=actor, now=now) if hook else 0


def register_message_blocked(hook: Callable) -> None:
    if hook not in _BLOCKED:
        _BLOCKED.append(hook)


def message_blocked(message, answer) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for hook in _BLOCKED:
        data.update(hook(message, answer) or {})
    return data


def register_message_failed(hook: Callable) -> None:
    if hook not in _FAILED:
        _FAILED.append(hook)


def message_failed(message, *, actor, now) -> None:
    for hook in _FAILED:
        hook(message=message, actor=actor, now=now)


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
