"""E-mail delivery against a real SMTP server (aiosmtpd on localhost)."""

from __future__ import annotations

from datetime import timedelta

from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import ContactPointStatus, Message, MessageStatus, Task, TaskKind
from recoup.messaging.selectors import contact_point_usable

PDF = b"%PDF-1.4 pretend invoice"


def test_it_delivers_queued_emails_with_both_parts_attachments_and_headers(smtp, org_a, customer_a, queue, now):
    messages = [queue(org_a, customer_a, f"k{i}", attachments=[(f"INV-{i}.pdf", "application/pdf", PDF)])
                for i in range(3)]

    report = deliver_due(now=now)

    assert (report.sent, report.retried, report.failed) == (3, 0, 0)
    assert len(smtp.received) == 3
    by_id = {m["Message-ID"]: m for m in smtp.received}
    for message in messages:
        message.refresh_from_db()
        # Each as of its own claim: the batch runs from ``now`` at real speed.
        assert message.status == MessageStatus.SENT and now <= message.sent_at < now + timedelta(seconds=30)
        mail = by_id[message.message_id]
        assert mail["To"] == "pat@customer.example"
        assert mail["Reply-To"] == "Acme Supplies Ltd <accounts@acme.example>"
        assert mail["From"] == "Acme Supplies Ltd <collections@recoup.example>"
        assert mail.get_body(("plain",)).get_content().strip() == message.body_text
        assert mail.get_body(("html",)).get_content().strip() == message.body_html
        [attachment] = list(mail.iter_attachments())
        assert attachment.get_filename() == message.attachments.get().filename
        assert attachment.get_content() == PDF


def test_it_marks_the_address_unusable_and_opens_a_task_on_a_hard_bounce(smtp, org_a, customer_a, queue, now):
    smtp.refuse["pat@customer.example"] = "550 5.1.1 no such user"
    message = queue(org_a, customer_a, "bounce")

    report = deliver_due(now=now)

    message.refresh_from_db()
    assert report.failed == 1 and smtp.received == []
    assert message.status == MessageStatus.FAILED and "550" in message.last_error
    assert not contact_point_usable(org=org_a, contact=customer_a.billing, channel="email",
                                    address="pat@customer.example")
    task = Task.objects.for_org(org_a).get()
    assert task.kind == TaskKind.CONTACT_UNUSABLE and task.customer == customer_a and task.message == message
    # Once the operator fixes the address, the new one is usable.
    assert contact_point_usable(org=org_a, contact=customer_a.billing, channel="email", address="new@customer.example")


def test_it_retries_a_temporary_refusal_after_the_backoff(smtp, org_a, customer_a, queue, now):
    smtp.refuse["pat@customer.example"] = "451 4.3.0 try again later"
    message = queue(org_a, customer_a, "later")

    first = deliver_due(now=now)
    message.refresh_from_db()
    assert first.retried == 1 and message.status == MessageStatus.QUEUED
    assert message.next_attempt_at == now + timedelta(minutes=1)

    del smtp.refuse["pat@customer.example"]
    assert deliver_due(now=now + timedelta(seconds=59)).sent == 0  # not due yet
    assert deliver_due(now=now + timedelta(minutes=1)).sent == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 2
    assert smtp.message_ids() == [message.message_id]
    assert not ContactPointStatus.objects.exists() and not Task.objects.exists()


def test_it_gives_up_after_the_last_backoff_and_opens_a_task(smtp, org_a, customer_a, queue, now):
    smtp.refuse["pat@customer.example"] = "421 4.7.0 busy"
    message = queue(org_a, customer_a, "busy")
    at, waits = now, []
    for _ in range(7):
        deliver_due(now=at)
        message.refresh_from_db()
        if message.status != MessageStatus.QUEUED:
            break
        if not message.last_error.startswith("deferred:"):  # a closed contact window is not a retry
            waits.append(message.next_attempt_at - at)
        at = message.next_attempt_at

    assert waits == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                     timedelta(hours=12)]
    assert message.status == MessageStatus.FAILED and message.attempts == 6
    assert Task.objects.for_org(org_a).get().kind == TaskKind.DELIVERY_FAILED
    assert not ContactPointStatus.objects.exists()  # a busy server says nothing about the address


def test_it_retries_when_the_smtp_server_is_down(settings, org_a, customer_a, queue, now):
    from recoup.messaging.tests.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    message = queue(org_a, customer_a, "down")

    assert deliver_due(now=now).retried == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and "connection" in message.last_error.lower()


def test_each_org_sends_under_its_own_identity(smtp, org_a, org_b, customer_a, make_customer, queue, now):
    org_b.sender_email = "ar@bolt.example"
    org_b.save()
    customer_b = make_customer(org_b, ref="C001", name="Bolt Buyer", kind="consumer")
    queue(org_a, customer_a, "same-key")
    mine = queue(org_b, customer_b, "same-key", contact=None, to_address="buyer@bolt-customer.example")

    # 16:30 in London, 08:30 in California: both debtors' contact windows are open.
    deliver_due(now=now + timedelta(hours=3, minutes=30))

    assert Message.objects.count() == 2  # the same key in two orgs is two messages
    mail = {m["To"]: m for m in smtp.received}["buyer@bolt-customer.example"]
    assert mail["Message-ID"] == mine.message_id
    assert mail["Reply-To"] == "Bolt Widgets Inc <ar@bolt.example>"
    assert mail["From"].startswith("Bolt Widgets Inc")
    assert "acme" not in mail.as_string().lower()
