"""Policies in the web UI: reading and editing steps, previewing messages, running the cycle."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from django.urls import reverse

from recoup.audit.models import AuditEvent
from recoup.collections.models import CycleRun, Policy, StepDecision
from recoup.ledger.models import Contact
from recoup.messaging.models import Message

STEP = {"name": "First reminder", "offset_days": "5", "channels": ["email"], "action": "none",
        "min_overdue": "0", "tags": "", "repeat_every_days": "", "repeat_max": "0", "template": "first-reminder"}


def url(name, org, *args):
    return reverse(name, args=[org.slug, *args])


@pytest.fixture
def policies(org_a, org_b, system, now):
    from recoup.collections.actions import policies_install_defaults

    policies_install_defaults(org=org_b, actor=system, now=now)
    return {p.default_for: p for p in policies_install_defaults(org=org_a, actor=system, now=now)}


@pytest.fixture
def business(policies):
    return policies["business"]


@pytest.fixture
def reachable(org_a, ledger_a):
    Contact.objects.create(org=org_a, customer=ledger_a["customer"], name="Accounts", email="ap@northwind.test")
    return ledger_a


def steps_of(policy):
    return Policy.objects.get(pk=policy.pk).spec["steps"]


def test_everyone_reads_the_policies_and_their_steps(as_user, org_a, business, ledger_a):
    for role in ("owner", "collector", "viewer"):
        client = as_user(role)
        page = client.get(url("policy_list", org_a)).content.decode()
        assert "business-default" in page and "consumer-default" in page
        detail = client.get(url("policy_detail", org_a, business.pk)).content.decode()
        assert "First reminder" in detail and "Letter before action" in detail
        edit = url("policy_step_edit", org_a, business.pk, "first-reminder")
        assert (f'href="{edit}"' in detail) == (role == "owner")
    listing = as_user("viewer").get(url("policy_list", org_a)).content.decode()
    # Northwind is a business customer: it follows the business default.
    assert '<td class="num">1</td>' in listing


def test_an_owner_changes_a_step_and_it_is_audited(as_user, org_a, business, frozen_clock):
    response = as_user("owner").post(url("policy_step_edit", org_a, business.pk, "first-reminder"),
                                     {**STEP, "offset_days": "5", "channels": ["sms", "email"]})
    assert response["Location"] == url("policy_detail", org_a, business.pk)
    step = next(s for s in steps_of(business) if s["key"] == "first-reminder")
    assert (step["offset_days"], step["channels"]) == (5, ["email", "sms"])
    event = AuditEvent.objects.for_org(org_a).get(verb="policy.updated", actor_label="a-owner")
    before = next(s for s in event.data["before"]["steps"] if s["key"] == "first-reminder")
    assert before["offset_days"] == 3 and event.at == frozen_clock


def test_an_owner_sets_a_steps_fallback_channels_and_review_mode(as_user, org_a, business):
    response = as_user("owner").post(url("policy_step_edit", org_a, business.pk, "first-reminder"),
                                     {**STEP, "fallback": "SMS, letter", "mode": "review"})
    assert response.status_code == 302
    step = next(s for s in steps_of(business) if s["key"] == "first-reminder")
    assert (step["fallback"], step["mode"]) == (["sms", "letter"], "review")
    page = as_user("owner").get(url("policy_step_edit", org_a, business.pk, "first-reminder")).content.decode()
    assert 'value="sms, letter"' in page


def test_a_step_moved_past_another_takes_its_place_on_the_ladder(as_user, org_a, business):
    as_user("owner").post(url("policy_step_edit", org_a, business.pk, "first-reminder"),
                          {**STEP, "offset_days": "16"})
    keys = [s["key"] for s in steps_of(business)]
    assert keys[:4] == ["pre-due", "second-reminder", "first-reminder", "call"]


@pytest.mark.parametrize("changes, field_error", [
    ({"offset_days": "14"}, "“Second reminder” is already at 14 days; each step needs its own offset."),
    ({"channels": []}, "must list at least one channel"),
    ({"offset_days": "9999"}, "must be between -3650 and 3650, not 9999"),
    ({"repeat_max": "2"}, "is needed when repeat_max is above 0"),
    ({"fallback": "email"}, "&#x27;email&#x27; is already one of the step&#x27;s channels"),
    ({"fallback": "fax"}, "&#x27;fax&#x27; is not one of email, sms, letter, call"),
    ({"offset_days": "soon"}, "Enter a whole number."),
])
def test_it_shows_what_is_wrong_with_a_step_and_saves_nothing(as_user, org_a, business, changes, field_error):
    before = steps_of(business)
    response = as_user("owner").post(url("policy_step_edit", org_a, business.pk, "first-reminder"),
                                     {**STEP, **changes})
    assert response.status_code == 200
    assert field_error in response.content.decode()
    assert '<p class="error">' in response.content.decode()
    assert steps_of(business) == before
    assert not AuditEvent.objects.for_org(org_a).filter(verb="policy.updated", actor_label="a-owner").exists()


def test_an_owner_adds_and_removes_a_step(as_user, org_a, business):
    client = as_user("owner")
    new = {**STEP, "key": "courtesy-call", "name": "Courtesy call", "offset_days": "7", "channels": ["call"],
           "template": "call", "customer_kinds": ["business"], "tags": "VIP, key-account"}
    assert client.post(url("policy_step_new", org_a, business.pk), new).status_code == 302
    added = next(s for s in steps_of(business) if s["key"] == "courtesy-call")
    assert (added["customer_kinds"], added["tags"]) == (["business"], ["vip", "key-account"])
    duplicate = client.post(url("policy_step_new", org_a, business.pk), {**new, "offset_days": "8"})
    assert "already uses the key courtesy-call" in duplicate.content.decode()
    client.post(url("policy_step_delete", org_a, business.pk, "courtesy-call"))
    assert "courtesy-call" not in [s["key"] for s in steps_of(business)]


def test_the_yaml_download_loads_back_to_the_same_policy(as_user, org_a, business):
    from recoup.core.policy import Policy as CorePolicy

    response = as_user("viewer").get(url("policy_yaml", org_a, business.pk))
    assert response["Content-Disposition"] == 'attachment; filename="business-default.yaml"'
    assert CorePolicy.from_dict(yaml.safe_load(response.content)).to_dict() == business.spec


def test_only_owners_change_policies_and_other_organizations_see_nothing(as_user, org_a, org_b, business,
                                                                        policies):
    before = steps_of(business)
    edit = url("policy_step_edit", org_a, business.pk, "first-reminder")
    for role in ("collector", "viewer"):
        client = as_user(role)
        assert client.get(edit).status_code == 200  # read-only form
        assert client.post(edit, STEP).status_code == 403
        assert client.post(url("policy_step_new", org_a, business.pk), {**STEP, "key": "x"}).status_code == 403
        assert client.post(url("policy_step_delete", org_a, business.pk, "call")).status_code == 403
    assert as_user("viewer").post(url("cycle_run", org_a), {"date": "2026-02-03"}).status_code == 403
    outsider = as_user("outsider")
    for name, args in [("policy_list", ()), ("policy_detail", (business.pk,)), ("policy_yaml", (business.pk,)),
                       ("policy_step_preview", (business.pk, "first-reminder")), ("cycle_run", ())]:
        assert outsider.get(url(name, org_a, *args)).status_code == 404
    assert outsider.post(edit, STEP).status_code == 404
    # org_b's owner, in org_b's pages, naming org_a's policy.
    assert outsider.get(url("policy_detail", org_b, business.pk)).status_code == 404
    assert outsider.post(url("policy_step_edit", org_b, business.pk, "first-reminder"), STEP).status_code == 404
    assert steps_of(business) == before


def test_the_preview_renders_for_the_most_overdue_customer_and_queues_nothing(
        as_user, org_a, business, reachable, make_customer, make_invoice, frozen_clock):
    small = make_customer(org_a, ref="C002", name="Tiny Traders")
    make_invoice(org_a, small, "T-1", "5.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    page = as_user("viewer").get(url("policy_step_preview", org_a, business.pk, "first-reminder")).content.decode()
    assert "To Northwind Traders" in page and "A-1" in page
    assert "<iframe sandbox=\"allow-same-origin\" srcdoc=" in page and "&lt;table" in page  # the HTML body, escaped into srcdoc
    sms = as_user("viewer").get(url("policy_step_preview", org_a, business.pk, "second-reminder"),
                                {"channel": "sms", "customer": small.pk, "language": "de"}).content.decode()
    assert "To Tiny Traders" in sms and "T-1" in sms and "<iframe" not in sms
    assert not Message.objects.exists() and not StepDecision.objects.exists()


def test_the_preview_refuses_another_organizations_customer(as_user, org_a, business, ledger_a, ledger_b):
    response = as_user("owner").get(url("policy_step_preview", org_a, business.pk, "first-reminder"),
                                    {"customer": ledger_b["customer"].pk})
    page = response.content.decode()
    assert "Select a valid choice" in page and "Bolt Customer" not in page and "B-1" not in page


def test_a_dry_run_from_the_ui_shows_the_actions_and_writes_nothing(as_user, org_a, business, reachable,
                                                                  frozen_clock):
    response = as_user("collector").post(url("cycle_run", org_a), {"date": "2026-02-03", "dry_run": "on"})
    page = response.content.decode()
    assert "nothing was changed" in page and "first-reminder" in page and "queued" in page
    assert not Message.objects.exists() and not StepDecision.objects.exists() and not CycleRun.objects.exists()


def test_a_real_run_queues_a_message_seen_on_the_customer_page(as_user, org_a, business, reachable,
                                                              frozen_clock):
    client = as_user("collector")
    page = client.post(url("cycle_run", org_a), {"date": "2026-02-03"}).content.decode()
    assert "1 message queued" in page
    message = Message.objects.for_org(org_a).get()
    assert (message.step_key, message.to_address) == ("first-reminder", "ap@northwind.test")
    customer_page = client.get(url("customer_detail", org_a, reachable["customer"].pk)).content.decode()
    assert f"email to ap@northwind.test: {message.subject}" in customer_page
    again = client.post(url("cycle_run", org_a), {"date": "2026-02-03"}).content.decode()
    assert "No step is due" in again and Message.objects.count() == 1


def test_a_real_run_cannot_be_for_a_future_day(as_user, org_a, business, reachable, frozen_clock):
    page = as_user("owner").post(url("cycle_run", org_a), {"date": "2026-04-01"}).content.decode()
    assert "A real run can be for today (2026-03-31) or earlier" in page
    assert not CycleRun.objects.exists()
