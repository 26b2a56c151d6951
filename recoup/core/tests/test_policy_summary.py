"""The policy description made from its steps (``core.policy_summary``)."""

from __future__ import annotations

from decimal import Decimal

from recoup.core.policy import Policy, Step, StepAction
from recoup.core.policy_summary import describe


def test_each_step_is_told_in_order_with_its_day_channels_repeats_and_action():
    policy = Policy(name="p", steps=(
        Step(key="pre-due", name="Friendly note", offset_days=-3),
        Step(key="first", name="First reminder", offset_days=3, channels=("email", "sms")),
        Step(key="call", name="Phone call", offset_days=21, business_days=True, channels=("call",),
             repeat_every_days=7, repeat_max=2, customer_kinds=("consumer",)),
        Step(key="final", name="Final notice", offset_days=30, channels=("email", "letter"),
             action=StepAction.LATE_FEE, min_overdue=Decimal("100")),
    ))
    assert describe(policy) == (
        "Friendly note by e-mail 3 days before the due date; "
        "First reminder by e-mail and SMS 3 days overdue; "
        "Phone call by phone 21 business days overdue, repeated every 7 business days up to 2 times, "
        "for consumers only; "
        "Final notice by e-mail and letter 30 days overdue, when at least 100 is overdue, adds the agreed late fee.")


def test_a_policy_without_steps_says_nobody_is_contacted():
    assert describe(Policy(name="p")) == "No steps: customers following this policy are never contacted."
    assert describe(Policy(name="p", steps=(Step(key="d", name="Due today", offset_days=0),))) == \
        "Due today by e-mail on the due date."
