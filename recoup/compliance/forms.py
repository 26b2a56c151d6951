"""Forms of the rules page: they parse and validate; actions and the core do the rest."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from recoup.core.money import parse_amount, to_minor
from recoup.core.rules import JURISDICTIONS, shipped_rates
from recoup.web.forms import DateInput


def _series_choices() -> list[tuple[str, str]]:
    return [(s.id, s.label) for s in shipped_rates().series.values()]


class RatePointForm(forms.Form):
    series = forms.ChoiceField(choices=_series_choices)
    effective_from = forms.DateField(label="In force from", widget=DateInput())
    percent = forms.DecimalField(label="Rate (percent a year)", max_digits=8, decimal_places=4,
                                 min_value=Decimal(-100), max_value=Decimal(100))
    note = forms.CharField(required=False, max_length=200, help_text="Where the figure comes from")


class InterestForm(forms.Form):
    jurisdiction = forms.ChoiceField(choices=[(j, j) for j in JURISDICTIONS])
    debtor = forms.ChoiceField(choices=[("business", "Business"), ("consumer", "Consumer")])
    amount = forms.CharField(label="Amount owed", max_length=20)
    currency = forms.CharField(max_length=3)
    due = forms.DateField(label="Due date", widget=DateInput())
    paid = forms.DateField(label="Paid on (or today)", widget=DateInput())
    contract_rate = forms.DecimalField(label="Contract rate % (US-CA)", required=False, max_digits=7,
                                       decimal_places=4, min_value=Decimal(0), max_value=Decimal(100))
    letter = forms.DateField(label="14-day letter received (NL consumers)", required=False, widget=DateInput())

    def clean(self) -> dict:
        cleaned = super().clean()
        currency = (cleaned.get("currency") or "").upper()
        cleaned["currency"] = currency
        if "amount" in cleaned:
            try:
                cleaned["amount_minor"] = to_minor(parse_amount(cleaned["amount"], currency), currency)
            except ValueError as exc:
                self.add_error("amount" if "currency" not in str(exc) else "currency", str(exc))
        return cleaned
