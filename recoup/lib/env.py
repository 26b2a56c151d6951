"""Read settings from the environment, failing loudly on bad values."""

from __future__ import annotations

import os


class ConfigError(ValueError):
    """An environment variable holds a value Recoup cannot use."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: str = "false") -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean (use true or false)")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default).strip()
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a whole number") from None


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envhexlist(name: str, *, length: int) -> list[str]:
    """A comma-separated list of hex strings of ``length`` digits each (lower-cased); empty when unset."""
    items = [item.strip().lower() for item in os.environ.get(name, "").split(",") if item.strip()]
    for item in items:
        if len(item) != length or any(c not in "0123456789abcdef" for c in item):
            raise ConfigError(f"{name}: {item!r} is not {length} hex digits")
    return items
