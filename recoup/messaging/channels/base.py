"""The one interface every channel implements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from recoup.messaging.models import Message, MessageStatus


@dataclass(frozen=True)
class SendResult:
    """What a channel did: the provider's id, and the status the message now has."""

    provider_id: str = ""
    status: str = MessageStatus.SENT


class DeliveryError(Exception):
    """A send that did not happen; ``permanent`` when retrying cannot help (bad address)."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class Channel:
    """Delivers one message; constructed per delivery run with the run's time."""

    def __init__(self, *, now: datetime):
        self.now = now

    def send(self, message: Message) -> SendResult:
        raise NotImplementedError
