"""A customer's communication log: both directions, the exact content, CSV, and contacts logged by hand."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from django.urls import reverse

from recoup.audit.models import AuditEvent
from recoup.ledger.models import Contact
from recoup.messaging.actions import MessagingError, contact_log, message_queue, task_close, task_open
from recoup.messaging.models import Direction, Message, MessageStatus
from recoup.web.views.communications import CSV_COLUMNS


@pytest.fixture
def log(org_a, ledger_a, system, now):
    """An automatic e-mail out (HTML with a script, an attachment) and a letter received, logged by hand."""
    customer = ledger_a["customer"]
    contact = Contact.objects.create(org=org_a, customer=customer, name="Pat Payer", email="pat@northwind.example",
                                     phone="+447700900123")
    email = message_queue(
        org=org_a, customer=customer, contact=contact, channel="email", to_address=contact.email,
        subject="Reminder: invoice A-1 is overdue", body_text="Dear Pat,\nA-1 is 59 days overdue.",
        body_html='<p>A-1 is <b>overdue</b>.</p><script>alert("x")</script>',
        attachments=[("A-1.pdf", "application/pdf", b"%PDF-1.7 invoice")], idempotency_key="cycle:1",
        actor=system, now=now - timedelta(days=2), source="cycle", step_key="second-reminder")
    received = contact_log(org=org_a, customer=customer, channel="letter", direction=Direction.IN,
                           summary="Letter: disputes the delivery charge", content="We never agreed to pay it.",
                           at=now - timedelta(days=1), actor=system, now=now, contact=contact)
    return {"customer": customer, "contact": contact, "email": email, "received": received}


def url(name: str, slug: str, *args) -> str:
    return reverse(name, args=[slug, *args])


def test_the_customer_page_lists_messages_in_both_directions(as_user, org_a, log, frozen_clock):
    page = as_user("viewer").get(url("customer_detail", org_a.slug, log["customer"].pk)).content.decode()

    messages_section = page.split('id="messages-heading"')[1].split("</section>")[0]
    assert "Reminder: invoice A-1 is overdue" in messages_section and 'data-direction="out"' in messages_section
    assert "Letter: disputes the delivery charge" in messages_section and 'data-direction="in"' in messages_section
    assert "cycle · test" in messages_section and "manual · test" in messages_section
    assert "Log a contact" not in page  # a viewer reads only


def test_the_full_log_page_lists_every_message(as_user, org_a, log, frozen_clock):
    page = as_user("viewer").get(url("customer_messages", org_a.slug, log["customer"].pk)).content.decode()
    assert page.index("Letter: disputes") < page.index("Reminder: invoice A-1")  # newest first


def test_the_detail_shows_the_exact_content_with_html_sandboxed(as_user, org_a, log, frozen_clock):
    email = log["email"]
    response = as_user("viewer").get(url("message_detail", org_a.slug, log["customer"].pk, email.pk))
    page = response.content.decode()

    assert "Dear Pat,\nA-1 is 59 days overdue." in page
    assert 'sandbox=""' in page and "srcdoc=\"&lt;p&gt;A-1 is &lt;b&gt;overdue&lt;/b&gt;" in page
    assert "<script>alert" not in page  # only ever inside the escaped srcdoc
    assert email.message_id in page.replace("&lt;", "<").replace("&gt;", ">")
    [attachment] = email.attachments.all()
    download = as_user("viewer").get(url("message_attachment", org_a.slug, log["customer"].pk, email.pk,
                                         attachment.pk))
    assert download.content == b"%PDF-1.7 invoice" and download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="A-1.pdf"'


def test_the_csv_has_a_row_per_message_with_the_documented_columns(as_user, org_a, log, frozen_clock):
    response = as_user("viewer").get(url("customer_messages_csv", org_a.slug, log["customer"].pk))

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == CSV_COLUMNS
    received, email = rows
    assert (received["direction"], received["channel"], received["source"]) == ("in", "letter", "manual")
    assert received["content"] == "We never agreed to pay it." and received["contact"] == "Pat Payer"
    assert received["time"] == "2026-03-30T12:00:00+00:00"
    assert (email["direction"], email["status"], email["actor"]) == ("out", "queued", "test")
    assert email["summary"] == "Reminder: invoice A-1 is overdue" and email["attachments"] == "A-1.pdf"
    assert email["message_id"] == log["email"].message_id


def test_a_collector_logs_a_call_in_the_organizations_time_zone(as_user, org_a, log, members, frozen_clock):
    customer = log["customer"]
    response = as_user("collector").post(url("contact_log_new", org_a.slug, customer.pk), {
        "channel": "call", "direction": "in", "contact": log["contact"].pk, "at": "2026-03-31T09:15",
        "summary": "Pat called: will pay A-1 on Friday", "content": "Asked for a copy of the invoice.",
    })

    assert response.status_code == 302
    message = Message.objects.for_org(org_a).get(subject="Pat called: will pay A-1 on Friday")
    assert (message.channel, message.direction, message.status) == ("call", "in", MessageStatus.DONE)
    assert message.source == "manual" and message.to_address == "+447700900123"
    # 09:15 in London on 31 March 2026 (summer time) is 08:15 UTC.
    assert message.created_at == datetime(2026, 3, 31, 8, 15, tzinfo=timezone.utc)
    event = AuditEvent.objects.for_org(org_a).get(verb="contact.logged", subject_id=message.pk)
    assert event.actor_user == members["collector"]


def test_it_refuses_a_contact_in_the_future_or_without_a_summary(as_user, org_a, log, frozen_clock):
    before = Message.objects.count()
    response = as_user("collector").post(url("contact_log_new", org_a.slug, log["customer"].pk), {
        "channel": "call", "direction": "out", "at": "2026-04-02T09:00", "summary": "Called"})
    assert response.status_code == 200 and "cannot be logged in the future" in response.content.decode()
    response = as_user("collector").post(url("contact_log_new", org_a.slug, log["customer"].pk), {
        "channel": "call", "direction": "out", "at": "2026-03-31T09:00", "summary": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert Message.objects.count() == before


def test_it_refuses_another_customers_contact(as_user, org_a, log, make_customer, frozen_clock):
    other = make_customer(org_a, ref="C002", name="Other")
    stranger = Contact.objects.create(org=org_a, customer=other, name="Sam")
    response = as_user("owner").post(url("contact_log_new", org_a.slug, log["customer"].pk), {
        "channel": "call", "direction": "out", "contact": stranger.pk,
        "at": "2026-03-31T09:00", "summary": "Called"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


def test_viewers_get_403_when_logging_a_contact(as_user, org_a, log, frozen_clock):
    before = Message.objects.count()
    response = as_user("viewer").post(url("contact_log_new", org_a.slug, log["customer"].pk), {
        "channel": "call", "direction": "out", "at": "2026-03-31T09:00", "summary": "Called"})
    assert response.status_code == 403 and Message.objects.count() == before


def test_a_member_of_another_organization_gets_404_for_every_page(as_user, org_a, log, frozen_clock):
    client, customer, email = as_user("outsider"), log["customer"], log["email"]
    attachment = email.attachments.get()
    for page in [url("customer_messages", org_a.slug, customer.pk),
                 url("customer_messages_csv", org_a.slug, customer.pk),
                 url("contact_log_new", org_a.slug, customer.pk),
                 url("message_detail", org_a.slug, customer.pk, email.pk),
                 url("message_attachment", org_a.slug, customer.pk, email.pk, attachment.pk)]:
        assert client.get(page).status_code == 404, page
    assert client.post(url("contact_log_new", org_a.slug, customer.pk), {
        "channel": "call", "direction": "out", "at": "2026-03-31T09:00", "summary": "Called"}).status_code == 404


def test_it_refuses_messages_of_another_organization_or_customer(as_user, org_a, org_b, log, ledger_b, make_customer,
                                                                 system, now, frozen_clock):
    client = as_user("owner")
    b_message = contact_log(org=org_b, customer=ledger_b["customer"], channel="call", direction="out",
                            summary="Bolt call", at=now, actor=system, now=now)
    other = make_customer(org_a, ref="C002", name="Other")
    email = log["email"]
    for page in [url("message_detail", org_a.slug, log["customer"].pk, b_message.pk),
                 url("message_detail", org_a.slug, ledger_b["customer"].pk, b_message.pk),
                 url("message_detail", org_a.slug, other.pk, email.pk),  # the right org, the wrong customer
                 url("message_attachment", org_a.slug, other.pk, email.pk, email.attachments.get().pk),
                 url("customer_messages_csv", org_a.slug, ledger_b["customer"].pk)]:
        assert client.get(page).status_code == 404, page
    assert client.post(url("contact_log_new", org_a.slug, ledger_b["customer"].pk), {
        "channel": "call", "direction": "out", "at": "2026-03-31T09:00", "summary": "Called"}).status_code == 404


def test_the_actions_refuse_another_organizations_rows(org_a, org_b, log, ledger_b, system, now):
    with pytest.raises(MessagingError, match="does not belong"):
        contact_log(org=org_a, customer=ledger_b["customer"], channel="call", direction="out", summary="x",
                    at=now, actor=system, now=now)
    task = task_open(org=org_b, customer=ledger_b["customer"], kind="review", text="Review", actor=system, now=now)
    with pytest.raises(MessagingError, match="does not belong"):
        task_close(org=org_a, task=task, actor=system, now=now)
    with pytest.raises(MessagingError, match="channel"):
        contact_log(org=org_a, customer=log["customer"], channel="pigeon", direction="out", summary="x",
                    at=now, actor=system, now=now)


def test_a_collector_marks_a_posted_letter_returned_and_its_address_stops_being_used(as_user, org_a, log,
                                                                                     system, now):
    from recoup.messaging.models import ContactPointStatus

    contact = log["contact"]
    contact.postal_address = "2 Low Road\nLeeds"
    contact.save()
    letter = message_queue(org=org_a, customer=log["customer"], contact=contact, channel="letter",
                           to_address="Northwind\n2 Low Road\nLeeds", subject="Final notice", body_text="Pay.",
                           idempotency_key="letter:1", actor=system, now=now)
    Message.objects.filter(pk=letter.pk).update(status=MessageStatus.POSTED, sent_at=now)
    page = url("message_detail", org_a.slug, log["customer"].pk, letter.pk)
    assert "Mark returned" in as_user("collector").get(page).content.decode()
    assert "Mark returned" not in as_user("viewer").get(page).content.decode()

    response = as_user("collector").post(url("letter_returned", org_a.slug, log["customer"].pk, letter.pk),
                                         {"reason": "addressee unknown"})
    assert response["Location"] == page
    letter.refresh_from_db()
    assert (letter.status, letter.last_error) == (MessageStatus.FAILED, "returned: addressee unknown")
    assert ContactPointStatus.objects.filter(contact=contact, channel="letter").exists()
    assert as_user("viewer").post(url("letter_returned", org_a.slug, log["customer"].pk, letter.pk),
                                  {"reason": "x"}).status_code == 403
