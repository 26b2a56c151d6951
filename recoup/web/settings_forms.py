"""Forms for the owner's settings pages; recoup.orgs.actions and recoup.ledger.terms_actions do the writing."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from django import forms
from django.contrib.auth import get_user_model, password_validation

from recoup.core.money import from_minor, to_minor
from recoup.core.terms import LateFeeKind, Terms, discount_deadline, due_date
from recoup.ledger.models import PaymentTerms
from recoup.orgs.actions import ORG_FIELDS
from recoup.orgs.models import Membership, Organization, PaymentOrder, Role, SendMode

_TZ_WIDGET = forms.TextInput(attrs={"list": "timezones", "autocomplete": "off"})


def _days(**kwargs) -> forms.IntegerField:
    # A text box like the other forms' (the stylesheet styles text inputs), with a numeric keypad on phones.
    return forms.IntegerField(min_value=0, widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 5}),
                              **kwargs)


def _number(**kwargs) -> forms.DecimalField:
    return forms.DecimalField(min_value=0, widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
                              **kwargs)


class OrgSettingsForm(forms.Form):
    legal_name = forms.CharField(max_length=200)
    address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}))
    country = forms.CharField(max_length=2, help_text="ISO 3166 code, e.g. GB",
                              widget=forms.TextInput(attrs={"size": 3, "autocomplete": "country"}))
    region = forms.CharField(max_length=10, required=False, help_text="ISO 3166-2 subdivision, e.g. CA")
    base_currency = forms.CharField(max_length=3, help_text="ISO 4217 code; fixed once there are invoices",
                                    widget=forms.TextInput(attrs={"size": 4}))
    timezone = forms.CharField(max_length=64, label="Time zone", help_text="e.g. Europe/London", widget=_TZ_WIDGET)
    locale = forms.CharField(max_length=16, help_text="Language and region for dates and amounts, e.g. en_GB, de_DE; "
                                                         "imports read dates like 03/04/2026 day first when it "
                                                         "writes them so")
    sender_email = forms.EmailField(required=False, label="Sender e-mail", help_text="Reminders come from here")
    sender_phone = forms.CharField(max_length=32, required=False, label="Sender phone",
                                   widget=forms.TextInput(attrs={"type": "tel"}))
    bank_name = forms.CharField(max_length=100, required=False)
    bank_iban = forms.CharField(max_length=42, required=False, label="IBAN")
    bank_bic = forms.CharField(max_length=11, required=False, label="BIC")
    bank_account = forms.CharField(max_length=64, required=False, label="Account details",
                                   help_text="Where IBAN is not used, e.g. sort code and account number")
    tax_id = forms.CharField(max_length=32, required=False, label="Tax id", help_text="e.g. VAT number")
    default_terms = forms.ModelChoiceField(queryset=PaymentTerms.objects.none(), required=False,
                                           empty_label="(Net 30)", label="Default payment terms")
    cycle_time = forms.TimeField(label="Daily chase at", widget=forms.TimeInput(attrs={"type": "time"}),
                                 help_text="Local time (in the time zone above) when the day's reminders are decided")
    send_mode = forms.ChoiceField(choices=SendMode.choices, label="Sending", required=False,
                                  help_text="A policy step may say otherwise")
    draft_expiry_days = _days(label="Drafts expire after (days)", max_value=60, required=False,
                              help_text="An unapproved draft expires; the next cycle decides afresh")
    send_window_start = forms.TimeField(label="Deliver from", required=False, widget=forms.TimeInput(attrs={"type": "time"}),
                                        help_text="In the debtor's local time; the law's hours also apply")
    send_window_end = forms.TimeField(label="Deliver until", required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    send_window_weekdays = forms.MultipleChoiceField(
        choices=[(str(i), name) for i, name in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), 1)],
        widget=forms.CheckboxSelectMultiple, label="Deliver on", required=False)
    manual_contact_quiet_days = _days(label="Quiet days after a personal contact", max_value=60, required=False,
                                      help_text="A manual message, a logged call or a reply postpones automatic "
                                                "steps by this many days")
    payment_order = forms.ChoiceField(choices=PaymentOrder.choices, required=False,
                                      label="A payment settles first")
    require_owner_2fa = forms.BooleanField(required=False, label="Owners sign in with a code",
                                           help_text="From an authenticator app, after the password")
    collector_write_off_limit = forms.DecimalField(
        min_value=0, max_digits=15, decimal_places=3, required=False, label="Collectors may write off up to",
        help_text="Per write-off, in the base currency; 0: only owners write off")

    SENDING = ("send_mode", "draft_expiry_days", "send_window_start", "send_window_end", "send_window_weekdays",
               "manual_contact_quiet_days", "payment_order")

    def __init__(self, *args, org: Organization, **kwargs):
        initial = {f: getattr(org, f) for f in ORG_FIELDS if f not in ("default_terms", "collector_write_off_limit_minor")}
        initial["send_window_weekdays"] = list(org.send_window_weekdays)
        initial["collector_write_off_limit"] = from_minor(org.collector_write_off_limit_minor, org.base_currency)
        kwargs.setdefault("initial", {**initial, "default_terms": org.default_terms_id})
        super().__init__(*args, **kwargs)
        self.org = org
        # Only this organization's terms: another one's id is "not a valid choice".
        self.fields["default_terms"].queryset = PaymentTerms.objects.for_org(org).order_by("name")

    def clean(self):
        data = super().clean()
        # The sending settings are left as they are when not given (older clients, scripts).
        for name in self.SENDING:
            if name not in self.data and name in data:
                del data[name]
        if "send_window_weekdays" in data:
            data["send_window_weekdays"] = "".join(data["send_window_weekdays"])
        limit = data.pop("collector_write_off_limit", None)
        if limit is not None:
            currency = data.get("base_currency") or self.org.base_currency
            try:
                data["collector_write_off_limit_minor"] = to_minor(limit, currency.upper())
            except (ValueError, ArithmeticError) as exc:
                self.add_error("collector_write_off_limit", str(exc))
        return data


class TermsForm(forms.Form):
    name = forms.CharField(max_length=60, help_text="Unique in this organization, e.g. 2/10 Net 30")
    net_days = _days(initial=30, label="Net days", help_text="Days until due")
    end_of_month = forms.BooleanField(required=False, label="Count from the end of the month of issue")
    discount_percent = _number(max_value=100, decimal_places=2, initial=0,
                                          label="Early-payment discount (%)")
    discount_days = _days(initial=0, label="Discount days",
                                       help_text="Paid within this many days of issue earns the discount")
    late_fee_kind = forms.ChoiceField(choices=[(k.value, k.value.replace("_", " ").capitalize().replace(
        "monthly", "per month")) for k in LateFeeKind], initial=LateFeeKind.NONE.value, label="Late fee")
    late_fee_flat = _number(decimal_places=3, initial=0, label="Flat late fee",
                                       help_text="In the invoice's currency")
    late_fee_percent = _number(max_value=100, decimal_places=3, initial=0,
                                          label="Late fee (% of the overdue amount)")
    grace_days = _days(initial=0, label="Grace days",
                                    help_text="Days after the due date before a late fee")

    def __init__(self, *args, terms: PaymentTerms | None = None, **kwargs):
        if terms is not None:
            kwargs.setdefault("initial", {f: getattr(terms, f) for f in self.base_fields})
        super().__init__(*args, **kwargs)


class MemberAddForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False, label="E-mail")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)
    password = forms.CharField(required=False, label="Initial password", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text="For a new user; someone who already has a login keeps their password")

    def __init__(self, *args, org: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        self.existing = None

    def clean(self) -> dict:
        cleaned = super().clean()
        username = cleaned.get("username")
        if not username:
            return cleaned
        self.existing = get_user_model().objects.filter(username=username).first()
        if self.existing is not None:
            if Membership.objects.filter(org=self.org, user=self.existing).exists():
                self.add_error("username", f"{username} is already a member; change the role in the list below.")
            # Never let one organization's owner reset the password of another's user.
            cleaned["password"] = None
        elif not cleaned.get("password"):
            self.add_error("password", "A new user needs an initial password.")
        else:
            user = get_user_model()(username=username, email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(cleaned["password"], user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


def terms_example(terms: Terms, issue: date, locale: str, currency: str) -> str:
    """One line that shows what the terms mean for an invoice issued on ``issue``."""
    def day(d: date) -> str:
        return format_date(d, "d MMMM", locale=locale or "en")

    text = f"An invoice of {day(issue)} is due {day(due_date(issue, terms))}"
    deadline = discount_deadline(issue, terms)
    if deadline is not None:
        text += f"; {terms.discount_percent.normalize():f} % off if paid by {day(deadline)}"
    kind, grace = terms.late_fee_kind, f" and {terms.grace_days} days' grace" if terms.grace_days else ""
    if kind is LateFeeKind.FLAT:
        text += f"; after that{grace}, a late fee of {terms.late_fee_flat.normalize():f} {currency}"
    elif kind is LateFeeKind.PERCENT_ONCE:
        text += f"; after that{grace}, a late fee of {terms.late_fee_percent.normalize():f} %"
    elif kind is LateFeeKind.PERCENT_MONTHLY:
        text += f"; after that{grace}, a late fee of {terms.late_fee_percent.normalize():f} % per month"
    return text + "."
