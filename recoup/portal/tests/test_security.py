"""A link shows one customer of one organization and nothing else; bad links are refused politely."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from recoup.portal.access import MAX_FAILURES


def test_a_link_shows_its_customers_invoices_and_never_anothers(client, link_a, link_b, make_customer, make_invoice):
    neighbour = make_customer(link_a.org, ref="C043", name="Neighbour Ltd")
    make_invoice(link_a.org, neighbour, "INV-2002", "55.00")
    page = client.get(link_a.url()).content.decode()
    assert "Northwind Traders" in page and "INV-1001" in page and "£120.00" in page
    for foreign in ("INV-2002", "Neighbour", "BOLT-9", "Bolt", "990"):
        assert foreign not in page
    other = client.get(link_b.url()).content.decode()
    assert "BOLT-9" in other and "INV-1001" not in other and "Acme" not in other


def test_another_customers_invoice_id_is_not_found_through_a_link(client, link_a, link_b):
    assert client.get(link_a.url("portal_invoice_pdf", link_b.invoice.pk)).status_code == 404
    assert client.get(link_a.url("portal_invoice_qr", link_b.invoice.pk)).status_code == 404
    forged = client.post(link_a.url("portal_promise"), {"invoices": [link_b.invoice.pk], "pay_by": "2030-01-01"})
    assert forged.status_code == 200 and "Select a valid choice" in forged.content.decode()


@pytest.mark.parametrize("tamper", [
    lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),  # one character changed
    lambda s: s[:-4],                                  # cut short
    lambda s: s + "x",                                 # lengthened
    lambda s: s.upper(),
])
def test_a_tampered_link_gets_the_polite_page_that_names_nobody(client, link_a, tamper):
    response = client.get(f"/p/{tamper(link_a.secret)}/")
    body = response.content.decode()
    assert response.status_code == 404 and "This link does not work" in body
    assert "Northwind" not in body and "Acme" not in body and "INV-1001" not in body


def test_expired_and_revoked_links_are_refused_exactly_like_unknown_ones(client, link_a, system):
    from recoup.portal.actions import token_issue, token_revoke
    from recoup.portal.models import PortalToken

    unknown = client.get("/p/" + "x" * 43 + "/").content
    token = PortalToken.objects.get(key_hash__isnull=False, customer=link_a.customer)
    PortalToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.get(link_a.url())
    assert expired.status_code == 404 and expired.content == unknown

    fresh, secret = token_issue(org=link_a.org, customer=link_a.customer, actor=system, now=timezone.now())
    assert client.get(f"/p/{secret}/").status_code == 200
    token_revoke(org=link_a.org, token=fresh, actor=system, now=timezone.now())
    revoked = client.get(f"/p/{secret}/")
    assert revoked.status_code == 404 and revoked.content == unknown


def test_only_a_hash_of_the_secret_is_stored(link_a):
    from recoup.portal.models import PortalToken

    token = PortalToken.objects.get(customer=link_a.customer)
    assert link_a.secret not in token.key_hash and len(link_a.secret) >= 43
    assert all(link_a.secret not in str(v) for v in PortalToken.objects.values().get().values())


def test_rotating_revokes_every_earlier_link(client, link_a, system):
    from recoup.portal.actions import token_issue, token_rotate

    _, second = token_issue(org=link_a.org, customer=link_a.customer, actor=system, now=timezone.now())
    _, newest = token_rotate(org=link_a.org, customer=link_a.customer, actor=system, now=timezone.now())
    assert client.get(link_a.url()).status_code == 404
    assert client.get(f"/p/{second}/").status_code == 404
    assert client.get(f"/p/{newest}/").status_code == 200


def test_the_debtor_can_replace_their_own_link(client, link_a):
    from recoup.messaging.models import Task

    response = client.post(link_a.url("portal_rotate"))
    assert response.status_code == 200 and "Your new link" in response.content.decode()
    assert client.get(link_a.url()).status_code == 404
    new_url = response.content.decode().split('<p class="mono wrap"><a href="')[1].split('"')[0]
    assert client.get(new_url).status_code == 200
    assert Task.objects.for_org(link_a.org).filter(customer=link_a.customer, text__contains="replaced their portal link")


def test_failed_lookups_are_limited_per_address_and_then_even_a_good_link_waits(client, link_a):
    for i in range(MAX_FAILURES):
        assert client.get(f"/p/{'guess' * 5}{i:04d}/").status_code == 404
    assert client.get(f"/p/{'guess' * 5}9999/").status_code == 429
    limited = client.get(link_a.url())
    assert limited.status_code == 429 and "Too many attempts" in limited.content.decode()
    assert client.get(link_a.url(), REMOTE_ADDR="10.0.0.9").status_code == 200  # another address is not held up


def test_a_token_for_another_organizations_customer_is_never_accepted(link_a, org_b):
    """Belt and braces: a row whose customer is not in its organization gives no access."""
    from recoup.portal.models import PortalToken
    from recoup.portal.selectors import token_lookup

    PortalToken.objects.filter(customer=link_a.customer).update(org=org_b)
    assert token_lookup(secret=link_a.secret, now=timezone.now()) is None


def test_portal_pages_carry_csp_no_referrer_no_store_and_a_hardened_csrf_cookie(client, link_a):
    response = client.get(link_a.url("portal_message"), secure=True)
    csp = response["Content-Security-Policy"]
    for directive in ("default-src 'none'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"] and response["X-Frame-Options"] == "DENY"
    cookie = response.cookies["csrftoken"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    refused = client.get("/p/" + "z" * 43 + "/")
    assert refused["Content-Security-Policy"] and refused["Referrer-Policy"] == "same-origin"


def test_a_post_without_the_csrf_token_is_refused(link_a):
    from django.test import Client

    from recoup.portal.models import PortalMessage

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(link_a.url("portal_message"), {"text": "hello"}).status_code == 403
    page = strict.get(link_a.url("portal_message"))
    token = page.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    ok = strict.post(link_a.url("portal_message"), {"text": "hello", "csrfmiddlewaretoken": token})
    assert ok.status_code == 302
    assert PortalMessage.objects.for_org(link_a.org).count() == 1


def test_no_inline_styles_or_scripts_that_the_csp_would_block(client, link_a):
    for name in ("portal_home", "portal_pay", "portal_plan", "portal_promise", "portal_dispute", "portal_message",
                 "portal_preferences", "portal_bank"):
        body = client.get(link_a.url(name)).content.decode()
        assert "<script" not in body and "style=" not in body and "<style" not in body, name


def _download_name(response) -> str:
    from email.message import EmailMessage

    header = EmailMessage()
    header["Content-Disposition"] = response["Content-Disposition"]
    return header.get_filename()


@pytest.mark.parametrize(("number", "name"), [('INV"7;x=1', 'INV"7;x=1.pdf'), ('INV 7\\"', 'INV 7-".pdf'),
                                              ("Rechnung-Ü/7", "Rechnung-Ü-7.pdf"), ("../../etc", "..-..-etc.pdf")])
def test_the_pdfs_download_name_is_the_invoice_number_whatever_it_holds(client, link_a, make_invoice, number, name):
    invoice = make_invoice(link_a.org, link_a.customer, number, "10.00")
    r = client.get(link_a.url("portal_invoice_pdf", invoice.pk))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert _download_name(r) == name
    assert r["Content-Disposition"].startswith("inline;")
