"""Forms of the web app: they parse and validate; ledger actions do the writing."""

from __future__ import annotations

from datetime import date

from django import forms

from recoup.core.aging import DEFAULT_EDGES, parse_edges
from recoup.core.money import parse_amount, to_minor
from recoup.ledger.models import Customer, CustomerKind, CustomerStatus, Invoice, PaymentMethod
from recoup.orgs.models import Organization


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _currency_choices(currencies: list[str]) -> list[tuple[str, str]]:
    return [(c, c) for c in currencies]


class AmountMixin:
    """Parse ``amount`` strictly (dot decimal, the currency's decimals) into ``amount_minor``.

    A blank optional amount leaves ``amount_minor`` unset (write-off: the whole balance).
    """

    def _clean_amount(self, cleaned: dict) -> None:
        if "amount" in self.errors:
            return  # already explained by the field's own validation
        text, currency = cleaned.get("amount") or "", cleaned.get("currency")
        if not text.strip() or not currency:
            return
        try:
            value = parse_amount(text, currency)
        except ValueError as exc:
            self.add_error("amount", str(exc))
            return
        if value <= 0:
            self.add_error("amount", "The amount must be more than zero.")
            return
        cleaned["amount_minor"] = to_minor(value, currency)


class _CustomerMoneyForm(AmountMixin, forms.Form):
    amount = forms.CharField(max_length=32, widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                             help_text="Dot as decimal separator, e.g. 1250.00")
    currency = forms.ChoiceField()
    invoice = forms.ModelChoiceField(queryset=Invoice.objects.none(), required=False, empty_label="(oldest first)",
                                     help_text="Leave empty to pay the oldest due invoices first.")

    def __init__(self, *args, org: Organization, customer: Customer, currencies: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = _currency_choices(currencies)
        # Only this customer's open invoices: another customer's or organization's id is "not a valid choice".
        self.fields["invoice"].queryset = (
            Invoice.objects.for_org(org).filter(customer=customer, open_minor__gt=0).order_by("due_date", "number")
        )
        self.fields["invoice"].label_from_instance = lambda inv: f"{inv.number} (due {inv.due_date}, {inv.currency})"

    def clean(self) -> dict:
        cleaned = super().clean()
        self._clean_amount(cleaned)
        invoice, currency = cleaned.get("invoice"), cleaned.get("currency")
        if invoice and currency and invoice.currency != currency:
            self.add_error("invoice", f"Invoice {invoice.number} is in {invoice.currency}, not {currency}.")
        return cleaned


class PaymentForm(_CustomerMoneyForm):
    date = forms.DateField(widget=DateInput())
    method = forms.ChoiceField(choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER)
    reference = forms.CharField(max_length=140, required=False)
    payer = forms.CharField(max_length=200, required=False)

    field_order = ["date", "amount", "currency", "method", "reference", "payer", "invoice"]


class CreditNoteForm(_CustomerMoneyForm):
    number = forms.CharField(max_length=64)
    date = forms.DateField(widget=DateInput())
    reason = forms.CharField(max_length=500, required=False)

    field_order = ["number", "date", "amount", "currency", "invoice", "reason"]


class WriteOffForm(AmountMixin, forms.Form):
    date = forms.DateField(widget=DateInput())
    amount = forms.CharField(max_length=32, required=False,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                             help_text="Leave empty to write off the whole open balance.")
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, invoice: Invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoice = invoice

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["currency"] = self.invoice.currency
        self._clean_amount(cleaned)
        if not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Give a reason for the write-off.")
        return cleaned


class CustomerFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", widget=forms.SearchInput(
        attrs={"placeholder": "Name, ref or e-mail", "autocomplete": "off"}))
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *CustomerStatus.choices])
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *CustomerKind.choices])
    currency = forms.ChoiceField(required=False)
    overdue = forms.BooleanField(required=False, label="Overdue only")

    def __init__(self, *args, currencies: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [("", "Any currency"), *_currency_choices(currencies)]


class AgingForm(forms.Form):
    as_of = forms.DateField(label="As of", widget=DateInput())
    buckets = forms.CharField(required=False, initial=",".join(map(str, DEFAULT_EDGES)),
                              help_text="Days past due where buckets end, e.g. 30,60,90")

    def clean_buckets(self) -> tuple[int, ...]:
        text = (self.cleaned_data.get("buckets") or "").strip()
        if not text:
            return DEFAULT_EDGES
        try:
            return parse_edges(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


def aging_form(data, *, today: date) -> AgingForm:
    """The aging form bound to the query string, defaulting to today and 30,60,90."""
    values = {"as_of": today.isoformat(), "buckets": ",".join(map(str, DEFAULT_EDGES))}
    values.update({k: v for k, v in data.items() if k in ("as_of", "buckets") and v})
    return AgingForm(values)


class StatementForm(forms.Form):
    as_of = forms.DateField(label="As of", widget=DateInput(), required=False)

