"""Delivery asks the compliance gate again: nothing leaves outside the debtor's window, during a hold,
or to an address the debtor opted out of since the message was queued."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from recoup.audit.models import AuditEvent
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import Message

pytestmark = pytest.mark.django_db
UTC = timezone.utc
TUESDAY_NIGHT = datetime(2026, 3, 31, 1, 30, tzinfo=UTC)  # 02:30 in London (BST)


def test_a_message_queued_at_night_waits_for_the_window_then_goes(smtp, org_a, customer_a, queue):
    customer_a.kind = "consumer"
    customer_a.save(update_fields=["kind"])
    message = queue(org_a, customer_a, "night", now=TUESDAY_NIGHT)
    report = deliver_due(now=TUESDAY_NIGHT)
    assert (report.sent, report.deferred) == (0, 1) and smtp.received == []
    message.refresh_from_db()
    # 08:00 in London is 07:00 UTC in summer time; the failed claim did not count as an attempt.
    assert (message.status, message.next_attempt_at, message.attempts) == (
        "queued", datetime(2026, 3, 31, 7, 0, tzinfo=UTC), 0)
    assert "GB.conc.contact-window" in message.last_error
    assert AuditEvent.objects.filter(verb="message.deferred").count() == 1
    assert deliver_due(now=datetime(2026, 3, 31, 6, 59, tzinfo=UTC)).handled == 0
    assert deliver_due(now=datetime(2026, 3, 31, 7, 0, tzinfo=UTC)).sent == 1 and len(smtp.received) == 1


def test_a_business_debtor_in_another_zone_is_reached_in_its_own_business_hours(smtp, org_a, customer_a, queue):
    customer_a.country, customer_a.region, customer_a.timezone = "US", "NY", ""
    customer_a.save(update_fields=["country", "region", "timezone"])
    queue(org_a, customer_a, "ny", now=datetime(2026, 3, 31, 10, 0, tzinfo=UTC))  # 06:00 in New York
    assert deliver_due(now=datetime(2026, 3, 31, 10, 0, tzinfo=UTC)).deferred == 1
    assert Message.objects.get().next_attempt_at == datetime(2026, 3, 31, 13, 0, tzinfo=UTC)  # 09:00 EDT
    assert deliver_due(now=datetime(2026, 3, 31, 13, 0, tzinfo=UTC)).sent == 1


def test_a_hold_that_started_after_queueing_cancels_the_cycle_message(smtp, org_a, customer_a, queue, system):
    from recoup.collections.actions import pause_add

    noon = datetime(2026, 3, 31, 11, 0, tzinfo=UTC)
    queue(org_a, customer_a, "cycle-msg", now=noon, source="cycle", step_key="first-reminder")
    manual = queue(org_a, customer_a, "manual-msg", now=noon)
    pause_add(org=org_a, customer=customer_a, reason="plan #4", starts_on=date(2026, 3, 31), actor=system, now=noon)
    report = deliver_due(now=noon)
    assert (report.sent, report.blocked) == (1, 1)
    cycle_msg = Message.objects.get(idempotency_key="cycle-msg")
    assert cycle_msg.status == "cancelled" and "house.hold" in cycle_msg.last_error and "plan #4" in cycle_msg.last_error
    # The operator's own message is not automation: it went.
    manual.refresh_from_db()
    assert manual.status == "sent" and [m["Message-ID"] for m in smtp.received] == [manual.message_id]


def test_an_opt_out_recorded_after_queueing_stops_the_message(smtp, org_a, customer_a, queue):
    noon = datetime(2026, 3, 31, 11, 0, tzinfo=UTC)
    queue(org_a, customer_a, "k", now=noon)
    customer_a.billing.opt_out_email = True
    customer_a.billing.save(update_fields=["opt_out_email"])
    assert deliver_due(now=noon).blocked == 1 and smtp.received == []
    assert "house.opt-out" in Message.objects.get().last_error


def test_the_cap_counts_what_was_delivered_in_the_last_seven_days(smtp, org_a, customer_a, queue):
    days = [datetime(2026, 3, d, 11, 0, tzinfo=UTC) for d in (23, 24, 25, 26)]
    for i, at in enumerate(days):
        queue(org_a, customer_a, f"k{i}", now=at)
        deliver_due(now=at)
    statuses = list(Message.objects.order_by("created_at").values_list("status", flat=True))
    assert statuses == ["sent", "sent", "sent", "queued"]
    last = Message.objects.get(idempotency_key="k3")
    assert last.next_attempt_at == datetime(2026, 3, 30, 11, 0, tzinfo=UTC) and "message-cap" in last.last_error
    assert deliver_due(now=datetime(2026, 3, 30, 11, 0, tzinfo=UTC)).sent == 1


def test_another_organizations_restriction_does_not_hold_this_ones_message(smtp, org_a, org_b, customer_a, queue,
                                                                           make_customer, system):
    from recoup.compliance.actions import restriction_set

    other = make_customer(org_b, ref="C001", name="Customer One Ltd")
    noon = datetime(2026, 3, 31, 11, 0, tzinfo=UTC)
    restriction_set(org=org_b, customer=other, kind="deceased", starts_on=date(2026, 3, 1), actor=system, now=noon)
    queue(org_a, customer_a, "k", now=noon)
    assert deliver_due(now=noon).sent == 1
