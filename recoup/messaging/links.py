"""Portal links in message bodies: stored as placeholders, filled in only as a message leaves.

A portal link is a credential: whoever holds it acts as the debtor (sees the statement, promises,
disputes, changes contact preferences). So a stored body never holds one. The cycle renders
``PORTAL_LINK`` and ``PREFERENCES_LINK`` where the links go; delivery asks the registered link
maker (the portal's, see ``recoup.portal.apps``) for one fresh link just before the channel sends
and fills the placeholders in the copy it sends, never in the row. The UI, the API, exports,
evidence packs and backups read the row, so they show "[portal link]" and nothing that works.

An e-mail also carries a one-click unsubscribe (RFC 8058) on the same fresh link: delivery sets it on the
instance it sends as ``list_unsubscribe_url`` and the e-mail channel puts it in the ``List-Unsubscribe``
header; like the body's links it is never stored.

A letter is filled when its print batch is rendered for printing (``letter_pdf``); the PDF kept
for a posted batch is rendered from the stored bodies, placeholders and all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from django.utils.html import escape

PORTAL_LINK = "[portal link]"
PREFERENCES_LINK = "[preferences link]"

# (message, *, now) -> (portal_url, preferences_url, unsubscribe_url) on one fresh link of the message's
# customer; unsubscribe_url stops e-mail on a POST (RFC 8058 one-click) and shows the preferences on a GET.
LinkMaker = Callable[..., tuple[str, str]]
_makers: list[LinkMaker] = []

# A portal link as bodies stored them before placeholders (any base URL): /p/<secret>/ and
# /p/<secret>/preferences/ (see recoup/portal/urls.py).
_STORED_LINK = re.compile(r"https?://[^\s\"'<>]*?/p/[A-Za-z0-9_-]{20,100}/(preferences/)?")


def register(maker: LinkMaker) -> None:
    """Publish the one function that makes a message's links (called by the portal at start-up)."""
    _makers[:] = [maker]


def has_placeholders(*texts: str) -> bool:
    return any(mark in text for text in texts for mark in (PORTAL_LINK, PREFERENCES_LINK))


def fill(text: str, portal_url: str, preferences_url: str) -> str:
    return text.replace(PORTAL_LINK, portal_url).replace(PREFERENCES_LINK, preferences_url)


def links_insert(message, *, now: datetime) -> None:
    """Fill the placeholders of ``message`` in memory with one fresh link, for the copy about to be
    sent, and give an e-mail its one-click unsubscribe URL (``message.list_unsubscribe_url``) on the same
    link. The row keeps the placeholders: this instance must not be saved afterwards (delivery
    records outcomes with ``update()``)."""
    is_email = message.channel == "email"
    if not (is_email or has_placeholders(message.body_text, message.body_html)):
        return
    if not _makers:
        raise RuntimeError("no portal link maker registered (is recoup.portal installed?)")
    portal_url, preferences_url, unsubscribe_url = _makers[0](message=message, now=now)
    if is_email:
        message.list_unsubscribe_url = unsubscribe_url
    message.body_text = fill(message.body_text, portal_url, preferences_url)
    message.body_html = fill(message.body_html, escape(portal_url), escape(preferences_url))


def redact(text: str) -> str:
    """``text`` with every portal link replaced by its placeholder (for bodies stored before)."""
    return _STORED_LINK.sub(lambda m: PREFERENCES_LINK if m.group(1) else PORTAL_LINK, text)
