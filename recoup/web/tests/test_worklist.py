"""The worklist: calls to make and their outcome, tasks to close, letters to print and post; replies (read in
the inbox, see test_inbox.py) no longer listed twice."""

from __future__ import annotations

from datetime import timedelta

import io
from email.message import EmailMessage

import pytest
from django.urls import reverse
from pypdf import PdfReader

from recoup.audit.models import AuditEvent
from recoup.collections.models import Pause
from recoup.ledger.models import Contact
from recoup.messaging.actions import message_queue, task_open
from recoup.messaging.delivery import deliver_due
from recoup.messaging.inbound import REPLY_PAUSE_REASON, record_inbound
from recoup.messaging.models import LetterBatch, LetterBatchStatus, Message, MessageStatus, Task, TaskStatus
from recoup.messaging.selectors import contact_point_usable

PHONE = "+447700900123"
ADDRESS = "Pat Payer\nNorthwind Traders\n2 Low Road\nLeeds\nLS1 1AA"


@pytest.fixture
def work(org_a, ledger_a, system, now):
    """An open call, an open task and a letter in today's print batch, all for org_a's customer."""
    customer = ledger_a["customer"]
    contact = Contact.objects.create(org=org_a, customer=customer, name="Pat Payer", phone=PHONE,
                                     email="pat@northwind.example", postal_address=ADDRESS)
    call = message_queue(org=org_a, customer=customer, contact=contact, channel="call", to_address=PHONE,
                         subject="Second call", body_text="Ask Pat when invoice A-1 will be paid.",
                         idempotency_key="call-1", actor=system, now=now)
    letter = message_queue(org=org_a, customer=customer, contact=contact, channel="letter", to_address=ADDRESS,
                           subject="Final notice", body_text="Please pay invoice A-1 within 7 days.",
                           idempotency_key="letter-1", actor=system, now=now)
    deliver_due(now=now)
    task = task_open(org=org_a, customer=customer, kind="review", text="Decide on escalating Northwind",
                     actor=system, now=now)
    call.refresh_from_db()
    letter.refresh_from_db()
    return {"customer": customer, "contact": contact, "call": call, "letter": letter, "task": task,
            "batch": letter.batch}


@pytest.fixture
def work_b(org_b, ledger_b, system, now):
    """The same in org_b, to try to reach it from org_a."""
    customer = ledger_b["customer"]
    call = message_queue(org=org_b, customer=customer, channel="call", to_address="+15555550100",
                         subject="Call", body_text="Call Bolt.", idempotency_key="b-call", actor=system, now=now)
    message_queue(org=org_b, customer=customer, channel="letter", to_address="Bolt Customer\n1 Main St",
                  subject="Letter", body_text="Pay.", idempotency_key="b-letter", actor=system, now=now)
    # 31 March is César Chávez Day in California: the next business hours everywhere in the US.
    deliver_due(now=now + timedelta(days=1, hours=8))
    task = task_open(org=org_b, customer=customer, kind="review", text="Review Bolt", actor=system, now=now)
    return {"call": call, "task": task, "batch": LetterBatch.objects.for_org(org_b).get()}


def url(name: str, slug: str, *args) -> str:
    return reverse(name, args=[slug, *args])


def test_the_worklist_shows_the_call_with_its_script_phone_and_invoices(as_user, org_a, work, frozen_clock):
    page = as_user("viewer").get(url("worklist", org_a.slug)).content.decode()

    assert "Ask Pat when invoice A-1 will be paid." in page
    assert f'href="tel:{PHONE}"' in page
    assert "A-1" in page and "A-2" in page
    assert "Decide on escalating Northwind" in page
    assert "Final notice" in page and url("worklist_batch_pdf", org_a.slug, work["batch"].pk) in page
    assert "Log the call" not in page and "Mark as posted" not in page  # a viewer reads only


def test_the_navigation_counts_open_items(as_user, org_a, work, frozen_clock):
    page = as_user("collector").get(url("dashboard", org_a.slug)).content.decode()
    assert 'aria-label="3 open items"' in page  # one call, one task, one letter


def test_logging_the_outcome_closes_the_call_and_writes_the_audit_event(as_user, org_a, work, members,
                                                                       frozen_clock):
    call = work["call"]
    response = as_user("collector").post(url("worklist_call_outcome", org_a.slug, call.pk),
                                         {f"call{call.pk}-outcome": "promise_to_pay",
                                          f"call{call.pk}-note": "pays on Friday"}, follow=True)

    call.refresh_from_db()
    assert call.status == MessageStatus.DONE and call.call_outcome == "promise_to_pay"
    assert call.call_note == "pays on Friday"
    event = AuditEvent.objects.for_org(org_a).get(verb="call.logged")
    assert event.subject_id == call.pk and event.actor_user == members["collector"]
    page = response.content.decode()
    assert "logged: Promise to pay" in page and "Ask Pat when invoice A-1" not in page


def test_a_wrong_number_marks_the_phone_unusable(as_user, org_a, work, frozen_clock):
    call = work["call"]
    as_user("collector").post(url("worklist_call_outcome", org_a.slug, call.pk),
                              {f"call{call.pk}-outcome": "wrong_number"})

    for channel in ("call", "sms"):
        assert not contact_point_usable(org=org_a, contact=work["contact"], channel=channel, address=PHONE)


def test_it_refuses_a_call_without_an_outcome_and_leaves_it_open(as_user, org_a, work, frozen_clock):
    call = work["call"]
    response = as_user("collector").post(url("worklist_call_outcome", org_a.slug, call.pk),
                                         {f"call{call.pk}-outcome": "shouted"}, follow=True)

    call.refresh_from_db()
    assert call.status == MessageStatus.OPEN
    assert "not logged: choose an outcome" in response.content.decode()


def test_letters_download_as_one_pdf_and_are_marked_posted_once(as_user, org_a, work, frozen_clock):
    client, batch = as_user("collector"), work["batch"]

    response = client.get(url("worklist_batch_pdf", org_a.slug, batch.pk))
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1 and "Please pay invoice A-1" in reader.pages[0].extract_text()

    client.post(url("worklist_batch_posted", org_a.slug, batch.pk))
    batch.refresh_from_db()
    work["letter"].refresh_from_db()
    assert batch.status == LetterBatchStatus.POSTED and work["letter"].status == MessageStatus.POSTED
    again = client.post(url("worklist_batch_posted", org_a.slug, batch.pk), follow=True)
    assert "already posted" in again.content.decode()
    assert AuditEvent.objects.for_org(org_a).filter(verb="letters.posted").count() == 1


def test_a_task_closes_once_with_its_note_in_the_audit_log(as_user, org_a, work, frozen_clock):
    client, task = as_user("owner"), work["task"]

    response = client.post(url("worklist_task_done", org_a.slug, task.pk), {"note": "sent to agency"}, follow=True)

    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert "Decide on escalating Northwind" not in response.content.decode().split("Open tasks")[1]
    event = AuditEvent.objects.for_org(org_a).get(verb="task.closed")
    assert event.subject_id == task.pk and "sent to agency" in event.summary
    again = client.post(url("worklist_task_done", org_a.slug, task.pk), follow=True)
    assert "already done" in again.content.decode()


def reply_from_pat(org, now, message_id="<r1@northwind.example>"):
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "Pat Payer <pat@northwind.example>", "accounts@acme.example", "Re: Reminder"
    mail["Message-ID"] = message_id
    mail.set_content("We paid yesterday.")
    return record_inbound(raw_or_message=mail, now=now, org=org)


def reply_pauses(org, customer):
    return Pause.objects.for_org(org).filter(customer=customer, reason=REPLY_PAUSE_REASON, lifted_at__isnull=True)


def test_an_unread_reply_is_listed_and_marking_it_read_keeps_collection_paused(as_user, org_a, work, now,
                                                                             frozen_clock):
    result = reply_from_pat(org_a, now)
    client = as_user("collector")
    worklist = client.get(url("worklist", org_a.slug)).content.decode()
    assert "Re: Reminder" not in worklist and "1 unhandled item" in worklist  # read in the inbox, not twice
    page = client.get(url("inbox", org_a.slug)).content.decode()
    assert "Re: Reminder" in page and url("message_detail", org_a.slug, work["customer"].pk, result.message.pk) in page

    client.post(url("inbox_handled", org_a.slug, result.task.pk))

    assert Task.objects.get(pk=result.task.pk).status == TaskStatus.DONE
    assert reply_pauses(org_a, work["customer"]).count() == 1
    assert "Re: Reminder" not in client.get(url("inbox", org_a.slug)).content.decode()


def test_marking_the_last_unread_reply_read_can_resume_collection(as_user, org_a, work, now, frozen_clock):
    first, second = reply_from_pat(org_a, now), reply_from_pat(org_a, now, message_id="<r2@northwind.example>")
    client = as_user("collector")

    client.post(url("inbox_handled", org_a.slug, first.task.pk), {"resume": "on"})
    assert reply_pauses(org_a, work["customer"]).count() == 1  # the second reply is still unread

    response = client.post(url("inbox_handled", org_a.slug, second.task.pk), {"resume": "on"}, follow=True)
    assert not reply_pauses(org_a, work["customer"]).exists()
    assert "collection resumed" in response.content.decode()
    assert AuditEvent.objects.for_org(org_a).filter(verb="collections.pause_lifted").count() == 1


def test_viewers_get_403_on_every_action_and_nothing_changes(as_user, org_a, work, frozen_clock):
    client = as_user("viewer")
    call, task, batch = work["call"], work["task"], work["batch"]
    for action in [url("worklist_call_outcome", org_a.slug, call.pk), url("worklist_task_done", org_a.slug, task.pk),
                   url("worklist_batch_posted", org_a.slug, batch.pk)]:
        assert client.post(action, {f"call{call.pk}-outcome": "reached"}).status_code == 403, action
    assert Message.objects.get(pk=call.pk).status == MessageStatus.OPEN
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN
    assert LetterBatch.objects.get(pk=batch.pk).status == LetterBatchStatus.OPEN


def test_actions_refuse_a_get(as_user, org_a, work, frozen_clock):
    response = as_user("owner").get(url("worklist_task_done", org_a.slug, work["task"].pk))
    assert response.status_code == 405


def test_a_member_of_another_organization_gets_404_everywhere(as_user, org_a, work, frozen_clock):
    client = as_user("outsider")
    call, task, batch = work["call"], work["task"], work["batch"]
    assert client.get(url("worklist", org_a.slug)).status_code == 404
    assert client.get(url("worklist_batch_pdf", org_a.slug, batch.pk)).status_code == 404
    for action in [url("worklist_call_outcome", org_a.slug, call.pk), url("worklist_task_done", org_a.slug, task.pk),
                   url("worklist_batch_posted", org_a.slug, batch.pk)]:
        assert client.post(action, {f"call{call.pk}-outcome": "reached"}).status_code == 404, action
    assert Message.objects.get(pk=call.pk).status == MessageStatus.OPEN
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_it_refuses_ids_of_another_organization_under_ones_own_slug(as_user, org_a, org_b, work, work_b,
                                                                    frozen_clock):
    client = as_user("owner")
    call, task, batch = work_b["call"], work_b["task"], work_b["batch"]
    assert client.get(url("worklist_batch_pdf", org_a.slug, batch.pk)).status_code == 404
    for action in [url("worklist_call_outcome", org_a.slug, call.pk), url("worklist_task_done", org_a.slug, task.pk),
                   url("worklist_batch_posted", org_a.slug, batch.pk)]:
        assert client.post(action, {f"call{call.pk}-outcome": "reached"}).status_code == 404, action
    assert Message.objects.get(pk=call.pk).status == MessageStatus.OPEN
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN
    assert LetterBatch.objects.get(pk=batch.pk).status == LetterBatchStatus.OPEN
    page = client.get(url("worklist", org_a.slug)).content.decode()
    assert "Call Bolt." not in page and "Review Bolt" not in page
