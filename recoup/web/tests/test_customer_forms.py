"""Creating and editing customers and contacts through the web forms."""

from __future__ import annotations

import pytest
from django.urls import reverse

from recoup.audit.models import AuditEvent
from recoup.ledger.models import Contact, Customer, PaymentTerms

CUSTOMER = {"ref": "C100", "kind": "business", "legal_name": "Fabrikam Holdings Ltd", "display_name": "Fabrikam",
            "country": "gb", "region": "", "timezone": "Europe/London", "language": "en", "credit_limit": "2500.00",
            "default_terms": "", "status": "active", "notes": "Pays by BACS"}
CONTACT = {"name": "Ann Payable", "role": "Accounts", "email": "ap@fabrikam.test", "phone": "+44 20 7946 0000",
           "postal_address": "1 High St\nLondon", "preferred_channel": "email", "is_billing": "on"}


def test_a_collector_creates_a_customer_and_it_is_audited(as_user, org_a):
    client = as_user("collector")
    terms = PaymentTerms.objects.for_org(org_a).get(name="Net 30")
    response = client.post(reverse("customer_new", args=[org_a.slug]), {**CUSTOMER, "default_terms": terms.pk})
    customer = Customer.objects.for_org(org_a).get(ref="C100")
    assert response["Location"] == reverse("customer_detail", args=[org_a.slug, customer.pk])
    assert (customer.name, customer.country, customer.credit_limit_minor, customer.default_terms) == (
        "Fabrikam", "GB", 250000, terms)
    event = AuditEvent.objects.for_org(org_a).get(verb="customer.created")
    assert event.actor_label == "a-collector" and event.data["after"]["credit_limit_minor"] == "2500.00"
    page = client.get(response["Location"]).content.decode()
    assert "Customer C100 created." in page and "£2,500.00" in page and "Pays by BACS" in page


def test_an_edit_changes_the_customer_and_records_before_and_after(as_user, org_a, ledger_a):
    client = as_user("owner")
    customer = ledger_a["customer"]
    url = reverse("customer_edit", args=[org_a.slug, customer.pk])
    form_page = client.get(url).content.decode()
    assert 'value="Northwind Traders"' in form_page
    data = {**CUSTOMER, "ref": "C001", "legal_name": "Northwind Traders", "display_name": "", "credit_limit": "",
            "status": "credit_hold"}
    assert client.post(url, data).status_code == 302
    customer.refresh_from_db()
    assert (customer.status, customer.timezone, customer.credit_limit_minor) == ("credit_hold", "Europe/London", None)
    event = AuditEvent.objects.for_org(org_a).get(verb="customer.updated")
    assert event.data["before"]["status"] == "active" and event.data["after"]["status"] == "credit_hold"
    assert "ref" not in event.data["after"]


@pytest.mark.parametrize("changes, message", [
    ({"ref": "C001"}, "customer reference C001 is already used"),
    ({"timezone": "Mars/Olympus_Mons"}, "is not a known time zone"),
    ({"credit_limit": "10.005"}, "more decimals than GBP allows"),
    ({"credit_limit": "1,000.00"}, "no thousands separators"),
    ({"country": "GBR"}, "Ensure this value has at most 2 characters"),
    ({"legal_name": ""}, "This field is required"),
])
def test_it_shows_what_is_wrong_and_stores_nothing(as_user, org_a, ledger_a, changes, message):
    response = as_user("collector").post(reverse("customer_new", args=[org_a.slug]), {**CUSTOMER, **changes})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(Customer.objects.values_list("ref", flat=True)) == ["C001"]
    assert not AuditEvent.objects.filter(verb="customer.created", customer__ref="C100").exists()


def test_a_duplicate_ref_on_edit_is_refused_on_the_field(as_user, org_a, ledger_a, make_customer):
    other = make_customer(org_a, ref="C002", name="Other")
    url = reverse("customer_edit", args=[org_a.slug, other.pk])
    page = as_user("collector").post(url, {**CUSTOMER, "ref": "C001"}).content.decode()
    assert "customer reference C001 is already used" in page
    other.refresh_from_db()
    assert other.ref == "C002"


def test_a_viewer_reads_the_customer_but_cannot_create_or_edit(as_user, org_a, ledger_a):
    client = as_user("viewer")
    customer = ledger_a["customer"]
    page = client.get(reverse("customer_detail", args=[org_a.slug, customer.pk])).content.decode()
    assert "Edit customer" not in page and "Add a contact" not in page
    assert client.post(reverse("customer_new", args=[org_a.slug]), CUSTOMER).status_code == 403
    assert client.post(reverse("customer_edit", args=[org_a.slug, customer.pk]), CUSTOMER).status_code == 403
    assert client.post(reverse("contact_new", args=[org_a.slug, customer.pk]), CONTACT).status_code == 403
    assert Customer.objects.count() == 1 and not Contact.objects.exists()


def test_another_organization_cannot_reach_or_use_our_rows(as_user, org_a, org_b, ledger_a, ledger_b):
    outsider = as_user("outsider")
    customer = ledger_a["customer"]
    assert outsider.post(reverse("customer_new", args=[org_a.slug]), CUSTOMER).status_code == 404
    assert outsider.post(reverse("customer_edit", args=[org_a.slug, customer.pk]), CUSTOMER).status_code == 404
    # Under its own slug, our customer's id is not found and our terms are not a valid choice.
    assert outsider.post(reverse("customer_edit", args=[org_b.slug, customer.pk]), CUSTOMER).status_code == 404
    a_terms = PaymentTerms.objects.for_org(org_a).first()
    page = outsider.post(reverse("customer_new", args=[org_b.slug]),
                         {**CUSTOMER, "default_terms": a_terms.pk}).content.decode()
    assert "Select a valid choice" in page
    assert not Customer.objects.for_org(org_b).filter(ref="C100").exists()
    customer.refresh_from_db()
    assert customer.legal_name == "Northwind Traders"


def test_contacts_are_added_edited_and_removed(as_user, org_a, ledger_a):
    client = as_user("collector")
    customer = ledger_a["customer"]
    detail = reverse("customer_detail", args=[org_a.slug, customer.pk])
    assert client.post(reverse("contact_new", args=[org_a.slug, customer.pk]),
                       {**CONTACT, "opt_out_letter": "on"})["Location"] == detail
    contact = Contact.objects.for_org(org_a).get(customer=customer)
    assert (contact.email, contact.opt_out_letter, contact.opt_out_email, contact.is_billing) == (
        "ap@fabrikam.test", True, False, True)
    edit = reverse("contact_edit", args=[org_a.slug, customer.pk, contact.pk])
    assert client.post(edit, {**CONTACT, "preferred_channel": "sms", "opt_out_email": "on"}).status_code == 302
    contact.refresh_from_db()
    assert (contact.preferred_channel, contact.opt_out_email, contact.opt_out_letter) == ("sms", True, False)
    assert "no e-mail" in client.get(detail).content.decode()
    assert client.post(reverse("contact_delete", args=[org_a.slug, customer.pk, contact.pk]))["Location"] == detail
    assert not Contact.objects.exists()
    verbs = AuditEvent.objects.for_org(org_a).filter(subject_type="contact").order_by("id").values_list("verb", flat=True)
    assert list(verbs) == ["contact.added", "contact.updated", "contact.removed"]


@pytest.mark.parametrize("changes, message", [
    ({"email": "not an address"}, "Enter a valid email address"),
    ({"opt_out_email": "on"}, "opted out of the preferred channel"),
    ({"name": ""}, "This field is required"),
])
def test_a_bad_contact_is_refused(as_user, org_a, ledger_a, changes, message):
    url = reverse("contact_new", args=[org_a.slug, ledger_a["customer"].pk])
    response = as_user("collector").post(url, {**CONTACT, **changes})
    assert message in response.content.decode()
    assert not Contact.objects.exists()


def test_a_contact_of_another_customer_or_organization_is_not_found(as_user, org_a, org_b, ledger_a, ledger_b,
                                                                    system, now):
    from recoup.ledger.customer_actions import contact_save

    theirs = contact_save(org=org_b, customer=ledger_b["customer"], name="Bolt AP", actor=system, now=now)
    client = as_user("owner")
    customer = ledger_a["customer"]
    for name in ("contact_edit", "contact_delete"):
        assert client.post(reverse(name, args=[org_a.slug, customer.pk, theirs.pk]), CONTACT).status_code == 404
    assert Contact.objects.get().name == "Bolt AP"
    assert client.get(reverse("contact_delete", args=[org_a.slug, customer.pk, theirs.pk])).status_code in (404, 405)
