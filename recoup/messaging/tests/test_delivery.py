"""The delivery loop: claims, stale claims taken back, the command and the worker task."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from recoup.messaging.delivery import claim_next, deliver_due, next_wakeup
from recoup.messaging.models import Message, MessageStatus


def test_a_message_can_be_claimed_only_once(org_a, customer_a, queue, now):
    message = queue(org_a, customer_a, "k")

    first, second = claim_next(now=now), claim_next(now=now)

    assert first.pk == message.pk and first.status == MessageStatus.SENDING and first.attempts == 1
    assert second is None


def test_a_message_left_sending_by_a_dead_process_is_resent_with_the_same_message_id(smtp, org_a, customer_a,
                                                                                     queue, now):
    message = queue(org_a, customer_a, "k")
    claim_next(now=now)  # a worker claimed it, then was killed before recording anything

    assert deliver_due(now=now + timedelta(minutes=9)).sent == 0  # maybe still at work: leave it
    assert deliver_due(now=now + timedelta(minutes=10)).sent == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 2
    assert smtp.message_ids() == [message.message_id]


def test_it_delivers_at_most_limit_messages(smtp, org_a, customer_a, queue, now):
    for i in range(3):
        queue(org_a, customer_a, f"k{i}")

    assert deliver_due(now=now, limit=2).sent == 2
    assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 1


def test_it_does_not_send_before_a_message_is_due(smtp, org_a, customer_a, queue, now):
    queue(org_a, customer_a, "k", now=now + timedelta(hours=1))

    assert deliver_due(now=now).sent == 0 and smtp.received == []


def test_the_deliver_command_drains_the_outbox_as_of_now(smtp, org_a, customer_a, queue, now):
    queue(org_a, customer_a, "k1")
    queue(org_a, customer_a, "k2")
    out = StringIO()

    call_command("deliver", "--now", now.isoformat(), "--format", "json", stdout=out)

    assert json.loads(out.getvalue()) == {"sent": 2, "retried": 0, "failed": 0}
    assert len(smtp.received) == 2


@pytest.mark.parametrize("args, problem", [(["--now", "yesterday"], "ISO"), (["--limit", "0"], "at least 1")])
def test_the_deliver_command_refuses_bad_arguments(db, args, problem):
    with pytest.raises(CommandError, match=problem):
        call_command("deliver", *args)


def test_the_worker_task_schedules_itself_for_the_next_retry(smtp, org_a, customer_a, queue, now, monkeypatch):
    from django.utils import timezone as dj_timezone
    from django_tasks_db.models import DBTaskResult

    from recoup.messaging.tasks import deliver_outbox

    # The worker reads the clock: pin it to a Tuesday, 13:00 in London, inside the debtor's window
    # (a business hears nothing in the evening or at weekends).
    monkeypatch.setattr(dj_timezone, "now", lambda: now)

    smtp.refuse["pat@customer.example"] = "451 later"
    queue(org_a, customer_a, "k")  # queued "now" (2026-03-31), already due by the clock

    result = deliver_outbox.call()

    assert result == {"sent": 0, "retried": 1, "failed": 0}
    retry_at = Message.objects.get().next_attempt_at
    assert next_wakeup() == retry_at
    [follow_up] = DBTaskResult.objects.filter(status="READY")
    assert follow_up.run_after >= retry_at - timedelta(seconds=1)


def test_a_message_whose_sending_keeps_dying_fails_with_a_task(smtp, org_a, customer_a, queue, now):
    from recoup.messaging.models import Task

    message = queue(org_a, customer_a, "k")
    at = now
    for _ in range(6):  # six workers claim it and die
        assert claim_next(now=at).pk == message.pk
        at += timedelta(minutes=10)

    assert deliver_due(now=at).failed == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and "interrupted 6 times" in message.last_error
    assert smtp.received == [] and Task.objects.for_org(org_a).count() == 1


def test_each_claim_is_stamped_with_its_own_time(smtp, org_a, customer_a, queue, now):
    for i in range(3):
        queue(org_a, customer_a, f"k{i}")
    ticks = iter([now, now + timedelta(minutes=7), now + timedelta(minutes=14), now + timedelta(minutes=21)])

    assert deliver_due(clock=lambda: next(ticks)).sent == 3

    sent = sorted(Message.objects.values_list("sent_at", flat=True))
    assert sent == [now, now + timedelta(minutes=7), now + timedelta(minutes=14)]


def test_a_slow_deliverer_whose_claim_was_taken_back_records_nothing(smtp, org_a, customer_a, queue, now):
    """A deliverer that finishes after its claim went stale must not record a second `message.sent`:
    the one that took the message back records the outcome (the production test saw two)."""
    from recoup.audit.models import AuditEvent
    from recoup.messaging.delivery import deliver_one

    queue(org_a, customer_a, "k")
    slow = claim_next(now=now)  # this deliverer stalls for longer than STALE_AFTER ...
    assert deliver_due(now=now + timedelta(minutes=10)).sent == 1  # ... and another takes it back and sends it

    assert deliver_one(slow, now=now + timedelta(minutes=11)) == "sent"  # its mail went; its record does not

    sent = AuditEvent.objects.filter(verb="message.sent", subject_id=slow.pk)
    assert sent.count() == 1
    slow.refresh_from_db()
    assert slow.status == MessageStatus.SENT and slow.attempts == 2
