"""Delivery for one organization through channels the caller picks (the demo's history uses both)."""

from __future__ import annotations

import pytest
from django.db import connection

from recoup.messaging.channels import Channel, SendResult
from recoup.messaging.delivery import _due, deliver_due
from recoup.messaging.models import Message, MessageStatus


class Posting(Channel):
    """A channel that hands nothing on and says the message was posted (as the demo's history records letters)."""

    sent: list[int] = []

    def send(self, message) -> SendResult:
        Posting.sent.append(message.pk)
        return SendResult(provider_id="test", status=MessageStatus.POSTED)


def posting(name: str, *, now) -> Channel:
    return Posting(now=now)


def test_it_delivers_one_organizations_messages_through_the_channels_given(org_a, org_b, customer_a, queue,
                                                                            make_customer, now):
    mine = queue(org_a, customer_a, "a")
    theirs = queue(org_b, make_customer(org_b, ref="B1", name="Theirs"), "b", to_address="b@bolt.example")
    Posting.sent = []

    report = deliver_due(now=now, org=org_a, channels=posting)

    assert report.sent == 1 and Posting.sent == [mine.pk]
    mine.refresh_from_db()
    theirs.refresh_from_db()
    # A channel that posts at once: the message is posted, and when is recorded.
    assert (mine.status, mine.sent_at, mine.provider_id) == (MessageStatus.POSTED, now, "test")
    assert (theirs.status, theirs.attempts, theirs.sent_at) == (MessageStatus.QUEUED, 0, None)


@pytest.mark.django_db
def test_one_organizations_due_messages_are_found_through_the_delivery_index(org_a, now):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's query planner")
    plan = _due(now, org_a).order_by("next_attempt_at", "id").values_list("id")[:20].explain()
    assert "message_delivery_due" in plan, plan
    assert not Message.objects.exists()
