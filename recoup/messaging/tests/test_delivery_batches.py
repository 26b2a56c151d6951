"""A large outbox is shared by the workers: each delivery run sends a batch, then hands the rest on."""

from __future__ import annotations

import pytest

from recoup.audit.models import AuditEvent
from recoup.messaging.models import Message


@pytest.fixture
def twenty_due(org_a, customer_a, make_customer, queue, now, monkeypatch, settings):
    """Twenty messages due, to twenty customers (one customer's caps would hold most of them back)."""
    from django.utils import timezone as dj_timezone

    from recoup.ledger.models import Contact

    # The worker reads the clock: a Tuesday, 13:00 in London, inside the debtor's window.
    monkeypatch.setattr(dj_timezone, "now", lambda: now)
    settings.RECOUP_DELIVERY_BATCH = 3
    customers = [customer_a]
    for i in range(2, 21):
        customer = make_customer(org_a, ref=f"C{i:03}", name=f"Customer {i} Ltd")
        customer.billing = Contact.objects.create(org=org_a, customer=customer, name=f"Payer {i}",
                                                  email=f"payer{i}@customer.example")
        customers.append(customer)
    return [queue(org_a, customer, f"k{i}") for i, customer in enumerate(customers)]


def ready_runs() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status="READY", task_path__endswith="deliver_outbox").count()


def test_a_run_sends_one_batch_and_enqueues_runs_for_the_rest_for_other_workers(twenty_due, mailoutbox):
    from django_tasks_db.models import DBTaskResult

    from recoup.messaging.tasks import FAN_OUT, deliver_outbox

    assert not DBTaskResult.objects.exists()
    assert deliver_outbox.call() == {"sent": 3, "retried": 0, "failed": 0}
    # 17 still due, 3 a run: six runs wait for the workers (at most FAN_OUT).
    assert ready_runs() == min(FAN_OUT, 6)
    assert len(mailoutbox) == 3


def test_runs_taken_one_after_another_send_each_message_once(twenty_due, mailoutbox):
    from django_tasks_db.models import DBTaskResult

    from recoup.messaging.tasks import deliver_outbox

    deliver_outbox.call()  # the run asked for as they were queued
    for _ in range(40):  # what the workers do: take a waiting run, run it
        task = DBTaskResult.objects.filter(status="READY", task_path__endswith="deliver_outbox").first()
        if task is None:
            break
        DBTaskResult.objects.filter(pk=task.pk).update(status="SUCCESSFUL")
        deliver_outbox.call()
    assert ready_runs() == 0
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
    assert len(mailoutbox) == 20 and len({m.message()["Message-ID"] for m in mailoutbox}) == 20
    assert AuditEvent.objects.filter(verb="message.sent").count() == 20
