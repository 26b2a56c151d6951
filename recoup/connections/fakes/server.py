"""What every fake provider shares: an HTTP server in a thread, a log, faults and limits.

Public API (stable; the connector tests use it through the provider fakes):

- ``FakeServer``: subclass it, set ``routes`` (method, regex, handler name) and, if the
  provider has one, ``spec_check(request, response) -> list[str]``. Start it as a
  context manager; ``fake.url`` is its root. Every exchange is in ``fake.log``
  (``Exchange``); every departure from the published description in ``fake.violations``,
  and with ``strict=True`` (the default) leaving the ``with`` block, or ``check()``,
  raises ``SpecViolation`` listing them, so a test fails.
- Faults: ``fake.storm(every=N, retry_after=S)`` answers every Nth API request with the
  provider's own 429; ``fake.calm()`` ends it. ``fake.unreachable = True`` closes the
  listening socket (connections are refused, as when the service is down) and ``False``
  opens the same port again.
- Limits: ``RateLimit`` windows (per minute, per day, per key) and a concurrency cap,
  measured on the fake's clock; each provider lists the limits it publishes.
- Time: ``clock`` is a callable returning an aware UTC datetime (``FrozenClock`` for
  tests: ``clock.advance(seconds=...)``); the fakes never read the wall clock otherwise.
- ``Request``/``Response``: what a handler gets and returns; ``dumps`` writes JSON with
  ``Decimal`` amounts as exact numbers (never through float).
"""

from __future__ import annotations

import json
import re
import threading
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    """The real time: only the ``recoup fake-*`` commands use it (they are entry points)."""
    return datetime.now(timezone.utc)


class FrozenClock:
    """A clock for tests: stands still until told to move."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self.now += timedelta(**delta)
            return self.now

    def set(self, when: datetime) -> None:
        with self._lock:
            self.now = when


class SpecViolation(AssertionError):
    """A request or response departed from the provider's published description."""


_DEC = "\u0000DEC:"


def _decimal_marker(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{_DEC}{value}\u0000"
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(data: object) -> bytes:
    """JSON with Decimals written as the exact numbers they hold (``46.00`` stays ``46.00``)."""
    text = json.dumps(data, default=_decimal_marker)
    return re.sub(r'"\\u0000DEC:([-0-9.E+]+)\\u0000"', r"\1", text).encode()


def loads(raw: bytes | str) -> object:
    """JSON with every fractional number as a Decimal, as a money-aware client reads it."""
    return json.loads(raw, parse_float=Decimal)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # from the route's named groups

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def json(self) -> object:
        return loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode(), keep_blank_values=True))

    @property
    def content_type(self) -> str:
        return self.header("content-type").split(";")[0].strip()


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: object, headers: dict[str, str] | None = None) -> "Response":
        return cls(status, dumps(data), {"Content-Type": "application/json; charset=utf-8", **(headers or {})})

    @classmethod
    def html(cls, status: int, title: str, body: str) -> "Response":
        page = f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>{body}</html>"
        return cls(status, page.encode(), {"Content-Type": "text/html; charset=utf-8"})

    @classmethod
    def redirect(cls, location: str) -> "Response":
        return cls(302, b"", {"Location": location})

    def data(self) -> object:
        return loads(self.body) if self.body else None


@dataclass
class Exchange:
    """One request the fake received and what it answered."""

    at: datetime
    request: Request
    response: Response
    violations: list[str]


@dataclass
class RateLimit:
    """At most ``limit`` requests per ``window`` seconds for each key ``key(request)``."""

    name: str
    limit: int
    window: int
    key: Callable[[Request], str | None]
    _seen: dict[str, deque] = field(default_factory=dict, repr=False)

    def take(self, request: Request, now: datetime) -> tuple[bool, int, int]:
        """(allowed, remaining, seconds until a slot frees); counts the request when allowed."""
        key = self.key(request)
        if key is None:
            return True, self.limit, 0
        seen = self._seen.setdefault(key, deque())
        edge = now - timedelta(seconds=self.window)
        while seen and seen[0] <= edge:
            seen.popleft()
        if len(seen) >= self.limit:
            wait = (seen[0] - edge).total_seconds()
            return False, 0, max(1, int(wait + 0.999))
        seen.append(now)
        return True, self.limit - len(seen), 0


class FakeServer:
    """A provider's stand-in: subclass, set ``routes`` and ``name``, write the handlers."""

    name = "fake"
    routes: list[tuple[str, str, str]] = []  # (method, path regex, handler method name)

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, clock: Clock | None = None,
                 strict: bool = True, validate: bool = True):
        self.clock: Clock = clock or wall_clock
        self.strict, self.validate = strict, validate
        self.log: list[Exchange] = []
        self.violations: list[str] = []
        self.lock = threading.RLock()
        self._storm_every, self._storm_retry, self._storm_count = 0, 1, 0
        self.limits: list[RateLimit] = []  # the provider's published limits, set by the subclass
        self.concurrent_limit = 0  # calls in progress at once per concurrency_key(); 0: no cap
        self._in_flight: dict[str, int] = {}
        self._compiled = [(m, re.compile(p + r"\Z"), h) for m, p, h in self.routes]
        self._host = host
        self._server = self._listen(host, port)
        self.port = self._server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None
        self._unreachable = False

    # -- lifecycle ----------------------------------------------------------------------------

    def _listen(self, host: str, port: int) -> ThreadingHTTPServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet; the fake keeps its own log
                pass

            def _any(self) -> None:
                fake._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        return server

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name=f"{self.name}-fake")
        self._thread.start()
        return self

    def stop(self) -> None:
        if not self._unreachable:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, *exc) -> None:
        self.stop()
        if exc_type is None:
            self.check()

    def check(self) -> None:
        """Raise SpecViolation if anything received or sent departed from the description."""
        if self.strict and self.violations:
            raise SpecViolation(f"{self.name} fake saw {len(self.violations)} departure(s) from the published "
                                "API description:\n- " + "\n- ".join(self.violations[:20]))

    # -- faults -------------------------------------------------------------------------------

    def storm(self, *, every: int, retry_after: int = 1) -> None:
        """Answer every ``every``-th API request with the provider's 429 and ``Retry-After``."""
        with self.lock:
            self._storm_every, self._storm_retry, self._storm_count = every, retry_after, 0

    def calm(self) -> None:
        self.storm(every=0)

    @property
    def unreachable(self) -> bool:
        return self._unreachable

    @unreachable.setter
    def unreachable(self, value: bool) -> None:
        with self.lock:
            if value and not self._unreachable:
                self._server.shutdown()
                self._server.server_close()
                self._unreachable = True
            elif not value and self._unreachable:
                self._server = self._listen(self._host, self.port)
                self._unreachable = False
                self.start()

    # -- serving ------------------------------------------------------------------------------

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        split = urllib.parse.urlsplit(h.path)
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        request = Request(method=h.command, path=urllib.parse.unquote(split.path),
                          query=urllib.parse.parse_qs(split.query, keep_blank_values=True),
                          headers={k.lower(): v for k, v in h.headers.items()}, body=body)
        response = self.dispatch(request)
        problems: list[str] = []
        if self.validate:
            try:
                problems = self.spec_check(request, response)
            except Exception:  # noqa: BLE001 - a checker crash is itself a finding
                problems = [f"{request.method} {request.path}: the checker failed:\n{traceback.format_exc()}"]
        with self.lock:
            self.log.append(Exchange(self.clock(), request, response, problems))
            self.violations += problems
        h.send_response(response.status)
        for name, value in response.headers.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(response.body)))
        h.end_headers()
        h.wfile.write(response.body)

    def dispatch(self, request: Request) -> Response:
        key = self.concurrency_key(request) if self.concurrent_limit else None
        if key is None:
            return self._route(request)
        with self.lock:
            if self._in_flight.get(key, 0) >= self.concurrent_limit:
                return self.too_many(request, 1, "concurrent")
            self._in_flight[key] = self._in_flight.get(key, 0) + 1
        try:
            return self._route(request)
        finally:
            with self.lock:
                self._in_flight[key] -= 1

    def _route(self, request: Request) -> Response:
        for method, pattern, handler in self._compiled:
            match = pattern.match(request.path)
            if match and method == request.method:
                request.params = match.groupdict()
                try:
                    return self.before(request) or getattr(self, handler)(request)
                except Exception:  # noqa: BLE001 - a crash in the fake fails the test
                    trace = traceback.format_exc()
                    with self.lock:
                        self.violations.append(f"{request.method} {request.path}: the fake crashed:\n{trace}")
                    return Response.json(500, {"message": "fake crashed", "trace": trace})
        return self.not_found(request)

    def before(self, request: Request) -> Response | None:
        """Faults and limits for API requests: the 429 storm first, then the published limits."""
        if not self.is_api(request):
            return None
        with self.lock:
            if self._storm_every:
                self._storm_count += 1
                if self._storm_count % self._storm_every == 0:
                    return self.too_many(request, self._storm_retry, "storm")
            now = self.clock()
            for limit in self.limits:
                allowed, remaining, wait = limit.take(request, now)
                request.headers[f"x-fake-{limit.name}-remaining"] = str(remaining)
                if not allowed:
                    return self.too_many(request, wait, limit.name)
        return None

    # -- to specialise ------------------------------------------------------------------------

    def is_api(self, request: Request) -> bool:
        """Whether the storm and the rate limits apply to this request (not to OAuth pages)."""
        return True

    def concurrency_key(self, request: Request) -> str | None:
        """Whose calls in progress are counted against ``concurrent_limit`` (a tenant, a realm)."""
        return None

    def spec_check(self, request: Request, response: Response) -> list[str]:
        return []

    def too_many(self, request: Request, retry_after: int, problem: str) -> Response:
        return Response.json(429, {"message": "Too many requests"}, {"Retry-After": str(retry_after)})

    def not_found(self, request: Request) -> Response:
        return Response.json(404, {"message": f"No route for {request.method} {request.path}"})

    # -- helpers for subclasses ---------------------------------------------------------------

    def exchanges(self, method: str | None = None, path: str | None = None) -> list[Exchange]:
        """The logged exchanges, optionally only those with this method and path regex."""
        with self.lock:
            return [e for e in self.log if (method is None or e.request.method == method)
                    and (path is None or re.search(path, e.request.path))]


def post(url: str, body: bytes, headers: dict[str, str], timeout: float = 20) -> int:
    """POST to a local receiver (webhook delivery); returns the HTTP status, 0 if unreachable."""
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - a local test URL
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return 0


def serve_until_interrupted(fake: FakeServer, say: Callable[[str], None]) -> None:
    """Run a started fake until Ctrl-C (the ``recoup fake-*`` commands), then list its departures."""
    import time

    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()
        for problem in fake.violations:
            say(f"departure from {fake.name}'s published description: {problem}")
