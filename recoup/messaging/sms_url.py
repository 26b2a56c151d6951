"""Parse RECOUP_SMS_URL: where text messages go.

    console://                         print them on standard output
    file://  or  file:///some/dir      write one .txt file each (default: VAR_DIR/sms)
    twilio://SID:TOKEN@+15005550006    Twilio's REST API, sending from that number;
        ?base=http://127.0.0.1:8080    another API base URL (a local fake in tests)
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from recoup.lib.env import ConfigError

TWILIO_BASE = "https://api.twilio.com"


@dataclass(frozen=True)
class SmsConfig:
    backend: str  # console, file or twilio
    directory: str = ""
    account_sid: str = ""
    auth_token: str = ""
    from_number: str = ""
    base_url: str = TWILIO_BASE


def parse_sms_url(url: str) -> SmsConfig:
    """Turn a RECOUP_SMS_URL into an SmsConfig; raises ConfigError naming what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme == "console":
        return SmsConfig(backend="console")
    if parts.scheme == "file":
        return SmsConfig(backend="file", directory=unquote(parts.path) if parts.path not in ("", "/") else "")
    if parts.scheme != "twilio":
        raise ConfigError(f"RECOUP_SMS_URL scheme {parts.scheme!r} is not one of console, file, twilio")
    credentials, _, sender = parts.netloc.rpartition("@")
    sid, _, token = credentials.partition(":")
    if not (sid and token and sender):
        raise ConfigError("RECOUP_SMS_URL for twilio needs twilio://ACCOUNT_SID:AUTH_TOKEN@FROM_NUMBER")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    base = query.get("base", TWILIO_BASE).rstrip("/")
    if urlsplit(base).scheme not in ("http", "https"):
        raise ConfigError(f"RECOUP_SMS_URL base {base!r} is not an http(s) URL")
    return SmsConfig(backend="twilio", account_sid=unquote(sid), auth_token=unquote(token),
                     from_number=unquote(sender), base_url=base)
