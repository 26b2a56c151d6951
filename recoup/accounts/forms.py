"""The login form (password, then the authenticator code where the user has one) and the code form."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from recoup.accounts.totp import confirmed_device

CODE_HELP = "Six digits from your authenticator app; leave empty if you have not set one up."


def check_code(device, code: str) -> None:
    """Raise ValidationError unless ``code`` is the device's current one (throttled by django-otp)."""
    allowed, extra = device.verify_is_allowed()
    if not allowed:
        raise forms.ValidationError("Too many wrong codes; wait a minute and try again.", code="throttled")
    if not device.verify_token(code.replace(" ", "")):
        raise forms.ValidationError("That code is not right (or has expired).", code="invalid_code")


class LoginForm(AuthenticationForm):
    code = forms.CharField(label="Code", required=False, max_length=12, help_text=CODE_HELP,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        device = confirmed_device(user)
        if device is not None:
            code = (cleaned.get("code") or "").strip()
            if not code:
                raise forms.ValidationError("Enter the code from your authenticator app.", code="code_required")
            check_code(device, code)
            user.otp_device = device  # django-otp marks the session verified on login
        return cleaned


class CodeForm(forms.Form):
    code = forms.CharField(label="Code", max_length=12,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        check_code(self.device, code)
        return code
