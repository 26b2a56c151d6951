"""Creating and changing payment terms through the actions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from recoup.audit.models import AuditEvent
from recoup.ledger.actions import LedgerError
from recoup.ledger.models import Invoice, PaymentTerms
from recoup.ledger.terms_actions import TermsInputError, terms_create, terms_update


def test_it_creates_terms_and_records_them(org_a, system, now):
    terms = terms_create(org=org_a, actor=system, now=now, name=" 2/10  Net 30 ", net_days=30,
                         discount_percent=Decimal("2"), discount_days=10, late_fee_kind="percent_monthly",
                         late_fee_percent=Decimal("1.5"), grace_days=5)
    stored = PaymentTerms.objects.for_org(org_a).get(pk=terms.pk)
    assert (stored.name, stored.discount_percent, stored.late_fee_kind) == ("2/10 Net 30", Decimal("2"),
                                                                           "percent_monthly")
    event = AuditEvent.objects.for_org(org_a).get(verb="terms.created")
    assert event.data["after"]["late_fee_percent"] == "1.5" and event.data["before"]["name"] is None


def test_an_update_records_before_and_after_and_leaves_invoices_alone(org_a, system, now, make_customer,
                                                                      make_invoice):
    terms = PaymentTerms.objects.for_org(org_a).get(name="Net 30")
    invoice = make_invoice(org_a, make_customer(org_a, default_terms=terms), "A-1", "10.00",
                           issue=date(2026, 3, 10))
    terms_update(org=org_a, terms=terms, actor=system, now=now, net_days=14, name="Net 30")
    assert PaymentTerms.objects.get(pk=terms.pk).net_days == 14
    event = AuditEvent.objects.for_org(org_a).get(verb="terms.updated")
    assert event.data == {"before": {"net_days": 30}, "after": {"net_days": 14}}
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.agreed_terms["net_days"] == 30 and invoice.due_date == date(2026, 4, 9)


@pytest.mark.parametrize("fields, field, message", [
    ({"name": "net 30"}, "name", "payment terms named 'net 30' already exist"),
    ({"name": " "}, "name", "give the terms a name"),
    ({"net_days": -1}, "net_days", "net days must be a whole number of days, 0 or more"),
    ({"grace_days": -3}, "grace_days", "grace days must be a whole number"),
    ({"discount_percent": Decimal("2"), "discount_days": 40}, "discount_days", "must not exceed net days"),
    ({"late_fee_kind": "flat"}, "late_fee_flat", "late fee flat must be positive"),
    ({"discount_percent": Decimal("1.234")}, "discount_percent", "at most 2 decimals"),
])
def test_it_refuses_bad_terms_naming_the_field_and_stores_nothing(org_a, system, now, fields, field, message):
    with pytest.raises(TermsInputError, match=message) as caught:
        terms_create(org=org_a, actor=system, now=now, **{"name": "Net 45", "net_days": 30, **fields})
    assert caught.value.field == field
    assert list(PaymentTerms.objects.for_org(org_a).values_list("name", flat=True)) == ["Net 30"]
    assert not AuditEvent.objects.for_org(org_a).filter(verb="terms.created").exists()


def test_it_refuses_to_change_another_organizations_terms(org_a, org_b, system, now):
    theirs = PaymentTerms.objects.for_org(org_b).get()
    with pytest.raises(LedgerError, match="do not belong to acme"):
        terms_update(org=org_a, terms=theirs, actor=system, now=now, net_days=1)
    assert PaymentTerms.objects.get(pk=theirs.pk).net_days == 30


def test_renaming_to_a_name_in_another_organization_is_fine(org_a, org_b, system, now):
    terms = terms_create(org=org_b, actor=system, now=now, name="Net 60", net_days=60)
    terms_update(org=org_b, terms=terms, actor=system, now=now, name="net 60")
    assert terms_create(org=org_a, actor=system, now=now, name="Net 60", net_days=60).org == org_a
