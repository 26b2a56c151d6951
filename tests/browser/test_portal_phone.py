"""In Chromium on a phone-sized screen (390 px): the debtor's contact preferences put each checkbox beside its own
label, and the bank-transfer page fits the screen, gives the reference the e-mail gives and the sort code and
account number from Settings."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.browser.conftest import watch_console

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def gb_link(org_a, make_customer, make_invoice, system):
    from django.utils import timezone

    from recoup.ledger.customer_actions import contact_save
    from recoup.portal.actions import token_issue

    org_a.bank_name = "Barclays Bank"
    org_a.bank_iban = "GB33BUKB20201555555555"
    org_a.bank_bic = "BUKBGB22"
    org_a.bank_account = "Sort code 20-20-15, account number 55555555"
    org_a.save()
    customer = make_customer(org_a, ref="C042", name="Northwind Traders", country="GB")
    contact_save(org=org_a, customer=customer, actor=system, now=timezone.now(), name="Accounts",
                 email="accounts@northwind.example", preferred_channel="email")
    invoice = make_invoice(org_a, customer, "INV-10500", "1250.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    _, secret = token_issue(org=org_a, customer=customer, actor=system, now=timezone.now())
    return org_a, customer, invoice, f"/p/{secret}/"


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px screen"


@pytest.mark.browser
def test_each_contact_preference_checkbox_sits_beside_its_own_label(live_server, gb_link, chromium_page):
    *_, path = gb_link
    with chromium_page() as page:
        page.set_viewport_size(PHONE)
        errors = watch_console(page)
        page.goto(live_server.url + path + "preferences/")
        for name in ("opt_out_email", "opt_out_sms", "opt_out_letter", "opt_out_phone"):
            label = page.locator(f"label[for='id_{name}']").bounding_box()
            # What a debtor taps just left of a label's words is that label's own checkbox...
            tapped = page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.id",
                                   [label["x"] - 12, label["y"] + label["height"] / 2])
            assert tapped == f"id_{name}", f"left of the label of {name} lies {tapped!r}"
            # ... and no other option shares its line.
            others = [page.locator(f"label[for='id_{o}']").bounding_box() for o in
                      ("opt_out_email", "opt_out_sms", "opt_out_letter", "opt_out_phone") if o != name]
            assert all(abs(o["y"] - label["y"]) >= label["height"] for o in others)
        page.get_by_label("No text messages (SMS)").check()
        page.get_by_role("button", name="Save preferences").click()
        page.wait_for_load_state()
        _fits(page)
        assert errors == []

    from recoup.ledger.models import Contact

    contact = Contact.objects.get(customer=gb_link[1])
    assert (contact.opt_out_sms, contact.opt_out_email) == (True, False)


@pytest.mark.browser
def test_bank_transfer_fits_a_phone_and_gives_the_emails_reference_and_the_sort_code(live_server, gb_link,
                                                                                  chromium_page):
    from playwright.sync_api import expect

    from recoup.messaging.rendering import render_message

    org, customer, invoice, path = gb_link
    email = render_message(org=org, customer=customer, invoices=[invoice], template="first-reminder",
                           channel="email", language="en", on=date.today())
    email_reference = re.search(r"Payment reference: (.+?)(?: \(|\n|$)", email.text, re.M).group(1)
    with chromium_page() as page:
        page.set_viewport_size(PHONE)
        errors = watch_console(page)
        page.goto(live_server.url + path + "bank-transfer/")
        transfer = page.get_by_role("region", name="Invoice INV-10500")
        expect(transfer).to_be_visible()
        _fits(page)
        expect(transfer).to_contain_text("Sort code 20-20-15, account number 55555555")
        expect(transfer).to_contain_text("GB33 BUKB 2020 1555 5555 55")
        expect(transfer.locator("[data-reference]")).to_have_text(email_reference)
        assert email_reference.startswith("RF")  # the structured reference the bank matcher and EPC QR use
        assert errors == []


@pytest.mark.browser
def test_the_portals_icon_is_one_its_own_content_security_policy_allows(live_server, gb_link, chromium_page):
    *_, path = gb_link
    with chromium_page() as page:
        errors = watch_console(page)
        response = page.goto(live_server.url + path)
        policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
        icon = page.evaluate("document.querySelector('link[rel~=icon]').href")
        allowed = policy.get("img-src", policy.get("default-src", "")).split()
        assert icon.startswith(live_server.url + "/") and "'self'" in allowed or icon.split(":")[0] + ":" in allowed, \
            f"the icon {icon} is refused by img-src {allowed}"
        fetched = page.request.get(icon)
        assert fetched.status == 200 and fetched.headers["content-type"].startswith("image/")
        assert errors == []


@pytest.mark.browser
def test_long_unbroken_names_numbers_and_addresses_fit_a_phone_on_every_portal_page(live_server, org_a,
                                                                                  make_customer, make_invoice,
                                                                                  system, chromium_page):
    from django.utils import timezone

    from recoup.portal.actions import token_issue
    from tests.browser.test_crawl import _crawl

    org_a.legal_name = "Acme-Supplies-International-Holdings-Limited-Partnership"
    org_a.sender_email = "accounts-receivable.department@acme-supplies-international-holdings.example"
    org_a.bank_iban = "MT84MALT011000012345MTLCAST001S"  # 31 characters, one of the longest
    org_a.bank_account = "Account-number-00000000123456789-at-the-Bank-of-Somewhere"
    org_a.save()
    customer = make_customer(org_a, ref="CUSTOMER-REFERENCE-0000000042", name="Northwind-Traders-Wholesale-Limited")
    make_invoice(org_a, customer, "INV-2026-000000000000000012345", "1234567.89", issue=date(2026, 1, 1),
                 due=date(2026, 1, 31))
    _, secret = token_issue(org=org_a, customer=customer, actor=system, now=timezone.now())
    with chromium_page() as page:
        page.set_viewport_size(PHONE)
        errors = watch_console(page)
        reached, problems = _crawl(page, live_server.url, f"/p/{secret}/", f"/p/{secret}/")
    assert len(reached) >= 5, reached
    assert problems == []
    assert errors == []
