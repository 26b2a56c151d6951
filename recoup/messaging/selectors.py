"""Reads of the outbox, always within one organization."""

from __future__ import annotations

from recoup.ledger.models import Contact, Customer
from recoup.messaging.models import (
    ContactPointStatus, LetterBatch, LetterBatchStatus, Message, MessageChannel, MessageStatus, Task, TaskStatus,
)
from recoup.orgs.models import Organization


def customer_messages(*, org: Organization, customer: Customer):
    """A customer's messages, newest first."""
    return Message.objects.for_org(org).filter(customer=customer).order_by("-created_at", "-id")


def contact_point_usable(*, org: Organization, contact: Contact, channel: str, address: str) -> bool:
    """False when this address bounced or was reported wrong for the channel (or one sharing the address)."""
    return not ContactPointStatus.objects.for_org(org).filter(
        contact=contact, channel=channel, address=address.strip()).exists()


def open_calls(*, org: Organization):
    return (Message.objects.for_org(org).filter(channel=MessageChannel.CALL, status=MessageStatus.OPEN)
            .select_related("customer", "contact").order_by("created_at", "id"))


def open_letter_batches(*, org: Organization):
    return LetterBatch.objects.for_org(org).filter(status=LetterBatchStatus.OPEN).order_by("date")


def open_tasks(*, org: Organization):
    return Task.objects.for_org(org).filter(status=TaskStatus.OPEN).select_related("customer")

