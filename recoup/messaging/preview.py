"""A message as it would leave, for previews (the template editor's and the policy page's): rendered by
``rendering.render_message`` exactly as the cycle renders it to store, then given delivery's last
touches — "pay by" dates written in for the debtor's day (``send_dates``) and an e-mail's plain text
laid out as the e-mail channel sends it (``email_text``) — with the portal links left as the
placeholders the stored bodies hold (a page never shows a working link: delivery makes a fresh one
as each message leaves, ``links``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from recoup.messaging.links import PORTAL_LINK, PREFERENCES_LINK
from recoup.messaging.models import Message
from recoup.messaging.rendering import RenderedMessage, email_text, render_message
from recoup.messaging.send_dates import debtor_day, fill_dates
from recoup.messaging.template_store import Wording


def message_preview(*, org, customer, invoices: Sequence, template: str, channel: str, language: str | None,
                    on: date, wording: Wording | None = None) -> RenderedMessage:
    """The message ``render_message`` makes for the cycle, as it leaves (links as placeholders).
    ``wording``: unsaved text to preview instead of the organization's wording in force.
    Raises what ``render_message`` raises."""
    rendered = render_message(org=org, customer=customer, invoices=invoices, template=template, channel=channel,
                              language=language, on=on, portal_url=PORTAL_LINK, preferences_url=PREFERENCES_LINK,
                              wording=wording)
    return leaving(rendered, channel=channel, day=on)


def as_delivered(rendered: RenderedMessage, *, org, customer, channel: str, now: datetime) -> RenderedMessage:
    """``rendered`` (as the cycle renders it to store) as it would leave at ``now``, links left as placeholders."""
    return leaving(rendered, channel=channel,
                   day=debtor_day(Message(org=org, customer=customer, channel=channel), now=now))


def leaving(rendered: RenderedMessage, *, channel: str, day: date) -> RenderedMessage:
    """``rendered`` with delivery's last touches for a message leaving on the debtor's ``day``."""
    text = fill_dates(rendered.text, day)
    return RenderedMessage(subject=fill_dates(rendered.subject, day),
                           text=email_text(text) if channel == "email" else text,
                           html=fill_dates(rendered.html, day))
