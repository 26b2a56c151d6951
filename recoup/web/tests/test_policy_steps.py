"""A policy's steps change: the description follows, removing asks first and can be undone (audited both ways),
and the preview is the message the cycle stores (a made-up customer when there is no real one)."""

from __future__ import annotations

from recoup.audit.models import AuditEvent
from recoup.collections.models import Policy
from recoup.web.tests.test_policies import STEP, business, policies, steps_of, url  # noqa: F401


def description_of(policy):
    return Policy.objects.get(pk=policy.pk).description


def test_the_description_tells_the_steps_after_one_is_removed_edited_or_added(as_user, org_a, business):
    client = as_user("owner")
    assert "letter before action" in description_of(business)
    client.post(url("policy_step_delete", org_a, business.pk, "letter-before-action"))
    assert "letter before action" not in description_of(business).lower()
    assert "Final notice by e-mail and letter 30 days overdue" in description_of(business)
    client.post(url("policy_step_edit", org_a, business.pk, "first-reminder"), {**STEP, "offset_days": "5"})
    assert "First reminder by e-mail 5 days overdue" in description_of(business)
    page = client.get(url("policy_detail", org_a, business.pk)).content.decode()
    assert "First reminder by e-mail 5 days overdue" in page and "45 days" not in page
    # The YAML download carries the same description.
    assert "5 days overdue" in client.get(url("policy_yaml", org_a, business.pk)).content.decode()


def test_removing_a_step_asks_first_then_offers_an_undo_that_puts_everything_back(as_user, org_a, business):
    client = as_user("owner")
    before = Policy.objects.get(pk=business.pk)
    confirm = client.get(url("policy_step_delete", org_a, business.pk, "call"))
    assert confirm.status_code == 200 and "Remove step Phone call?" in confirm.content.decode()
    assert steps_of(business) == before.spec["steps"]  # asking changes nothing
    response = client.post(url("policy_step_delete", org_a, business.pk, "call"))
    assert "call" not in [s["key"] for s in steps_of(business)]
    removal = AuditEvent.objects.for_org(org_a).get(verb="policy.step_removed")
    assert response["Location"].endswith(f"?removed={removal.pk}")
    page = client.get(response["Location"]).content.decode()
    assert "Step “Phone call” removed." in page and 'name="removal"' in page
    client.post(url("policy_step_undo", org_a, business.pk), {"removal": removal.pk})
    after = Policy.objects.get(pk=business.pk)
    assert (after.spec, after.description) == (before.spec, before.description)
    restored = AuditEvent.objects.for_org(org_a).get(verb="policy.step_restored")
    assert restored.data["undoes"] == removal.seq and restored.actor_label == "a-owner"
    # Undone once: the banner is gone and a second undo changes nothing.
    assert "removed." not in client.get(response["Location"]).content.decode()
    again = client.post(url("policy_step_undo", org_a, business.pk), {"removal": removal.pk}, follow=True)
    assert "is in the policy already" in again.content.decode()
    assert AuditEvent.objects.for_org(org_a).filter(verb="policy.step_restored").count() == 1


def test_only_owners_remove_or_undo_and_an_undo_names_a_removal_of_this_policy(as_user, org_a, business, policies):
    owner = as_user("owner")
    owner.post(url("policy_step_delete", org_a, business.pk, "call"))
    removal = AuditEvent.objects.for_org(org_a).get(verb="policy.step_removed")
    assert as_user("collector").post(url("policy_step_undo", org_a, business.pk),
                                     {"removal": removal.pk}).status_code == 403
    assert as_user("collector").get(url("policy_step_delete", org_a, business.pk, "call")).status_code == 403
    consumer, owner = policies["consumer"], as_user("owner")
    assert owner.post(url("policy_step_undo", org_a, consumer.pk), {"removal": removal.pk}).status_code == 404
    assert owner.post(url("policy_step_undo", org_a, business.pk), {"removal": "x"}).status_code == 404


def test_an_undo_refuses_when_another_step_took_the_day(as_user, org_a, business):
    client = as_user("owner")
    client.post(url("policy_step_delete", org_a, business.pk, "call"))
    removal = AuditEvent.objects.for_org(org_a).get(verb="policy.step_removed")
    client.post(url("policy_step_new", org_a, business.pk),
                {**STEP, "key": "visit", "name": "Visit", "offset_days": "21", "template": "first-reminder"})
    page = client.post(url("policy_step_undo", org_a, business.pk), {"removal": removal.pk},
                       follow=True).content.decode()
    assert "Not undone: step Phone call cannot go back" in page
    assert "call" not in [s["key"] for s in steps_of(business)]


def test_with_no_customer_the_preview_is_written_to_a_sample_with_the_real_footer(as_user, org_a, business):
    page = as_user("viewer").get(url("policy_step_preview", org_a, business.pk, "first-reminder")).content.decode()
    assert "To Sample Customer Ltd" in page and "SAMPLE-0001" in page
    assert "[portal link]" in page and "[preferences link]" in page and "reply with the word STOP" not in page
