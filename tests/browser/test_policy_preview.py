"""In a real browser: the policy page's preview is the message that is sent, shown whole; removing a step
asks first and can be undone, and the policy's description follows its steps."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from recoup.messaging.tests.conftest import smtp, smtp_server  # noqa: F401
from tests.browser.conftest import log_in, watch_console


@pytest.fixture
def owner_and_overdue_customer(org_a, make_customer, make_invoice, system, now):
    from django.utils import timezone

    from recoup.collections.actions import policies_install_defaults
    from recoup.ledger.models import Contact
    from recoup.orgs.actions import member_add
    from recoup.web.views.common import org_today

    org_a.sender_email = "accounts@acme.example"
    # Any time of any day: the message leaves on the day the preview is for.
    org_a.send_window_start, org_a.send_window_end, org_a.send_window_weekdays = time(0), time(23, 59), "1234567"
    org_a.save()
    member_add(org=org_a, username="olivia", role="owner", password="correct horse battery", actor=system, now=now)
    policies_install_defaults(org=org_a, actor=system, now=now)
    customer = make_customer(org_a, ref="C042", name="Northwind Traders")
    Contact.objects.create(org=org_a, customer=customer, name="Accounts payable", email="ap@northwind.test")
    today = org_today(org_a, timezone.now())
    make_invoice(org_a, customer, "INV-1001", "120.00", issue=today - timedelta(days=40),
                 due=today - timedelta(days=16))
    return customer


@pytest.mark.browser
def test_the_preview_is_the_e_mail_the_customer_gets_whole(live_server, owner_and_overdue_customer, chromium_page,
                                                          smtp):  # noqa: F811
    from playwright.sync_api import expect

    with chromium_page() as page:
        errors = watch_console(page)
        log_in(page, live_server.url, "olivia", "correct horse battery")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Policies").click()
        page.get_by_role("link", name="business-default").click()
        page.get_by_role("link", name="Preview Second reminder").click()
        expect(page.get_by_role("heading", name="To Northwind Traders")).to_be_visible()
        frame = page.locator("iframe.preview-frame")
        expect(page.frame_locator("iframe.preview-frame").get_by_text("[preferences link]").first).to_be_visible()
        subject = page.locator("#preview-subject").inner_text()
        text = page.locator("#preview-text").inner_text()
        html = frame.get_attribute("srcdoc")
        assert "\u27e6" not in text + html  # the "pay by" date is written in, as delivery writes it
        # Shown whole: the frame is as tall as the message in it (no scrolling inside, nothing cut off).
        page.wait_for_function("f => f.contentDocument.documentElement.scrollHeight <= f.clientHeight + 2",
                               arg=frame.element_handle())
        assert errors == []

    from django.utils import timezone

    from recoup.collections.cycle import cycle_run
    from recoup.messaging.delivery import deliver_due
    from recoup.messaging.links import redact
    from recoup.messaging.models import Message
    from recoup.web.views.common import org_today

    org = owner_and_overdue_customer.org
    # Today, the day the preview was for, at 10:00 in the organization's zone: whatever the hour the test
    # runs, the message leaves at once (after the legal hours of an evening it would wait for tomorrow).
    now = datetime.combine(org_today(org, timezone.now()), time(10), tzinfo=ZoneInfo(org.timezone))
    cycle_run(org=org, on=org_today(org, now), now=now, dry_run=False)
    message = Message.objects.get(customer=owner_and_overdue_customer, channel="email")
    assert message.step_key == "second-reminder"
    assert deliver_due(now=now).sent == 1
    [mail] = smtp.received
    # (SMTP carries lines ended by CRLF.)
    sent_text = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    sent_html = mail.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")
    assert "/p/" in sent_text  # the real e-mail carries working links; the preview shows them redacted
    assert mail["Subject"] == subject
    assert redact(sent_text).strip() == text.strip()
    assert redact(sent_html).strip() == html.strip()


@pytest.mark.browser
def test_removing_a_step_asks_first_and_can_be_undone(live_server, owner_and_overdue_customer, chromium_page):
    from playwright.sync_api import expect

    from recoup.audit.models import AuditEvent
    from recoup.collections.models import Policy

    original = Policy.objects.get(name="business-default").description
    with chromium_page() as page:
        errors = watch_console(page)
        log_in(page, live_server.url, "olivia", "correct horse battery")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Policies").click()
        page.get_by_role("link", name="business-default").click()
        expect(page.locator("#policy-description")).to_have_text(original)

        page.get_by_role("link", name="Remove Phone call").click()
        expect(page.get_by_role("heading", name="Remove step Phone call?")).to_be_visible()
        page.get_by_role("link", name="Cancel").click()
        expect(page.locator("#step-call")).to_be_visible()

        page.get_by_role("link", name="Remove Phone call").click()
        page.get_by_role("button", name="Remove step").click()
        expect(page.locator("#step-removed")).to_contain_text("Step “Phone call” removed.")
        expect(page.locator("#step-call")).to_have_count(0)
        description = page.locator("#policy-description")
        expect(description).not_to_have_text(original)
        expect(description).not_to_contain_text("Phone call")
        expect(description).to_contain_text("Final notice by e-mail and letter 30 days overdue")

        page.get_by_role("button", name="Undo removing Phone call").click()
        expect(page.get_by_role("status")).to_contain_text("Step “Phone call” restored.")
        expect(page.locator("#step-call")).to_be_visible()
        expect(page.locator("#policy-description")).to_have_text(original)
        assert errors == []
    verbs = list(AuditEvent.objects.filter(verb__startswith="policy.step_").order_by("seq").values_list("verb", flat=True))
    assert verbs == ["policy.step_removed", "policy.step_restored"]
