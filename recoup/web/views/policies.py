"""Escalation policies: the list, one policy's steps, editing a step, previewing its messages, the cycle.

Everyone in the organization may read policies and preview messages (a preview renders,
it queues nothing); owners edit them; owners and collectors run the cycle. Each write
calls one action with the signed-in user as actor and the clock read here.
"""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from recoup.audit.actions import Actor
from recoup.collections.actions import (
    CollectionsError, PolicySpecError, policies_install_defaults, policy_rule_set, policy_update,
)
from recoup.collections.cycle import cycle_run
from recoup.collections.models import Policy, PolicyRule
from recoup.collections.selectors import PolicyAssignment, core_policy, policy_dump
from recoup.core.policy import Step
from recoup.ledger.models import Customer, Invoice
from recoup.lib.downloads import content_disposition
from recoup.messaging.rendering import TemplateMissing, render_message
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view
from recoup.web.policy_forms import CycleForm, PreviewForm, StepForm
from recoup.web.views.common import get_for_org, org_today

PICKER_SIZE = 100


def _following(org: Organization) -> Counter:
    """How many customers follow each policy (override, tag rule or default), by policy id."""
    assignment = PolicyAssignment.load(org=org)
    followed = (assignment.policy_for(pk, kind) for pk, kind in Customer.objects.for_org(org).values_list("pk", "kind"))
    return Counter(policy.pk for policy in followed if policy is not None)


@org_view()
def policy_list(request: HttpRequest, org: Organization) -> HttpResponse:
    following = _following(org)
    rows = [(p, len(p.spec.get("steps", [])), following[p.pk]) for p in Policy.objects.for_org(org)]
    return render(request, "web/policies/list.html", {"rows": rows})


@org_view(Role.OWNER)
@require_POST
def policies_install(request: HttpRequest, org: Organization) -> HttpResponse:
    if Policy.objects.for_org(org).exists():
        messages.error(request, "This organization already has policies.")
    else:
        policies_install_defaults(org=org, actor=Actor.for_user(request.user), now=timezone.now())
        messages.success(request, "The default policies for business customers and consumers are installed.")
    return redirect("policy_list", slug=org.slug)


@org_view()
def policy_detail(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    policy = get_for_org(Policy, org, pk=pk)
    return render(request, "web/policies/detail.html", {
        "policy": policy, "steps": core_policy(policy).steps, "following": _following(org)[policy.pk],
        "rules": policy.rules.filter(org=org),
    })


@org_view(Role.OWNER)
@require_POST
def rule_new(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    policy = get_for_org(Policy, org, pk=pk)
    # A new rule goes last: rules added earlier keep winning when a customer has both tags.
    last = PolicyRule.objects.for_org(org).order_by("-position").values_list("position", flat=True).first()
    try:
        rule = policy_rule_set(org=org, tag=request.POST.get("tag", ""), policy=policy,
                               actor=Actor.for_user(request.user), now=timezone.now(),
                               position=0 if last is None else last + 1)
    except CollectionsError as exc:
        messages.error(request, f"Tag rule not added: {exc}.")
    else:
        messages.success(request, f"Customers tagged {rule.tag} follow this policy.")
    return redirect("policy_detail", slug=org.slug, pk=policy.pk)


@org_view(Role.OWNER)
@require_POST
def rule_delete(request: HttpRequest, org: Organization, pk: int, rule_pk: int) -> HttpResponse:
    policy = get_for_org(Policy, org, pk=pk)
    rule = get_for_org(PolicyRule, org, pk=rule_pk, policy=policy)
    policy_rule_set(org=org, tag=rule.tag, policy=None, actor=Actor.for_user(request.user), now=timezone.now())
    messages.success(request, f"Tag {rule.tag} no longer chooses this policy.")
    return redirect("policy_detail", slug=org.slug, pk=policy.pk)


@org_view()
def policy_yaml(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    policy = get_for_org(Policy, org, pk=pk)
    response = HttpResponse(policy_dump(policy), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = content_disposition(f"{policy.name}.yaml", attachment=True)
    return response


def _step(policy: Policy, key: str) -> Step:
    core = core_policy(policy)
    if not core.has_step(key):
        raise Http404("No such step")
    return core.step(key)


def _step_form(request: HttpRequest, org: Organization, policy: Policy, step: Step | None) -> HttpResponse:
    form = StepForm(request.POST if request.method == "POST" else None, step=step)
    if request.method == "POST" and form.is_valid():
        spec = core_policy(policy).to_dict()
        new = form.step_dict()
        steps = [new if step is not None and s["key"] == step.key else s for s in spec["steps"]]
        if step is None:
            steps.append(new)
        # Steps run in order of their offsets; a moved step takes its place on the ladder.
        steps.sort(key=lambda s: s["offset_days"])
        position = next(i for i, s in enumerate(steps) if s is new)
        try:
            policy_update(org=org, policy=policy, spec={**spec, "steps": steps},
                          actor=Actor.for_user(request.user), now=timezone.now())
        except PolicySpecError as exc:
            form.add_spec_error(exc, position, steps)
        else:
            messages.success(request, f"Step “{new['name']}” saved.")
            return redirect("policy_detail", slug=org.slug, pk=policy.pk)
    return render(request, "web/policies/step_form.html", {"policy": policy, "step": step, "form": form})


@org_view(post_role=Role.OWNER)
def step_new(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    return _step_form(request, org, get_for_org(Policy, org, pk=pk), None)


@org_view(post_role=Role.OWNER)
def step_edit(request: HttpRequest, org: Organization, pk: int, key: str) -> HttpResponse:
    policy = get_for_org(Policy, org, pk=pk)
    return _step_form(request, org, policy, _step(policy, key))


@org_view(Role.OWNER)
@require_POST
def step_delete(request: HttpRequest, org: Organization, pk: int, key: str) -> HttpResponse:
    policy = get_for_org(Policy, org, pk=pk)
    step = _step(policy, key)
    spec = core_policy(policy).to_dict()
    spec["steps"] = [s for s in spec["steps"] if s["key"] != key]
    policy_update(org=org, policy=policy, spec=spec, actor=Actor.for_user(request.user), now=timezone.now())
    messages.success(request, f"Step “{step.name}” removed.")
    return redirect("policy_detail", slug=org.slug, pk=policy.pk)


def _customer_choices(org: Organization, today, chosen: str | None) -> list[tuple[int, str]]:
    """Customers with the most overdue first (then others with open invoices), plus the one asked for."""
    open_ = Invoice.objects.for_org(org).filter(open_minor__gt=0)
    overdue = dict(open_.filter(due_date__lt=today).order_by().values("customer_id")
                   .annotate(total=Sum("open_minor")).values_list("customer_id", "total"))
    with_open = set(open_.order_by().values_list("customer_id", flat=True).distinct())
    ids = sorted(with_open, key=lambda pk: (-overdue.get(pk, 0), pk))
    ids = ids[:PICKER_SIZE]
    if chosen and chosen.isdigit() and int(chosen) not in ids:
        ids.append(int(chosen))
    names = dict(Customer.objects.for_org(org).filter(pk__in=ids).values_list("pk", "legal_name"))
    return [(pk, names[pk]) for pk in ids if pk in names]


def _preview_invoices(org: Organization, customer: Customer, step: Step, today) -> list[Invoice]:
    """What the cycle would list: open invoices due by today (every open one for a step before the due date)."""
    open_ = Invoice.objects.for_org(org).filter(customer=customer, open_minor__gt=0).prefetch_related("charges")
    due = open_.filter(due_date__lte=today)
    return list(open_ if step.offset_days < 0 or not due.exists() else due)


@org_view()
def step_preview(request: HttpRequest, org: Organization, pk: int, key: str) -> HttpResponse:
    policy = get_for_org(Policy, org, pk=pk)
    step, today = _step(policy, key), org_today(org, timezone.now())
    choices = _customer_choices(org, today, request.GET.get("customer"))
    initial = {"channel": step.channels[0], "customer": choices[0][0] if choices else None}
    form = PreviewForm({**initial, **request.GET.dict()}, channels=step.channels, customers=choices)
    rendered = customer = error = None
    if form.is_valid() and form.cleaned_data["customer"]:
        customer = get_for_org(Customer, org, pk=form.cleaned_data["customer"])
        try:
            rendered = render_message(org=org, customer=customer, template=step.template_name,
                                      invoices=_preview_invoices(org, customer, step, today),
                                      channel=form.cleaned_data["channel"],
                                      language=form.cleaned_data["language"] or None, on=today)
        except TemplateMissing as exc:
            error = str(exc)
    return render(request, "web/policies/preview.html", {
        "policy": policy, "step": step, "form": form, "customer": customer, "rendered": rendered,
        "error": error, "today": today,
    })


@org_view(Role.COLLECTOR)
def cycle(request: HttpRequest, org: Organization) -> HttpResponse:
    now = timezone.now()
    today = org_today(org, now)
    form = CycleForm(request.POST if request.method == "POST" else None, today=today, initial={"date": today})
    result = None
    if request.method == "POST" and form.is_valid():
        result = cycle_run(org=org, on=form.cleaned_data["date"], now=now, dry_run=form.cleaned_data["dry_run"])
    refs = {a.customer_ref for a in result.actions} if result else set()
    customers = dict(Customer.objects.for_org(org).filter(ref__in=refs).values_list("ref", "pk"))
    rows = [(a, customers.get(a.customer_ref)) for a in result.actions] if result else []
    return render(request, "web/policies/cycle.html", {
        "form": form, "result": result, "rows": rows,
        "queued": sum(1 for a in result.actions if a.status == "queued") if result else 0,
        "drafts": sum(1 for a in result.actions if a.status == "draft") if result else 0,
    })
