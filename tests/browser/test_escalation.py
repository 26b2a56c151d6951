"""In a real browser: the operator opens an escalation review, reads the account's story, chooses a
letter before action, and finds the letter in the day's print batch on the worklist."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest


@pytest.fixture
def reviewed(org_a, make_customer, make_invoice, system, now):
    from recoup.ledger.models import Contact
    from recoup.messaging.actions import task_open
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olivia", role="owner", password="correct horse battery", actor=system, now=now)
    customer = make_customer(org_a, ref="P001", name="Jamie Rivers", kind="consumer", country="GB")
    Contact.objects.create(org=org_a, customer=customer, name="Jamie Rivers", email="jamie@rivers.example",
                           postal_address="7 Mill Lane\nLeeds LS1 4AB")
    today = date.today()
    make_invoice(org_a, customer, "INV-7", "640.00", issue=today - timedelta(days=90), due=today - timedelta(days=60))
    task_open(org=org_a, customer=customer, kind="escalation_review", actor=system, now=datetime.now(timezone.utc),
              text="Escalation review: P001 (Jamie Rivers) reached \"Letter before action\"; decide what happens next.")
    return customer


def _login(page, url):
    page.goto(url + "/")
    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()


@pytest.mark.browser
def test_the_operator_chooses_a_letter_before_action_and_finds_it_in_the_print_batch(live_server, reviewed,
                                                                                     chromium_page):
    from playwright.sync_api import expect

    with chromium_page() as page:
        _login(page, live_server.url)
        page.get_by_role("link", name="Escalation").first.click()
        page.get_by_role("link", name="Review Jamie Rivers").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Escalation review: Jamie Rivers")
        expect(page.get_by_role("table", name="Invoices")).to_contain_text("INV-7")
        expect(page.get_by_text("Letter before action sent: no letter before action sent yet")).to_be_visible()
        page.get_by_label("Send a letter before action").check()
        page.get_by_role("button", name="Record the decision").click()
        expect(page.get_by_role("status")).to_contain_text("Letter of Claim")
        expect(page.get_by_text("no further escalation before then")).to_be_visible()

    from django.utils import timezone as dj_timezone

    from recoup.messaging.delivery import deliver_due

    assert deliver_due(now=dj_timezone.now()).sent == 1  # the worker's turn: the letter joins today's batch

    with chromium_page() as page:
        _login(page, live_server.url)
        page.get_by_role("link", name="Worklist").first.click()
        letters = page.locator("#letters")
        expect(letters).to_contain_text("Jamie Rivers")
        expect(letters).to_contain_text("Letter of Claim (P001)")


@pytest.mark.browser
def test_review_an_account_opens_the_chosen_customers_review_without_inline_script(live_server, reviewed, org_a,
                                                                                  make_customer, chromium_page):
    from playwright.sync_api import expect

    from tests.browser.conftest import watch_console

    make_customer(org_a, ref="P002", name="Casey Moor", kind="consumer", country="GB")
    with chromium_page() as page:
        errors = watch_console(page)
        _login(page, live_server.url)
        page.get_by_role("link", name="Escalation").first.click()
        page.get_by_label("Review an account").select_option(label="P002 Casey Moor")
        page.get_by_role("button", name="Open").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Escalation review: Casey Moor")
        assert errors == []
