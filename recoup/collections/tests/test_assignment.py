"""Which policy a customer follows: override, else tag rule, else default for its kind, else default."""

from __future__ import annotations

import pytest

from recoup.collections.actions import (
    CollectionsError, customer_tag_add, policy_assign_customer, policy_load, policy_rule_set,
)
from recoup.collections.selectors import PolicyAssignment, policy_for_customer


def _policy(org, name, system, now, default_for=None):
    data = {"name": name, "steps": [{"key": "first-reminder", "name": "Reminder", "offset_days": 3}]}
    return policy_load(org=org, data=data, actor=system, now=now, make_default_for=default_for)


def test_it_assigns_by_override_then_tag_rule_then_kind_default_then_org_default(
        org_a, make_customer, system, now):
    fallback = _policy(org_a, "fallback", system, now, default_for="")
    consumers = _policy(org_a, "consumers", system, now, default_for="consumer")
    vip = _policy(org_a, "vip", system, now)
    slow = _policy(org_a, "slow-payers", system, now)
    special = _policy(org_a, "special", system, now)
    policy_rule_set(org=org_a, tag="slow", policy=slow, position=2, actor=system, now=now)
    policy_rule_set(org=org_a, tag="vip", policy=vip, position=1, actor=system, now=now)

    business = make_customer(org_a, ref="B1", kind="business")
    consumer = make_customer(org_a, ref="P1", kind="consumer")
    tagged = make_customer(org_a, ref="P2", kind="consumer")
    for tag in ("slow", "vip"):
        customer_tag_add(org=org_a, customer=tagged, tag=tag, actor=system, now=now)
    overridden = make_customer(org_a, ref="P3", kind="consumer")
    customer_tag_add(org=org_a, customer=overridden, tag="vip", actor=system, now=now)
    policy_assign_customer(org=org_a, customer=overridden, policy=special, actor=system, now=now)

    assert policy_for_customer(org=org_a, customer=business) == fallback
    assert policy_for_customer(org=org_a, customer=consumer) == consumers
    assert policy_for_customer(org=org_a, customer=tagged) == vip  # position 1 beats position 2
    assert policy_for_customer(org=org_a, customer=overridden) == special

    policy_assign_customer(org=org_a, customer=overridden, policy=None, actor=system, now=now)
    assert policy_for_customer(org=org_a, customer=overridden) == vip
    bulk = PolicyAssignment.load(org=org_a)
    assert [bulk.policy_for(c.pk, c.kind) for c in (business, consumer, tagged, overridden)] == \
        [fallback, consumers, vip, vip]


def test_a_new_default_for_a_kind_takes_over_from_the_old_one(org_a, make_customer, system, now):
    first = _policy(org_a, "first", system, now, default_for="business")
    second = _policy(org_a, "second", system, now, default_for="business")
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    assert policy_for_customer(org=org_a, customer=make_customer(org_a)) == second


def test_a_customer_without_any_default_has_no_policy(org_a, make_customer, system, now):
    _policy(org_a, "only-consumers", system, now, default_for="consumer")
    assert policy_for_customer(org=org_a, customer=make_customer(org_a, kind="business")) is None


def test_it_refuses_another_organizations_policy_or_customer(org_a, org_b, make_customer, system, now):
    theirs = _policy(org_b, "theirs", system, now, default_for="")
    mine = make_customer(org_a)
    with pytest.raises(CollectionsError, match="does not belong to acme"):
        policy_assign_customer(org=org_a, customer=mine, policy=theirs, actor=system, now=now)
    with pytest.raises(CollectionsError, match="does not belong to acme"):
        policy_rule_set(org=org_a, tag="x", policy=theirs, actor=system, now=now)
    # org_b's default never applies to org_a's customers.
    assert policy_for_customer(org=org_a, customer=mine) is None
