"""The providers of books, by name (``Connection.provider``), and how to build one."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from django.conf import settings

from recoup.connections.providers.base import BooksProvider, ProviderConfig
from recoup.connections.providers.http import BooksHttp


def _classes() -> dict[str, type[BooksProvider]]:
    from recoup.connections.providers.xero import LIMITS as XERO_LIMITS, Xero

    Xero.limits = XERO_LIMITS
    found: dict[str, type[BooksProvider]] = {"xero": Xero}
    try:
        from recoup.connections.providers.quickbooks import QuickBooks
        found["quickbooks"] = QuickBooks
    except ImportError:  # pragma: no cover - while a provider is being written
        pass
    try:
        from recoup.connections.providers.stripe_billing import StripeBilling
        found["stripe_billing"] = StripeBilling
    except ImportError:  # pragma: no cover
        pass
    return found


def available() -> list[str]:
    return list(_classes())


def config_for(name: str) -> ProviderConfig:
    values = getattr(settings, "RECOUP_BOOKS", {}).get(name, {})
    return ProviderConfig(**values)


# Tests and the benchmark put an httpx transport here (httpx.MockTransport, a validating one);
# None: real network.
TRANSPORT: httpx.BaseTransport | None = None
CLOCK: Callable[[], float] = time.monotonic
SLEEP: Callable[[float], None] = time.sleep


def provider_for(name: str, *, access_token: str = "", remote_id: str = "",
                 transport: httpx.BaseTransport | None = None, clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], None] | None = None) -> BooksProvider:
    cls = _classes().get(name)
    if cls is None:
        raise KeyError(f"no provider {name!r} (known: {', '.join(available())})")
    http = BooksHttp(limits=getattr(cls, "limits", ()), transport=transport or TRANSPORT, clock=clock or CLOCK,
                     sleep=sleep or SLEEP, label=cls.label)
    return cls(config=config_for(name), http=http, access_token=access_token, remote_id=remote_id)
