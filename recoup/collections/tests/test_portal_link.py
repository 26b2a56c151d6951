"""Every reminder carries the customer's own portal link, and the link opens that customer's statement."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from recoup.collections.cycle import cycle_run
from recoup.collections.tests.conftest import at
from recoup.messaging.models import Message
from recoup.portal.models import PortalToken


def test_a_reminder_links_to_the_customers_portal(client, five_step, debtor, make_invoice, org_a, settings):
    settings.RECOUP_BASE_URL = "https://pay.acme.example"
    customer = debtor(org_a, "C001", kind="consumer")
    # Today, as the link's expiry is checked against the real clock when it is opened.
    today = timezone.now().date()
    make_invoice(org_a, customer, "INV-1", "100.00", issue=today - timedelta(days=33), due=today - timedelta(days=3))
    cycle_run(org=org_a, on=today, now=at(today, 11))
    body = Message.objects.get().body_text
    link = re.search(r"https://pay\.acme\.example(/p/\S+?/)(?=\s|$)", body)
    assert link, body
    page = client.get(link.group(1))
    assert page.status_code == 200 and "INV-1" in page.content.decode()
    assert PortalToken.objects.filter(customer=customer).count() == 1


def test_a_dry_run_makes_no_link(five_step, debtor, make_invoice, org_a):
    today = timezone.now().date()
    make_invoice(org_a, debtor(org_a, "C001", kind="consumer"), "INV-1", "100.00", issue=today - timedelta(days=33),
                 due=today - timedelta(days=3))
    cycle_run(org=org_a, on=today, now=at(today, 11), dry_run=True)
    assert not PortalToken.objects.exists()
