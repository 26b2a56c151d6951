"""A form field naming one customer by its reference, typed, instead of a select of every customer
(a select of 20,000 customers is a megabyte of HTML on every form that has one).

The value is the customer's ``ref`` (what the operator types, as on statements and imports);
a number that is no reference is taken as the customer's id, so links such as
``?customer=<id>`` keep working. The queryset limits who may be named (one organization's
customers, or those with open invoices): anyone else is "not a valid choice", as before.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from recoup.ledger.models import Customer


class CustomerField(forms.ModelChoiceField):
    widget = forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"})

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Customer.objects.none())
        kwargs.setdefault("help_text", "The customer's reference (as on the customer's page)")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, Customer):
            return value.ref
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            found = self.queryset.filter(pk=int(value)).values_list("ref", flat=True).first()
            return found if found is not None else value
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        found = self.queryset.filter(ref=text).first()
        if found is None and text.isdigit():
            found = self.queryset.filter(pk=int(text)).first()
        if found is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                  params={"value": text})
        return found

    def validate(self, value):
        forms.Field.validate(self, value)

    def has_changed(self, initial, data):
        return str(self.prepare_value(initial) or "") != str(data or "")
