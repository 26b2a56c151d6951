"""SMS: the Twilio adapter against a local fake of its REST API, and the file backend."""

from __future__ import annotations

import base64

import pytest

from recoup.lib.env import ConfigError
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import MessageStatus, Task
from recoup.messaging.selectors import contact_point_usable
from recoup.messaging.sms_url import parse_sms_url


@pytest.fixture
def twilio(twilio_server, settings):
    settings.RECOUP_SMS_URL = (f"twilio://AC123:secret@+15005550006"
                               f"?base=http://127.0.0.1:{twilio_server.server_address[1]}")
    return twilio_server


def sms(queue, org, customer, key, number):
    return queue(org, customer, key, channel="sms", to_address=number, body_text="Invoice INV-1 is overdue.",
                 body_html="")


def test_it_sends_an_sms_through_twilio(twilio, org_a, customer_a, queue, now):
    message = sms(queue, org_a, customer_a, "s1", "+447700900123")

    assert deliver_due(now=now).sent == 1

    message.refresh_from_db()
    [request] = twilio.requests
    assert request["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request["auth"] == "Basic " + base64.b64encode(b"AC123:secret").decode()
    assert request["form"] == {"To": "+447700900123", "From": "+15005550006", "Body": "Invoice INV-1 is overdue."}
    assert message.status == MessageStatus.SENT and message.provider_id.startswith("SM")


def test_an_invalid_number_fails_for_good_and_blocks_sms_and_calls(twilio, org_a, customer_a, queue, now):
    message = sms(queue, org_a, customer_a, "s1", "+15005550001")

    assert deliver_due(now=now).failed == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and "21211" in message.last_error
    for channel in ("sms", "call"):
        assert not contact_point_usable(org=org_a, contact=customer_a.billing, channel=channel,
                                        address="+15005550001")
    assert Task.objects.for_org(org_a).count() == 1


def test_a_twilio_server_error_is_retried(twilio, org_a, customer_a, queue, now):
    message = sms(queue, org_a, customer_a, "s1", "+15005550500")

    assert deliver_due(now=now).retried == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and "HTTP 500" in message.last_error
    assert contact_point_usable(org=org_a, contact=customer_a.billing, channel="sms", address="+15005550500")


def test_the_file_backend_writes_one_file_per_message(settings, tmp_path, org_a, customer_a, queue, now):
    settings.RECOUP_SMS_URL = f"file://{tmp_path}"
    message = sms(queue, org_a, customer_a, "s1", "+447700900123")

    deliver_due(now=now)

    [written] = tmp_path.glob("*.txt")
    assert "To: +447700900123" in written.read_text() and "Invoice INV-1 is overdue." in written.read_text()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


@pytest.mark.parametrize("url, problem", [
    ("carrier-pigeon://", "scheme"),
    ("twilio://AC123@+15005550006", "ACCOUNT_SID:AUTH_TOKEN"),
    ("twilio://AC1:tok@+1500?base=ftp://x", "base"),
])
def test_it_refuses_a_bad_sms_url(url, problem):
    with pytest.raises(ConfigError, match=problem):
        parse_sms_url(url)


def test_it_reads_a_twilio_url():
    config = parse_sms_url("twilio://AC1:tok@+15005550006?base=http://127.0.0.1:9/")
    assert (config.account_sid, config.auth_token, config.from_number, config.base_url) == (
        "AC1", "tok", "+15005550006", "http://127.0.0.1:9")
