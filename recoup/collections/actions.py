"""Use cases that change collections settings: policies, who follows which, tags and pauses.

The daily cycle's writes are in ``recoup.collections.cycle``. Every action takes the
organization, who acts and the time from its caller, checks that what it touches belongs
to that organization, writes in one transaction and records an audit event.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import yaml
from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.collections.chase import chase_forget
from recoup.collections.models import CustomerPolicy, CustomerTag, DefaultFor, Pause, Policy, PolicyRule
from recoup.core.policy import Policy as CorePolicy, PolicyError
from recoup.core.policy_summary import describe
from recoup.ledger.models import Customer, Invoice
from recoup.orgs.models import Organization, check_same_org

DEFAULT_POLICIES_DIR = Path(__file__).resolve().parent / "default_policies"
# File name -> the customer kind its policy is the default for.
DEFAULT_POLICY_FILES = {"business.yaml": DefaultFor.BUSINESS, "consumer.yaml": DefaultFor.CONSUMER}


class CollectionsError(ValueError):
    """A collections request Recoup refuses, with a message fit to show the operator."""


def _same_org(org: Organization, *objs: object) -> None:
    check_same_org(org, *objs, error=CollectionsError)


def parse_policy(data: dict | str) -> CorePolicy:
    """A core Policy from a dict or YAML text; raises CollectionsError naming the path of the fault."""
    if isinstance(data, str):
        try:
            data = yaml.safe_load(data)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
            raise CollectionsError(f"{where}not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(data, dict):
        raise CollectionsError(f"a policy is a mapping with name and steps, not {type(data).__name__}")
    try:
        return CorePolicy.from_dict(data)
    except PolicyError as exc:
        raise CollectionsError(str(exc)) from None


@transaction.atomic
def policy_load(*, org: Organization, data: dict | str, actor: Actor, now: datetime,
                make_default_for: str | None = None) -> Policy:
    """Create or replace (by name) a policy from its dict or YAML form.

    Args:
        make_default_for: None leaves default status alone; "business", "consumer" or ""
            (any kind) makes this policy the organization's default for that kind,
            taking it from the policy that had it.
    Raises:
        CollectionsError naming the path of the first bad field (e.g. ``steps[2].offset_days``).
    """
    core = parse_policy(data)
    if make_default_for is not None and make_default_for not in DefaultFor.values:
        raise CollectionsError(f"default for {make_default_for!r}: use business, consumer or '' (any)")
    spec = core.to_dict()
    policy = Policy.objects.for_org(org).select_for_update(no_key=True).filter(name=core.name).first()
    created = policy is None
    if created:
        policy = Policy(org=org, name=core.name, created_at=now)
    before = None if created else policy.spec
    policy.description, policy.spec, policy.updated_at = core.description, spec, now
    if make_default_for is not None:
        Policy.objects.for_org(org).filter(is_default=True, default_for=make_default_for) \
            .exclude(pk=policy.pk).update(is_default=False)
        policy.is_default, policy.default_for = True, make_default_for
    policy.save()
    kind = f", default for {DefaultFor(make_default_for).label.lower()}" if make_default_for is not None else ""
    audit.record(org=org, actor=actor, at=now, verb="policy.created" if created else "policy.updated",
                 subject=policy, summary=f"Policy {policy.name} {'created' if created else 'updated'} "
                                         f"({len(core.steps)} steps{kind})",
                 data={"before": before, "after": spec, "default_for": make_default_for})
    return policy


@transaction.atomic
def policies_install_defaults(*, org: Organization, actor: Actor, now: datetime) -> list[Policy]:
    """Load the shipped default policies (business and consumer) as the organization's defaults.

    The organization's creation should call this; the cycle calls it for an organization
    that has no policy at all.
    """
    loaded = []
    for filename, kind in DEFAULT_POLICY_FILES.items():
        path = DEFAULT_POLICIES_DIR / filename
        try:
            loaded.append(policy_load(org=org, data=path.read_text(encoding="utf-8"), actor=actor, now=now,
                                      make_default_for=kind.value))
        except CollectionsError as exc:
            raise CollectionsError(f"{path}: {exc}") from None
    return loaded


@transaction.atomic
def policy_assign_customer(*, org: Organization, customer: Customer, policy: Policy | None, actor: Actor,
                           now: datetime) -> CustomerPolicy | None:
    """Make ``customer`` follow ``policy`` whatever its kind or tags; None removes the override."""
    _same_org(org, customer, policy)
    current = CustomerPolicy.objects.for_org(org).filter(customer=customer).first()
    chase_forget(customer=customer)
    if policy is None:
        if current:
            current.delete()
            audit.record(org=org, actor=actor, at=now, verb="policy.override_removed", subject=customer,
                         customer=customer, summary=f"{customer.ref} follows its default policy again")
        return None
    override, _ = CustomerPolicy.objects.update_or_create(org=org, customer=customer, defaults={"policy": policy})
    audit.record(org=org, actor=actor, at=now, verb="policy.override_set", subject=override, customer=customer,
                 summary=f"{customer.ref} follows policy {policy.name}",
                 data={"before": current.policy.name if current else None, "after": policy.name})
    return override


@transaction.atomic
def policy_rule_set(*, org: Organization, tag: str, policy: Policy | None, actor: Actor, now: datetime,
                    position: int = 0) -> PolicyRule | None:
    """Customers tagged ``tag`` follow ``policy`` (None removes the rule); lower positions win."""
    _same_org(org, policy)
    tag = _clean_tag(tag)
    if policy is None:
        deleted, _ = PolicyRule.objects.for_org(org).filter(tag=tag).delete()
        if deleted:
            audit.record(org=org, actor=actor, at=now, verb="policy.rule_removed", subject=org,
                         summary=f"Tag {tag} no longer chooses a policy")
        return None
    rule, _ = PolicyRule.objects.update_or_create(org=org, tag=tag, defaults={"policy": policy, "position": position})
    audit.record(org=org, actor=actor, at=now, verb="policy.rule_set", subject=rule,
                 summary=f"Customers tagged {tag} follow policy {policy.name}")
    return rule


def _clean_tag(tag: str) -> str:
    tag = tag.strip().lower()
    if not tag or len(tag) > 50:
        raise CollectionsError(f"tag {tag!r}: use 1-50 characters")
    return tag


@transaction.atomic
def customer_tag_add(*, org: Organization, customer: Customer, tag: str, actor: Actor, now: datetime) -> CustomerTag:
    _same_org(org, customer)
    tag = _clean_tag(tag)
    row, created = CustomerTag.objects.get_or_create(org=org, customer=customer, tag=tag)
    if created:
        chase_forget(customer=customer)
        audit.record(org=org, actor=actor, at=now, verb="customer.tagged", subject=row, customer=customer,
                     summary=f"{customer.ref} tagged {tag}")
    return row


@transaction.atomic
def customer_tag_remove(*, org: Organization, customer: Customer, tag: str, actor: Actor, now: datetime) -> None:
    _same_org(org, customer)
    tag = _clean_tag(tag)
    deleted, _ = CustomerTag.objects.for_org(org).filter(customer=customer, tag=tag).delete()
    if deleted:
        chase_forget(customer=customer)
        audit.record(org=org, actor=actor, at=now, verb="customer.untagged", subject=customer, customer=customer,
                     summary=f"{customer.ref} no longer tagged {tag}")


@transaction.atomic
def pause_add(*, org: Organization, customer: Customer, reason: str, starts_on: date, actor: Actor, now: datetime,
              invoice: Invoice | None = None, ends_on: date | None = None) -> Pause:
    """Stop automatic collection for a customer, or one of its invoices, from ``starts_on``
    through ``ends_on`` (inclusive; until lifted when None)."""
    _same_org(org, customer, invoice)
    if invoice is not None and invoice.customer_id != customer.pk:
        raise CollectionsError(f"invoice {invoice.number} belongs to another customer")
    if not reason.strip():
        raise CollectionsError("a pause needs a reason")
    if ends_on is not None and ends_on < starts_on:
        raise CollectionsError(f"the pause ends ({ends_on}) before it starts ({starts_on})")
    pause = Pause.objects.create(org=org, customer=customer, invoice=invoice, reason=reason.strip()[:500],
                                 starts_on=starts_on, ends_on=ends_on, created_by=actor.label, created_at=now)
    chase_forget(customer=customer)
    what = f"invoice {invoice.number}" if invoice else f"customer {customer.ref}"
    audit.record(org=org, actor=actor, at=now, verb="collections.paused", subject=pause, customer=customer,
                 summary=f"Collection paused for {what} from {starts_on}"
                         + (f" to {ends_on}" if ends_on else "") + f": {pause.reason}")
    return pause


@transaction.atomic
def pause_lift(*, org: Organization, pause: Pause, actor: Actor, now: datetime) -> Pause:
    """End a pause now; the next cycle catches up the step due (once, not once per paused day)."""
    _same_org(org, pause)
    if pause.lifted_at is not None:
        return pause
    pause.lifted_at, pause.lifted_by = now, actor.label
    pause.save(update_fields=["lifted_at", "lifted_by"])
    chase_forget(customer=pause.customer)
    audit.record(org=org, actor=actor, at=now, verb="collections.pause_lifted", subject=pause,
                 customer=pause.customer, summary=f"Pause lifted: {pause.reason}")
    return pause


class PolicySpecError(CollectionsError):
    """An edited policy is invalid at ``path`` (e.g. ``steps[2].offset_days``), with ``message`` for that field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def described(core: CorePolicy, stored: Policy) -> CorePolicy:
    """``core`` about to replace ``stored``'s spec, its description made from its steps when the steps
    change and the description is the one ``stored`` has (written for the old steps)."""
    old_steps = CorePolicy.from_dict(stored.spec).steps if stored.spec else ()
    if core.steps != old_steps and core.description == stored.description:
        return replace(core, description=describe(core))
    return core


@transaction.atomic
def policy_update(*, org: Organization, policy: Policy, spec: dict, actor: Actor, now: datetime) -> Policy:
    """Replace a policy's steps and description with ``spec`` (``Policy.to_dict()`` form), keeping its name.

    When the steps change and ``spec`` keeps the description the policy had, that text described
    the old steps: the description becomes the summary of the new ones (``core.policy_summary``).

    Raises:
        PolicySpecError naming the path of the first bad field; nothing is saved then.
    """
    _same_org(org, policy)
    try:
        core = CorePolicy.from_dict(spec)
    except PolicyError as exc:
        raise PolicySpecError(exc.path, exc.message) from None
    if core.name != policy.name:
        raise PolicySpecError("name", f"stays {policy.name!r}; load a policy under a new name to copy it")
    policy = Policy.objects.for_org(org).select_for_update(no_key=True).get(pk=policy.pk)
    core = described(core, policy)
    before, after = policy.spec, core.to_dict()
    if before == after:
        return policy
    policy.description, policy.spec, policy.updated_at = core.description, after, now
    policy.save(update_fields=["description", "spec", "updated_at"])
    audit.record(org=org, actor=actor, at=now, verb="policy.updated", subject=policy,
                 summary=f"Policy {policy.name} updated ({len(core.steps)} steps)",
                 data={"before": before, "after": after})
    return policy


@transaction.atomic
def customer_tags_set(*, org: Organization, customer: Customer, tags: list[str], actor: Actor,
                      now: datetime) -> list[str]:
    """Make ``customer``'s tags exactly ``tags`` (normalized, duplicates dropped); returns them sorted.

    Raises:
        CollectionsError naming the first bad tag; nothing is changed then.
    """
    _same_org(org, customer)
    wanted = sorted({_clean_tag(tag) for tag in tags})
    current = CustomerTag.objects.for_org(org).filter(customer=customer)
    before = sorted(current.values_list("tag", flat=True))
    if before == wanted:
        return wanted
    current.exclude(tag__in=wanted).delete()
    chase_forget(customer=customer)
    CustomerTag.objects.bulk_create([CustomerTag(org=org, customer=customer, tag=tag)
                                     for tag in wanted if tag not in before])
    audit.record(org=org, actor=actor, at=now, verb="customer.tags_set", subject=customer, customer=customer,
                 summary=f"{customer.ref} tagged {', '.join(wanted) or '(no tags)'}",
                 data={"before": before, "after": wanted})
    return wanted
