"""A portal "Write to us" message reaches the operator as a message in, like an e-mail reply: on the
customer's messages page and in the inbox, where marking it handled closes the reply task."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from recoup.messaging.models import Message, Task
from recoup.web.tests.conftest import members  # noqa: F401


def test_a_portal_message_is_in_the_customers_messages_and_the_inbox(client, link_a, members):  # noqa: F811
    text = "We paid INV-1001 on Monday by transfer, reference 7781."
    assert client.post(link_a.url("portal_message"), {"text": text}).status_code == 302
    [message] = Message.objects.for_org(link_a.org).filter(customer=link_a.customer)
    assert (message.direction, message.channel, message.source, message.body_text) == ("in", "portal", "portal", text)

    operator = Client()
    operator.force_login(members["collector"])
    messages_page = operator.get(reverse("customer_messages", args=["acme", link_a.customer.pk])).content.decode()
    assert "We paid INV-1001 on Monday" in messages_page and "Portal" in messages_page
    detail = operator.get(reverse("message_detail", args=["acme", link_a.customer.pk, message.pk])).content.decode()
    assert "reference 7781" in detail

    inbox = operator.get(reverse("inbox", args=["acme"])).content.decode()
    assert reverse("message_detail", args=["acme", link_a.customer.pk, message.pk]) in inbox
    assert "Portal message" in inbox and "Nothing waiting" not in inbox

    task = Task.objects.for_org(link_a.org).get(message=message)
    operator.post(reverse("inbox_handled", args=["acme", task.pk]), {"note": ""})
    task.refresh_from_db()
    assert task.status == "done"
    assert "Nothing waiting" in operator.get(reverse("inbox", args=["acme"])).content.decode()


def test_the_other_organization_sees_none_of_it(client, link_a, members):  # noqa: F811
    client.post(link_a.url("portal_message"), {"text": "Private note for Acme"})
    outsider = Client()
    outsider.force_login(members["outsider"])
    assert "Private note for Acme" not in outsider.get(reverse("inbox", args=["bolt"])).content.decode()
    assert outsider.get(reverse("customer_messages", args=["acme", link_a.customer.pk])).status_code == 404
