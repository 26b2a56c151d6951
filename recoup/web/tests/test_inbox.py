"""The collector's inbox: replies, portal messages, disputes and promises in one list, newest first, with a
link to the account; filtered by kind and handled or not; paginated; marked handled through the messaging
action (audited), by collectors and owners only; counted in the navigation and on the dashboard."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import reverse

from recoup.arrangements.promise_actions import promise_make
from recoup.audit.actions import Actor
from recoup.audit.models import AuditEvent
from recoup.messaging.actions import MessagingError, task_open
from recoup.messaging.inbox_actions import inbox_mark_handled
from recoup.messaging.models import Task, TaskKind, TaskStatus
from recoup.web.tests.inbox_world import PORTAL_TEXT, REPLY_SUBJECT, fill_inbox


@pytest.fixture
def items(org_a, ledger_a, now):
    return fill_inbox(org_a, ledger_a["customer"], ledger_a["old"], ledger_a["new"], now)


def url(name: str, slug: str, *args) -> str:
    return reverse(name, args=[slug, *args])


def item_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li id="inbox-(\d+)"', page)]


def test_one_list_holds_a_reply_a_portal_message_a_dispute_and_a_promise_newest_first(
        as_user, org_a, ledger_a, items, frozen_clock):
    page = as_user("viewer").get(url("inbox", org_a.slug)).content.decode()
    order = [items[k].pk for k in ("promise", "dispute", "portal", "reply")]
    assert item_ids(page) == order
    customer = ledger_a["customer"]
    assert page.count(url("customer_detail", org_a.slug, customer.pk)) >= 4  # each names the account
    assert REPLY_SUBJECT in page and PORTAL_TEXT in page
    assert "Could you send a copy of A-1?" in page  # what the reply says, not only its subject
    assert url("message_detail", org_a.slug, customer.pk, items["reply"].message_id) in page
    assert url("message_detail", org_a.slug, customer.pk, items["portal"].message_id) in page
    assert url("arrangements_dispute", org_a.slug, items["dispute"].about_id) in page
    for label in ("Reply", "Portal message", "Dispute", "Promise"):
        assert f'<span class="tag">{label}</span>' in page
    assert "4 unhandled items" in page
    assert "Mark handled" not in page  # a viewer reads, no more


@pytest.mark.parametrize("kind", ["reply", "portal", "dispute", "promise"])
def test_the_kind_filter_shows_that_kind_only(as_user, org_a, items, kind, frozen_clock):
    page = as_user("viewer").get(url("inbox", org_a.slug), {"kind": kind}).content.decode()
    assert item_ids(page) == [items[kind].pk]


def test_marking_an_item_handled_takes_it_off_the_unhandled_list_audited(as_user, org_a, items, frozen_clock):
    client = as_user("collector")
    dispute = items["dispute"]
    response = client.post(url("inbox_handled", org_a.slug, dispute.pk), {"note": "Asked the warehouse",
                                                                          "next": "/o/acme/inbox/?kind=dispute"})
    assert response.status_code == 302 and response["Location"] == "/o/acme/inbox/?kind=dispute"

    dispute.refresh_from_db()
    assert dispute.status == TaskStatus.DONE
    event = AuditEvent.objects.for_org(org_a).get(verb="task.closed", subject_type="task", subject_id=dispute.pk)
    assert event.actor_label == "a-collector" and "Asked the warehouse" in event.summary
    unhandled = client.get(url("inbox", org_a.slug)).content.decode()
    assert dispute.pk not in item_ids(unhandled) and "3 unhandled items" in unhandled
    handled = client.get(url("inbox", org_a.slug), {"state": "handled"}).content.decode()
    assert item_ids(handled) == [dispute.pk] and "Mark handled" not in handled
    everything = client.get(url("inbox", org_a.slug), {"state": "all"}).content.decode()
    assert len(item_ids(everything)) == 4

    again = client.post(url("inbox_handled", org_a.slug, dispute.pk), follow=True).content.decode()
    assert "Not marked handled" in again and "already done" in again
    assert AuditEvent.objects.for_org(org_a).filter(verb="task.closed", subject_id=dispute.pk).count() == 1


def test_a_viewer_cannot_mark_an_item_handled(as_user, org_a, items, frozen_clock):
    for task in items.values():
        assert as_user("viewer").post(url("inbox_handled", org_a.slug, task.pk)).status_code == 403
    assert not Task.objects.for_org(org_a).filter(status=TaskStatus.DONE).exists()
    assert not AuditEvent.objects.for_org(org_a).filter(verb="task.closed").exists()


def test_another_organization_sees_and_marks_nothing(as_user, org_a, org_b, items, frozen_clock):
    outsider = as_user("outsider")
    assert outsider.get(url("inbox", org_a.slug)).status_code == 404
    assert outsider.post(url("inbox_handled", org_a.slug, items["reply"].pk)).status_code == 404
    # org_a's item named under org_b's own slug is not found either
    assert outsider.post(url("inbox_handled", org_b.slug, items["reply"].pk)).status_code == 404
    assert PORTAL_TEXT not in outsider.get(url("inbox", org_b.slug)).content.decode()
    assert not Task.objects.filter(status=TaskStatus.DONE).exists()


def test_a_worklist_task_is_not_an_inbox_item(as_user, org_a, ledger_a, system, now, frozen_clock):
    task = task_open(org=org_a, customer=ledger_a["customer"], kind="review", text="Decide on escalating",
                     actor=system, now=now)
    assert as_user("owner").post(url("inbox_handled", org_a.slug, task.pk)).status_code == 404
    with pytest.raises(MessagingError, match="not an inbox item"):
        inbox_mark_handled(org=org_a, task=task, actor=system, now=now)
    assert "Decide on escalating" not in as_user("owner").get(url("inbox", org_a.slug)).content.decode()


def test_a_promise_the_collector_takes_is_not_in_the_inbox(as_user, org_a, ledger_a, members, now, frozen_clock):
    promise_make(org=org_a, customer=ledger_a["customer"], invoices=[ledger_a["new"]],
                 pay_by=now.date() + timedelta(days=5), actor=Actor.for_user(members["collector"]), now=now)
    assert not Task.objects.for_org(org_a).filter(kind=TaskKind.PROMISE).exists()
    assert "Nothing waiting" in as_user("collector").get(url("inbox", org_a.slug)).content.decode()


def test_thousands_are_read_a_page_at_a_time_newest_first(as_user, org_a, ledger_a, system, now, frozen_clock):
    for n in range(120):
        task_open(org=org_a, customer=ledger_a["customer"], kind="dispute", text=f"Dispute number {n:03d}",
                  actor=system, now=now + timedelta(minutes=n))
    client = as_user("viewer")
    first = client.get(url("inbox", org_a.slug)).content.decode()
    assert "Dispute number 119" in first and "Dispute number 070" in first and "Dispute number 069" not in first
    assert len(item_ids(first)) == 50 and "Page 1 of 3" in first and "120 unhandled items" in first
    last = client.get(url("inbox", org_a.slug), {"page": 3}).content.decode()
    assert len(item_ids(last)) == 20 and "Dispute number 000" in last


def test_the_navigation_and_dashboard_count_unhandled_items(as_user, org_a, items, frozen_clock):
    client = as_user("collector")
    dashboard = client.get(url("dashboard", org_a.slug)).content.decode()
    assert 'aria-label="4 unhandled items">4</span>' in dashboard
    assert "4 unhandled items</a> in the inbox" in dashboard
    client.post(url("inbox_handled", org_a.slug, items["promise"].pk))
    worklist = client.get(url("worklist", org_a.slug)).content.decode()
    assert 'aria-label="3 unhandled items">3</span>' in worklist
    # The worklist's badge no longer counts the inbox's items: they are not listed there.
    assert "open item" not in worklist.split('id="nav-inbox"')[1].split("</nav>")[0]
    for task in items.values():
        client.post(url("inbox_handled", org_a.slug, task.pk))
    assert "inbox</a> is clear" in client.get(url("dashboard", org_a.slug)).content.decode()


def test_the_last_reply_marked_handled_can_resume_collection(as_user, org_a, items, frozen_clock):
    from recoup.collections.models import Pause
    from recoup.messaging.inbound import REPLY_PAUSE_REASON

    paused = Pause.objects.for_org(org_a).filter(reason=REPLY_PAUSE_REASON, lifted_at__isnull=True)
    assert paused.count() == 1
    client = as_user("owner")
    first = client.post(url("inbox_handled", org_a.slug, items["portal"].pk), follow=True).content.decode()
    assert "Portal message from Northwind Traders marked handled." in first
    # The pause stays while another reply of the customer is unread; the last one read may lift it.
    response = as_user("owner").post(url("inbox_handled", org_a.slug, items["reply"].pk), {"resume": "on"},
                                     follow=True)
    assert "Reply from Northwind Traders marked handled; collection resumed." in response.content.decode()
    assert not paused.exists()


def test_review_tasks_opened_for_disputes_and_promises_before_become_inbox_items(org_a, ledger_a, system, now):
    migration = importlib.import_module("recoup.messaging.migrations.0009_task_inbox_kinds")
    customer = ledger_a["customer"]
    old = {text: task_open(org=org_a, customer=customer, kind="review", text=text, actor=system, now=now)
           for text in ("C001: Dispute #7 raised on A-1: not delivered.",
                        "C001: Promise #8 to pay 50.00 GBP of A-2 by 2026-04-10.",
                        "C001: Promise #9 broken: 50.00 GBP promised by 2026-04-10, 0.00 GBP paid; reminders resume.",
                        "C001: Payment plan #3 proposed in the portal.")}
    migration.to_inbox_kinds(apps, None)
    found = {text: Task.objects.get(pk=t.pk) for text, t in old.items()}
    assert [(t.kind, t.about_type, t.about_id) for t in found.values()] == [
        ("dispute", "dispute", 7), ("promise", "promise", 8), ("promise", "promise", 9), ("review", "", None)]


def test_the_daily_digest_counts_the_inbox_apart_from_the_worklist(org_a, items, now):
    from recoup.collections.digest import digest_for

    digest = digest_for(org=org_a, on=now.date())
    assert (digest.replies, digest.disputes_promises, digest.reviews, digest.other_tasks) == (2, 2, 0, 0)


def test_a_tasks_amounts_and_days_read_in_the_organizations_format_and_a_debtors_subject_as_written(
        as_user, org_a, ledger_a, items, system, now, frozen_clock):
    # A broken promise's task, as the daily check words it (amounts with their code, ISO days).
    task_open(org=org_a, customer=ledger_a["customer"], kind=TaskKind.PROMISE, actor=system, now=now,
              text="C001: Promise #2 broken: 339.00 GBP promised by 2026-12-01, 0.00 GBP paid; reminders resume.")
    page = as_user("viewer").get(url("inbox", org_a.slug)).content.decode()
    assert "Promise #2 broken: £339.00 promised by 1 Dec 2026, £0.00 paid" in page
    assert "339.00 GBP" not in page and "2026-12-01" not in page
    assert REPLY_SUBJECT in page  # the debtor's words, untouched
    # When, in the organization's zone (London is on summer time from 29 March) and format.
    assert '<time datetime="2026-03-31T12:00:00+00:00">31 Mar 2026, 13:00</time>' in page
