"""Queueing and cancelling messages: idempotency, validation, organizations kept apart."""

from __future__ import annotations

import pytest

from recoup.audit.models import AuditEvent
from recoup.messaging.actions import MessagingError, message_cancel
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import Attachment, Message, MessageStatus
from recoup.messaging.selectors import customer_messages


def test_a_second_queue_with_the_same_key_returns_the_first_message(org_a, customer_a, queue):
    first = queue(org_a, customer_a, "cycle:2026-03-31:41,42", attachments=[("a.pdf", "application/pdf", b"x")])
    again = queue(org_a, customer_a, "cycle:2026-03-31:41,42", subject="something else")

    assert again.pk == first.pk and again.subject == first.subject
    assert Message.objects.count() == 1 and Attachment.objects.count() == 1
    assert AuditEvent.objects.filter(verb="message.queued").count() == 1


def test_it_gives_each_message_one_message_id_at_creation(org_a, customer_a, queue):
    a, b = queue(org_a, customer_a, "a"), queue(org_a, customer_a, "b")

    assert a.message_id != b.message_id
    assert a.message_id.startswith("<") and a.message_id.endswith("@localhost>")


@pytest.mark.parametrize("field, overrides", [
    ("channel", {"channel": "pigeon"}),
    ("to_address", {"to_address": "not an address"}),
    ("to_address", {"channel": "sms", "to_address": "  "}),
    ("idempotency_key", {"idempotency_key": ""}),
])
def test_it_refuses_bad_input_naming_the_field(org_a, customer_a, queue, field, overrides):
    key = overrides.pop("idempotency_key", "k")
    with pytest.raises(MessagingError, match=field):
        queue(org_a, customer_a, key, **overrides)
    assert not Message.objects.exists()


def test_it_refuses_a_customer_or_contact_of_another_org(org_a, org_b, customer_a, make_customer, queue):
    customer_b = make_customer(org_b, ref="B1")
    with pytest.raises(MessagingError, match="does not belong to acme"):
        queue(org_a, customer_b, "k", contact=None)
    with pytest.raises(MessagingError, match="does not belong to bolt"):
        queue(org_b, customer_b, "k", contact=customer_a.billing)
    assert not Message.objects.exists()


def test_another_orgs_messages_are_invisible(org_a, org_b, customer_a, make_customer, queue):
    customer_b = make_customer(org_b, ref="C001")
    theirs = queue(org_b, customer_b, "k", contact=None, to_address="b@example.com")

    assert not Message.objects.for_org(org_a).filter(pk=theirs.pk).exists()
    assert list(customer_messages(org=org_a, customer=customer_b)) == []


def test_it_enqueues_delivery_only_once_the_transaction_commits(org_a, customer_a, queue,
                                                             django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queue(org_a, customer_a, "k1")
        assert not DBTaskResult.objects.exists()
    for callback in callbacks:
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        queue(org_a, customer_a, "k2")  # a worker run is already waiting: no second one

    [task] = DBTaskResult.objects.all()
    assert task.task_path.endswith("deliver_outbox")


def test_a_transaction_queuing_many_messages_asks_for_delivery_once_and_a_rollback_keeps_the_ask(
        org_a, customer_a, queue, django_capture_on_commit_callbacks):
    from django.db import transaction

    from recoup.messaging.tasks import request_delivery

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        try:
            with transaction.atomic():  # the first customer's savepoint, rolled back after its message
                queue(org_a, customer_a, "k1")
                raise RuntimeError("decided elsewhere")
        except RuntimeError:
            pass
        with transaction.atomic():
            queue(org_a, customer_a, "k2")
        queue(org_a, customer_a, "k3")
        queue(org_a, customer_a, "k4")

    assert [c for c in callbacks if c is request_delivery] == [request_delivery]
    assert sorted(Message.objects.values_list("idempotency_key", flat=True)) == ["k2", "k3", "k4"]


def test_a_cancelled_message_is_never_sent(smtp, org_a, customer_a, queue, system, now):
    message = queue(org_a, customer_a, "k")

    message_cancel(org=org_a, message=message, reason="customer paid", actor=system, now=now)
    report = deliver_due(now=now)

    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED and report.sent == 0 and smtp.received == []
    with pytest.raises(MessagingError, match="can no longer be cancelled"):
        message_cancel(org=org_a, message=message, reason="again", actor=system, now=now)


def test_it_refuses_to_cancel_a_sent_message_or_one_of_another_org(smtp, org_a, org_b, customer_a, queue,
                                                                   system, now):
    message = queue(org_a, customer_a, "k")
    deliver_due(now=now)

    with pytest.raises(MessagingError, match="sent and can no longer"):
        message_cancel(org=org_a, message=message, reason="late", actor=system, now=now)
    with pytest.raises(MessagingError, match="does not belong to bolt"):
        message_cancel(org=org_b, message=message, reason="x", actor=system, now=now)


def test_a_rolled_back_decision_leaves_no_message(org_a, customer_a, queue):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        queue(org_a, customer_a, "k", attachments=[("a.pdf", "application/pdf", b"x")])
        raise RuntimeError("the cycle failed after queueing")

    assert not Message.objects.exists() and not Attachment.objects.exists()
