"""Two-factor devices (django-otp TOTP): which a user has, enrolling one, its QR code."""

from __future__ import annotations

from base64 import b32encode

import segno
from django_otp.plugins.otp_totp.models import TOTPDevice


def confirmed_device(user) -> TOTPDevice | None:
    """The user's confirmed authenticator, if any."""
    if not getattr(user, "pk", None):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user) -> TOTPDevice:
    """The unconfirmed device being set up (made on first call, reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The shared secret in base32, grouped by four, for typing into an app by hand."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def qr_svg_data_uri(device: TOTPDevice) -> str:
    """The provisioning URL as an SVG QR code, as a data: URI for an <img>."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=4, border=2)
