"""Creating and changing customers and contacts: validated, org-checked and audited."""

from __future__ import annotations

import pytest

from recoup.audit.models import AuditEvent
from recoup.ledger.actions import LedgerError
from recoup.ledger.customer_actions import (
    CustomerInputError,
    contact_delete,
    contact_save,
    customer_create,
    customer_update,
)
from recoup.ledger.models import Contact, Customer, PaymentTerms


@pytest.fixture
def customer(org_a, system, now):
    return customer_create(org=org_a, ref="C1", legal_name="Northwind Traders Ltd", display_name="Northwind",
                           timezone="Europe/London", credit_limit_minor=500000, actor=system, now=now)


def test_it_creates_a_customer_and_records_who_and_what(org_a, customer, now):
    stored = Customer.objects.for_org(org_a).get(ref="C1")
    assert (stored.name, stored.timezone, stored.credit_limit_minor) == ("Northwind", "Europe/London", 500000)
    event = AuditEvent.objects.for_org(org_a).get(verb="customer.created")
    assert event.customer_id == stored.pk and event.at == now
    assert event.data["after"]["credit_limit_minor"] == "5000.00"
    assert event.data["after"]["ref"] == "C1"


def test_an_update_records_before_and_after_of_the_changed_fields_only(org_a, customer, system, now):
    terms = PaymentTerms.objects.for_org(org_a).get(name="Net 30")
    customer_update(org=org_a, customer=customer, display_name="Northwind Group", language="en",
                    default_terms=terms, status="credit_hold", actor=system, now=now)
    event = AuditEvent.objects.for_org(org_a).get(verb="customer.updated")
    assert event.data == {
        "before": {"display_name": "Northwind", "language": "", "default_terms": None, "status": "active"},
        "after": {"display_name": "Northwind Group", "language": "en", "default_terms": "Net 30", "status": "credit_hold"},
    }
    customer.refresh_from_db()
    assert (customer.display_name, customer.default_terms, customer.status) == ("Northwind Group", terms, "credit_hold")


def test_an_update_that_changes_nothing_writes_nothing(org_a, customer, system, now):
    customer_update(org=org_a, customer=customer, display_name="Northwind", actor=system, now=now)
    assert not AuditEvent.objects.filter(verb="customer.updated").exists()


@pytest.mark.parametrize("fields, field, message", [
    ({"ref": "C1"}, "ref", "customer reference C1 is already used"),
    ({"ref": " "}, "ref", "needs a reference"),
    ({"legal_name": ""}, "legal_name", "needs a legal name"),
    ({"timezone": "Europe/Atlantis"}, "timezone", "not a known time zone"),
    ({"country": "GBR"}, "country", "not a two-letter ISO 3166 code"),
    ({"kind": "robot"}, "kind", "not business or consumer"),
    ({"credit_limit_minor": -1}, "credit_limit_minor", "zero or more"),
    ({"ref": "x" * 65}, "ref", "longer than 64 characters"),
])
def test_it_refuses_bad_customer_fields_naming_them(org_a, customer, system, now, fields, field, message):
    values = {"ref": "C2", "legal_name": "Other", **fields}
    with pytest.raises(CustomerInputError, match=message) as caught:
        customer_create(org=org_a, actor=system, now=now, **values)
    assert caught.value.field == field
    assert Customer.objects.count() == 1


def test_it_refuses_terms_or_customers_of_another_organization(org_a, org_b, customer, system, now):
    bolt_terms = PaymentTerms.objects.for_org(org_b).first()
    with pytest.raises(LedgerError, match="does not belong to acme"):
        customer_update(org=org_a, customer=customer, default_terms=bolt_terms, actor=system, now=now)
    with pytest.raises(LedgerError, match="does not belong to bolt"):
        customer_update(org=org_b, customer=customer, legal_name="Stolen", actor=system, now=now)
    customer.refresh_from_db()
    assert customer.default_terms is None and customer.legal_name == "Northwind Traders Ltd"


def test_contacts_are_added_changed_and_removed_with_an_audit_trail(org_a, customer, system, now):
    contact = contact_save(org=org_a, customer=customer, name="Ann Payable", email="ap@northwind.test",
                           preferred_channel="sms", phone="+441234", opt_out_letter=True, actor=system, now=now)
    contact_save(org=org_a, customer=customer, contact=contact, role="Accounts", actor=system, now=now)
    contact.refresh_from_db()
    assert (contact.role, contact.opt_out_letter, contact.is_billing) == ("Accounts", True, True)
    contact_delete(org=org_a, contact=contact, actor=system, now=now)
    assert not Contact.objects.exists()
    verbs = list(AuditEvent.objects.for_org(org_a).filter(customer=customer).order_by("id").values_list("verb", "data"))
    assert [v for v, _ in verbs] == ["customer.created", "contact.added", "contact.updated", "contact.removed"]
    assert verbs[2][1] == {"before": {"role": ""}, "after": {"role": "Accounts"}}
    assert verbs[3][1]["before"]["email"] == "ap@northwind.test"


@pytest.mark.parametrize("fields, field, message", [
    ({"name": ""}, "name", "needs a name"),
    ({"email": "not-an-address"}, "email", "not an e-mail address"),
    ({"preferred_channel": "pigeon"}, "preferred_channel", "not a channel"),
    ({"opt_out_email": True}, "preferred_channel", r"preferred channel \(email\) is opted out"),
])
def test_it_refuses_a_bad_contact(org_a, customer, system, now, fields, field, message):
    with pytest.raises(CustomerInputError, match=message) as caught:
        contact_save(org=org_a, customer=customer, actor=system, now=now, **{"name": "Ann", **fields})
    assert caught.value.field == field
    assert not Contact.objects.exists()


def test_it_refuses_a_contact_of_another_customer_or_organization(org_a, org_b, customer, system, now):
    other = customer_create(org=org_a, ref="C2", legal_name="Other", actor=system, now=now)
    contact = contact_save(org=org_a, customer=other, name="Bob", actor=system, now=now)
    with pytest.raises(LedgerError, match="belongs to another customer"):
        contact_save(org=org_a, customer=customer, contact=contact, name="Moved", actor=system, now=now)
    with pytest.raises(LedgerError, match="does not belong to bolt"):
        contact_delete(org=org_b, contact=contact, actor=system, now=now)
    assert Contact.objects.get().name == "Bob"
