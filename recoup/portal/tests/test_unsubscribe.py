"""The e-mail's one-click unsubscribe (RFC 8058) at ``preferences/stop/email/``: a POST of
``List-Unsubscribe=One-Click`` stops e-mail and nothing else, as the debtor, audited once; a GET and any
other POST change nothing; the preferences form shown there still posts to the preferences page.
(The header itself, on a link made as the e-mail leaves: messaging/tests/test_mail_client_view.py.)"""

from __future__ import annotations

import pytest
from django.test import Client

from recoup.audit.models import AuditEvent

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def mail_provider():
    return Client(enforce_csrf_checks=True)


def _events(link):
    return AuditEvent.objects.for_org(link.org).filter(customer=link.customer, verb="portal.preferences_changed",
                                                        actor_kind="debtor")


def test_one_click_stops_only_e_mail_keeps_the_rest_and_is_audited_once(mail_provider, link_a, link_b):
    contact = link_a.customer.contacts.get()
    contact.opt_out_sms = True
    contact.save(update_fields=["opt_out_sms"])
    url = link_a.url("portal_unsubscribe", "email")

    assert mail_provider.post(url, ONE_CLICK).status_code == 200
    contact.refresh_from_db()
    assert contact.opt_out_email and contact.opt_out_sms and not contact.opt_out_letter
    assert contact.preferred_channel == "letter"  # e-mail was preferred: the first channel still open
    [event] = _events(link_a)
    assert "one-click unsubscribe" in event.summary and event.data["changes"][0] == "opted out of email"

    assert mail_provider.post(url, ONE_CLICK).status_code == 200  # a provider retrying: nothing more
    assert _events(link_a).count() == 1
    assert not link_b.customer.contacts.get().opt_out_email  # the other organization's customer untouched


def test_a_get_shows_the_preferences_and_changes_nothing(client, link_a):
    page = client.get(link_a.url("portal_unsubscribe", "email"))
    assert page.status_code == 200
    body = page.content.decode()
    assert f'action="{link_a.url("portal_preferences")}"' in body and 'name="opt_out_email"' in body
    assert not link_a.customer.contacts.get().opt_out_email and not _events(link_a).exists()


def test_anything_but_the_one_click_body_changes_nothing(mail_provider, link_a):
    url = link_a.url("portal_unsubscribe", "email")
    assert mail_provider.post(url, {"opt_out_email": "on", "preferred_channel": "sms"}).status_code == 400
    assert mail_provider.post(link_a.url("portal_unsubscribe", "fax"), ONE_CLICK).status_code == 404
    assert not link_a.customer.contacts.get().opt_out_email and not _events(link_a).exists()


def test_a_revoked_link_unsubscribes_nobody(mail_provider, link_a, system):
    from django.utils import timezone

    from recoup.portal.actions import token_rotate

    token_rotate(org=link_a.org, customer=link_a.customer, actor=system, now=timezone.now(), reason="test")
    assert mail_provider.post(link_a.url("portal_unsubscribe", "email"), ONE_CLICK).status_code == 404
    assert not link_a.customer.contacts.get().opt_out_email
