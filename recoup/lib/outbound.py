"""HTTP to an address an organization chose (webhooks): refuse internal addresses, connect to the one checked.

An owner may type any URL, so Recoup must not become a way into the network it runs in
(server-side request forgery). ``refusal`` tells at subscribe time whether a URL names a
refused address; ``post`` sends one request and, every time, resolves the host name once,
checks every address it resolves to and connects to the address it checked (no second
look-up that a rebinding name server could answer differently). The request carries the
URL's own ``Host`` header and does TLS with SNI and certificate checks for the URL's host name.
Redirects are not followed; proxies from the environment are not used; the whole exchange
has one deadline. Errors are generic ("connection failed", "refused: address not allowed"):
the text of a socket error would tell an owner which ports are open on a host.

Refused: loopback, private (RFC 1918, fc00::/7), shared CGNAT (100.64.0.0/10), link-local
(169.254.0.0/16 with the cloud metadata address, fe80::/10), multicast, unspecified, reserved
and every other special-purpose range that is not globally reachable; an IPv6 address that
embeds an IPv4 one (``::ffff:127.0.0.1``, 6to4, NAT64) is judged by the IPv4 address. Host
names in other spellings (``2130706433``, ``0x7f.1``, ``0``) are judged by what they resolve to.
``allow_private`` (an install-level setting) lets everything through but the address checks.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from typing import Any

import httpcore
import httpx

REFUSED = "refused: address not allowed"
UNRESOLVED = "could not resolve host"
FAILED = "connection failed"
TIMED_OUT = "timed out"
NAT64 = ipaddress.ip_network("64:ff9b::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class OutboundError(Exception):
    """The request could not be made; ``str()`` is a generic message fit to store and show."""


class Unresolvable(OutboundError):
    def __init__(self) -> None:
        super().__init__(UNRESOLVED)


def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (raises socket.gaierror when none)."""
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def address_refusal(address: Address) -> str | None:
    """Why ``address`` may not be reached ("loopback", "private", ...), or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in NAT64 else None)
        if embedded is not None:
            return address_refusal(embedded)
    for reason in ("loopback", "unspecified", "link_local", "multicast", "private", "reserved"):
        if getattr(address, f"is_{reason}"):
            return reason.replace("_", "-")
    if not address.is_global:  # e.g. 100.64.0.0/10 (CGNAT), 192.0.2.0/24, Teredo
        return "not publicly routable"
    return None


def _parse(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise OutboundError(f"{url!r} is not a valid URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise OutboundError(f"{url!r} is not an http(s) URL")
    return parsed


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _addresses(url: httpx.URL, resolve: Resolver | None) -> list[Address]:
    host = url.raw_host.decode("ascii")
    try:
        found = (resolve or system_resolve)(host, _port(url))
    except (OSError, UnicodeError):
        raise Unresolvable() from None
    addresses = []
    for text in found:
        try:
            addresses.append(ipaddress.ip_address(text))
        except ValueError:
            raise Unresolvable() from None
    if not addresses:
        raise Unresolvable()
    return addresses


def refusal(url: str, *, allow_private: bool, resolve: Resolver | None = None) -> str | None:
    """At subscribe time: why ``url`` is refused, in words for its owner, or None.

    A host name that does not resolve (yet) is not refused here: every delivery looks again.
    """
    try:
        parsed = _parse(url)
    except OutboundError as exc:
        return str(exc)
    if allow_private:
        return None
    try:
        addresses = _addresses(parsed, resolve)
    except Unresolvable:
        return None
    for address in addresses:
        why = address_refusal(address)
        if why is not None:
            return (f"{parsed.host} is {address}, a {why} address: webhooks go only to public addresses"
                    if str(address) != parsed.host else
                    f"{address} is a {why} address: webhooks go only to public addresses")
    return None


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by one deadline (a slow peer cannot hold a worker)."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float):
        self._inner, self._deadline = inner, deadline

    def _left(self, timeout: float | None) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("deadline passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, self._left(timeout)),
                               self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Opens connections to ``host`` at the address checked, whatever a later look-up would say."""

    def __init__(self, host: str, address: Address, deadline: float):
        self._inner = httpcore.SyncBackend()
        self._host, self._address, self._deadline = host, address, deadline

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options=None) -> httpcore.NetworkStream:
        if host != self._host:
            raise httpcore.ConnectError("not the host that was checked")
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("deadline passed")
        stream = self._inner.connect_tcp(str(self._address), port, timeout=min(timeout or left, left),
                                         local_address=local_address, socket_options=socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None):
        raise httpcore.ConnectError("no local sockets")

    def sleep(self, seconds: float) -> None:  # pragma: no cover (retries are off)
        time.sleep(seconds)


class _PinnedTransport(httpx.HTTPTransport):
    def __init__(self, *, host: str, address: Address, deadline: float, verify: ssl.SSLContext | bool):
        super().__init__(verify=verify, trust_env=False)
        context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify=verify)
        # httpx builds its pool without a way to choose the network backend; this one is the same pool
        # with the pinned backend (tests/test_outbound.py would catch an httpx that changed this).
        self._pool = httpcore.ConnectionPool(ssl_context=context, max_connections=1, retries=0,
                                             network_backend=_PinnedBackend(host, address, deadline))


def post(url: str, *, content: bytes, headers: dict[str, str], timeout: float, allow_private: bool,
         resolve: Resolver | None = None, verify: ssl.SSLContext | bool = True) -> int:
    """POST ``content`` to ``url``; returns the HTTP status (a redirect is just its 3xx).

    Raises OutboundError with a generic message: refused, unresolvable, failed or timed out.
    The response body is not read.
    """
    deadline = time.monotonic() + timeout
    parsed = _parse(url)
    addresses = _addresses(parsed, resolve)
    if not allow_private and any(address_refusal(a) is not None for a in addresses):
        raise OutboundError(REFUSED)
    transport = _PinnedTransport(host=parsed.raw_host.decode("ascii"), address=addresses[0], deadline=deadline,
                                 verify=verify)
    with httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False) as client:
        try:
            with client.stream("POST", parsed, content=content, headers=headers) as response:
                return response.status_code
        except httpx.TimeoutException:
            raise OutboundError(TIMED_OUT) from None
        except (httpx.HTTPError, OSError, ssl.SSLError):
            raise OutboundError(FAILED) from None
