"""A message as its reader gets it, for previews: the stored form after delivery's last touches.

The cycle stores a step's message with two things left for delivery: "pay by" dates counted
from the day it leaves (``send_dates``) and the portal links (``links``, never stored). A
preview (the policy page's) shows it as it would leave today: the dates written in for the
debtor's day, an e-mail's plain-text part laid out as the e-mail channel sends it
(``rendering.email_text``), and the links as the placeholders the stored bodies hold, since a
preview must not mint a credential.
"""

from __future__ import annotations

from datetime import datetime

from recoup.messaging.models import Message
from recoup.messaging.rendering import RenderedMessage, email_text
from recoup.messaging.send_dates import debtor_day, fill_dates


def as_delivered(rendered: RenderedMessage, *, org, customer, channel: str, now: datetime) -> RenderedMessage:
    """``rendered`` (as the cycle renders it to store) as it would leave at ``now``, links left as placeholders."""
    day = debtor_day(Message(org=org, customer=customer, channel=channel), now=now)
    text = fill_dates(rendered.text, day)
    return RenderedMessage(subject=fill_dates(rendered.subject, day),
                           text=email_text(text) if channel == "email" else text,
                           html=fill_dates(rendered.html, day))
