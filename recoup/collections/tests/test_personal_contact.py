"""A personal contact postpones the automatic steps (issue 11): no reminder the morning after the owner wrote.

A manual message, a logged call or anything the customer sends in makes the cycle wait
``org.manual_contact_quiet_days`` days for that customer; the step then goes once.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from recoup.collections.cycle import cycle_run
from recoup.collections.models import StepDecision
from recoup.collections.tests.conftest import at
from recoup.messaging.actions import contact_log

DUE = date(2026, 3, 2)  # first reminder (+3) due Thursday 2026-03-05


@pytest.fixture
def owed(five_step, debtor, make_invoice, org_a):
    customer = debtor(org_a, "C1")
    other = debtor(org_a, "C2")
    make_invoice(org_a, customer, "INV-1", "100.00", issue=date(2026, 2, 1), due=DUE)
    make_invoice(org_a, other, "INV-2", "100.00", issue=date(2026, 2, 1), due=DUE)
    return customer


def _run_days(org, first: date, last: date) -> dict[date, list[tuple[str, str]]]:
    sent = {}
    day = first
    while day <= last:
        result = cycle_run(org=org, on=day, now=at(day, 7))
        sent[day] = [(a.customer_ref, a.step) for a in result.actions]
        day += timedelta(days=1)
    return sent


@pytest.mark.parametrize("channel, direction, extra", [
    ("email", "out", {}),  # the owner sent a reminder by hand
    ("call", "out", {}),  # a call logged by the operator
    ("email", "in", {}),  # the customer wrote in
    ("letter", "out", {"summary": "Invoice INV-1 sent by hand"}),  # the invoice sent by hand
])
def test_a_personal_contact_postpones_the_step_by_the_quiet_days(owed, org_a, system, channel, direction, extra):
    contact_log(org=org_a, customer=owed, channel=channel, direction=direction,
                summary=extra.get("summary", "Spoke about INV-1"), content="", at=at(date(2026, 3, 4), 16),
                actor=system, now=at(date(2026, 3, 4), 17))

    sent = _run_days(org_a, date(2026, 3, 5), date(2026, 3, 10))

    # C2 (no personal contact) gets the reminder on time; C1 waits 5 days after 03-04: Monday 03-09.
    assert sent[date(2026, 3, 5)] == [("C2", "first-reminder")]
    assert [d for d, actions in sent.items() if ("C1", "first-reminder") in actions] == [date(2026, 3, 9)]
    assert StepDecision.objects.filter(customer=owed, step_key="first-reminder").count() == 1


def test_a_wrong_number_or_a_cancelled_message_is_no_personal_contact(owed, org_a, system):
    from recoup.messaging.models import Message

    call = contact_log(org=org_a, customer=owed, channel="call", direction="out", summary="Tried to call",
                       content="", at=at(date(2026, 3, 4), 16), actor=system, now=at(date(2026, 3, 4), 17))
    Message.objects.filter(pk=call.pk).update(call_outcome="wrong_number")

    assert ("C1", "first-reminder") in _run_days(org_a, date(2026, 3, 5), date(2026, 3, 5))[date(2026, 3, 5)]


def test_no_quiet_days_means_no_postponing(owed, org_a, system):
    org_a.manual_contact_quiet_days = 0
    org_a.save(update_fields=["manual_contact_quiet_days"])
    contact_log(org=org_a, customer=owed, channel="email", direction="in", summary="Will pay Friday", content="",
                at=at(date(2026, 3, 4), 16), actor=system, now=at(date(2026, 3, 4), 17))

    assert ("C1", "first-reminder") in _run_days(org_a, date(2026, 3, 5), date(2026, 3, 5))[date(2026, 3, 5)]


def test_the_stored_schedule_looks_again_when_the_quiet_days_end(owed, org_a, system):
    # The cycle ran (and stored its schedule) before the owner wrote; the contact still counts.
    _run_days(org_a, date(2026, 3, 3), date(2026, 3, 3))
    contact_log(org=org_a, customer=owed, channel="email", direction="out", summary="Personal note", content="",
                at=at(date(2026, 3, 4), 16), actor=system, now=at(date(2026, 3, 4), 17))

    sent = _run_days(org_a, date(2026, 3, 5), date(2026, 3, 12))

    assert [d for d, actions in sent.items() if ("C1", "first-reminder") in actions] == [date(2026, 3, 9)]


def test_fewer_quiet_days_take_effect_on_the_next_run(owed, org_a, system):
    org_a.manual_contact_quiet_days = 30
    org_a.save(update_fields=["manual_contact_quiet_days"])
    contact_log(org=org_a, customer=owed, channel="email", direction="out", summary="Personal note", content="",
                at=at(date(2026, 3, 4), 16), actor=system, now=at(date(2026, 3, 4), 17))
    _run_days(org_a, date(2026, 3, 5), date(2026, 3, 6))
    org_a.manual_contact_quiet_days = 5
    org_a.save(update_fields=["manual_contact_quiet_days"])

    sent = _run_days(org_a, date(2026, 3, 7), date(2026, 3, 10))

    assert [d for d, actions in sent.items() if ("C1", "first-reminder") in actions] == [date(2026, 3, 9)]


def _reminders(customer) -> list[tuple[str, str, str]]:
    from recoup.messaging.models import Message

    return [(m.step_key, m.status, m.last_error) for m in Message.objects.filter(customer=customer, source="cycle")
            .order_by("created_at", "pk")]


def test_a_reminder_queued_before_the_owner_called_is_not_sent_after_the_call(owed, org_a, system):
    from recoup.messaging.delivery import deliver_due

    thursday = date(2026, 3, 5)
    cycle_run(org=org_a, on=thursday, now=at(thursday, 7))  # queued at 07:00, waiting for the 09:00 window
    contact_log(org=org_a, customer=owed, channel="call", direction="out", summary="Spoke about INV-1",
                content="Will pay next week", at=at(thursday, 8), actor=system, now=at(thursday, 8))

    report = deliver_due(now=at(thursday, 9))

    assert (report.sent, report.blocked) == (1, 1)  # C2's reminder went; C1's did not
    [(step, status, why)] = _reminders(owed)
    assert (step, status) == ("first-reminder", "cancelled")
    assert why == "blocked: a personal contact on 2026-03-05 08:00 after it was queued; automatic steps wait 5 days"
    # The step was given back: after the quiet days the cycle sends it once, on what is true then.
    sent = _run_days(org_a, date(2026, 3, 6), date(2026, 3, 11))
    assert [d for d, actions in sent.items() if ("C1", "first-reminder") in actions] == [date(2026, 3, 10)]
    assert [s for s, status, _ in _reminders(owed)] == ["first-reminder", "first-reminder"]
    assert StepDecision.objects.filter(customer=owed, step_key="first-reminder").count() == 1


def test_without_quiet_days_a_queued_reminder_still_goes_after_a_call(owed, org_a, system):
    from recoup.messaging.delivery import deliver_due

    org_a.manual_contact_quiet_days = 0
    org_a.save(update_fields=["manual_contact_quiet_days"])
    thursday = date(2026, 3, 5)
    cycle_run(org=org_a, on=thursday, now=at(thursday, 7))
    contact_log(org=org_a, customer=owed, channel="call", direction="out", summary="Spoke about INV-1",
                content="", at=at(thursday, 8), actor=system, now=at(thursday, 8))

    assert deliver_due(now=at(thursday, 9)).sent == 2
    assert _reminders(owed) == [("first-reminder", "sent", "")]
