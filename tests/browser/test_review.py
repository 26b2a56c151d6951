"""In a real browser: review mode. The cycle leaves a draft, the dashboard says so, the draft is opened in
two tabs, edited and approved in one; approving in the other says politely that it already was; the
aiosmtpd server receives exactly one e-mail, with the edited text."""

from __future__ import annotations

from datetime import date, time

import pytest

from recoup.messaging.tests.conftest import smtp, smtp_server  # noqa: F401

EDITED = "Dear accounts team,\n\nAs agreed on the phone today, INV-1001 will be paid on Friday.\n\nThank you!"


@pytest.fixture
def collector_in_review_mode(org_a, make_customer, make_invoice, system, now):
    from recoup.collections.actions import policies_install_defaults
    from recoup.ledger.models import Contact
    from recoup.orgs.actions import member_add

    org_a.send_mode = "review"
    org_a.sender_email = "accounts@acme.example"
    # Any weekday daytime in London: delivery below asks the gate at the time the draft was held for.
    org_a.send_window_start, org_a.send_window_end, org_a.send_window_weekdays = time(9), time(17), "12345"
    org_a.save()
    member_add(org=org_a, username="colin", role="collector", password="correct horse battery", actor=system, now=now)
    policies_install_defaults(org=org_a, actor=system, now=now)
    customer = make_customer(org_a, ref="C042", name="Northwind Traders")
    Contact.objects.create(org=org_a, customer=customer, name="Accounts payable", email="ap@northwind.test")
    make_invoice(org_a, customer, "INV-1001", "120.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    return customer


@pytest.mark.browser
def test_two_tabs_approve_a_draft_once_and_the_edited_text_is_what_arrives(live_server, collector_in_review_mode,
                                                                          chromium_page, smtp):  # noqa: F811
    from playwright.sync_api import expect

    with chromium_page() as page:
        page.goto(live_server.url + "/")
        page.get_by_label("Username").fill("colin")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()

        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Review (0)")).to_be_visible()
        nav.get_by_role("link", name="Policies").click()
        page.get_by_role("link", name="Run the cycle").click()
        page.get_by_label("Date").fill("2026-02-05")
        page.get_by_label("Dry run").uncheck()
        page.get_by_role("button", name="Run the cycle").click()
        expect(page.get_by_role("status")).to_contain_text("0 messages queued. 1 draft waiting for review.")
        expect(page.locator("#cycle-result tbody tr")).to_contain_text("draft")

        nav.get_by_role("link", name="Dashboard").click()
        expect(page.locator("#drafts-waiting")).to_have_text("1 draft waiting for review.")
        page.locator("#drafts-waiting").get_by_role("link", name="1 draft").click()
        row = page.locator("tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Northwind Traders")
        expect(row).to_contain_text("ap@northwind.test")
        row.get_by_role("link").last.click()
        draft_url = page.url

        # Two tabs of one browser context sharing the signed-in session, both showing the draft.
        context = page.context.browser.new_context(storage_state=page.context.storage_state())
        one, other = context.new_page(), context.new_page()
        for tab in (one, other):
            tab.goto(draft_url)
            expect(tab.frame_locator("iframe[sandbox]").get_by_text("INV-1001").first).to_be_visible()
            expect(tab.get_by_role("button", name="Approve")).to_be_visible()

        one.bring_to_front()
        one.get_by_label("Text").fill(EDITED)
        one.get_by_role("button", name="Approve").click()
        expect(one.get_by_role("status")).to_contain_text("Approved: the E-mail to ap@northwind.test is queued")
        expect(one.get_by_text("No draft is waiting for review.")).to_be_visible()
        expect(one.get_by_role("navigation", name="Main").get_by_role("link", name="Review (0)")).to_be_visible()

        # Headless Chromium only acts on the tab in front, with focus inside it.
        other.bring_to_front()
        other.get_by_role("button", name="Approve").focus()
        other.get_by_role("button", name="Approve").click()
        expect(other.get_by_role("status")).to_contain_text("This draft was already approved by colin")
        expect(other.get_by_role("button", name="Approve")).to_have_count(0)
        expect(other.locator(".message-text")).to_contain_text("will be paid on Friday")

    from recoup.messaging.delivery import deliver_due
    from recoup.messaging.models import Message

    message = Message.objects.get(customer=collector_in_review_mode)
    assert (message.status, message.reviewed_by) == ("queued", "colin")
    report = deliver_due(now=message.next_attempt_at)
    assert report.sent == 1
    [mail] = smtp.received
    assert mail["To"] == "ap@northwind.test"
    assert mail.get_body(preferencelist=("plain",)).get_content().strip().splitlines() == EDITED.splitlines()
    assert "will be paid on Friday." in mail.get_body(preferencelist=("html",)).get_content()


@pytest.fixture
def three_drafts(collector_in_review_mode, org_a, make_customer, make_invoice, system, now):
    from django.utils import timezone

    from recoup.collections.cycle import cycle_run
    from recoup.ledger.models import Contact
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="vera", role="viewer", password="correct horse battery", actor=system, now=now)
    for ref, name in (("C043", "Contoso Ltd"), ("C044", "Fabrikam plc")):
        customer = make_customer(org_a, ref=ref, name=name)
        Contact.objects.create(org=org_a, customer=customer, name="Accounts", email=f"{ref.lower()}@debtor.test")
        make_invoice(org_a, customer, f"INV-{ref}", "80.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    result = cycle_run(org=org_a, on=date(2026, 2, 5), now=timezone.now())
    assert result.counts["draft"] == 3


def _log_in(page, url: str, username: str) -> None:
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()


@pytest.mark.browser
def test_drafts_are_skipped_and_approved_from_the_list_and_a_viewer_only_looks(live_server, three_drafts,
                                                                              chromium_page):
    from playwright.sync_api import expect

    with chromium_page() as page:
        _log_in(page, live_server.url + "/o/acme/review/", "colin")
        rows = page.locator("tbody tr")
        expect(rows).to_have_count(3)
        page.get_by_label("Select the draft to Contoso Ltd").check()
        page.get_by_role("button", name="Skip selected").click()
        expect(page.get_by_role("status")).to_contain_text("1 draft skipped.")
        expect(rows).to_have_count(2)
        expect(page.locator("tbody")).not_to_contain_text("Contoso Ltd")

        page.get_by_role("button", name="Approve selected").click()  # nothing ticked
        expect(page.get_by_role("status")).to_contain_text("Nothing done: drafts: tick at least one draft.")
        page.get_by_role("button", name="Approve all").click()
        expect(page.get_by_role("status")).to_contain_text("2 drafts approved and queued for delivery.")
        expect(page.get_by_text("No draft is waiting for review.")).to_be_visible()
        page.get_by_role("button", name="Log out").click()

        _log_in(page, live_server.url + "/o/acme/", "vera")
        expect(page.locator("#drafts-waiting")).to_have_text("No draft is waiting for review.")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Review (0)").click()
        expect(page.get_by_role("heading", name="Review")).to_be_visible()
        expect(page.get_by_role("button")).to_have_count(1)  # only "Log out"

    from recoup.messaging.models import Message

    assert sorted(Message.objects.values_list("customer__ref", "status", "reviewed_by")) == [
        ("C042", "queued", "colin"), ("C043", "cancelled", "colin"), ("C044", "queued", "colin")]
