"""What the debtor's mail client sees of a reminder, read from a real SMTP peer (aiosmtpd): a subject
with nothing before it, a Reply-To that reaches the organization, and a one-click unsubscribe
(RFC 8058) on a fresh portal link that is never stored; a POST of it stops e-mail through the
portal's preferences action (audited, and the gate then refuses e-mail), a GET changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.test import Client
from django.utils import timezone

from recoup.audit.models import AuditEvent
from recoup.messaging.delivery import deliver_due
from recoup.messaging.links import PREFERENCES_LINK

LONG_SUBJECT = "Second reminder: payment overdue \u2013 Acme Supplies and Sons Joinery Ltd"


def _lately() -> datetime:
    """Noon UTC of a recent ordinary Wednesday: the portal reads the wall clock, so a link must be issued
    within its 90 days, and the gate sends on working days only."""
    import holidays

    day = timezone.now().date() - timedelta(days=1)
    while day.weekday() != 2 or day in holidays.country_holidays("GB", subdiv="ENG"):
        day -= timedelta(days=1)
    return datetime(day.year, day.month, day.day, 12, tzinfo=dt_timezone.utc)


def _path(mail) -> str:
    return "/" + _unsubscribe_url(mail).split("://", 1)[1].split("/", 1)[1]


def _unsubscribe_url(mail) -> str:
    # A URL longer than a line starts on the header's continuation line: folding white space, which
    # RFC 2369 readers skip (unlike a subject's, it is never shown).
    header = str(mail["List-Unsubscribe"] or "").strip()
    assert header and header.startswith("<") and header.endswith(">"), header
    return header[1:-1]


def test_a_long_subject_with_an_en_dash_reaches_the_client_without_a_leading_space(smtp, org_a, customer_a, queue,
                                                                                   now):
    queue(org_a, customer_a, "dash", subject=LONG_SUBJECT)
    assert deliver_due(now=now).sent == 1
    [mail] = smtp.received
    assert mail["Subject"] == LONG_SUBJECT
    raw = mail.as_bytes().decode("ascii")
    assert not any(line.rstrip("\r") in ("Subject:", "Subject: ") for line in raw.splitlines())


def test_each_copy_carries_its_own_one_click_unsubscribe_that_is_not_stored(smtp, org_a, customer_a, queue, now,
                                                                          settings):
    settings.RECOUP_BASE_URL = "https://pay.acme.example"
    first = queue(org_a, customer_a, "one", body_text=f"Preferences: {PREFERENCES_LINK}")
    second = queue(org_a, customer_a, "two")
    assert deliver_due(now=now).sent == 2
    urls = [_unsubscribe_url(mail) for mail in smtp.received]
    for mail, url in zip(smtp.received, urls):
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert url.startswith("https://pay.acme.example/p/") and url.endswith("/preferences/stop/email/")
    assert urls[0] != urls[1]
    # The body's preferences link and the header are the same fresh link.
    by_id = {m["Message-ID"]: m for m in smtp.received}
    body = by_id[first.message_id].get_body(("plain",)).get_content()
    secret = _unsubscribe_url(by_id[first.message_id]).split("/p/")[1].split("/")[0]
    assert f"/p/{secret}/preferences/" in body
    for message in (first, second):
        message.refresh_from_db()
        stored = " ".join([message.subject, message.body_text, message.body_html, message.last_error])
        assert "/p/" not in stored


def test_the_one_click_post_stops_e_mail_and_a_get_changes_nothing(smtp, org_a, customer_a, queue):
    from recoup.messaging import hooks

    now = _lately()
    queue(org_a, customer_a, "first", now=now)
    assert deliver_due(now=now).sent == 1
    path = _path(smtp.received[0])
    browser = Client(enforce_csrf_checks=True)  # the mail provider has no session and no CSRF token

    events_before = AuditEvent.objects.filter(org=org_a).count()
    page = browser.get(path)
    assert page.status_code == 200 and "opt_out_email" in page.content.decode()
    customer_a.billing.refresh_from_db()
    assert not customer_a.billing.opt_out_email
    assert AuditEvent.objects.filter(org=org_a).count() == events_before

    assert browser.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    customer_a.billing.refresh_from_db()
    assert customer_a.billing.opt_out_email and not customer_a.billing.opt_out_sms
    assert customer_a.billing.preferred_channel != "email"
    event = AuditEvent.objects.filter(org=org_a, verb="portal.preferences_changed").get()
    assert "one-click unsubscribe" in event.summary and "opted out of email" in event.summary
    assert event.customer_id == customer_a.pk

    # The gate refuses the next e-mail.
    later = queue(org_a, customer_a, "after", now=now)
    assert not hooks.delivery_gate(later, now=now).allowed
    assert deliver_due(now=now).sent == 0 and len(smtp.received) == 1


def test_a_post_without_the_one_click_body_changes_nothing(smtp, org_a, customer_a, queue):
    now = _lately()
    queue(org_a, customer_a, "first", now=now)
    assert deliver_due(now=now).sent == 1
    path = _path(smtp.received[0])
    assert Client(enforce_csrf_checks=True).post(path, {"opt_out_email": "on"}).status_code == 400
    customer_a.billing.refresh_from_db()
    assert not customer_a.billing.opt_out_email


def test_reply_to_reaches_an_owner_when_the_organization_set_no_sender_address(smtp, org_a, customer_a, queue, now,
                                                                              system):
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="vic", role="viewer", email="vic@acme.example", actor=system, now=now)
    member_add(org=org_a, username="olga", role="owner", email="olga@acme.example", actor=system, now=now)
    org_a.sender_email = ""
    org_a.save(update_fields=["sender_email"])
    queue(org_a, customer_a, "no-sender")
    assert deliver_due(now=now).sent == 1
    [mail] = smtp.received
    assert mail["Reply-To"] == "Acme Supplies Ltd <olga@acme.example>"


def test_the_plain_text_part_that_arrives_has_short_lines_and_each_link_on_its_own(smtp, org_a, customer_a, queue,
                                                                                 now):
    from recoup.messaging.links import PORTAL_LINK

    paragraph = ("According to our records, the invoices below are now past due. Perhaps this has simply been "
                 "overlooked, so here is a reminder. Payment reference: RF06 INV1 001 (INV-1001), "
                 "RF69 INV2 001 (INV-2001), RF76 INV1 002 (INV-1002).")
    body = f"Dear Pat,\n\n\n\n{paragraph}\n\nView your statement, pay online or tell us about a problem: {PORTAL_LINK}"
    message = queue(org_a, customer_a, "long", body_text=body)
    assert deliver_due(now=now).sent == 1
    text = smtp.received[0].get_body(("plain",)).get_content().replace("\r\n", "\n").strip()
    lines = text.split("\n")
    assert all(len(line) <= 78 for line in lines if not line.startswith("http")), text
    [link] = [line for line in lines if "/p/" in line]
    assert link.startswith("http://") and " " not in link
    assert "\n\n\n" not in text and "RF69 INV2 001" in text
    assert text.split() == [*body.replace(PORTAL_LINK, link).split()]
    message.refresh_from_db()
    assert message.body_text == body  # what is stored is what was written; only the copy sent is laid out
