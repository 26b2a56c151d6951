"""Customer tags, a customer's own policy, and the tag rules on a policy's page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from recoup.audit.models import AuditEvent
from recoup.collections.models import CustomerTag, PolicyRule
from recoup.collections.selectors import policy_for_customer

EDIT = {"ref": "C001", "kind": "business", "legal_name": "Northwind Traders", "display_name": "", "country": "",
        "region": "", "timezone": "", "language": "", "credit_limit": "", "default_terms": "", "status": "active",
        "notes": "", "tags": "", "policy": ""}


def url(name, org, *args):
    return reverse(name, args=[org.slug, *args])


@pytest.fixture
def policies(org_a, org_b, system, now):
    from recoup.collections.actions import policies_install_defaults

    mine = {p.default_for: p for p in policies_install_defaults(org=org_a, actor=system, now=now)}
    theirs = {p.default_for: p for p in policies_install_defaults(org=org_b, actor=system, now=now)}
    return {"a": mine, "b": theirs}


def test_tags_and_an_override_from_the_form_choose_the_policy_and_are_audited(as_user, org_a, ledger_a, policies):
    client, customer = as_user("collector"), ledger_a["customer"]
    consumer = policies["a"]["consumer"]
    assert policy_for_customer(org=org_a, customer=customer) == policies["a"]["business"]
    response = client.post(url("customer_edit", org_a, customer.pk),
                           {**EDIT, "tags": " VIP, public-sector,vip ", "policy": consumer.pk})
    assert response.status_code == 302
    assert sorted(CustomerTag.objects.for_org(org_a).values_list("tag", flat=True)) == ["public-sector", "vip"]
    assert policy_for_customer(org=org_a, customer=customer) == consumer
    tagged = AuditEvent.objects.for_org(org_a).get(verb="customer.tags_set")
    assert tagged.actor_label == "a-collector" and tagged.data == {"before": [], "after": ["public-sector", "vip"]}
    assert AuditEvent.objects.for_org(org_a).get(verb="policy.override_set").data["after"] == consumer.name
    page = client.get(url("customer_detail", org_a, customer.pk)).content.decode()
    assert "consumer-default" in page and "its own choice" in page and "public-sector" in page
    form_page = client.get(url("customer_edit", org_a, customer.pk)).content.decode()
    assert 'value="public-sector, vip"' in form_page


def test_following_the_rules_again_removes_the_override_and_saving_unchanged_records_nothing(
        as_user, org_a, ledger_a, policies):
    client, customer = as_user("owner"), ledger_a["customer"]
    edit = url("customer_edit", org_a, customer.pk)
    client.post(edit, {**EDIT, "policy": policies["a"]["consumer"].pk})
    client.post(edit, {**EDIT, "policy": ""})
    client.post(edit, {**EDIT, "policy": ""})
    assert policy_for_customer(org=org_a, customer=customer) == policies["a"]["business"]
    verbs = list(AuditEvent.objects.for_org(org_a).filter(verb__startswith="policy.override")
                 .values_list("verb", flat=True))
    assert verbs == ["policy.override_set", "policy.override_removed"]
    assert not AuditEvent.objects.for_org(org_a).filter(verb="customer.tags_set").exists()
    page = client.get(url("customer_detail", org_a, customer.pk)).content.decode()
    assert "business-default" in page and "default for business customers" in page


def test_a_bad_tag_is_refused_on_its_field_and_nothing_is_saved(as_user, org_a, ledger_a, policies):
    customer = ledger_a["customer"]
    response = as_user("owner").post(url("customer_edit", org_a, customer.pk),
                                     {**EDIT, "notes": "changed", "tags": "ok, " + "x" * 51,
                                      "policy": policies["a"]["consumer"].pk})
    assert response.status_code == 200 and "at most 50 characters" in response.content.decode()
    customer.refresh_from_db()
    assert customer.notes == "" and not CustomerTag.objects.exists()
    assert policy_for_customer(org=org_a, customer=customer) == policies["a"]["business"]


def test_another_organizations_policy_is_refused_in_the_form(as_user, org_a, ledger_a, policies):
    customer = ledger_a["customer"]
    response = as_user("owner").post(url("customer_edit", org_a, customer.pk),
                                     {**EDIT, "policy": policies["b"]["business"].pk})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert policy_for_customer(org=org_a, customer=customer) == policies["a"]["business"]


def test_a_viewer_may_not_post_and_other_organizations_see_nothing(as_user, org_a, ledger_a, policies):
    customer, business = ledger_a["customer"], policies["a"]["business"]
    viewer = as_user("viewer")
    assert viewer.post(url("customer_edit", org_a, customer.pk), {**EDIT, "tags": "vip"}).status_code == 403
    assert viewer.post(url("policy_rule_new", org_a, business.pk), {"tag": "vip"}).status_code == 403
    assert "Follows policy" in viewer.get(url("customer_detail", org_a, customer.pk)).content.decode()
    assert url("policy_rule_new", org_a, business.pk) not in viewer.get(url("policy_detail", org_a, business.pk)) \
        .content.decode()
    outsider = as_user("outsider")
    assert outsider.post(url("customer_edit", org_a, customer.pk), {**EDIT, "tags": "vip"}).status_code == 404
    assert outsider.get(url("customer_detail", org_a, customer.pk)).status_code == 404
    assert outsider.post(url("policy_rule_new", org_a, business.pk), {"tag": "vip"}).status_code == 404
    assert not CustomerTag.objects.exists() and not PolicyRule.objects.exists()


def test_a_collector_may_not_change_tag_rules(as_user, org_a, policies):
    response = as_user("collector").post(url("policy_rule_new", org_a, policies["a"]["consumer"].pk), {"tag": "vip"})
    assert response.status_code == 403 and not PolicyRule.objects.exists()


def test_a_tag_rule_added_on_the_policy_page_makes_a_tagged_customer_follow_it(as_user, org_a, ledger_a, policies):
    client, customer = as_user("owner"), ledger_a["customer"]
    consumer = policies["a"]["consumer"]
    client.post(url("customer_edit", org_a, customer.pk), {**EDIT, "tags": "vip"})
    response = client.post(url("policy_rule_new", org_a, consumer.pk), {"tag": " VIP "})
    assert response["Location"] == url("policy_detail", org_a, consumer.pk)
    assert policy_for_customer(org=org_a, customer=customer) == consumer
    assert AuditEvent.objects.for_org(org_a).filter(verb="policy.rule_set").count() == 1
    detail = client.get(url("policy_detail", org_a, consumer.pk)).content.decode()
    rule = PolicyRule.objects.for_org(org_a).get(tag="vip")
    assert "Customers tagged vip follow this policy." in detail
    assert url("policy_rule_delete", org_a, consumer.pk, rule.pk) in detail
    page = client.get(url("customer_detail", org_a, customer.pk)).content.decode()
    assert "consumer-default" in page and "tag rule “vip”" in page

    client.post(url("policy_rule_delete", org_a, consumer.pk, rule.pk))
    assert policy_for_customer(org=org_a, customer=customer) == policies["a"]["business"]
    assert AuditEvent.objects.for_org(org_a).filter(verb="policy.rule_removed").count() == 1


def test_an_empty_tag_rule_is_refused_with_a_message(as_user, org_a, policies):
    consumer = policies["a"]["consumer"]
    response = as_user("owner").post(url("policy_rule_new", org_a, consumer.pk), {"tag": "  "}, follow=True)
    assert "Tag rule not added" in response.content.decode() and not PolicyRule.objects.exists()


def test_a_rule_of_another_policy_cannot_be_removed_through_this_one(as_user, org_a, policies, system, now):
    from recoup.collections.actions import policy_rule_set

    rule = policy_rule_set(org=org_a, tag="vip", policy=policies["a"]["business"], actor=system, now=now)
    response = as_user("owner").post(url("policy_rule_delete", org_a, policies["a"]["consumer"].pk, rule.pk))
    assert response.status_code == 404 and PolicyRule.objects.filter(pk=rule.pk).exists()
