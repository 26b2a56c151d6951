"""The owner's settings pages: organization, payment terms and members."""

from __future__ import annotations

import pytest
from django.urls import reverse

from recoup.audit.models import AuditEvent
from recoup.ledger.models import PaymentTerms
from recoup.orgs.models import Membership, Organization

SETTINGS = {"legal_name": "Acme Supplies Ltd", "address": "1 Dock Road\nLondon", "country": "gb", "region": "",
            "base_currency": "GBP", "timezone": "Europe/London", "locale": "en_GB", "sender_email": "ar@acme.test",
            "sender_phone": "+44 20 7946 0001", "bank_name": "Westbank", "bank_iban": "GB82 WEST 1234 5698 7654 32",
            "bank_bic": "NWBKGB2L", "bank_account": "", "tax_id": "GB123456789", "default_terms": "", "cycle_time": "06:30"}
TERMS = {"name": "2/10 Net 30", "net_days": "30", "discount_percent": "2", "discount_days": "10",
         "late_fee_kind": "percent_monthly", "late_fee_flat": "0", "late_fee_percent": "1.5", "grace_days": "5"}
MEMBER = {"username": "nina", "email": "nina@acme.test", "role": "collector", "password": "correct horse battery"}


def url(name, org, *args):
    return reverse(name, args=[org.slug, *args])


def test_an_owner_changes_the_settings_and_it_is_audited(as_user, org_a, frozen_clock):
    client = as_user("owner")
    page = client.get(url("dashboard", org_a)).content.decode()
    assert url("settings_org", org_a) in page
    terms = PaymentTerms.objects.for_org(org_a).get()
    response = client.post(url("settings_org", org_a), {**SETTINGS, "default_terms": terms.pk})
    assert response["Location"] == url("settings_org", org_a)
    org = Organization.objects.get(pk=org_a.pk)
    assert (org.sender_email, org.bank_iban, org.locale, org.country) == (
        "ar@acme.test", "GB82WEST12345698765432", "en_GB", "GB")
    event = AuditEvent.objects.for_org(org_a).get(verb="org.updated")
    assert event.actor_label == "a-owner" and event.data["before"]["tax_id"] == ""
    assert event.data["after"]["tax_id"] == "GB123456789" and "legal_name" not in event.data["after"]
    assert (event.data["before"]["cycle_time"], event.data["after"]["cycle_time"]) == ("07:00:00", "06:30:00")
    assert org.cycle_time.isoformat() == "06:30:00"
    assert "Settings saved." in client.get(response["Location"]).content.decode()


def test_an_owner_sets_how_and_when_reminders_go(as_user, org_a, frozen_clock):
    client = as_user("owner")
    sending = {"send_mode": "review", "draft_expiry_days": "2", "send_window_start": "10:00",
               "send_window_end": "16:30", "send_window_weekdays": ["2", "1", "3"],
               "manual_contact_quiet_days": "7", "payment_order": "charges_first"}
    response = client.post(url("settings_org", org_a), {**SETTINGS, **sending})
    assert response.status_code == 302
    org = Organization.objects.get(pk=org_a.pk)
    assert (org.send_mode, org.draft_expiry_days, org.send_window_weekdays, org.manual_contact_quiet_days,
            org.payment_order) == ("review", 2, "123", 7, "charges_first")
    assert (org.send_window_start.isoformat(), org.send_window_end.isoformat()) == ("10:00:00", "16:30:00")
    refused = client.post(url("settings_org", org_a), {**SETTINGS, **sending, "send_window_end": "09:00"})
    assert "the send window must end after it starts (10:00)" in refused.content.decode()


@pytest.mark.parametrize("changes, message", [
    ({"timezone": "Mars/Olympus_Mons"}, "time zone &#x27;Mars/Olympus_Mons&#x27; is not known"),
    ({"locale": "klingon"}, "locale &#x27;klingon&#x27; is not known"),
    ({"bank_iban": "GB00 WEST 1234 5698 7654 32"}, "is not a valid IBAN"),
    ({"base_currency": "USD"}, "the base currency stays GBP: this organization already has invoices"),
])
def test_it_shows_what_is_wrong_with_the_settings_and_stores_nothing(as_user, org_a, ledger_a, changes, message):
    response = as_user("owner").post(url("settings_org", org_a), {**SETTINGS, **changes})
    assert response.status_code == 200 and message in response.content.decode()
    org = Organization.objects.get(pk=org_a.pk)
    assert (org.sender_email, org.base_currency, org.timezone) == ("", "GBP", "Europe/London")
    assert not AuditEvent.objects.for_org(org_a).filter(verb="org.updated").exists()


def test_only_owners_see_settings_and_other_organizations_see_nothing(as_user, org_a, org_b):
    for role in ("collector", "viewer"):
        client = as_user(role)
        dashboard = client.get(url("dashboard", org_a)).content.decode()
        assert f'href="{url("settings_org", org_a)}"' not in dashboard
        assert f'href="{url("settings_terms", org_a)}"' in dashboard  # the payment terms they may read
        assert client.get(url("settings_org", org_a)).status_code == 403
        assert client.post(url("settings_org", org_a), SETTINGS).status_code == 403
        assert client.post(url("settings_terms_new", org_a), TERMS).status_code == 403
        assert client.post(url("settings_members", org_a), MEMBER).status_code == 403
    outsider = as_user("outsider")
    for name in ("settings_org", "settings_terms", "settings_terms_new", "settings_members"):
        assert outsider.get(url(name, org_a)).status_code == 404
    assert outsider.post(url("settings_org", org_a), SETTINGS).status_code == 404
    assert Organization.objects.get(pk=org_a.pk).sender_email == ""
    assert not AuditEvent.objects.filter(verb__in=["org.updated", "terms.created", "member.added"],
                                         actor_label__in=["a-collector", "a-viewer", "b-owner"]).exists()


def test_an_owner_creates_and_edits_terms_with_an_example(as_user, org_a, frozen_clock):
    client = as_user("owner")
    response = client.post(url("settings_terms_new", org_a), TERMS)
    assert response["Location"] == url("settings_terms", org_a)
    terms = PaymentTerms.objects.for_org(org_a).get(name="2/10 Net 30")
    assert (terms.discount_days, terms.late_fee_kind, terms.grace_days) == (10, "percent_monthly", 5)
    page = client.get(response["Location"]).content.decode()
    # Today in London is 31 March 2026 (frozen_clock).
    assert "An invoice of 31 March is due 30 April; 2 % off if paid by 10 April" in page
    assert "An invoice of 31 March is due 30 April." in page  # the default Net 30
    edit = client.get(url("settings_terms_edit", org_a, terms.pk)).content.decode()
    assert "Existing invoices keep the terms they were issued under" in edit and 'value="2/10 Net 30"' in edit
    assert client.post(url("settings_terms_edit", org_a, terms.pk), {**TERMS, "net_days": "45"}).status_code == 302
    event = AuditEvent.objects.for_org(org_a).get(verb="terms.updated")
    assert event.data == {"before": {"net_days": 30}, "after": {"net_days": 45}}


@pytest.mark.parametrize("changes, message", [
    ({"name": "net 30"}, "payment terms named &#x27;net 30&#x27; already exist"),
    ({"net_days": "-1"}, "Ensure this value is greater than or equal to 0."),
    ({"discount_days": "40"}, "discount days must not exceed net days"),
    ({"late_fee_kind": "flat"}, "late fee flat must be positive for a flat late fee"),
])
def test_it_shows_what_is_wrong_with_terms_and_stores_nothing(as_user, org_a, changes, message):
    response = as_user("owner").post(url("settings_terms_new", org_a), {**TERMS, **changes})
    assert response.status_code == 200 and message in response.content.decode()
    assert list(PaymentTerms.objects.for_org(org_a).values_list("name", flat=True)) == ["Net 30"]


def test_a_viewer_reads_the_terms_but_cannot_change_them(as_user, org_a):
    client = as_user("viewer")
    terms = PaymentTerms.objects.for_org(org_a).get()
    page = client.get(url("settings_terms", org_a)).content.decode()
    assert "Net 30" in page and "New payment terms" not in page
    assert url("settings_terms_edit", org_a, terms.pk) not in page
    assert client.post(url("settings_terms_edit", org_a, terms.pk), {**TERMS, "name": "Net 30"}).status_code == 403
    assert PaymentTerms.objects.get(pk=terms.pk).net_days == 30


def test_another_organizations_terms_cannot_be_edited_or_chosen(as_user, org_a, org_b):
    client = as_user("owner")
    theirs = PaymentTerms.objects.for_org(org_b).get()
    assert client.get(url("settings_terms_edit", org_a, theirs.pk)).status_code == 404
    assert client.post(url("settings_terms_edit", org_a, theirs.pk), TERMS).status_code == 404
    page = client.post(url("settings_org", org_a), {**SETTINGS, "default_terms": theirs.pk}).content.decode()
    assert "Select a valid choice" in page
    assert PaymentTerms.objects.get(pk=theirs.pk).name == "Net 30"
    assert Organization.objects.get(pk=org_a.pk).default_terms.org == org_a


def test_an_owner_adds_a_member_changes_the_role_and_removes_them(as_user, org_a):
    owner = as_user("owner")
    assert owner.post(url("settings_members", org_a), MEMBER)["Location"] == url("settings_members", org_a)
    nina = Membership.objects.get(org=org_a, user__username="nina")
    assert nina.role == "collector" and nina.user.check_password("correct horse battery")
    assert owner.post(url("settings_member_role", org_a, nina.pk), {"role": "viewer"}).status_code == 302
    assert Membership.objects.get(pk=nina.pk).role == "viewer"
    page = owner.post(url("settings_member_remove", org_a, nina.pk), follow=True).content.decode()
    assert "nina no longer works in Acme Supplies Ltd." in page
    assert not Membership.objects.filter(pk=nina.pk).exists()
    verbs = list(AuditEvent.objects.for_org(org_a).filter(actor_label="a-owner").values_list("verb", flat=True))
    assert sorted(verbs) == ["member.added", "member.removed", "member.role_changed"]


def test_adding_an_existing_user_never_resets_their_password(as_user, org_a, members):
    outsider = members["outsider"]
    outsider.set_password("their own secret")
    outsider.save()
    as_user("owner").post(url("settings_members", org_a), {**MEMBER, "username": outsider.username,
                                                            "password": "taken over 12345"})
    outsider.refresh_from_db()
    assert outsider.check_password("their own secret")
    assert Membership.objects.get(org=org_a, user=outsider).role == "collector"


def test_it_refuses_a_new_member_without_a_password_or_twice(as_user, org_a):
    client = as_user("owner")
    page = client.post(url("settings_members", org_a), {**MEMBER, "password": ""}).content.decode()
    assert "A new user needs an initial password." in page
    page = client.post(url("settings_members", org_a), {**MEMBER, "username": "a-viewer"}).content.decode()
    assert "a-viewer is already a member" in page
    assert Membership.objects.get(org=org_a, user__username="a-viewer").role == "viewer"
    assert not Membership.objects.filter(user__username="nina").exists()


def test_the_last_owner_cannot_be_demoted_or_removed(as_user, org_a, members):
    client = as_user("owner")
    mine = Membership.objects.get(org=org_a, user=members["owner"])
    page = client.post(url("settings_member_role", org_a, mine.pk), {"role": "viewer"}, follow=True)
    assert "a-owner is the last owner of acme" in page.content.decode()
    page = client.post(url("settings_member_remove", org_a, mine.pk), follow=True)
    assert "a-owner is the last owner of acme" in page.content.decode()
    assert Membership.objects.get(pk=mine.pk).role == "owner"


def test_members_of_another_organization_cannot_be_touched(as_user, org_a, members):
    theirs = Membership.objects.get(user=members["outsider"])
    client = as_user("owner")
    assert client.post(url("settings_member_role", org_a, theirs.pk), {"role": "viewer"}).status_code == 404
    assert client.post(url("settings_member_remove", org_a, theirs.pk)).status_code == 404
    assert Membership.objects.get(pk=theirs.pk).role == "owner"
    page = client.get(url("settings_members", org_a)).content.decode()
    assert "a-collector" in page and "b-owner" not in page
