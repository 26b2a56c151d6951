"""Every reminder carries the customer's own portal link, made as it leaves; no stored body holds one.

A portal link is a credential (whoever holds it acts as the debtor), so what viewers, read-only API
tokens, exports and backups can read must not contain a working one.
"""

from __future__ import annotations

import importlib
import re
from datetime import date

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from recoup.collections.cycle import cycle_run
from recoup.collections.tests.conftest import at
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import Message
from recoup.portal.models import PortalToken
from recoup.portal.selectors import token_lookup

DAY = date(2026, 3, 11)
SENT_AT = at(DAY, 9)
LINK = re.compile(r"/p/([A-Za-z0-9_-]{20,100})/")


def working_links(text: str) -> list[str]:
    """The portal secrets in ``text`` that open a portal at SENT_AT."""
    return [s for s in LINK.findall(text) if token_lookup(secret=s, now=SENT_AT) is not None]


@pytest.fixture
def reminded(five_step, debtor, make_invoice, org_a, settings):
    """A first reminder queued by the cycle for customer C001 (invoice INV-1, 10 days overdue)."""
    settings.RECOUP_BASE_URL = "https://pay.acme.example"
    customer = debtor(org_a, "C001")
    make_invoice(org_a, customer, "INV-1", "100.00", issue=date(2026, 1, 30), due=date(2026, 3, 1))
    cycle_run(org=org_a, on=DAY, now=at(DAY, 8))
    return Message.objects.get(customer=customer)


@pytest.fixture
def clock_at_sending(monkeypatch):
    """The portal checks a link's expiry against the clock: read it as the time the e-mail left."""
    monkeypatch.setattr(timezone, "now", lambda: SENT_AT)


def test_the_email_received_carries_a_working_link_that_opens_the_portal(smtp, client, reminded,
                                                                          clock_at_sending):
    assert deliver_due(now=SENT_AT).sent == 1

    [mail] = smtp.received
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    portal = re.search(r"https://pay\.acme\.example(/p/[A-Za-z0-9_-]+/)(?=\s|$)", text)
    assert portal, text
    assert f'href="https://pay.acme.example{portal.group(1)}"' in html
    page = client.get(portal.group(1))
    assert page.status_code == 200 and "INV-1" in page.content.decode()
    prefs = client.get(portal.group(1) + "preferences/")
    assert prefs.status_code == 200
    [token] = PortalToken.objects.filter(customer=reminded.customer)
    assert token.created_at == SENT_AT  # made as the e-mail left: its 90 days count from then


def test_the_stored_message_holds_a_placeholder_not_a_link(smtp, reminded):
    assert "[portal link]" in reminded.body_text and "[portal link]" in reminded.body_html
    assert working_links(reminded.body_text + reminded.body_html) == []
    assert not PortalToken.objects.exists()  # queued only: no link exists yet

    deliver_due(now=SENT_AT)

    reminded.refresh_from_db()
    assert working_links(reminded.body_text + reminded.body_html) == []
    assert PortalToken.objects.count() == 1  # ... and the one made went out in the e-mail only


def test_a_viewer_sees_no_working_link_in_message_pages_timeline_or_csv(smtp, client, reminded, org_a, system,
                                                                         now):
    from recoup.orgs.actions import member_add

    deliver_due(now=SENT_AT)
    viewer = member_add(org=org_a, username="a-viewer", role="viewer", actor=system, now=now).user
    client.force_login(viewer)
    customer = reminded.customer
    pages = [reverse("message_detail", args=[org_a.slug, customer.pk, reminded.pk]),
             reverse("customer_messages", args=[org_a.slug, customer.pk]),
             reverse("customer_messages_csv", args=[org_a.slug, customer.pk]),
             reverse("customer_detail", args=[org_a.slug, customer.pk])]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert working_links(response.content.decode()) == [], page
    detail = client.get(pages[0]).content.decode()
    assert "[portal link]" in detail


def test_a_read_only_api_token_sees_no_working_link(smtp, reminded, org_a, system, now):
    from recoup.api.actions import token_create
    from recoup.api.tests.conftest import ApiClient

    deliver_due(now=SENT_AT)
    api = ApiClient(token_create(org=org_a, name="reader", scope="read", actor=system, now=now)[1])
    for path in ("/messages", f"/messages/{reminded.pk}"):
        response = api.get(path)
        assert response.status_code == 200, path
        assert working_links(response.content.decode()) == [], path
    assert "[portal link]" in api.get(f"/messages/{reminded.pk}").content.decode()


def test_the_evidence_pack_holds_no_working_link(smtp, reminded, org_a):
    import io
    import zipfile

    from pypdf import PdfReader

    from recoup.escalation.evidence import evidence_files

    deliver_due(now=SENT_AT)
    result, zipped = evidence_files(org=org_a, customer=reminded.customer, on=DAY, now=at(DAY, 12))
    with zipfile.ZipFile(io.BytesIO(zipped)) as zf:
        log = zf.read("communication-log.csv").decode()
    pdf_text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(result.pdf)).pages)
    assert "[portal link]" in log
    assert working_links(log) == [] and working_links(re.sub(r"\s+", "", pdf_text)) == []


def test_the_migration_takes_links_out_of_stored_bodies_and_they_keep_working(org_a, make_customer, system, now):
    from recoup.messaging.actions import message_queue
    from recoup.portal.actions import token_issue
    from recoup.portal.links import urls_for_secret

    customer = make_customer(org_a, ref="C009", name="Old Message Ltd")
    _, secret = token_issue(org=org_a, customer=customer, actor=system, now=now)
    portal, prefs = urls_for_secret(secret)
    message_queue(org=org_a, customer=customer, channel="email", to_address="old@debtor.example", subject="Old",
                  body_text=f"Pay online: {portal}\nPreferences: {prefs}",
                  body_html=f'<p><a href="{portal}">{portal}</a></p><p><a href="{prefs}">{prefs}</a></p>',
                  idempotency_key="old", actor=system, now=now)

    importlib.import_module("recoup.messaging.migrations.0006_portal_links_redacted").redact_bodies(apps, None)

    message = Message.objects.get(idempotency_key="old")
    assert message.body_text == "Pay online: [portal link]\nPreferences: [preferences link]"
    assert message.body_html == ('<p><a href="[portal link]">[portal link]</a></p>'
                                 '<p><a href="[preferences link]">[preferences link]</a></p>')
    assert token_lookup(secret=secret, now=now) is not None  # the link already sent still opens the portal


def test_a_dry_run_makes_no_link(five_step, debtor, make_invoice, org_a):
    make_invoice(org_a, debtor(org_a, "C001"), "INV-1", "100.00", issue=date(2026, 1, 30), due=date(2026, 3, 1))
    cycle_run(org=org_a, on=DAY, now=at(DAY, 8), dry_run=True)
    assert not PortalToken.objects.exists()
