"""The one HTTP client every connector uses: httpx with timeouts and no redirects, the provider's
published rate limits kept before each request, 429 + Retry-After and 5xx retried with backoff.

The clock and the sleeper are passed in (tests pass a fake clock that sleeps by moving it), and
so is the httpx transport (tests pass ``httpx.MockTransport``, the fakes, or the validating
transport of the test harness).
"""

from __future__ import annotations

import functools
import json
import ssl
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from recoup.core.ratelimit import Limit, parse_retry_after, retry_wait, wait_before_next

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_RETRIES = 8
LONGEST_WAIT = 120.0  # a Retry-After beyond this (a daily limit) stops the sync; it resumes later


class ProviderError(Exception):
    """The provider refused or failed; ``permanent`` when repeating the same request cannot help."""

    def __init__(self, message: str, *, permanent: bool = False, status: int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.status = status


class RateLimited(ProviderError):
    """The provider asks for a wait longer than a sync should sleep (its daily limit)."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message, permanent=False, status=429)
        self.retry_after = retry_after


class AuthExpired(ProviderError):
    """401: the access token was refused."""


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's default verification (certifi's CAs), built once per process: building it reads the CA
    bundle, which cost more than a small incremental sync's own work did."""
    return httpx.create_ssl_context()


def loads(content: bytes) -> Any:
    """JSON with every number that has a fraction read as Decimal, never as float."""
    return json.loads(content, parse_float=Decimal)


def money_json(body: Any) -> bytes:
    """JSON with Decimal amounts written as exact numbers (no float on the way): what ``loads`` reads back."""
    marks: dict[str, str] = {}

    def default(value: Any) -> str:
        if isinstance(value, Decimal):
            mark = f"@@D{len(marks)}@@"
            marks[mark] = format(value, "f")
            return mark
        if isinstance(value, date):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    text = json.dumps(body, default=default)
    for mark, number in marks.items():
        text = text.replace(f'"{mark}"', number)
    return text.encode()


class BooksHttp:
    def __init__(self, *, limits: Sequence[Limit] = (), transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 label: str = "provider"):
        self.limits = tuple(limits)
        self.clock, self.sleep, self.label = clock, sleep, label
        self.sent: deque[float] = deque(maxlen=max([lim.count for lim in self.limits], default=1))
        self.client = httpx.Client(timeout=TIMEOUT, follow_redirects=False, transport=transport,
                                   verify=_ssl_context())
        self.waited = 0.0
        self.requests = 0
        self.retries = 0

    def close(self) -> None:
        self.client.close()

    def _keep_limits(self) -> None:
        wait = wait_before_next(self.sent, self.clock(), self.limits)
        if wait > 0:
            self.waited += wait
            self.sleep(wait)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request, waiting as the limits and the provider ask; returns a 2xx/3xx/4xx answer
        other than 429, or raises ProviderError after MAX_RETRIES."""
        for attempt in range(1, MAX_RETRIES + 2):
            self._keep_limits()
            self.sent.append(self.clock())
            self.requests += 1
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                if attempt > MAX_RETRIES:
                    raise ProviderError(f"{self.label} unreachable: {type(exc).__name__}: {exc}") from None
                self._backoff(attempt, None)
                continue
            if response.status_code == 429 or response.status_code >= 500:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if retry_after is not None and retry_after > LONGEST_WAIT:
                    raise RateLimited(f"{self.label} asks to wait {retry_after:.0f} s (rate limit)", retry_after)
                if attempt > MAX_RETRIES:
                    raise ProviderError(f"{self.label} answered {response.status_code} {MAX_RETRIES + 1} times",
                                        status=response.status_code)
                self._backoff(attempt, retry_after)
                continue
            if response.status_code == 401:
                raise AuthExpired(f"{self.label} refused the access token (401)", status=401)
            return response
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int, retry_after: float | None) -> None:
        wait = retry_wait(attempt, retry_after)
        self.retries += 1
        self.waited += wait
        self.sleep(wait)

    def json(self, method: str, url: str, *, ok: tuple[int, ...] = (200, 201), **kwargs: Any) -> Any:
        response = self.request(method, url, **kwargs)
        if response.status_code not in ok:
            raise ProviderError(f"{self.label} answered {response.status_code} to {method} "
                                f"{httpx.URL(url).path}: {_said(response)}",
                                permanent=400 <= response.status_code < 500, status=response.status_code)
        return loads(response.content)


def _said(response: httpx.Response) -> str:
    text = response.text[:500]
    return " ".join(text.split())
