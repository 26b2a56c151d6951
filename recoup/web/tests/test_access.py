"""Every page: members of the organization may read it; anyone else finds nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from recoup.ledger.models import Payment


def pages(slug: str, ledger: dict) -> list[str]:
    customer, invoice = ledger["customer"].pk, ledger["old"].pk
    return [
        reverse("dashboard", args=[slug]),
        reverse("customer_list", args=[slug]),
        reverse("customer_detail", args=[slug, customer]),
        reverse("invoice_detail", args=[slug, invoice]),
        reverse("aging", args=[slug]),
        reverse("aging", args=[slug]) + "?format=csv",
        reverse("aging_customer", args=[slug, customer]),
    ]


@pytest.mark.parametrize("role", ["owner", "collector", "viewer"])
def test_every_page_renders_for_each_member_role(as_user, org_a, ledger_a, role):
    client = as_user(role)
    for url in pages(org_a.slug, ledger_a):
        assert client.get(url).status_code == 200, url


def test_every_page_is_not_found_for_a_member_of_another_organization(as_user, org_a, ledger_a):
    client = as_user("outsider")
    for url in pages(org_a.slug, ledger_a) + [reverse("payment_new", args=[org_a.slug, ledger_a["customer"].pk])]:
        assert client.get(url).status_code == 404, url


def test_it_refuses_an_object_of_another_organization_under_ones_own_slug(as_user, org_a, ledger_a, ledger_b):
    client = as_user("owner")
    b_customer, b_invoice = ledger_b["customer"].pk, ledger_b["invoice"].pk
    for url in [
        reverse("customer_detail", args=[org_a.slug, b_customer]),
        reverse("statement_pdf", args=[org_a.slug, b_customer]),
        reverse("payment_new", args=[org_a.slug, b_customer]),
        reverse("invoice_detail", args=[org_a.slug, b_invoice]),
        reverse("write_off_new", args=[org_a.slug, b_invoice]),
        reverse("aging_customer", args=[org_a.slug, b_customer]),
    ]:
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("payment_new", args=[org_a.slug, b_customer]),
                           {"date": "2026-03-01", "amount": "10.00", "currency": "USD", "method": "cash"})
    assert response.status_code == 404
    assert not Payment.objects.exists()


def test_it_sends_anonymous_visitors_to_the_login_page(client, org_a, ledger_a):
    for url in pages(org_a.slug, ledger_a):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_home_goes_to_the_only_organization_or_offers_a_choice(client, members, org_a, org_b, system, now):
    from recoup.orgs.actions import member_add

    client.force_login(members["owner"])
    assert client.get(reverse("home"))["Location"] == reverse("dashboard", args=[org_a.slug])
    member_add(org=org_b, username="a-owner", role="viewer", actor=system, now=now)
    page = client.get(reverse("home")).content.decode()
    assert reverse("dashboard", args=[org_a.slug]) in page and reverse("dashboard", args=[org_b.slug]) in page


def test_a_user_logs_in_with_the_login_form(client, org_a, system, now):
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="alice", role="owner", password="a long passphrase", actor=system, now=now)
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "alice", "password": "a long passphrase"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard", args=[org_a.slug])


def test_the_admin_asks_staff_for_their_code(admin_client):
    assert admin_client.get(reverse("admin:ledger_customer_changelist"))["Location"].startswith("/admin/login/")


def test_the_admin_lists_ledger_and_audit_rows_for_staff(admin_client, admin_user, org_a, ledger_a):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)
    session = admin_client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id  # as after giving a code at the admin login
    session.save()
    for name in ["ledger_customer", "ledger_invoice", "audit_auditevent", "orgs_organization"]:
        assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    event_url = reverse("admin:audit_auditevent_add")
    assert admin_client.get(event_url).status_code == 403
