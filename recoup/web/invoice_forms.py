"""Forms to enter an invoice by hand, find invoices, and apply credit on account."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from recoup.core.money import minor_exponent
from recoup.ledger.actions import LineInput
from recoup.ledger.fields import CustomerField
from recoup.ledger.models import Customer, Invoice, InvoiceStatus, PaymentTerms
from recoup.orgs.models import Organization
from recoup.web.forms import DateInput

MAX_LINES = 200


class InvoiceForm(forms.Form):
    number = forms.CharField(max_length=64, help_text="Unique in this organization")
    customer = CustomerField()
    issue_date = forms.DateField(widget=DateInput())
    due_date = forms.DateField(widget=DateInput(), required=False,
                               help_text="Leave empty to compute it from the terms")
    currency = forms.CharField(max_length=3, widget=forms.TextInput(attrs={"size": 4, "list": "currencies"}),
                               help_text="ISO 4217 code, e.g. GBP")
    terms = forms.ModelChoiceField(queryset=PaymentTerms.objects.none(), required=False,
                                   empty_label="(the customer's, else the organization's)")
    po_number = forms.CharField(max_length=64, required=False, label="PO number")
    description = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, org: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        # Only this organization's rows: another one's id is "not a valid choice".
        self.fields["customer"].queryset = Customer.objects.for_org(org).order_by("display_name", "legal_name", "ref")
        self.fields["terms"].queryset = PaymentTerms.objects.for_org(org).order_by("name")

    def clean_number(self) -> str:
        number = self.cleaned_data["number"].strip()
        if not number:
            raise forms.ValidationError("This field is required.")
        if Invoice.objects.for_org(self.org).filter(number=number).exists():
            raise forms.ValidationError(f"Invoice number {number} is already used.")
        return number

    def clean_currency(self) -> str:
        code = self.cleaned_data["currency"].strip().upper()
        try:
            minor_exponent(code)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return code

    def clean(self) -> dict:
        cleaned = super().clean()
        issued, due = cleaned.get("issue_date"), cleaned.get("due_date")
        if issued and due and due < issued:
            self.add_error("due_date", "The due date is before the issue date.")
        return cleaned


class InvoiceLineForm(forms.Form):
    description = forms.CharField(max_length=500)
    quantity = forms.DecimalField(max_digits=14, decimal_places=4, initial=Decimal(1))
    unit_price = forms.DecimalField(max_digits=18, decimal_places=6, label="Unit price")
    tax_rate = forms.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100, initial=Decimal(0),
                                  label="Tax %")

    def line(self) -> LineInput:
        d = self.cleaned_data
        return LineInput(description=d["description"], quantity=d["quantity"], unit_price=d["unit_price"],
                         tax_rate=d["tax_rate"])


class _BaseLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[LineInput]:
        return [form.line() for form in self.forms if form.has_changed() and form.cleaned_data]


InvoiceLineFormSet = forms.formset_factory(
    InvoiceLineForm, formset=_BaseLineFormSet, extra=2, min_num=1, validate_min=True, max_num=MAX_LINES,
    validate_max=True,
)


def line_formset(data=None) -> forms.BaseFormSet:
    """The invoice's lines; blank extra rows are ignored, at least one line is required."""
    return InvoiceLineFormSet(data, prefix="lines")


class InvoiceFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", widget=forms.SearchInput(
        attrs={"placeholder": "Number, customer name or ref", "autocomplete": "off"}))
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *InvoiceStatus.choices])
    currency = forms.ChoiceField(required=False)
    overdue = forms.BooleanField(required=False, label="Overdue only")
    issued_from = forms.DateField(required=False, label="Issued from", widget=DateInput())
    issued_to = forms.DateField(required=False, label="Issued to", widget=DateInput())

    def __init__(self, *args, currencies: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [("", "Any currency"), *((c, c) for c in currencies)]


class CreditApplyForm(forms.Form):
    source = forms.ChoiceField(label="Credit")
    invoice = forms.ModelChoiceField(queryset=Invoice.objects.none(), label="Apply to invoice")
    date = forms.DateField(widget=DateInput(), help_text="The day the credit counts against the invoice")

    def __init__(self, *args, org: Organization, customer: Customer, sources: dict, **kwargs):
        """``sources``: {"payment-12": Payment, "credit_note-3": CreditNote} with credit left, this customer's."""
        super().__init__(*args, **kwargs)
        self.sources = sources
        self.fields["source"].choices = [(key, label) for key, (label, _) in sources.items()]
        self.fields["invoice"].queryset = (
            Invoice.objects.for_org(org).filter(customer=customer, open_minor__gt=0).order_by("due_date", "number")
        )
        self.fields["invoice"].label_from_instance = lambda inv: f"{inv.number} (due {inv.due_date}, {inv.currency})"

    def clean(self) -> dict:
        cleaned = super().clean()
        key, invoice = cleaned.get("source"), cleaned.get("invoice")
        if key:
            cleaned["source"] = self.sources[key][1]
        if key and invoice and cleaned["source"].currency != invoice.currency:
            self.add_error("invoice", f"Invoice {invoice.number} is in {invoice.currency}, "
                                      f"the credit in {cleaned['source'].currency}.")
        return cleaned
