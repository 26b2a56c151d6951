"""Forms name a customer by its reference in a text box: no page lists every customer in a select."""

from __future__ import annotations

import pytest
from django import forms

from recoup.ledger.fields import CustomerField


class _Form(forms.Form):
    customer = CustomerField()

    def __init__(self, *args, org, **kwargs):
        from recoup.ledger.models import Customer

        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.for_org(org)


@pytest.fixture
def customers(org_a, org_b, make_customer):
    first = make_customer(org_a, ref="C001", name="Alder Ltd")
    numeric = make_customer(org_a, ref=str(first.pk + 1000), name="Numbered Ltd")
    other = make_customer(org_b, ref="C002", name="Elsewhere Ltd")
    return first, numeric, other


def test_the_reference_names_the_customer_and_the_widget_is_a_text_box(org_a, customers):
    first, numeric, _ = customers
    form = _Form({"customer": " C001 "}, org=org_a)
    assert form.is_valid() and form.cleaned_data["customer"] == first
    html = str(_Form(org=org_a, initial={"customer": first.pk})["customer"])
    assert 'type="text"' in html and 'value="C001"' in html and "<option" not in html


def test_a_reference_wins_over_an_id_and_an_id_still_works(org_a, customers):
    first, numeric, _ = customers
    form = _Form({"customer": numeric.ref}, org=org_a)
    assert form.is_valid() and form.cleaned_data["customer"] == numeric
    form = _Form({"customer": str(first.pk)}, org=org_a)
    assert form.is_valid() and form.cleaned_data["customer"] == first


def test_another_organizations_customer_or_an_unknown_reference_is_not_a_valid_choice(org_a, customers):
    _, _, other = customers
    for value in (other.ref, str(other.pk), "NOPE"):
        form = _Form({"customer": value}, org=org_a)
        assert not form.is_valid() and "valid choice" in form.errors["customer"][0]


def test_the_currencies_of_an_organization_take_one_query_each(org_a, org_b, customers, make_invoice,
                                                               django_assert_max_num_queries):
    from recoup.ledger.selectors import invoice_currencies

    first, _, other = customers
    for n, currency in enumerate(["GBP", "EUR", "GBP", "USD", "EUR"]):
        make_invoice(org_a, first, f"I-{n}", "10.00", currency=currency)
    make_invoice(org_b, other, "B-1", "10.00", currency="JPY")
    with django_assert_max_num_queries(4):
        assert invoice_currencies(org_a) == {"GBP", "EUR", "USD"}
