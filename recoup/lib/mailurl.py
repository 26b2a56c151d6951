"""Parse RECOUP_EMAIL_URL into Django's email settings."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from recoup.lib.env import ConfigError

_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
}


@dataclass(frozen=True)
class EmailConfig:
    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    file_path: str = ""  # file://DIR: one file per e-mail there ("" = the caller's default folder)


def parse_email_url(url: str) -> EmailConfig:
    """Turn e.g. ``smtp://user:pw@mail.example.com:587?tls=1`` or ``file:///srv/mail`` into settings."""
    parts = urlsplit(url)
    if parts.scheme not in _BACKENDS:
        raise ConfigError(
            f"RECOUP_EMAIL_URL scheme {parts.scheme!r} is not one of {', '.join(sorted(_BACKENDS))}"
        )
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    ssl = parts.scheme == "smtps" or query.get("ssl") in {"1", "true"}
    try:
        port = parts.port or (465 if ssl else 25)
    except ValueError:
        raise ConfigError(f"RECOUP_EMAIL_URL has a bad port: {url!r}") from None
    return EmailConfig(
        backend=_BACKENDS[parts.scheme],
        host=parts.hostname or "localhost",
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=query.get("tls") in {"1", "true"},
        use_ssl=ssl,
        file_path=unquote(parts.path) if parts.scheme == "file" else "",
    )
