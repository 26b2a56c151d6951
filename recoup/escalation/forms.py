"""Forms of the escalation pages; amounts are typed in major units and parsed strictly."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from recoup.core.money import parse_amount, to_minor
from recoup.escalation.models import Agency, CaseEventKind, FileFormat, Forum, ReviewChoice
from recoup.ledger.models import Customer


class AmountField(forms.CharField):
    """An amount in the currency given to the form; cleaned to minor units."""

    def __init__(self, *args, currency: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None):
            return None
        try:
            return to_minor(parse_amount(value, self.currency), self.currency)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class ReviewForm(forms.Form):
    choice = forms.ChoiceField(choices=ReviewChoice.choices, widget=forms.RadioSelect, label="Decision")
    note = forms.CharField(required=False, max_length=1000, label="Note")
    individual = forms.BooleanField(required=False, label="The debtor is an individual or sole trader")
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), required=False, label="Agency")
    reason = forms.CharField(required=False, max_length=500, label="Write-off reason")

    def __init__(self, *args, org, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.for_org(org).filter(active=True)
        self.fields["individual"].initial = customer.kind == "consumer"

    def clean(self):
        data = super().clean()
        if data.get("choice") == ReviewChoice.AGENCY and not data.get("agency"):
            self.add_error("agency", "Choose the agency to place the account with.")
        if data.get("choice") == ReviewChoice.WRITE_OFF and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why the debt is written off.")
        return data


class AgencyForm(forms.Form):
    name = forms.CharField(max_length=200, label="Agency name")
    commission_percent = forms.DecimalField(min_value=Decimal(0), max_value=Decimal(100), decimal_places=2,
                                            label="Commission (%)")
    file_format = forms.ChoiceField(choices=FileFormat.choices, label="Placement file format")
    contact_name = forms.CharField(max_length=200, required=False, label="Contact")
    email = forms.EmailField(required=False, label="E-mail")
    phone = forms.CharField(max_length=32, required=False, label="Phone")


class CollectionForm(forms.Form):
    date = forms.DateField(label="Collected on", widget=forms.DateInput(attrs={"type": "date"}))
    amount = AmountField(label="Amount collected")
    fee = AmountField(required=False, label="Agency fee (empty: its commission)")

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].currency = self.fields["fee"].currency = currency


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, label="Reason")


class CaseForm(forms.Form):
    forum = forms.ChoiceField(choices=Forum.choices, label="Forum")
    filing_date = forms.DateField(label="Filed on", widget=forms.DateInput(attrs={"type": "date"}))
    court = forms.CharField(max_length=200, required=False, label="Court or body")
    case_number = forms.CharField(max_length=100, required=False, label="Case number")


class CaseEventForm(forms.Form):
    kind = forms.ChoiceField(choices=CaseEventKind.choices, label="What")
    on = forms.DateField(label="On", widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(max_length=500, label="Description")
    cost = AmountField(required=False, label="Cost")

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cost"].currency = currency


class DocumentForm(forms.Form):
    title = forms.CharField(max_length=200, label="Document title")
    is_contract = forms.BooleanField(required=False, label="This is the contract")
    file = forms.FileField(label="File (PDF, PNG, JPEG or text)")
