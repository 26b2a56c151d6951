"""Tokens encrypted at rest with a key that is never in the database (Fernet: AES-128-CBC + HMAC).

The key comes from ``RECOUP_CONNECTIONS_KEY`` (one or more Fernet keys, comma-separated), else
from ``connections.key`` in the var directory (one key per line), written 0600 on first use.
The first key encrypts; every key decrypts, so a key is rotated by putting a new one first and
running ``recoup connections --rotate-key`` (re-encrypts every token), then dropping the old one.
A backup (``recoup backup``) holds the database, so only ciphertext: the key file stays out of it
(docs/connections.md). Nothing here logs a token or a key.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

KEY_FILE = "connections.key"
ENV = "RECOUP_CONNECTIONS_KEY"


class TokenKeyError(RuntimeError):
    """The key is missing, malformed, or does not open a stored token (restored without its key)."""


def key_path() -> Path:
    return Path(settings.VAR_DIR) / KEY_FILE


def _keys() -> list[bytes]:
    text = os.environ.get("RECOUP_CONNECTIONS_KEY", "")
    if text.strip():
        return [k.strip().encode() for k in text.split(",") if k.strip()]
    path = key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(Fernet.generate_key().decode() + "\n")
    return [line.strip().encode() for line in path.read_text().splitlines() if line.strip()]


def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(k) for k in _keys()])
    except (ValueError, TypeError):
        raise TokenKeyError(f"the connections key ({ENV} or {KEY_FILE}) is not a Fernet key") from None


def encrypt(text: str) -> str:
    if not text:
        return ""
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise TokenKeyError("a stored token cannot be opened with the connections key "
                            "(restored without its key?): reconnect") from None


def rotate(token: str) -> str:
    """The same secret encrypted with the first key."""
    return _fernet().rotate(token.encode()).decode() if token else ""


def add_key_to_file() -> None:
    """Put a new key first in the key file (the old ones stay, to open what they encrypted)."""
    if os.environ.get("RECOUP_CONNECTIONS_KEY", "").strip():
        raise TokenKeyError(f"the key comes from {ENV}: put the new key first there")
    old = _keys()
    path = key_path()
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join([Fernet.generate_key().decode(), *(k.decode() for k in old)]) + "\n")
    os.replace(tmp, path)
