"""Changing an organization's settings and its members through the actions."""

from __future__ import annotations

import pytest

from recoup.audit.models import AuditEvent
from recoup.ledger.models import PaymentTerms
from recoup.orgs.actions import OrgError, OrgInputError, member_add, member_remove, member_set_role, org_update
from recoup.orgs.models import Membership, Organization


def test_it_saves_only_changed_fields_and_records_before_and_after(org_a, system, now):
    org_update(org=org_a, actor=system, now=now, legal_name="Acme Supplies Ltd", locale="en-gb",
               bank_iban="GB82 WEST 1234 5698 7654 32", bank_bic="nwbkgb2l", timezone="Europe/London")
    stored = Organization.objects.get(pk=org_a.pk)
    assert (stored.locale, stored.bank_iban, stored.bank_bic) == ("en_GB", "GB82WEST12345698765432", "NWBKGB2L")
    event = AuditEvent.objects.for_org(org_a).get(verb="org.updated")
    assert event.data["before"] == {"locale": "en", "bank_iban": "", "bank_bic": ""}
    assert event.data["after"]["locale"] == "en_GB" and "legal_name" not in event.data["after"]


def test_an_update_that_changes_nothing_writes_nothing(org_a, system, now):
    org_update(org=org_a, actor=system, now=now, legal_name=" Acme Supplies Ltd ", timezone="Europe/London")
    assert not AuditEvent.objects.for_org(org_a).filter(verb="org.updated").exists()


@pytest.mark.parametrize("fields, field, message", [
    ({"timezone": "Mars/Olympus_Mons"}, "timezone", "is not known"),
    ({"locale": "xx_QQ"}, "locale", "locale 'xx_QQ' is not known"),
    ({"country": "GBR"}, "country", "not a two-letter ISO 3166 code"),
    ({"base_currency": "XYZ"}, "base_currency", "currency"),
    ({"bank_iban": "GB00 WEST 1234 5698 7654 32"}, "bank_iban", "is not a valid IBAN"),
    ({"sender_email": "not-an-address"}, "sender_email", "is not an e-mail address"),
    ({"legal_name": "  "}, "legal_name", "needs a legal name"),
])
def test_it_refuses_bad_settings_naming_the_field_and_stores_nothing(org_a, system, now, fields, field, message):
    with pytest.raises(OrgInputError, match=message) as caught:
        org_update(org=org_a, actor=system, now=now, sender_phone="+44 1", **fields)
    assert caught.value.field == field
    assert Organization.objects.get(pk=org_a.pk).sender_phone == ""


def test_the_base_currency_changes_only_before_the_first_invoice(org_a, system, now, make_customer, make_invoice):
    org_update(org=org_a, actor=system, now=now, base_currency="eur")
    assert Organization.objects.get(pk=org_a.pk).base_currency == "EUR"
    make_invoice(org_a, make_customer(org_a), "A-1", "10.00")
    with pytest.raises(OrgInputError, match="base currency stays EUR: this organization already has invoices"):
        org_update(org=org_a, actor=system, now=now, base_currency="GBP")


def test_it_refuses_another_organizations_terms_as_default(org_a, org_b, system, now):
    foreign = PaymentTerms.objects.for_org(org_b).get()
    with pytest.raises(OrgInputError, match="payment terms of this organization"):
        org_update(org=org_a, actor=system, now=now, default_terms=foreign)
    assert Organization.objects.get(pk=org_a.pk).default_terms.org == org_a


@pytest.fixture
def owner(org_a, system, now):
    return member_add(org=org_a, username="olive", role="owner", actor=system, now=now)


def test_a_role_change_is_audited(org_a, owner, system, now):
    viewer = member_add(org=org_a, username="vic", role="viewer", actor=system, now=now)
    member_set_role(org=org_a, membership=viewer, role="collector", actor=system, now=now)
    assert Membership.objects.get(pk=viewer.pk).role == "collector"
    event = AuditEvent.objects.for_org(org_a).get(verb="member.role_changed")
    assert event.data == {"before": {"role": "viewer"}, "after": {"role": "collector"}}


def test_it_refuses_to_demote_or_remove_the_last_owner(org_a, owner, system, now):
    with pytest.raises(OrgInputError, match="last owner"):
        member_set_role(org=org_a, membership=owner, role="viewer", actor=system, now=now)
    with pytest.raises(OrgInputError, match="last owner"):
        member_remove(org=org_a, membership=owner, actor=system, now=now)
    assert Membership.objects.get(pk=owner.pk).role == "owner"
    second = member_add(org=org_a, username="otto", role="owner", actor=system, now=now)
    member_remove(org=org_a, membership=owner, actor=system, now=now)
    assert list(Membership.objects.filter(org=org_a).values_list("user__username", flat=True)) == ["otto"]
    event = AuditEvent.objects.for_org(org_a).get(verb="member.removed")
    assert event.data["before"] == {"user": "olive", "role": "owner"} and event.subject_id == owner.pk
    with pytest.raises(OrgInputError, match="last owner"):
        member_set_role(org=org_a, membership=second, role="collector", actor=system, now=now)


def test_it_refuses_a_membership_of_another_organization(org_a, org_b, system, now):
    theirs = member_add(org=org_b, username="bob", role="viewer", actor=system, now=now)
    with pytest.raises(OrgError, match="not a member of acme"):
        member_set_role(org=org_a, membership=theirs, role="collector", actor=system, now=now)
    with pytest.raises(OrgError, match="not a member of acme"):
        member_remove(org=org_a, membership=theirs, actor=system, now=now)
    assert Membership.objects.filter(pk=theirs.pk, role="viewer").exists()
