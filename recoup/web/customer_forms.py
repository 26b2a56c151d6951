"""Forms to enter and edit customers and their contacts; customer_actions does the writing."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django import forms

from recoup.collections.models import CustomerPolicy, CustomerTag, Policy
from recoup.core.money import from_minor, parse_amount, to_minor
from recoup.ledger.customer_actions import CONTACT_FIELDS, CustomerInputError
from recoup.ledger.models import Channel, Contact, Customer, CustomerKind, CustomerStatus, PaymentTerms
from recoup.orgs.models import Organization

TIMEZONES = sorted(available_timezones())


def add_action_error(form: forms.Form, exc: CustomerInputError, renamed: dict[str, str] | None = None) -> None:
    """Show an action's refusal on the field it names, else above the form."""
    field = (renamed or {}).get(exc.field, exc.field)
    form.add_error(field if field in form.fields else None, str(exc))


class CustomerForm(forms.Form):
    ref = forms.CharField(max_length=64, label="Reference", help_text="Unique in this organization, e.g. C0042")
    kind = forms.ChoiceField(choices=CustomerKind.choices, initial=CustomerKind.BUSINESS)
    legal_name = forms.CharField(max_length=200)
    display_name = forms.CharField(max_length=200, required=False, help_text="Shown instead of the legal name")
    country = forms.CharField(max_length=2, required=False, help_text="ISO 3166 code, e.g. GB",
                              widget=forms.TextInput(attrs={"size": 3, "autocomplete": "country"}))
    region = forms.CharField(max_length=10, required=False, help_text="ISO 3166-2 subdivision, e.g. CA")
    timezone = forms.CharField(max_length=64, required=False, label="Time zone", help_text="e.g. Europe/London",
                               widget=forms.TextInput(attrs={"list": "timezones", "autocomplete": "off"}))
    language = forms.CharField(max_length=16, required=False, help_text="e.g. en, de, fr-CA")
    credit_limit = forms.CharField(max_length=32, required=False,
                                   widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    default_terms = forms.ModelChoiceField(queryset=PaymentTerms.objects.none(), required=False,
                                           empty_label="(the organization's default)", label="Default terms")
    status = forms.ChoiceField(choices=CustomerStatus.choices, initial=CustomerStatus.ACTIVE)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    tags = forms.CharField(max_length=500, required=False, help_text="Comma separated, e.g. vip, public-sector",
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    policy = forms.ModelChoiceField(queryset=Policy.objects.none(), required=False, label="Collections policy",
                                    empty_label="— follow the rules —",
                                    help_text="The rules: a tag rule, else the default for the customer's kind")

    def __init__(self, *args, org: Organization, customer: Customer | None = None, **kwargs):
        if customer is not None:
            kwargs.setdefault("initial", self._initial(org, customer))
        super().__init__(*args, **kwargs)
        self.org = org
        # Only this organization's terms: another one's id is "not a valid choice".
        self.fields["default_terms"].queryset = PaymentTerms.objects.for_org(org).order_by("name")
        self.fields["policy"].queryset = Policy.objects.for_org(org).order_by("name")
        self.fields["credit_limit"].label = f"Credit limit ({org.base_currency})"
        self.fields["credit_limit"].help_text = "Dot as decimal separator; leave empty for no limit"

    @staticmethod
    def _initial(org: Organization, customer: Customer) -> dict:
        initial = {f: getattr(customer, f) for f in ("ref", "kind", "legal_name", "display_name", "country", "region",
                                                     "timezone", "language", "status", "notes")}
        initial["default_terms"] = customer.default_terms_id
        if customer.credit_limit_minor is not None:
            initial["credit_limit"] = from_minor(customer.credit_limit_minor, org.base_currency)
        initial["tags"] = ", ".join(CustomerTag.objects.for_org(org).filter(customer=customer)
                                    .values_list("tag", flat=True))
        initial["policy"] = (CustomerPolicy.objects.for_org(org).filter(customer=customer)
                             .values_list("policy_id", flat=True).first())
        return initial

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if country and not (len(country) == 2 and country.isalpha()):
            raise forms.ValidationError("Use the two-letter ISO 3166 code, e.g. GB.")
        return country

    def clean_region(self) -> str:
        return self.cleaned_data["region"].strip().upper()

    def clean_timezone(self) -> str:
        name = self.cleaned_data["timezone"].strip()
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise forms.ValidationError(f"{name!r} is not a known time zone (e.g. Europe/London).") from None
        return name

    def clean_credit_limit(self) -> int | None:
        text = self.cleaned_data["credit_limit"].strip()
        if not text:
            return None
        try:
            value = parse_amount(text, self.org.base_currency)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        if value < 0:
            raise forms.ValidationError("The credit limit must be zero or more.")
        return to_minor(value, self.org.base_currency)

    def clean_tags(self) -> list[str]:
        tags = [t.strip().lower() for t in self.cleaned_data["tags"].split(",") if t.strip()]
        for tag in tags:
            if len(tag) > 50:
                raise forms.ValidationError(f"Tag {tag[:20]!r}… is too long: use at most 50 characters.")
        return tags

    def customer_fields(self) -> dict:
        """The cleaned values as ``customer_create``/``customer_update`` take them."""
        data = {k: v for k, v in self.cleaned_data.items() if k not in COLLECTIONS_FIELDS}
        data["credit_limit_minor"] = data.pop("credit_limit")
        return data

    def collections_fields(self) -> dict:
        """Tags and the policy override, as ``customer_tags_set``/``policy_assign_customer`` take them."""
        return {k: self.cleaned_data[k] for k in COLLECTIONS_FIELDS}


COLLECTIONS_FIELDS = ("tags", "policy")


RENAMED_CUSTOMER_FIELDS = {"credit_limit_minor": "credit_limit"}


class ContactForm(forms.Form):
    name = forms.CharField(max_length=200)
    role = forms.CharField(max_length=100, required=False, help_text="e.g. Accounts payable")
    email = forms.EmailField(required=False, label="E-mail")
    phone = forms.CharField(max_length=32, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    postal_address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}))
    preferred_channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.EMAIL)
    opt_out_email = forms.BooleanField(required=False, label="No e-mail")
    opt_out_sms = forms.BooleanField(required=False, label="No SMS")
    opt_out_letter = forms.BooleanField(required=False, label="No letters")
    opt_out_phone = forms.BooleanField(required=False, label="No phone calls")
    is_billing = forms.BooleanField(required=False, initial=True, label="Billing contact",
                                    help_text="Receives invoices, statements and reminders")

    def __init__(self, *args, contact: Contact | None = None, **kwargs):
        if contact is not None:
            kwargs.setdefault("initial", {f: getattr(contact, f) for f in CONTACT_FIELDS})
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        cleaned = super().clean()
        channel = cleaned.get("preferred_channel")
        if channel and cleaned.get(f"opt_out_{channel}"):
            self.add_error("preferred_channel", "This contact opted out of the preferred channel; choose another.")
        return cleaned

