"""Letters: "sending" one adds it to its organization's print batch of the day."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from recoup.messaging.channels.base import Channel, SendResult
from recoup.messaging.models import Message, MessageStatus


class LetterChannel(Channel):
    def send(self, message: Message) -> SendResult:
        from recoup.messaging.actions import letter_batch_add

        today = self.now.astimezone(ZoneInfo(message.org.timezone)).date()
        batch = letter_batch_add(message=message, today=today, now=self.now)
        return SendResult(provider_id=f"batch-{batch.pk}", status=MessageStatus.BATCHED)
