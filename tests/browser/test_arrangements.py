"""In a real browser: the operator sees a dispute past its SLA and resolves it by credit note,
then starts a payment plan for the same customer."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest


@pytest.fixture
def disputed(org_a, make_customer, make_invoice, system, now):
    from recoup.arrangements.actions import debtor_actor, dispute_open
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olivia", role="owner", password="correct horse battery", actor=system, now=now)
    customer = make_customer(org_a, ref="C001", name="Northwind Traders")
    today = date.today()
    invoices = [make_invoice(org_a, customer, f"INV-{k}", "240.00", issue=today - timedelta(days=60),
                             due=today - timedelta(days=30)) for k in (1, 2)]
    opened = datetime.now(timezone.utc) - timedelta(days=20)
    dispute_open(org=org_a, customer=customer, invoices=[invoices[0]], category="quality", amount_minor=4000,
                 message="Two chairs arrived broken.", attachments=[("photo.png", "image/png", b"\x89PNG\r\n\x1a\nxx")],
                 actor=debtor_actor(customer), now=opened)
    return invoices


@pytest.mark.browser
def test_the_operator_resolves_a_late_dispute_and_starts_a_plan(live_server, disputed, chromium_page):
    from playwright.sync_api import expect

    with chromium_page() as page:
        page.goto(live_server.url + "/")
        page.get_by_label("Username").fill("olivia")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="Arrangements").click()

        disputes = page.get_by_role("table", name="Disputes")
        expect(disputes).to_contain_text("past SLA")
        disputes.get_by_role("link", name="#").first.click()
        expect(page.get_by_role("link", name="photo.png")).to_be_visible()
        page.get_by_label("Credit note number").fill("CN-100")
        page.get_by_label("Credit amount").fill("40.00")
        page.get_by_label("On invoice").select_option(label="INV-1")
        page.get_by_label("Reason").fill("Two chairs replaced by credit")
        page.get_by_role("button", name="Issue credit note").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Resolved by credit note")

        page.get_by_role("link", name="Arrangements").first.click()
        page.get_by_label("Customer").fill("C001")  # typed by reference: no select of every customer
        page.get_by_role("button", name="New payment plan").click()
        page.get_by_label("INV-2", exact=False).check()
        page.get_by_label("Number of instalments").fill("3")
        page.get_by_label("First instalment on").fill((date.today() + timedelta(days=7)).isoformat())
        page.get_by_role("button", name="Start plan").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Active")
        expect(page.get_by_role("table", name="Schedule")).to_contain_text("£80.00")

    from recoup.arrangements.models import PaymentPlan
    from recoup.collections.models import Pause

    plan = PaymentPlan.objects.get()
    assert sorted(Pause.objects.filter(lifted_at__isnull=True).values_list("reason", flat=True)) == [f"plan #{plan.pk}"]
