"""In Chromium, each of the debtor's other portal flows, ending with the state the operator works from:
a plan inside and outside the organization's limits, a promise to pay, a dispute with an attachment,
and opting out of text messages."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest


@pytest.fixture
def portal(org_a, make_customer, make_invoice, system):
    from django.utils import timezone

    from recoup.ledger.customer_actions import contact_save
    from recoup.portal.actions import token_issue

    customer = make_customer(org_a, ref="C042", name="Northwind Traders")
    contact_save(org=org_a, customer=customer, actor=system, now=timezone.now(), name="Accounts",
                 email="accounts@northwind.example", phone="+447700900123", preferred_channel="sms")
    invoice = make_invoice(org_a, customer, "INV-1001", "120.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    _, secret = token_issue(org=org_a, customer=customer, actor=system, now=timezone.now())
    return invoice, f"/p/{secret}/"


def _tasks(invoice, text):
    from recoup.messaging.models import Task

    return Task.objects.for_org(invoice.org).filter(customer=invoice.customer, status="open", text__contains=text)


def _in_days(n: int) -> str:
    from django.utils import timezone

    return (timezone.now().date() + timedelta(days=n)).isoformat()


@pytest.mark.browser
@pytest.mark.parametrize("count, frequency, status, notice", [
    ("3", "Monthly", "active", "Your payment plan is in place."),
    ("12", "Weekly", "proposed", "We will look at your proposed plan and get back to you."),
])
def test_a_debtor_proposes_a_plan(live_server, portal, chromium_page, count, frequency, status, notice):
    from playwright.sync_api import expect

    invoice, path = portal
    with chromium_page() as page:
        page.goto(live_server.url + path)
        page.get_by_role("link", name="Propose a payment plan").click()
        page.get_by_label("Number of payments").fill(count)
        page.get_by_label("How often").select_option(label=frequency)
        page.get_by_label("Date of the first payment").fill(_in_days(7))
        page.get_by_role("button", name="Propose this plan").click()
        expect(page.get_by_role("status")).to_contain_text(notice)
        expect(page.get_by_role("region", name="Your arrangements")).to_contain_text("Payment plan")

    from recoup.arrangements.models import PaymentPlan

    plan = PaymentPlan.objects.for_org(invoice.org).get(customer=invoice.customer)
    assert plan.status == status and plan.instalment_count == int(count)
    assert sum(i.amount_minor for i in plan.instalments.all()) == 12000
    assert _tasks(invoice, "asked for a payment plan").count() == 1


@pytest.mark.browser
def test_a_debtor_promises_a_date(live_server, portal, chromium_page):
    from playwright.sync_api import expect

    invoice, path = portal
    with chromium_page() as page:
        page.goto(live_server.url + path + "promise/")
        page.get_by_label("I will pay by").fill(_in_days(400))
        page.get_by_role("button", name="Make this promise").click()
        expect(page.get_by_role("alert")).to_contain_text("no later than")
        page.get_by_label("I will pay by").fill(_in_days(10))
        page.get_by_role("button", name="Make this promise").click()
        expect(page.get_by_role("status")).to_contain_text("We have noted your promise")

    from recoup.arrangements.models import Promise
    from recoup.collections.models import Pause

    promise = Promise.objects.for_org(invoice.org).get()
    assert promise.status == "open" and promise.amount_minor == 12000
    assert Pause.objects.for_org(invoice.org).filter(invoice=invoice, lifted_at__isnull=True).exists()


@pytest.mark.browser
def test_a_debtor_raises_a_dispute_with_an_attachment(live_server, portal, chromium_page):
    from playwright.sync_api import expect

    invoice, path = portal
    with chromium_page() as page:
        page.goto(live_server.url + path)
        page.get_by_role("link", name="Tell us about a problem").click()
        page.get_by_label("What is the problem?").select_option(label="Not delivered")
        page.get_by_label("Tell us what happened").fill("The second pallet never arrived.")
        page.get_by_label("Documents or photos").set_input_files(
            files=[{"name": "delivery-note.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 note"}])
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_role("status")).to_contain_text("We will look into it")

    from recoup.arrangements.models import Dispute

    dispute = Dispute.objects.for_org(invoice.org).get()
    assert (dispute.category, dispute.status, dispute.source) == ("not_delivered", "open", "portal")
    assert dispute.attachments.get().filename == "delivery-note.pdf"
    assert list(dispute.invoices.all()) == [invoice]


@pytest.mark.browser
def test_a_debtor_opts_out_of_sms(live_server, portal, chromium_page):
    from playwright.sync_api import expect

    invoice, path = portal
    with chromium_page() as page:
        page.goto(live_server.url + path)
        page.get_by_role("link", name="Choose how we contact you").click()
        page.get_by_label("No text messages (SMS)").check()
        page.get_by_role("button", name="Save preferences").click()
        expect(page.get_by_role("alert")).to_have_text("You cannot prefer a channel you opted out of.")
        page.get_by_label("I prefer to be contacted by").select_option(label="E-mail")
        page.keyboard.press("Tab")
        page.get_by_role("button", name="Save preferences").focus()
        page.keyboard.press("Enter")  # the keyboard works as well as the mouse
        expect(page.get_by_role("status")).to_have_text("Your preferences were saved.")

    contact = invoice.customer.contacts.get()
    assert contact.opt_out_sms and contact.preferred_channel == "email" and not contact.opt_out_email
    assert _tasks(invoice, "opted out of sms").count() == 1


@pytest.mark.browser
def test_a_promise_is_refused_while_the_plan_asked_for_waits(live_server, portal, chromium_page):
    from playwright.sync_api import expect

    invoice, path = portal
    with chromium_page() as page:
        page.goto(live_server.url + path + "plan/")
        page.get_by_label("Number of payments").fill("12")
        page.get_by_label("How often").select_option(label="Weekly")
        page.get_by_label("Date of the first payment").fill(_in_days(7))
        page.get_by_role("button", name="Propose this plan").click()
        expect(page.get_by_role("status")).to_contain_text("We will look at your proposed plan")
        page.goto(live_server.url + path + "promise/")
        page.get_by_label("I will pay by").fill(_in_days(10))
        page.get_by_role("button", name="Make this promise").click()
        expect(page.get_by_role("alert")).to_contain_text("INV-1001 is in a payment plan awaiting a decision")

    from recoup.arrangements.models import Promise

    assert not Promise.objects.for_org(invoice.org).exists()


@pytest.mark.browser
def test_a_message_written_in_the_portal_is_in_the_operators_inbox(live_server, portal, chromium_page, system, now):
    from playwright.sync_api import expect

    from recoup.orgs.actions import member_add
    from tests.browser.conftest import log_in

    invoice, path = portal
    member_add(org=invoice.org, username="olivia", role="owner", password="correct horse battery", actor=system,
               now=now)
    with chromium_page() as page:
        page.goto(live_server.url + path + "message/")
        page.get_by_label("Your message").fill("We paid INV-1001 on Monday, reference 7781.")
        page.get_by_role("button", name="Send message").click()
        page.wait_for_load_state()

        log_in(page, live_server.url, "olivia", "correct horse battery")
        page.goto(live_server.url + "/o/acme/inbox/")
        inbox = page.locator("main")
        expect(inbox).to_contain_text("We paid INV-1001 on Monday, reference 7781.")
        inbox.get_by_role("link", name=re.compile("portal message from Northwind Traders")).click()
        expect(page.locator("main")).to_contain_text("reference 7781")
        page.goto(live_server.url + f"/o/acme/customers/{invoice.customer.pk}/messages/")
        expect(page.locator("main")).to_contain_text("We paid INV-1001 on Monday")
