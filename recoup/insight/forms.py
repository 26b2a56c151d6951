"""Forms of insight: recording a credit check."""

from __future__ import annotations

from django import forms

from recoup.core.money import parse_amount, to_minor
from recoup.insight.models import CreditDecision
from recoup.ledger.fields import CustomerField
from recoup.ledger.models import Customer
from recoup.orgs.models import Organization


class CreditCheckForm(forms.Form):
    customer = CustomerField()
    checked_on = forms.DateField(label="Checked on", widget=forms.DateInput(attrs={"type": "date"}))
    source = forms.CharField(max_length=200, help_text="Credit agency, bank, trade references, filed accounts")
    score = forms.CharField(max_length=40, required=False, help_text="As the source gave it, e.g. 72/100 or B+")
    references = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="One a line")
    documents = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="One a line")
    decision = forms.ChoiceField(choices=CreditDecision.choices)
    credit_limit = forms.CharField(max_length=32, required=False,
                                   widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, org: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        # Only this organization's customers: another one's id is "not a valid choice".
        self.fields["customer"].queryset = Customer.objects.for_org(org).order_by("ref")
        self.fields["credit_limit"].label = f"Credit limit ({org.base_currency})"
        self.fields["credit_limit"].help_text = "Dot as decimal separator; leave empty for none"

    def clean_credit_limit(self) -> int | None:
        text = self.cleaned_data["credit_limit"].strip()
        if not text:
            return None
        try:
            return to_minor(parse_amount(text, self.org.base_currency), self.org.base_currency)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
