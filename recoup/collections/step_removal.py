"""Removing one step of a policy, and undoing that removal.

The policy page asks before it removes a step, then offers to undo it: the removal's audit event
keeps the step as it was and where it stood, and the undo puts it back from there (and the
policy's description too, when nothing else changed in between). Both are audited.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.audit.models import AuditEvent
from recoup.collections.actions import CollectionsError, described
from recoup.collections.models import Policy
from recoup.core.policy import Policy as CorePolicy, PolicyError
from recoup.orgs.models import check_same_org

REMOVED = "policy.step_removed"


def _save(policy: Policy, core: CorePolicy, now: datetime) -> dict:
    after = core.to_dict()
    policy.description, policy.spec, policy.updated_at = core.description, after, now
    policy.save(update_fields=["description", "spec", "updated_at"])
    return after


@transaction.atomic
def policy_step_remove(*, org, policy: Policy, key: str, actor: Actor, now: datetime) -> AuditEvent:
    """Take the step ``key`` out of ``policy``; returns the audit event an undo restores it from.

    Raises: CollectionsError when the policy has no such step.
    """
    check_same_org(org, policy, error=CollectionsError)
    policy = Policy.objects.for_org(org).select_for_update(no_key=True).get(pk=policy.pk)
    core = CorePolicy.from_dict(policy.spec)
    if not core.has_step(key):
        raise CollectionsError(f"policy {policy.name} has no step {key!r}")
    position, step = core.rank(key, 0)[0], core.step(key)
    before = policy.spec
    after = _save(policy, described(replace(core, steps=tuple(s for s in core.steps if s.key != key)), policy), now)
    return audit.record(org=org, actor=actor, at=now, verb="policy.step_removed", subject=policy,
                        summary=f"Step {step.name} removed from policy {policy.name}",
                        data={"step": before["steps"][position], "position": position,
                              "before": before, "after": after})


def removal_of(*, org, policy: Policy, event_id) -> AuditEvent | None:
    """The removal event ``event_id`` of a step of ``policy``, or None when there is no such removal."""
    if not str(event_id).isdigit():
        return None
    return AuditEvent.objects.filter(org=org, pk=int(event_id), verb=REMOVED, subject_type="policy",
                                     subject_id=policy.pk).first()


def undoable(policy: Policy, removal: AuditEvent) -> bool:
    """Whether the removed step is still out of the policy (so an undo can put it back)."""
    return not CorePolicy.from_dict(policy.spec).has_step(removal.data["step"]["key"])


@transaction.atomic
def policy_step_restore(*, org, policy: Policy, removal: AuditEvent, actor: Actor, now: datetime) -> Policy:
    """Put back the step ``removal`` (a ``policy_step_remove`` event of this policy) took out, as it was.

    The description the policy had comes back too when its steps are again those before the removal.
    Raises: CollectionsError when the step is back already, or no longer fits (a step added since
    falls on its day).
    """
    check_same_org(org, policy, removal, error=CollectionsError)
    if removal.verb != REMOVED or removal.subject_type != "policy" or removal.subject_id != policy.pk:
        raise CollectionsError("that is not the removal of a step of this policy")
    policy = Policy.objects.for_org(org).select_for_update(no_key=True).get(pk=policy.pk)
    core, step = CorePolicy.from_dict(policy.spec), removal.data["step"]
    if core.has_step(step["key"]):
        raise CollectionsError(f"step {step['name']} is in the policy already")
    spec = core.to_dict()
    steps = sorted([*spec["steps"], step], key=lambda s: s["offset_days"])
    try:
        restored = CorePolicy.from_dict({**spec, "steps": steps})
    except PolicyError as exc:
        raise CollectionsError(f"step {step['name']} cannot go back: {exc}") from None
    was = CorePolicy.from_dict(removal.data["before"])
    restored = replace(restored, description=was.description) if restored.steps == was.steps \
        else described(restored, policy)
    before = policy.spec
    after = _save(policy, restored, now)
    audit.record(org=org, actor=actor, at=now, verb="policy.step_restored", subject=policy,
                 summary=f"Step {step['name']} restored to policy {policy.name}",
                 data={"step": step, "undoes": removal.seq, "before": before, "after": after})
    return policy
