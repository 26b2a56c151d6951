"""Two deliverers beside a slow mail server: every e-mail is received once.

A claim stamped with the start of a long batch looked stale to a second deliverer (``recoup
deliver`` beside a busy worker), who took it back and sent it again: 8 of 44 e-mails twice.
Each claim is now stamped with the time it is made.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from recoup.ledger.models import Contact
from recoup.messaging import delivery
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import Message, MessageStatus
from recoup.messaging.tests.conftest import SmtpSink, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class SlowSink(SmtpSink):
    """A mail server that takes ``delay`` seconds to accept each message."""

    delay = 0.4

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp(settings):
    from aiosmtpd.controller import Controller

    sink = SlowSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield sink
    finally:
        controller.stop()


def customer_for(org, make_customer, key):
    """A customer of its own with a billing contact: the contact caps let each message go at once."""
    customer = make_customer(org, ref=f"C-{key}", name=f"Customer {key} Ltd")
    customer.billing = Contact.objects.create(org=org, customer=customer, name=f"Payer {key}",
                                              email=f"payer-{key}@customer.example")
    return customer


def test_a_busy_deliverer_and_a_second_one_send_no_email_twice(slow_smtp, org_a, make_customer, queue, now,
                                                                 monkeypatch):
    # Scaled down: a claim is taken back after 2 s instead of 10 min; the mail server takes 0.4 s per
    # message, so the worker's batch of 10 lasts over 4 s, and `recoup deliver` starts 2.5 s into it.
    monkeypatch.setattr(delivery, "STALE_AFTER", timedelta(seconds=2))
    warm_up = queue(org_a, customer_for(org_a, make_customer, "W"), "warm-up")
    deliver_due(now=now)  # the first delivery of a process loads the gate's modules; not part of the race
    ids = [queue(org_a, customer_for(org_a, make_customer, i), f"k{i}").message_id for i in range(10)]
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            deliver_due(now=now)  # as the worker task runs it: one call for everything due
        except BaseException as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    def command(wait: float) -> None:
        try:
            time.sleep(wait)
            call_command("deliver", "--now", (now + timedelta(seconds=wait)).isoformat(),
                         stdout=open("/dev/null", "w"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker), threading.Thread(target=command, args=(2.5,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    received = Counter(slow_smtp.message_ids()) - Counter([warm_up.message_id])
    assert sorted(received) == sorted(ids)
    assert [mid for mid, n in received.items() if n > 1] == []
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}

