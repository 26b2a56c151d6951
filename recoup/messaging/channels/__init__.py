"""Channels behind one interface: ``channel_for(name, now=...).send(message)``."""

from __future__ import annotations

from datetime import datetime

from recoup.messaging.channels.base import Channel, DeliveryError, SendResult
from recoup.messaging.channels.call import CallChannel
from recoup.messaging.channels.email import EmailChannel
from recoup.messaging.channels.letter import LetterChannel
from recoup.messaging.channels.sms import SmsChannel
from recoup.messaging.models import MessageChannel

REGISTRY: dict[str, type[Channel]] = {
    MessageChannel.EMAIL: EmailChannel,
    MessageChannel.SMS: SmsChannel,
    MessageChannel.LETTER: LetterChannel,
    MessageChannel.CALL: CallChannel,
}


def channel_for(name: str, *, now: datetime) -> Channel:
    return REGISTRY[name](now=now)


__all__ = ["Channel", "DeliveryError", "SendResult", "REGISTRY", "channel_for"]
