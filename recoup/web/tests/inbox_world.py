"""One of each thing the inbox lists, for one customer, an hour apart: an e-mail reply, a portal message,
a dispute raised in the portal and a promise made there (newest). Shared by the inbox's view tests and
its browser test."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage

from recoup.arrangements.actions import debtor_actor, dispute_open
from recoup.arrangements.promise_actions import promise_make
from recoup.ledger.models import Contact, Customer, Invoice
from recoup.messaging.inbound import record_inbound
from recoup.messaging.models import Task
from recoup.orgs.models import Organization
from recoup.portal.actions import customer_message

REPLY_SUBJECT = "Re: Your invoice A-1"
PORTAL_TEXT = "We paid A-2 on Monday by transfer, reference 7781."


def fill_inbox(org: Organization, customer: Customer, disputed: Invoice, promised: Invoice,
               now: datetime) -> dict[str, Task]:
    """The four items' tasks by kind: ``reply``, ``portal``, ``dispute``, ``promise`` (oldest to newest)."""
    Contact.objects.get_or_create(org=org, customer=customer, email="pat@northwind.example",
                                  defaults={"name": "Pat Payer"})
    mail = EmailMessage()
    mail["From"], mail["To"] = "Pat Payer <pat@northwind.example>", "accounts@acme.example"
    mail["Subject"] = REPLY_SUBJECT
    mail["Message-ID"] = "<inbox-reply@northwind.example>"
    mail.set_content("Could you send a copy of A-1? We cannot find it.")
    reply = record_inbound(raw_or_message=mail, now=now - timedelta(hours=4), org=org).task
    debtor = debtor_actor(customer)
    portal = customer_message(org=org, customer=customer, text=PORTAL_TEXT, actor=debtor, now=now - timedelta(hours=3))
    dispute = dispute_open(org=org, customer=customer, invoices=[disputed], category="not_delivered",
                           amount_minor=None, message="The goods never arrived.", actor=debtor,
                           now=now - timedelta(hours=2))
    promise = promise_make(org=org, customer=customer, invoices=[promised], pay_by=now.date() + timedelta(days=10),
                           actor=debtor, now=now - timedelta(hours=1))
    tasks = Task.objects.for_org(org)
    return {"reply": reply, "portal": tasks.get(message__source="portal", message__body_text=portal.text),
            "dispute": tasks.get(about_type="dispute", about_id=dispute.pk),
            "promise": tasks.get(about_type="promise", about_id=promise.pk)}
