"""The customers list as a worklist: its columns, filters, sort, bulk actions, "my accounts" and its cost."""

from __future__ import annotations

from datetime import date, datetime, timezone as tz

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recoup.arrangements.models import Dispute, PaymentPlan, Promise
from recoup.audit.models import AuditEvent
from recoup.collections.actions import pause_add, policy_load
from recoup.collections.models import CustomerTag, Pause
from recoup.escalation.models import Agency, Placement
from recoup.ledger.models import Contact, Customer
from recoup.messaging.actions import contact_log
from recoup.messaging.models import Message

POLICY = {"name": "two-steps", "steps": [
    {"key": "first-reminder", "name": "First reminder", "offset_days": 3, "channels": ["email"]},
    {"key": "second-reminder", "name": "Second reminder", "offset_days": 90, "channels": ["email"]},
]}


@pytest.fixture
def book(org_a, ledger_a, make_customer, make_invoice, system, now, frozen_clock):
    """Northwind: £100 overdue since 2026-01-31 (59 days on 2026-03-31), contacted 2026-03-20.
    Zebra: £500 overdue since 2026-03-21 (10 days), never contacted. Quiet Ltd: nothing overdue."""
    policy_load(org=org_a, data=POLICY, actor=system, now=now, make_default_for="")
    zebra = make_customer(org_a, ref="Z-1", name="Zebra Crossings")
    make_invoice(org_a, zebra, "Z-INV", "500.00", issue=date(2026, 3, 1), due=date(2026, 3, 21))
    quiet = make_customer(org_a, ref="Q-1", name="Quiet Ltd")
    make_invoice(org_a, quiet, "Q-INV", "20.00", issue=date(2026, 3, 30), due=date(2026, 4, 29))
    contact_log(org=org_a, customer=ledger_a["customer"], channel="call", direction="out", summary="Rang them",
                content="", at=datetime(2026, 3, 20, 10, tzinfo=tz.utc), actor=system, now=now)
    return {"north": ledger_a["customer"], "zebra": zebra, "quiet": quiet}


def rows(client, org, **params) -> list[str]:
    """The customer refs of the worklist's rows, in order."""
    response = client.get(reverse("customer_list", args=[org.slug]), params)
    assert response.status_code == 200
    return [row.customer.ref for row in response.context["rows"]]


def row_html(client, org, customer, **params) -> str:
    body = client.get(reverse("customer_list", args=[org.slug]), params).content.decode()
    start = body.index(f'data-customer="{customer.pk}"')
    return body[start:body.index("</tr>", start)]


def test_the_worklist_shows_overdue_days_late_last_contact_and_next_step(as_user, org_a, book):
    client = as_user("viewer")
    north = row_html(client, org_a, book["north"])
    assert "£100.00" in north and '<td class="num days-late">59</td>' in north
    assert "20 Mar 2026" in north
    assert "First reminder, 31 Mar 2026" in north
    zebra = row_html(client, org_a, book["zebra"])
    assert "£500.00" in zebra and '<td class="num days-late">10</td>' in zebra and "never" in zebra
    quiet = row_html(client, org_a, book["quiet"])
    assert "First reminder, 2 May 2026" in quiet and '<td class="num days-late"><span class="muted">' in quiet


def _flags(org, customer, system, now):
    agency = Agency.objects.create(org=org, name="Agency", created_at=now)
    common = {"org": org, "customer": customer, "currency": "GBP", "created_by": "test", "created_at": now}
    return {
        "promise": lambda: Promise.objects.create(amount_minor=100, pay_by=date(2026, 4, 10), made_on=date(2026, 3, 30),
                                                  grace_days=2, source="operator", **common),
        "plan": lambda: PaymentPlan.objects.create(total_minor=100, instalment_count=2, frequency="monthly",
                                                   first_date=date(2026, 4, 1), start_date=date(2026, 3, 31),
                                                   status="active", source="operator", **common),
        "dispute": lambda: Dispute.objects.create(category="quality", message="Broken", source="operator",
                                                  opened_on=date(2026, 3, 30), **common),
        "paused": lambda: pause_add(org=org, customer=customer, reason="Holiday", starts_on=date(2026, 3, 1),
                                    actor=system, now=now),
        "placed": lambda: Placement.objects.create(agency=agency, placed_minor=100, placed_on=date(2026, 3, 1),
                                                   **common),
    }


@pytest.mark.parametrize("flag", ["promise", "plan", "dispute", "paused", "placed"])
def test_each_flag_shows_and_filters(as_user, org_a, book, system, now, flag):
    _flags(org_a, book["zebra"], system, now)[flag]()
    client = as_user("viewer")
    assert f"flag-{flag}" in row_html(client, org_a, book["zebra"])
    assert f"flag-{flag}" not in row_html(client, org_a, book["north"])
    assert rows(client, org_a, flag=flag) == ["Z-1"]
    assert "Z-1" not in rows(client, org_a, flag="none")


@pytest.mark.parametrize("sort,expected", [
    ("-overdue", ["Z-1", "C001", "Q-1"]),
    ("overdue", ["Q-1", "C001", "Z-1"]),
    ("-days_late", ["C001", "Z-1", "Q-1"]),
    ("days_late", ["Z-1", "C001", "Q-1"]),  # empty last either way
    ("-last_contact", ["C001", "Q-1", "Z-1"]),
    # No cycle yet: what is overdue counts as today, Quiet's invoice from its due date + 3 days.
    ("next_on", ["C001", "Z-1", "Q-1"]),
    ("name", ["C001", "Q-1", "Z-1"]),
    ("-name", ["Z-1", "Q-1", "C001"]),
])
def test_the_worklist_sorts_by_each_column(as_user, org_a, book, sort, expected):
    assert rows(as_user("viewer"), org_a, sort=sort) == expected


def test_sorting_by_next_step_uses_the_cycles_stored_schedule(as_user, org_a, book, now):
    from recoup.collections.cycle import cycle_run

    cycle_run(org=org_a, on=date(2026, 3, 31), now=now, dry_run=False)
    # After the cycle: Northwind and Zebra had their first reminder today (next: the second, 05-01 and 06-19);
    # Quiet's first comes 05-02.
    assert rows(as_user("viewer"), org_a, sort="next_on") == ["C001", "Q-1", "Z-1"]
    assert rows(as_user("viewer"), org_a, next_by="2026-05-01") == ["C001"]


@pytest.mark.parametrize("params,expected", [
    ({"min_overdue": "200"}, ["Z-1"]),
    ({"min_overdue": "50.00"}, ["C001", "Z-1"]),
    ({"min_days_late": "30"}, ["C001"]),
    ({"no_contact_days": "5"}, ["C001", "Q-1", "Z-1"]),
    ({"no_contact_days": "20"}, ["Q-1", "Z-1"]),
    ({"next_by": "2026-04-30"}, ["C001", "Z-1"]),  # no cycle yet: Quiet's first reminder is on 2026-05-02
])
def test_the_worklist_filters_by_each_column(as_user, org_a, book, params, expected):
    assert rows(as_user("viewer"), org_a, **params) == expected


def test_a_bad_amount_filter_is_explained(as_user, org_a, book):
    body = as_user("viewer").get(reverse("customer_list", args=[org_a.slug]), {"min_overdue": "lots"}).content
    assert b"has-error" in body


def bulk(client, org, customers, action, **data):
    return client.post(reverse("customer_bulk", args=[org.slug]),
                       {"customers": [c.pk for c in customers], "action": action, **data})


def test_bulk_pause_pauses_each_ticked_customer_and_audits_it(as_user, org_a, book):
    response = bulk(as_user("collector"), org_a, [book["north"], book["zebra"]], "pause", reason="Year-end freeze",
                    until="2026-04-30")
    assert response.status_code == 302
    pauses = Pause.objects.filter(org=org_a)
    assert sorted(p.customer.ref for p in pauses) == ["C001", "Z-1"]
    assert {p.ends_on for p in pauses} == {date(2026, 4, 30)}
    assert AuditEvent.objects.filter(org=org_a, verb="collections.paused").count() == 2
    assert rows(as_user("viewer"), org_a, flag="paused") == ["C001", "Z-1"]


def test_bulk_pause_without_a_reason_does_nothing(as_user, org_a, book):
    bulk(as_user("collector"), org_a, [book["north"]], "pause", reason="")
    assert not Pause.objects.exists()


def test_bulk_tag_tags_each_ticked_customer(as_user, org_a, book):
    bulk(as_user("collector"), org_a, [book["zebra"], book["quiet"]], "tag", tag="VIP")
    assert sorted(CustomerTag.objects.filter(org=org_a, tag="vip").values_list("customer__ref", flat=True)) == \
        ["Q-1", "Z-1"]
    assert AuditEvent.objects.filter(org=org_a, verb="customer.tagged").count() == 2


def test_bulk_assign_gives_accounts_to_a_collector_and_my_accounts_lists_them(as_user, org_a, book, members):
    collector = members["collector"]
    bulk(as_user("owner"), org_a, [book["north"], book["quiet"]], "assign", assignee=str(collector.pk))
    assert sorted(Customer.objects.filter(assignee=collector).values_list("ref", flat=True)) == ["C001", "Q-1"]
    events = AuditEvent.objects.filter(org=org_a, verb="customer.assigned")
    assert events.count() == 2 and "assigned to a-collector" in events.first().summary
    assert rows(as_user("collector"), org_a, assignee="me") == ["C001", "Q-1"]
    assert rows(as_user("owner"), org_a, assignee="me") == []
    assert rows(as_user("owner"), org_a, assignee="none") == ["Z-1"]
    assert "a-collector" in row_html(as_user("viewer"), org_a, book["north"])


def test_accounts_cannot_be_assigned_to_a_viewer_or_an_outsider(as_user, org_a, book, members):
    for who in ("viewer", "outsider"):
        bulk(as_user("owner"), org_a, [book["north"]], "assign", assignee=str(members[who].pk))
    assert not Customer.objects.filter(assignee__isnull=False).exists()


def test_bulk_statement_queues_one_through_the_gate_and_skips_an_opted_out_customer(as_user, org_a, book):
    Contact.objects.create(org=org_a, customer=book["north"], name="Nora", email="nora@northwind.example")
    Contact.objects.create(org=org_a, customer=book["zebra"], name="Zed", email="zed@zebra.example",
                           opt_out_email=True)
    client = as_user("collector")
    response = bulk(client, org_a, [book["north"], book["zebra"]], "statement")
    sent = Message.objects.filter(org=org_a, source="statement")
    assert [(m.customer.ref, m.to_address, m.statement_as_of) for m in sent] == \
        [("C001", "nora@northwind.example", date(2026, 3, 31))]
    page = client.get(response.url).content.decode()
    assert "Z-1: no usable e-mail address" in page
    bulk(client, org_a, [book["north"]], "statement")  # twice the same day: still one
    assert Message.objects.filter(org=org_a, source="statement").count() == 1


def test_viewers_cannot_act_in_bulk_and_see_no_boxes_to_tick(as_user, org_a, book):
    client = as_user("viewer")
    assert bulk(client, org_a, [book["north"]], "tag", tag="vip").status_code == 403
    assert not CustomerTag.objects.exists()
    assert 'name="customers"' not in client.get(reverse("customer_list", args=[org_a.slug])).content.decode()


def test_bulk_actions_never_touch_another_organizations_customers(as_user, org_a, book, ledger_b):
    client = as_user("owner")
    response = bulk(client, org_a, [book["north"], ledger_b["customer"]], "tag", tag="vip")
    assert not CustomerTag.objects.exists()  # a customer from elsewhere refuses the whole request
    assert "is not one of the available choices" in client.get(response.url).content.decode()


def _page_queries(client, org) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("customer_list", args=[org.slug]), {"sort": "-overdue"}).status_code == 200
    return len(queries)


def test_the_worklist_costs_the_same_queries_for_three_customers_or_thirty(as_user, org_a, book, make_customer,
                                                                          make_invoice, system, now):
    client = as_user("collector")
    few = _page_queries(client, org_a)
    for n in range(27):
        customer = make_customer(org_a, ref=f"M-{n:02}", name=f"Many {n:02}")
        make_invoice(org_a, customer, f"M-INV-{n}", "10.00", issue=date(2026, 1, 1), due=date(2026, 2, 1))
        pause_add(org=org_a, customer=customer, reason="x", starts_on=date(2026, 3, 1), actor=system, now=now)
    assert _page_queries(client, org_a) == few


def test_one_customer_is_assigned_from_its_page(as_user, org_a, book, members):
    client = as_user("collector")
    page = reverse("customer_detail", args=[org_a.slug, book["zebra"].pk])
    assert "nobody yet" in client.get(page).content.decode()
    response = client.post(reverse("customer_bulk", args=[org_a.slug]), {
        "customers": book["zebra"].pk, "action": "assign", "assignee": members["owner"].pk, "next": page})
    assert response.url == page
    assert Customer.objects.get(pk=book["zebra"].pk).assignee == members["owner"]
    assert "<strong>a-owner</strong>" in client.get(page).content.decode()
    assert 'id="assign-to"' not in as_user("viewer").get(page).content.decode()
