"""What ``recoup serve``, ``recoup worker`` and ``recoup scheduler`` check before they start.

- ``RECOUP_BASE_URL`` must be an absolute http(s) address without a path, on a host this server
  accepts (``RECOUP_ALLOWED_HOSTS``), and https when ``RECOUP_HTTPS`` is on: every portal link
  in every message is built from it, and a wrong one sends debtors nowhere.
- The database's schema must match the code (``recoup.ops.schema``): not behind (run
  ``recoup upgrade``), never ahead (a newer version upgraded it).

The same base-URL rules are a Django system check (``recoup check --deploy`` shows them).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.http.request import validate_host

from recoup.ops.schema import schema_problem, schema_state

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


def base_url_problems(base_url: str, *, https: bool, allowed_hosts: list[str]) -> list[str]:
    """What is wrong with ``base_url`` as the address debtors reach this server at."""
    name = "RECOUP_BASE_URL"
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        return [f"{name}={base_url!r} is not a URL ({exc})"]
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [f"{name}={base_url!r} must be an absolute http:// or https:// address, e.g. https://recoup.example.com"]
    problems = []
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        problems.append(f"{name}={base_url!r} must be just the scheme, host and port: Recoup is served at the root")
    if https and parts.scheme != "https":
        problems.append(f"{name}={base_url!r} is http:// but RECOUP_HTTPS is on: links would be redirected; use https://")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname  # as Django compares it
    if not validate_host(host, allowed_hosts):
        problems.append(f"{name}={base_url!r}: its host {parts.hostname!r} is not in RECOUP_ALLOWED_HOSTS "
                        f"({','.join(allowed_hosts) or 'empty'}); debtors' links would be refused")
    return problems


def start_refusal() -> str | None:
    """Why this process must not start, or None. Reads the settings and the database."""
    problems = base_url_problems(settings.RECOUP_BASE_URL, https=settings.HTTPS, allowed_hosts=settings.ALLOWED_HOSTS)
    schema = schema_problem(schema_state())
    if schema:
        problems.append(schema)
    return "; ".join(problems) or None


@checks.register(checks.Tags.security, deploy=True)
def check_base_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    found = [checks.Error(text, id="recoup.E010") for text in base_url_problems(
        settings.RECOUP_BASE_URL, https=settings.HTTPS, allowed_hosts=settings.ALLOWED_HOSTS)]
    host = urlsplit(settings.RECOUP_BASE_URL).hostname if not found else None
    if host in LOCAL_HOSTS:
        found.append(checks.Warning(f"RECOUP_BASE_URL={settings.RECOUP_BASE_URL!r} is this machine only: debtors "
                                    "cannot open the portal links in their messages", id="recoup.W010"))
    return found
