"""Calls: "sending" one puts it in the operator's call queue until an outcome is logged."""

from __future__ import annotations

from recoup.messaging.channels.base import Channel, SendResult
from recoup.messaging.models import Message, MessageStatus


class CallChannel(Channel):
    def send(self, message: Message) -> SendResult:
        return SendResult(provider_id=f"call-{message.pk}", status=MessageStatus.OPEN)
