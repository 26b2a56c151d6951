"""Links to the portal for the messages Recoup sends.

Each call issues a new link (a token row): only a hash of a link's secret is
stored, so an earlier link cannot be shown again. Messages are stored with
placeholders (``recoup.messaging.links``); ``message_urls`` makes the link as a
message leaves (registered with messaging at start-up, see ``apps.py``), so the
link lives only in what the debtor receives.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.urls import reverse

from recoup.audit.actions import Actor
from recoup.portal.actions import token_issue


def base_url() -> str:
    return settings.RECOUP_BASE_URL


def portal_urls(*, org, customer, now: datetime) -> tuple[str, str]:
    """(portal_url, preferences_url) for ``customer``: absolute, on one fresh link."""
    _, secret = token_issue(org=org, customer=customer, actor=Actor.system("collections cycle"), now=now)
    return urls_for_secret(secret)


def message_urls(*, message, now: datetime) -> tuple[str, str, str]:
    """(portal_url, preferences_url, unsubscribe_url) for the message about to be sent: one fresh link of
    its customer. unsubscribe_url is the e-mail's RFC 8058 one-click URL (``views.unsubscribe``)."""
    _, secret = token_issue(org=message.org, customer=message.customer, actor=Actor.system("delivery"), now=now)
    return (*urls_for_secret(secret), base_url() + reverse("portal_unsubscribe", args=[secret, "email"]))


def urls_for_secret(secret: str) -> tuple[str, str]:
    base = base_url()
    return (base + reverse("portal_home", args=[secret]), base + reverse("portal_preferences", args=[secret]))
