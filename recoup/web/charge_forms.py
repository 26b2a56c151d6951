"""The form to waive a charge: it parses and validates; ``ledger.charge_actions.charge_waive`` writes."""

from __future__ import annotations

from django import forms

from recoup.web.forms import AmountMixin, DateInput


class ChargeWaiveForm(AmountMixin, forms.Form):
    date = forms.DateField(widget=DateInput())
    amount = forms.CharField(max_length=32, required=False,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                             help_text="Leave empty to waive all that is still open on this charge.")
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Kept in the ledger and the history, e.g. \"goodwill: first late payment\".")

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["currency"] = self.currency
        self._clean_amount(cleaned)
        if "reason" not in self.errors and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Give a reason for the waiver.")
        return cleaned
