"""In Chromium: a debtor opens the link from a reminder, pays by card on the (fake) provider's page and comes
back; the operator's ledger shows the invoice paid at once, and a replayed webhook changes nothing."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.fixture
def fake_stripe(live_server):
    from recoup.payments.fake_stripe import FakeStripe

    with FakeStripe(secret_key="sk_test_acme", webhook_secret="whsec_acme",
                    webhook_url=f"{live_server.url}/hooks/payments/stripe/acme/") as fake:
        yield fake


@pytest.fixture
def portal_link(org_a, fake_stripe, make_customer, make_invoice, system):
    from django.utils import timezone

    from recoup.payments.actions import provider_configure
    from recoup.portal.actions import token_issue

    provider_configure(org=org_a, secret_key="sk_test_acme", webhook_secret="whsec_acme", api_base=fake_stripe.url,
                       actor=system, now=timezone.now())
    customer = make_customer(org_a, ref="C042", name="Northwind Traders")
    invoice = make_invoice(org_a, customer, "INV-1001", "120.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    _, secret = token_issue(org=org_a, customer=customer, actor=system, now=timezone.now())
    return invoice, f"/p/{secret}/"


@pytest.mark.browser
def test_a_debtor_pays_by_card_and_the_invoice_is_paid_at_once(live_server, portal_link, fake_stripe, chromium_page):
    from playwright.sync_api import expect

    invoice, path = portal_link
    with chromium_page() as page:
        page.goto(live_server.url + path)
        expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()
        expect(page.get_by_role("row", name="INV-1001")).to_contain_text("£120.00")
        page.get_by_role("link", name="Pay by card").click()
        expect(page.get_by_role("checkbox", name="INV-1001: £120.00 open")).to_be_checked()
        page.get_by_role("button", name="Continue to card payment").click()

        expect(page.get_by_role("heading", name="Pay 120.00 GBP")).to_be_visible()  # the provider's page
        page.get_by_label("Card number").fill("4242 4242 4242 4242")
        page.get_by_role("button", name="Pay").click()

        expect(page.get_by_role("status")).to_contain_text("Your payment of £120.00 is confirmed and recorded")
        page.get_by_role("link", name="Back to your account").click()
        expect(page.get_by_text("You have no open invoices. Thank you!")).to_be_visible()

    from recoup.ledger.models import Payment
    from recoup.messaging.models import Task

    invoice.refresh_from_db()
    assert (invoice.status, invoice.open_minor) == ("paid", 0)
    payment = Payment.objects.for_org(invoice.org).get()
    assert payment.method == "card" and payment.allocations.get().invoice == invoice
    assert Task.objects.for_org(invoice.org).filter(text__contains="paid £120.00 by card").exists()

    event_id, status = fake_stripe.deliveries[0]
    assert status == 200
    assert fake_stripe.redeliver(event_id) == 200  # Stripe retries: acknowledged, nothing new
    assert Payment.objects.for_org(invoice.org).count() == 1


@pytest.mark.browser
def test_a_declined_card_records_nothing(live_server, portal_link, fake_stripe, chromium_page):
    from playwright.sync_api import expect

    invoice, path = portal_link
    with chromium_page() as page:
        page.goto(live_server.url + path + "pay/")
        page.get_by_role("button", name="Continue to card payment").click()
        page.get_by_label("Card number").fill("4000 0000 0000 0002")
        page.get_by_role("button", name="Pay").click()
        expect(page.get_by_role("alert")).to_have_text("Your card was declined.")
        page.get_by_role("link", name="Cancel and go back").click()
        expect(page.get_by_role("status")).to_have_text("The card payment was cancelled; nothing was charged.")

    invoice.refresh_from_db()
    assert invoice.open_minor == 12000 and not fake_stripe.deliveries
