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


def test_a_busy_deliverer_and_a_second_one_send_no_email_twice(slow_smtp, org_a, customer_a, queue, now,
                                                                 monkeypatch):
    # Scaled down: a claim is taken back after 1 s instead of 10 min; the mail server takes 0.4 s per
    # message, so the worker's batch of 8 lasts over 3 s, and `recoup deliver` starts 1.2 s into it.
    monkeypatch.setattr(delivery, "STALE_AFTER", timedelta(seconds=1))
    ids = [queue(org_a, customer_a, f"k{i}").message_id for i in range(8)]
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

    threads = [threading.Thread(target=worker), threading.Thread(target=command, args=(1.2,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    received = Counter(slow_smtp.message_ids())
    assert sorted(received) == sorted(ids)
    assert [mid for mid, n in received.items() if n > 1] == []
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}

