"""Reads for collections: which policy a customer follows, policies as YAML, active pauses."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

import yaml
from django.db.models import Q, QuerySet

from recoup.collections.models import CustomerPolicy, CustomerTag, Pause, Policy, PolicyRule
from recoup.core.policy import Policy as CorePolicy
from recoup.ledger.models import Customer
from recoup.orgs.models import Organization


def core_policy(policy: Policy) -> CorePolicy:
    """The rules of a stored policy (validated when it was loaded)."""
    return CorePolicy.from_dict(policy.spec)


def policy_dump(policy: Policy, fmt: str = "yaml") -> str:
    """A policy as YAML (or JSON) that ``policy_load`` reads back to the same policy."""
    spec = core_policy(policy).to_dict()
    if fmt == "json":
        import json

        return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, default_flow_style=False)


@dataclass
class PolicyAssignment:
    """Which policy each customer follows, for many customers at once (a few queries in all).

    Order: the customer's own override, else the first tag rule (by position) matching one
    of its tags, else the organization's default for its kind, else the default for any kind.
    """

    policies: dict[int, Policy]
    overrides: dict[int, int]
    rules: list[tuple[str, int]]
    defaults: dict[str, int]
    tags: dict[int, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, *, org: Organization, customer_ids: QuerySet | Iterable[int] | None = None) -> "PolicyAssignment":
        """``customer_ids``: a values("id") queryset or ids to load overrides and tags for (None: all)."""
        policies = {p.pk: p for p in Policy.objects.for_org(org)}
        overrides_qs = CustomerPolicy.objects.for_org(org)
        tags_qs = CustomerTag.objects.for_org(org)
        if customer_ids is not None:
            overrides_qs = overrides_qs.filter(customer_id__in=customer_ids)
            tags_qs = tags_qs.filter(customer_id__in=customer_ids)
        tags: dict[int, set[str]] = defaultdict(set)
        for customer_id, tag in tags_qs.values_list("customer_id", "tag"):
            tags[customer_id].add(tag)
        return cls(
            policies=policies,
            overrides=dict(overrides_qs.values_list("customer_id", "policy_id")),
            rules=list(PolicyRule.objects.for_org(org).order_by("position", "id").values_list("tag", "policy_id")),
            defaults={p.default_for: p.pk for p in policies.values() if p.is_default},
            tags={k: frozenset(v) for k, v in tags.items()},
        )

    def customer_tags(self, customer_id: int) -> frozenset[str]:
        return self.tags.get(customer_id, frozenset())

    def policy_for(self, customer_id: int, kind: str) -> Policy | None:
        policy_id = self.overrides.get(customer_id)
        if policy_id is None:
            mine = self.customer_tags(customer_id)
            policy_id = next((pid for tag, pid in self.rules if tag in mine), None)
        if policy_id is None:
            policy_id = self.defaults.get(kind, self.defaults.get(""))
        return self.policies.get(policy_id) if policy_id is not None else None


def policy_for_customer(*, org: Organization, customer: Customer) -> Policy | None:
    """The policy ``customer`` follows (see ``PolicyAssignment``), or None when the organization has none."""
    if customer.org_id != org.pk:
        raise ValueError(f"customer {customer.ref} does not belong to {org.slug}")
    return PolicyAssignment.load(org=org, customer_ids=[customer.pk]).policy_for(customer.pk, customer.kind)


def active_pauses(*, org: Organization, on: date) -> QuerySet:
    """Pauses in force on ``on``: started, not ended before it, not lifted."""
    return Pause.objects.for_org(org).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=on), starts_on__lte=on, lifted_at__isnull=True
    )
