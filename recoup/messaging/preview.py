"""A message as it would leave, for previews: rendered by ``rendering.render_message`` exactly as the
cycle renders it, with the portal links as their placeholders (a page never shows a working link:
delivery makes a fresh one as each message leaves, ``links``) and an e-mail's plain text laid out as
delivery sends it (``email_text``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from recoup.messaging.links import PORTAL_LINK, PREFERENCES_LINK
from recoup.messaging.rendering import RenderedMessage, email_text, render_message
from recoup.messaging.template_store import Wording


def message_preview(*, org, customer, invoices: Sequence, template: str, channel: str, language: str | None,
                    on: date, wording: Wording | None = None) -> RenderedMessage:
    """The message ``render_message`` makes for the cycle, as it leaves (links as placeholders).
    ``wording``: unsaved text to preview instead of the organization's wording in force.
    Raises what ``render_message`` raises."""
    rendered = render_message(org=org, customer=customer, invoices=invoices, template=template, channel=channel,
                              language=language, on=on, portal_url=PORTAL_LINK, preferences_url=PREFERENCES_LINK,
                              wording=wording)
    return replace(rendered, text=email_text(rendered.text)) if channel == "email" else rendered
