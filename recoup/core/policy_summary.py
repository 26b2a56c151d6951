"""The human-readable summary of a policy's steps: what ``Policy.description`` says once steps change.

A policy's description is prose a person reads on the policy page ("B2B: a friendly note 3
days before the due date, reminders at 3 and 14 days overdue, ..."). The shipped policies
come with one written by hand; when an operator adds, edits or removes a step the hand-written
text no longer tells the truth, so the policy's description becomes ``describe(policy)``,
made from the steps themselves (``recoup.collections.actions.policy_update``).

No Django, no I/O.
"""

from __future__ import annotations

from recoup.core.policy import Policy, Step, StepAction

CHANNEL_WORDS = {"email": "e-mail", "sms": "SMS", "letter": "letter", "call": "phone"}
ACTION_WORDS = {
    StepAction.NONE: "",
    StepAction.LATE_FEE: "adds the agreed late fee",
    StepAction.INTEREST: "adds late-payment interest",
    StepAction.CREDIT_HOLD: "puts the account on credit hold",
    StepAction.ESCALATION_REVIEW: "asks the operator to review the account for escalation",
}
KIND_WORDS = {"business": "business customers", "consumer": "consumers"}


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _days(n: int, business: bool) -> str:
    return f"{n} {'business ' if business else ''}day{'' if n == 1 else 's'}"


def when(step: Step) -> str:
    """When the step falls, counted from the due date: "3 days before the due date", "14 days overdue"."""
    if step.offset_days == 0:
        return "on the due date"
    if step.offset_days < 0:
        return f"{_days(-step.offset_days, step.business_days)} before the due date"
    return f"{_days(step.offset_days, step.business_days)} overdue"


def describe_step(step: Step) -> str:
    """One step in a sentence's clause: "First reminder by e-mail 3 days overdue"."""
    parts = [f"{step.name} by {_and([CHANNEL_WORDS.get(c, c) for c in step.channels])} {when(step)}"]
    if step.repeat_every_days and step.repeat_max:
        parts.append(f"repeated every {_days(step.repeat_every_days, step.business_days)} "
                     f"up to {step.repeat_max} time{'' if step.repeat_max == 1 else 's'}")
    only = []
    if step.customer_kinds:
        only.append(_and([KIND_WORDS.get(k, k) for k in step.customer_kinds]))
    if step.tags:
        only.append("customers tagged " + _and(list(step.tags)))
    if only:
        parts.append("for " + " and ".join(only) + " only")
    if step.min_overdue:
        parts.append(f"when at least {step.min_overdue:f} is overdue")
    if ACTION_WORDS.get(step.action):
        parts.append(f"and {ACTION_WORDS[step.action]}" if len(parts) == 1 else ACTION_WORDS[step.action])
    return ", ".join(parts)


def describe(policy: Policy) -> str:
    """The policy's steps in order, as one paragraph; says so when there are none."""
    if not policy.steps:
        return "No steps: customers following this policy are never contacted."
    return "; ".join(describe_step(step) for step in policy.steps) + "."
