"""Outbound HTTP to owners' URLs: internal addresses refused, the checked address pinned, no redirects,
generic errors, one deadline. Real local peers (plain and TLS) stand in for the receiver."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme

from recoup.lib import outbound
from recoup.lib.outbound import FAILED, REFUSED, TIMED_OUT, OutboundError, address_refusal, post, refusal


class Peer:
    """A local HTTP(S) server recording each request's Host header; answers ``status`` (and ``location``)."""

    def __init__(self, *, status: int = 200, location: str = "", tls: ssl.SSLContext | None = None,
                 delay: float = 0.0):
        self.hosts: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.hosts.append(self.headers["Host"])
                time.sleep(delay)
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def peers():
    made = []

    def make(**kw):
        made.append(Peer(**kw))
        return made[-1]

    yield make
    for p in made:
        p.close()


def to_loopback(calls):
    def resolve(host, port):
        calls.append(host)
        return ["127.0.0.1"]
    return resolve


def send(url, **kw):
    kw.setdefault("allow_private", True)
    kw.setdefault("timeout", 5)
    return post(url, content=b"{}", headers={"Content-Type": "application/json"}, **kw)


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "100.127.255.254",
    "169.254.169.254", "169.254.0.1", "0.0.0.0", "224.0.0.1", "233.1.1.1", "239.255.255.250", "240.0.0.1",
    "255.255.255.255", "192.0.2.1", "198.18.0.1", "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::", "2002:a00:1::",
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2001::1", "::127.0.0.1",
])
def test_internal_addresses_are_refused(address):
    assert address_refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700::1111",
                                     "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::"])
def test_public_addresses_pass(address):
    assert address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://localhost:8000/admin", "http://2130706433/", "http://0x7f.1/", "http://0/",
    "http://017700000001/", "http://127.1/", "http://[::1]:80/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/", "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/",
    "http://100.64.1.1/", "https://10.0.0.1/", "http://192.168.0.1:22/", "http://[fd00::5]/",
])
def test_subscribing_refuses_internal_urls_in_every_spelling(url):
    why = refusal(url, allow_private=False)
    assert why is not None and "public addresses" in why


def test_a_name_is_judged_by_what_it_resolves_to():
    why = refusal("https://hooks.example.com/x", allow_private=False, resolve=lambda h, p: ["10.9.8.7"])
    assert why == "hooks.example.com is 10.9.8.7, a private address: webhooks go only to public addresses"
    assert refusal("https://hooks.example.com/x", allow_private=False, resolve=lambda h, p: ["93.184.216.34"]) is None
    mixed = lambda h, p: ["93.184.216.34", "127.0.0.1"]  # noqa: E731
    assert refusal("https://hooks.example.com/x", allow_private=False, resolve=mixed) is not None
    assert refusal("ftp://example.com/", allow_private=True) == "'ftp://example.com/' is not an http(s) URL"


def test_the_install_setting_allows_private_targets():
    assert refusal("http://127.0.0.1:9000/", allow_private=True) is None


def test_delivery_refuses_an_internal_address_without_connecting(peers):
    peer = peers()
    with pytest.raises(OutboundError) as caught:
        send(f"http://127.0.0.1:{peer.port}/hooks", allow_private=False)
    assert str(caught.value) == REFUSED and peer.hosts == []
    with pytest.raises(OutboundError, match=REFUSED):  # a name that rebinds to loopback by the time it is sent
        send(f"http://hooks.example.com:{peer.port}/hooks", allow_private=False, resolve=to_loopback([]))
    assert peer.hosts == []


def test_it_connects_to_the_address_it_checked_with_the_original_host(peers):
    peer, calls = peers(), []
    assert send(f"http://hooks.example.com:{peer.port}/h", resolve=to_loopback(calls)) == 200
    assert calls == ["hooks.example.com"]  # one look-up: what was checked is what is reached
    assert peer.hosts == [f"hooks.example.com:{peer.port}"]


def test_tls_verifies_the_original_host_name(peers):
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("hooks.example.com").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    peer = peers(tls=server)
    assert send(f"https://hooks.example.com:{peer.port}/h", resolve=to_loopback([]), verify=client) == 200
    with pytest.raises(OutboundError, match=FAILED):  # the certificate is not for this name
        send(f"https://other.example.com:{peer.port}/h", resolve=to_loopback([]), verify=client)
    with pytest.raises(OutboundError, match=FAILED):  # nor trusted by default
        send(f"https://hooks.example.com:{peer.port}/h", resolve=to_loopback([]))


def test_redirects_are_not_followed(peers):
    inside = peers()
    peer = peers(status=302, location=f"http://127.0.0.1:{inside.port}/internal")
    assert send(f"http://127.0.0.1:{peer.port}/h") == 302
    assert inside.hosts == []


def test_errors_say_nothing_about_ports():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    with pytest.raises(OutboundError) as caught:
        send(f"http://127.0.0.1:{closed}/h")
    assert str(caught.value) == FAILED
    with pytest.raises(OutboundError, match="could not resolve host"):
        send("http://no-such-host.invalid/h", resolve=lambda h, p: (_ for _ in ()).throw(socket.gaierror(-2, "x")))


def test_a_slow_peer_is_cut_off_at_the_deadline(peers):
    peer = peers(delay=3)
    started = time.monotonic()
    with pytest.raises(OutboundError, match=TIMED_OUT):
        send(f"http://127.0.0.1:{peer.port}/h", timeout=0.5)
    assert time.monotonic() - started < 2


def test_a_trickling_peer_is_cut_off_at_the_deadline():
    """One byte of the answer every 0.2 s: each read is quick, the whole answer is not."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
                if stop.is_set():
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.2)

    threading.Thread(target=trickle, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(OutboundError, match=TIMED_OUT):
            send(f"http://127.0.0.1:{listener.getsockname()[1]}/h", timeout=1)
        assert time.monotonic() - started < 2
    finally:
        stop.set()
        listener.close()


def test_environment_proxies_are_not_used(peers, monkeypatch):
    peer = peers()
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    assert send(f"http://127.0.0.1:{peer.port}/h") == 200


def test_the_module_pins_through_httpx_internals_that_exist():
    """If httpx stops building its pool as ``_pool``, pinning would silently stop: fail here instead."""
    transport = outbound._PinnedTransport(host="h", address=ipaddress.ip_address("127.0.0.1"),
                                          deadline=time.monotonic() + 1, verify=True)
    assert isinstance(transport._pool._network_backend, outbound._PinnedBackend)
