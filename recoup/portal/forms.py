"""The portal's forms. Labels are translated; amounts are typed in major units and checked exactly."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from recoup.core.display import format_day
from recoup.core.money import format_money, from_minor, parse_amount, to_minor
from recoup.ledger.models import Channel

MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENT_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                    ".txt": "text/plain"}


def invoice_label(invoice, lang: str) -> str:
    amount = format_money(from_minor(invoice.open_minor, invoice.currency), invoice.currency, locale=lang)
    return _("%(number)s: %(amount)s open, due %(due)s") % {
        "number": invoice.number, "amount": amount, "due": format_day(invoice.due_date, lang)}


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class InvoicesForm(forms.Form):
    """A form about some of the customer's open invoices (all ticked to start with)."""

    invoices = forms.MultipleChoiceField(label=_("Invoices"), widget=forms.CheckboxSelectMultiple,
                                         error_messages={"required": _("Please choose at least one invoice.")})

    def __init__(self, *args, invoices=(), lang: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        self.open_invoices = list(invoices)
        self.fields["invoices"].choices = [(str(i.pk), invoice_label(i, lang)) for i in self.open_invoices]
        self.fields["invoices"].initial = [str(i.pk) for i in self.open_invoices]

    def chosen(self) -> list:
        ids = set(self.cleaned_data["invoices"])
        return [i for i in self.open_invoices if str(i.pk) in ids]

    def currency(self) -> str:
        chosen = self.chosen()
        return chosen[0].currency if chosen else ""

    def amount_minor(self, field: str) -> int | None:
        """An optional amount field in the chosen invoices' currency, in minor units."""
        text = (self.cleaned_data.get(field) or "").strip().replace(" ", "")
        if not text:
            return None
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            amount = parse_amount(text, self.currency())
        except ValueError:
            self.add_error(field, _("Enter an amount such as 120.50."))
            return None
        if amount <= Decimal(0):
            self.add_error(field, _("Enter an amount more than zero."))
            return None
        return to_minor(amount, self.currency())


class PayForm(InvoicesForm):
    pass


class PlanForm(InvoicesForm):
    FREQUENCIES = [("weekly", _("Weekly")), ("fortnightly", _("Every two weeks")), ("monthly", _("Monthly"))]

    instalments = forms.IntegerField(label=_("Number of payments"), min_value=1, max_value=60, initial=3)
    frequency = forms.ChoiceField(label=_("How often"), choices=FREQUENCIES, initial="monthly")
    first_date = forms.DateField(label=_("Date of the first payment"), widget=DateInput)
    down_payment = forms.CharField(label=_("Down payment now (optional)"), required=False, max_length=20)


class PromiseForm(InvoicesForm):
    pay_by = forms.DateField(label=_("I will pay by"), widget=DateInput)
    amount = forms.CharField(label=_("Amount (leave empty for the full amount)"), required=False, max_length=20)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class DisputeForm(InvoicesForm):
    CATEGORIES = [("wrong_amount", _("The amount is wrong")), ("not_delivered", _("Not delivered")),
                  ("quality", _("A problem with quality")), ("already_paid", _("Already paid")),
                  ("other", _("Something else"))]

    category = forms.ChoiceField(label=_("What is the problem?"), choices=CATEGORIES)
    amount = forms.CharField(label=_("Amount in dispute (leave empty if all of it)"), required=False, max_length=20)
    message = forms.CharField(label=_("Tell us what happened"), widget=forms.Textarea(attrs={"rows": 5}),
                              max_length=4000)
    attachments = MultipleFileField(label=_("Documents or photos (PDF, PNG, JPEG or text; up to 5 files of 5 MB)"),
                                    required=False)

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(_("Please attach at most %(n)s files.") % {"n": MAX_ATTACHMENTS})
        out = []
        for f in files:
            ext = "." + f.name.rsplit(".", 1)[-1].lower() if "." in f.name else ""
            if ext not in ATTACHMENT_TYPES:
                raise forms.ValidationError(_("%(name)s: please attach PDF, PNG, JPEG or text files.") % {"name": f.name})
            if f.size > MAX_ATTACHMENT_BYTES:
                raise forms.ValidationError(_("%(name)s is larger than 5 MB.") % {"name": f.name})
            out.append((f.name[-200:], ATTACHMENT_TYPES[ext], f.read()))
        return out


class CheckboxField(forms.BooleanField):
    """A yes/no box drawn before its label, on its own line: a debtor ticking "No text messages" ticks that box."""

    def __init__(self, **kwargs):
        kwargs.setdefault("template_name", "portal/_checkbox.html")
        super().__init__(**kwargs)


class PreferencesForm(forms.Form):
    LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
    CHANNELS = [(Channel.EMAIL, _("E-mail")), (Channel.SMS, _("Text message (SMS)")),
                (Channel.LETTER, _("Letter")), (Channel.PHONE, _("Phone call"))]

    opt_out_email = CheckboxField(label=_("No e-mails"), required=False)
    opt_out_sms = CheckboxField(label=_("No text messages (SMS)"), required=False)
    opt_out_letter = CheckboxField(label=_("No letters"), required=False)
    opt_out_phone = CheckboxField(label=_("No phone calls"), required=False)
    preferred_channel = forms.ChoiceField(label=_("I prefer to be contacted by"), choices=CHANNELS)
    contact_from = forms.TimeField(label=_("Best time to contact me: from"), required=False, widget=TimeInput)
    contact_to = forms.TimeField(label=_("to"), required=False, widget=TimeInput)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)

    def opt_out(self) -> dict[str, bool]:
        return {ch: self.cleaned_data[f"opt_out_{ch}"] for ch in Channel.values}


class MessageForm(forms.Form):
    text = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 6}), max_length=4000)
