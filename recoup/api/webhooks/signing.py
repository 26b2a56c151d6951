"""Webhook signatures: ``Recoup-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.

The receiver recomputes the HMAC over the timestamp, a dot and the raw body with the
endpoint's secret, compares in constant time, and refuses a timestamp older than a few
minutes (replays). ``verify`` is that recipe (docs/api.md shows it standalone).
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Recoup-Signature"
TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The signature is missing, malformed, stale or wrong."""


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS) -> None:
    """Raise SignatureError unless ``header`` signs ``body`` with ``secret`` within ``tolerance`` of ``now``."""
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts or not parts["t"].isdigit():
        raise SignatureError("malformed Recoup-Signature header")
    timestamp = int(parts["t"])
    if abs(now - timestamp) > tolerance:
        raise SignatureError(f"timestamp {timestamp} is more than {tolerance} s from now")
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts["v1"]):
        raise SignatureError("signature does not match")
