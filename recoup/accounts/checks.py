"""Deployment checks of Recoup's own settings, run by `recoup check --deploy` beside Django's.

``RECOUP_BASE_URL`` is the address in every portal link a reminder carries: left at its default
(http://127.0.0.1:8000), or any loopback or unspecified address, every debtor would get a link
to their own computer. An error, so `check --deploy` fails until it is set.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def _is_local(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


@register(Tags.security, deploy=True)
def base_url_check(app_configs, **kwargs):
    url = getattr(settings, "RECOUP_BASE_URL", "")
    hint = "Set RECOUP_BASE_URL to the address debtors reach this server at, e.g. https://pay.example.com."
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [Error(f"RECOUP_BASE_URL {url!r} is not an http(s) address: portal links in reminders would "
                      "not work.", hint=hint, id="recoup.E001")]
    if _is_local(parts.hostname):
        return [Error(f"RECOUP_BASE_URL is {url}: every reminder would carry a portal link to the debtor's own "
                      "computer.", hint=hint, id="recoup.E002")]
    if getattr(settings, "HTTPS", False) and parts.scheme != "https":
        return [Warning(f"RECOUP_BASE_URL is {url} while RECOUP_HTTPS is on: portal links should be https.",
                        hint=hint, id="recoup.W001")]
    return []
