"""SMS through a provider adapter chosen by RECOUP_SMS_URL (see ``sms_url``)."""

from __future__ import annotations

import base64
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from django.conf import settings

from recoup.lib.env import envstr
from recoup.messaging.channels.base import Channel, DeliveryError, SendResult
from recoup.messaging.models import Message
from recoup.messaging.sms_url import SmsConfig, parse_sms_url

# Twilio error codes that say the number itself is wrong (retrying cannot help).
TWILIO_PERMANENT = {21211, 21214, 21217, 21407, 21408, 21610, 21612, 21614}


def sms_config() -> SmsConfig:
    return parse_sms_url(getattr(settings, "RECOUP_SMS_URL", None) or envstr("RECOUP_SMS_URL", "file://"))


def _safe_name(message: Message) -> str:
    return message.message_id.strip("<>").partition("@")[0] or str(message.pk)


def send_console(config: SmsConfig, message: Message) -> str:
    sys.stdout.write(f"SMS to {message.to_address}:\n{message.body_text}\n")
    return f"console-{_safe_name(message)}"


def send_file(config: SmsConfig, message: Message) -> str:
    folder = Path(config.directory) if config.directory else Path(settings.VAR_DIR) / "sms"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_safe_name(message)}.txt"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"To: {message.to_address}\nMessage-ID: {message.message_id}\n\n{message.body_text}\n",
                   encoding="utf-8")
    os.replace(tmp, path)  # a killed process leaves no half-written file
    return str(path)


def send_twilio(config: SmsConfig, message: Message) -> str:
    url = f"{config.base_url}/2010-04-01/Accounts/{urllib.parse.quote(config.account_sid)}/Messages.json"
    form = urllib.parse.urlencode({"To": message.to_address, "From": config.from_number,
                                   "Body": message.body_text}).encode()
    auth = base64.b64encode(f"{config.account_sid}:{config.auth_token}".encode()).decode()
    request = urllib.request.Request(url, data=form, method="POST", headers={
        "Authorization": f"Basic {auth}", "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}").get("sid", "")
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read() or b"{}")
        except ValueError:
            body = {}
        code = body.get("code")
        detail = f"Twilio HTTP {exc.code}" + (f", error {code}: {body.get('message', '')}" if code else "")
        raise DeliveryError(detail, permanent=exc.code < 500 and code in TWILIO_PERMANENT) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DeliveryError(f"Twilio unreachable: {exc}") from exc


ADAPTERS = {"console": send_console, "file": send_file, "twilio": send_twilio}


class SmsChannel(Channel):
    def send(self, message: Message) -> SendResult:
        config = sms_config()
        return SendResult(provider_id=ADAPTERS[config.backend](config, message))
