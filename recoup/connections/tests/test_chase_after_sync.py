"""The scheduler syncs right before the cycle: an invoice paid in Xero at 08:55 is not chased at
09:00 (aiosmtpd receives nothing for it), and with Xero unreachable for a day the cycle defers
every step with the reason, which the digest says."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from urllib.parse import parse_qs, urlparse

import pytest

from recoup.audit.actions import Actor
from recoup.collections.scheduler import scheduler_tick
from recoup.connections.actions import connect_complete, connect_start
from recoup.connections.sync import sync_connection
from recoup.messaging.tests.conftest import SmtpSink, free_port
from recoup.orgs.actions import member_add
from recoup.orgs.models import Organization

UTC = timezone.utc
AT_0900 = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)  # 09:00 in London (summer time)
REDIRECT = "http://testserver/connections/callback/"


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "collections@recoup.example"
    yield sink
    controller.stop()


@pytest.fixture
def books(org_a, settings, monkeypatch, system, now):
    from recoup.connections import providers
    from recoup.connections.fakes.server import FrozenClock
    from recoup.connections.fakes.testing import specs_or_skip
    from recoup.connections.fakes.xero import FakeXero

    specs_or_skip()
    Organization.objects.filter(pk=org_a.pk).update(cycle_time=time(9, 0), sender_email="ar@acme.example")
    member_add(org=org_a, username="owner", role="owner", email="owner@acme.example", actor=system, now=now)
    with FakeXero(redirect_uris=[REDIRECT], clock=FrozenClock(AT_0900 - timedelta(hours=3))) as xero:
        settings.RECOUP_BOOKS = {**settings.RECOUP_BOOKS, "xero": {
            "client_id": xero.client_id, "client_secret": xero.client_secret, "webhook_key": "", "url": xero.url}}
        monkeypatch.setattr(providers, "TRANSPORT", None)
        tenant = xero.add_tenant("Acme Supplies Ltd", currency="GBP")
        start = xero.clock()
        ids = {}
        for name in ("Paid", "Late"):
            contact = tenant.put_contact({"Name": f"{name} Ltd", "EmailAddress": f"{name.lower()}@debtor.test"},
                                         start)
            ids[name] = tenant.put_invoice({
                "Type": "ACCREC", "Contact": {"ContactID": contact["ContactID"]}, "Status": "AUTHORISED",
                "Date": "2026-02-22", "DueDate": "2026-03-24", "InvoiceNumber": f"INV-{name.upper()}",
                "LineItems": [{"Description": "Goods", "Quantity": 1, "UnitAmount": 250, "AccountCode": "200"}]},
                start)["InvoiceID"]
        url = connect_start(org=org_a, provider="xero", redirect_uri=REDIRECT, user=None, now=start)
        back = {k: v[0] for k, v in parse_qs(urlparse(xero.approve(url)).query).items()}
        connection = connect_complete(state=back["state"], code=back["code"], callback=back,
                                      actor=Actor.system("t"), now=start, org=org_a)
        assert sync_connection(connection=connection, now=start).ok  # 06:00: the books as they were
        yield xero, ids


def test_an_invoice_paid_in_xero_at_0855_is_not_chased_at_0900(org_a, books, smtp):
    xero, ids = books
    xero.clock.set(AT_0900 - timedelta(minutes=5))
    xero.mark_paid(ids["Paid"], at=AT_0900 - timedelta(minutes=5))
    xero.clock.set(AT_0900)
    report = scheduler_tick(now=AT_0900, orgs=[Organization.objects.get(pk=org_a.pk)])
    assert report.ran and not report.failed
    debtors = [m for m in smtp.received if "debtor.test" in m["To"]]
    assert [m["To"] for m in debtors] == ["late@debtor.test"]
    assert "INV-LATE" in debtors[0].get_body(("plain",)).get_content()
    xero.check()


def test_with_xero_unreachable_for_a_day_the_cycle_defers_every_step_and_the_digest_says_why(org_a, books, smtp):
    xero, _ = books
    xero.unreachable = True
    next_day = AT_0900 + timedelta(days=1)
    report = scheduler_tick(now=next_day, orgs=[Organization.objects.get(pk=org_a.pk)])
    (org, result), = report.ran
    assert result.actions and {a.status for a in result.actions} == {"deferred"}
    assert all(a.reason.startswith("books not synced since 2026-03-31 05:00 UTC") for a in result.actions)
    assert not [m for m in smtp.received if "debtor.test" in m["To"]]
    digest, = [m for m in smtp.received if m["To"] == "owner@acme.example"]
    assert "every step was deferred, books not synced since 2026-03-31 05:00 UTC" in \
        digest.get_body(("plain",)).get_content()
    xero.unreachable = False
