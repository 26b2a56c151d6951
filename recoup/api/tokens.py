"""API tokens: ``rcp_<prefix>_<secret>``; only the SHA-256 of the whole token is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX_BYTES = 6  # 12 hex characters, public, to find the row


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh token and its public prefix."""
    prefix = secrets.token_hex(PREFIX_BYTES)
    return f"rcp_{prefix}_{secrets.token_urlsafe(32)}", prefix


def split_prefix(token: str) -> str | None:
    """The public prefix of a well-formed token, else None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "rcp" or len(parts[1]) != PREFIX_BYTES * 2 or not parts[2]:
        return None
    return parts[1]


def matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(token_hash(token), stored_hash)
