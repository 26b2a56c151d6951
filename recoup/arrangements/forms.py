"""Forms of the operator's arrangement pages: they parse and validate; actions write."""

from __future__ import annotations

from django import forms

from recoup.arrangements.models import Frequency, ReferralKind
from recoup.core.money import parse_amount, to_minor
from recoup.ledger.fields import CustomerField
from recoup.ledger.models import Customer, Invoice
from recoup.orgs.models import Organization
from recoup.web.forms import DateInput


def _amount_minor(form: forms.Form, field: str, currency: str | None, *, required: bool = True) -> int | None:
    text = (form.cleaned_data.get(field) or "").strip()
    if not text:
        if required:
            form.add_error(field, "Please give an amount.")
        return None
    if currency is None:
        return None
    try:
        value = parse_amount(text, currency)
    except ValueError as exc:
        form.add_error(field, str(exc))
        return None
    if value < 0:
        form.add_error(field, "The amount cannot be negative.")
        return None
    return to_minor(value, currency)


def _amount_field(label: str, required: bool = True, help_text: str = "Dot as decimal separator, e.g. 125.50"):
    return forms.CharField(label=label, required=required, max_length=32, help_text=help_text,
                           widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))


class CustomerChoiceForm(forms.Form):
    customer = CustomerField(label="Customer")

    def __init__(self, *args, org: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = (Customer.objects.for_org(org)
                                            .filter(invoices__open_minor__gt=0).distinct().order_by("ref"))


class _InvoicesForm(forms.Form):
    invoices = forms.ModelMultipleChoiceField(queryset=Invoice.objects.none(), widget=forms.CheckboxSelectMultiple,
                                              label="Invoices covered")

    def __init__(self, *args, org: Organization, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this customer's open invoices: any other id is "not a valid choice".
        self.fields["invoices"].queryset = (Invoice.objects.for_org(org).filter(customer=customer, open_minor__gt=0)
                                            .order_by("due_date", "number"))
        self.fields["invoices"].label_from_instance = (
            lambda inv: f"{inv.number}, due {inv.due_date}, open {inv.open_amount} {inv.currency}")

    def currency(self) -> str | None:
        invoices = self.cleaned_data.get("invoices") or []
        return invoices[0].currency if invoices else None


class PlanScheduleForm(forms.Form):
    instalments = forms.IntegerField(min_value=1, max_value=120, label="Number of instalments")
    frequency = forms.ChoiceField(choices=Frequency.choices, initial=Frequency.MONTHLY)
    first_date = forms.DateField(widget=DateInput(), label="First instalment on")
    down_payment = _amount_field("Down payment (optional)", required=False)

    currency_code: str | None = None

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["down_payment_minor"] = _amount_minor(self, "down_payment", self._currency(), required=False) or 0
        return cleaned

    def _currency(self) -> str | None:
        return self.currency_code


class PlanForm(_InvoicesForm, PlanScheduleForm):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Note (what was agreed)")

    field_order = ["invoices", "instalments", "frequency", "first_date", "down_payment", "note"]

    def _currency(self) -> str | None:
        return self.currency()


class PromiseForm(_InvoicesForm):
    pay_by = forms.DateField(widget=DateInput(), label="Promised payment date")
    amount = _amount_field("Amount promised", required=False, help_text="Leave empty for the whole open balance.")

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["amount_minor"] = _amount_minor(self, "amount", self.currency(), required=False)
        return cleaned


class SettlementForm(_InvoicesForm):
    amount = _amount_field("Settlement amount")
    deadline = forms.DateField(widget=DateInput(), label="Pay by")
    reason = forms.CharField(max_length=400, label="Reason", help_text="Goes on the write-off of the rest.")
    accepted = forms.BooleanField(required=False, label="The debtor already agreed (accept now)")

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["amount_minor"] = _amount_minor(self, "amount", self.currency())
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 3}), label="Reason")


class CreditForm(forms.Form):
    number = forms.CharField(max_length=64, label="Credit note number")
    amount = _amount_field("Credit amount")
    invoice = forms.ModelChoiceField(queryset=Invoice.objects.none(), label="On invoice")
    reason = forms.CharField(max_length=400, label="Reason")

    def __init__(self, *args, dispute, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency_code = dispute.currency
        self.fields["invoice"].queryset = dispute.invoices.order_by("due_date", "number")

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["amount_minor"] = _amount_minor(self, "amount", self.currency_code)
        return cleaned


class ReferralForm(forms.Form):
    kind = forms.ChoiceField(choices=ReferralKind.choices)
    neutral_party = forms.CharField(max_length=200, label="Mediator or arbitrator")
    referred_on = forms.DateField(widget=DateInput())
    hearing_on = forms.DateField(widget=DateInput(), required=False)


class OutcomeForm(forms.Form):
    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    binding = forms.BooleanField(required=False, label="Binding on both sides")
    concluded_on = forms.DateField(widget=DateInput())


class SettingsForm(forms.Form):
    max_months = forms.IntegerField(min_value=1, max_value=120, label="Longest plan online (months)")
    min_instalment = _amount_field("Smallest instalment online")
    max_balance = _amount_field("Largest balance for a plan online")
    promise_horizon_days = forms.IntegerField(min_value=0, max_value=365, label="Latest promise date (days ahead)")
    grace_days = forms.IntegerField(min_value=0, max_value=60, label="Grace days before a plan or promise breaks")
    reminder_days_before = forms.IntegerField(min_value=0, max_value=30, label="Instalment reminder (days before)")
    dispute_sla_days = forms.IntegerField(min_value=1, max_value=365, label="Answer disputes within (days)")
    decision_days = forms.IntegerField(min_value=0, max_value=60,
                                       label="Hold reminders while a proposed plan waits (days)")

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency_code = currency

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["min_instalment_minor"] = _amount_minor(self, "min_instalment", self.currency_code)
        cleaned["max_balance_minor"] = _amount_minor(self, "max_balance", self.currency_code)
        return cleaned
