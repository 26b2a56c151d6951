"""Replies: matched to their customer, a task opened, collection paused; the .eml command and the webhook."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from email.message import EmailMessage

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from recoup.audit.models import AuditEvent
from recoup.collections.models import Pause
from recoup.ledger.models import Contact
from recoup.messaging.channels.email import build_email
from recoup.messaging.inbound import REPLY_PAUSE_REASON, REPLY_TASK_KIND, record_inbound, reply_token
from recoup.messaging.models import Direction, Message, MessageStatus, Task, TaskStatus

PDF = b"%PDF-1.4 remittance advice"
URL = "/hooks/email/inbound/"


def reply(*, sender="pat@customer.example", to="accounts@acme.example", in_reply_to=None, references=None,
          message_id="<r1@customer.example>", subject="Re: Reminder", body="I paid yesterday.",
          attachments=(), headers=()) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = f"Pat Payer <{sender}>"
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = "Tue, 31 Mar 2026 09:30:00 +0000"
    if message_id:
        mail["Message-ID"] = message_id
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    if references:
        mail["References"] = references
    for name, value in headers:
        mail[name] = value
    mail.set_content(body)
    mail.add_alternative(f"<p>{body}</p>", subtype="html")
    for filename, data in attachments:
        mail.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return mail


@pytest.fixture
def sent(org_a, customer_a, queue):
    """An e-mail we sent to customer_a."""
    return queue(org_a, customer_a, "first-reminder")


def inbound_messages(org):
    return Message.objects.for_org(org).filter(direction=Direction.IN)


def reply_pauses(org, customer):
    return Pause.objects.for_org(org).filter(customer=customer, reason=REPLY_PAUSE_REASON, lifted_at=None)


def test_it_attaches_a_reply_to_the_customer_we_wrote_to_opens_a_task_and_pauses_collection(
        org_a, customer_a, sent, now):
    mail = reply(sender="boss@customer.example", in_reply_to=sent.message_id,
                 attachments=[("remittance.pdf", PDF)])

    result = record_inbound(raw_or_message=mail.as_bytes(), now=now)

    assert (result.customer, result.matched_by, result.org) == (customer_a, "in_reply_to", org_a)
    stored = result.message
    assert (stored.customer, stored.direction, stored.channel) == (customer_a, Direction.IN, "email")
    assert stored.status == MessageStatus.SENT and stored.source == "inbound"
    assert stored.to_address == "boss@customer.example"
    assert stored.subject == "Re: Reminder" and stored.body_text.strip() == "I paid yesterday."
    assert stored.body_html.strip() == "<p>I paid yesterday.</p>"
    assert stored.source_ref == "<r1@customer.example>"
    [attachment] = stored.attachments.all()
    assert (attachment.filename, attachment.content_type, bytes(attachment.data)) == (
        "remittance.pdf", "application/pdf", PDF)
    [task] = Task.objects.for_org(org_a).filter(kind=REPLY_TASK_KIND)
    assert (task.customer, task.message, task.status) == (customer_a, stored, TaskStatus.OPEN)
    [pause] = reply_pauses(org_a, customer_a)
    assert pause.ends_on is None and pause.invoice is None and pause.starts_on == now.date()
    assert AuditEvent.objects.filter(org=org_a, verb="message.received", subject_id=stored.pk).exists()


def test_it_stores_a_webhook_retried_twice_once(org_a, customer_a, sent, now):
    mail = reply(in_reply_to=sent.message_id)

    first = record_inbound(raw_or_message=mail.as_bytes(), now=now)
    again = record_inbound(raw_or_message=mail.as_bytes(), now=now)

    assert again.matched_by == "duplicate" and again.message == first.message
    assert inbound_messages(org_a).count() == 1
    assert Task.objects.for_org(org_a).filter(kind=REPLY_TASK_KIND).count() == 1
    assert reply_pauses(org_a, customer_a).count() == 1


def test_it_opens_a_task_for_a_second_reply_but_keeps_one_pause(org_a, customer_a, sent, now):
    record_inbound(raw_or_message=reply(in_reply_to=sent.message_id).as_bytes(), now=now)
    second = record_inbound(raw_or_message=reply(in_reply_to=sent.message_id, message_id="<r2@x>").as_bytes(),
                            now=now)

    assert second.paused and second.matched_by == "in_reply_to"
    assert Task.objects.for_org(org_a).filter(kind=REPLY_TASK_KIND).count() == 2
    assert reply_pauses(org_a, customer_a).count() == 1


def test_it_follows_the_references_chain_when_in_reply_to_is_not_ours(org_a, customer_a, sent, now):
    mail = reply(sender="stranger@elsewhere.example", in_reply_to="<their-own@customer.example>",
                 references=f"{sent.message_id} <their-own@customer.example>")

    result = record_inbound(raw_or_message=mail, now=now)

    assert (result.customer, result.matched_by) == (customer_a, "in_reply_to")


def test_it_matches_the_reply_token_of_the_reply_to_address_we_send(org_a, customer_a, sent, now, settings):
    settings.RECOUP_INBOUND_DOMAIN = "in.recoup.example"
    reply_to = build_email(sent).reply_to[0]
    assert reply_to == f"Acme Supplies Ltd <reply+{reply_token(customer_a)}@in.recoup.example>"

    result = record_inbound(raw_or_message=reply(sender="new@unknown.example", to=reply_to), now=now)

    assert (result.customer, result.matched_by) == (customer_a, "reply_token")


def test_it_refuses_a_forged_reply_token(org_a, customer_a, now):
    forged = f"reply+{customer_a.pk}-{'0' * 20}@in.recoup.example"

    result = record_inbound(raw_or_message=reply(sender="new@unknown.example", to=forged), now=now)

    assert result.customer is None and result.message is None
    assert not inbound_messages(org_a).exists() and not reply_pauses(org_a, customer_a).exists()


def test_it_matches_the_sender_known_as_a_contact_of_exactly_one_customer(org_a, customer_a, now):
    result = record_inbound(raw_or_message=reply(sender="PAT@customer.example", to="someone@else.example"),
                            now=now)

    assert (result.customer, result.matched_by) == (customer_a, "sender")
    assert result.message.contact == customer_a.billing


def test_it_attaches_a_reply_from_an_address_known_in_two_organizations_to_neither(
        org_a, org_b, customer_a, make_customer, now, caplog):
    other = make_customer(org_b, ref="B001", name="Other Co")
    Contact.objects.create(org=org_b, customer=other, name="Pat", email="pat@customer.example")

    with caplog.at_level(logging.WARNING, logger="recoup.messaging.inbound"):
        result = record_inbound(raw_or_message=reply(to="inbox@recoup.example"), now=now)

    assert (result.customer, result.org, result.matched_by) == (None, None, "none")
    assert not Message.objects.filter(direction=Direction.IN).exists()
    assert not Task.objects.exists() and not Pause.objects.exists()
    assert "dropped" in caplog.text and "pat@customer.example" in caplog.text and "2 organizations" in caplog.text


def test_it_opens_an_unattached_task_when_the_sender_is_a_contact_of_two_customers_of_one_org(
        org_a, customer_a, make_customer, now):
    twin = make_customer(org_a, ref="C002", name="Sister Company")
    Contact.objects.create(org=org_a, customer=twin, name="Pat", email="pat@customer.example")
    mail = reply(to="inbox@recoup.example")

    result = record_inbound(raw_or_message=mail, now=now)
    record_inbound(raw_or_message=mail, now=now)  # retried: no second task

    assert result.customer is None and result.org == org_a
    [task] = Task.objects.for_org(org_a)
    assert task.customer is None and "pat@customer.example" in task.text and "I paid yesterday." in task.text
    assert not Pause.objects.exists() and not inbound_messages(org_a).exists()


def test_it_opens_a_task_for_the_org_the_reply_was_sent_to_when_no_customer_matches(org_a, customer_a, now):
    result = record_inbound(raw_or_message=reply(sender="new@unknown.example", to="accounts@acme.example"),
                            now=now)

    assert result.customer is None and result.org == org_a
    assert Task.objects.for_org(org_a).get().kind == REPLY_TASK_KIND


def test_it_never_matches_across_the_organization_it_was_told(org_a, org_b, customer_a, sent, now):
    mail = reply(sender="new@unknown.example", to="nobody@recoup.example", in_reply_to=sent.message_id)

    result = record_inbound(raw_or_message=mail, now=now, org=org_b)

    assert result.customer is None and result.org == org_b
    assert not inbound_messages(org_a).exists() and not Task.objects.for_org(org_a).exists()


def test_it_logs_an_out_of_office_answer_without_a_task_or_a_pause(org_a, customer_a, sent, now):
    mail = reply(in_reply_to=sent.message_id, subject="Out of office", headers=[("Auto-Submitted", "auto-replied")])

    result = record_inbound(raw_or_message=mail, now=now)

    assert result.message.customer == customer_a and not result.paused and result.task is None
    assert not Task.objects.for_org(org_a).exists() and not reply_pauses(org_a, customer_a).exists()


# --- recoup inbound FILE.eml ----------------------------------------------------------------

def test_the_command_attaches_a_multipart_eml_file(org_a, customer_a, sent, tmp_path, capsys):
    path = tmp_path / "reply.eml"
    path.write_bytes(reply(in_reply_to=sent.message_id, attachments=[("remittance.pdf", PDF)]).as_bytes())

    call_command("inbound", str(path), "--org", "acme")

    assert "attached to C001 (acme) by in-reply-to; task opened, collection paused" in capsys.readouterr().out
    stored = inbound_messages(org_a).get()
    assert stored.body_html.strip() == "<p>I paid yesterday.</p>" and stored.attachments.count() == 1
    assert reply_pauses(org_a, customer_a).exists()


def test_the_command_names_a_file_it_cannot_read(db, tmp_path):
    with pytest.raises(CommandError, match="missing.eml: cannot read"):
        call_command("inbound", str(tmp_path / "missing.eml"))


def test_the_command_refuses_a_file_that_is_not_an_email(db, tmp_path):
    path = tmp_path / "notes.eml"
    path.write_bytes(b"\n\njust some text\n")
    with pytest.raises(CommandError, match="notes.eml: not an e-mail"):
        call_command("inbound", str(path))


# --- the webhook ----------------------------------------------------------------------------

def basic_auth(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


@pytest.fixture
def mailgun(settings):
    settings.RECOUP_INBOUND_ESP = "mailgun"
    settings.RECOUP_INBOUND_WEBHOOK_SECRET = "hook:s3cret"
    settings.RECOUP_INBOUND_SIGNING_KEY = "key-test-signing"
    return settings


def mailgun_form(mail: EmailMessage, key: str = "key-test-signing") -> dict:
    timestamp, token = "1774949400", "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"body-mime": mail.as_string(), "recipient": "accounts@acme.example", "sender": "pat@customer.example",
            "timestamp": timestamp, "token": token, "signature": signature}


def test_the_mailgun_webhook_attaches_a_signed_reply(client, mailgun, org_a, customer_a, sent):
    form = mailgun_form(reply(in_reply_to=sent.message_id, attachments=[("remittance.pdf", PDF)]))

    response = client.post(URL, form, HTTP_AUTHORIZATION=basic_auth("hook:s3cret"))
    client.post(URL, form, HTTP_AUTHORIZATION=basic_auth("hook:s3cret"))  # Mailgun retries

    assert response.status_code == 200
    stored = inbound_messages(org_a).get()
    assert stored.customer == customer_a and bytes(stored.attachments.get().data) == PDF
    assert Task.objects.for_org(org_a).filter(kind=REPLY_TASK_KIND, customer=customer_a).count() == 1
    assert reply_pauses(org_a, customer_a).count() == 1


def test_the_mailgun_webhook_refuses_a_bad_signature_or_password(client, mailgun, org_a, customer_a, sent):
    form = mailgun_form(reply(in_reply_to=sent.message_id), key="someone-else")

    assert client.post(URL, form, HTTP_AUTHORIZATION=basic_auth("hook:s3cret")).status_code == 400
    good = mailgun_form(reply(in_reply_to=sent.message_id))
    assert client.post(URL, good, HTTP_AUTHORIZATION=basic_auth("hook:guess")).status_code == 400
    assert client.post(URL, good).status_code == 400
    assert not inbound_messages(org_a).exists() and not Pause.objects.exists()


def test_the_postmark_webhook_attaches_a_reply(client, settings, org_a, customer_a, sent):
    settings.RECOUP_INBOUND_ESP = "postmark"
    settings.RECOUP_INBOUND_WEBHOOK_SECRET = "hook:s3cret"
    payload = {"RawEmail": reply(in_reply_to=sent.message_id).as_string(),
               "OriginalRecipient": "accounts@acme.example", "MessageID": "pm-1"}

    response = client.post(URL, json.dumps(payload), content_type="application/json",
                           HTTP_AUTHORIZATION=basic_auth("hook:s3cret"))

    assert response.status_code == 200
    assert inbound_messages(org_a).get().customer == customer_a


def test_the_webhook_is_not_there_until_configured(client, settings, db):
    settings.RECOUP_INBOUND_ESP = ""
    assert client.post(URL, {}).status_code == 404


def test_the_webhook_refuses_to_run_open_without_a_secret(client, settings, db):
    settings.RECOUP_INBOUND_ESP = "postmark"
    settings.RECOUP_INBOUND_WEBHOOK_SECRET = ""
    with pytest.raises(ImproperlyConfigured, match="RECOUP_INBOUND_WEBHOOK_SECRET"):
        client.post(URL, "{}", content_type="application/json")
