"""The key that signs the audit chain's checkpoints: Ed25519, in a file outside the database.

The private key is a PEM file (``RECOUP_AUDIT_KEY_FILE``, default ``var/audit-signing-key.pem``),
made on first use with mode 0600. Whoever can change the database but not read this file cannot
sign a checkpoint, so a rewritten chain cannot be made to match the checkpoints already taken.
Only the public key (64 hex digits) is needed to check a signature; it travels in each checkpoint,
and ``RECOUP_AUDIT_TRUSTED_KEYS`` lists older public keys still trusted (a key replaced, or the key
of the machine a backup was restored from).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class SigningKeyError(Exception):
    """The key file exists but cannot be used; the message names it."""


def _load(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: not an Ed25519 key")
    return key


def signing_key(path: Path) -> Ed25519PrivateKey:
    """The key in ``path``, made there (mode 0600) when the file does not exist yet.

    Two processes making it at once end with one key: each writes a private temporary file and
    links it into place, and the one that finds the name taken reads the other's.
    """
    path = Path(path)
    if path.exists():
        return _load(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")  # mkstemp makes it 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)
    return _load(path)


def public_key_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def existing_public_key(path: Path) -> str | None:
    """The public key of the key in ``path``, or None when there is no key yet (nothing is made)."""
    return public_key_hex(_load(Path(path))) if Path(path).exists() else None


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    return key.sign(data).hex()


def signature_valid(public_hex: str, signature_hex: str, data: bytes) -> bool:
    """True when ``signature_hex`` is the signature of ``data`` by the key ``public_hex``."""
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        public.verify(bytes.fromhex(signature_hex), data)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
