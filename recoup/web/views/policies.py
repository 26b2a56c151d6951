"""Escalation policies: the list, one policy's steps, editing a step, previewing its messages, the cycle.

Everyone in the organization may read policies and preview messages (a preview renders,
it queues nothing); owners edit them; owners and collectors run the cycle. Each write
calls one action with the signed-in user as actor and the clock read here.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.contrib import messages
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from recoup.audit.actions import Actor
from recoup.collections.actions import (
    CollectionsError, PolicySpecError, policies_install_defaults, policy_rule_set, policy_update,
)
from recoup.collections.cycle import cycle_run
from recoup.collections.cycle_send import step_message
from recoup.collections.models import Policy, PolicyRule
from recoup.collections.selectors import PolicyAssignment, core_policy, policy_dump
from recoup.collections.step_removal import policy_step_remove, policy_step_restore, removal_of, undoable
from recoup.core.policy import Step
from recoup.ledger.models import Charge, Customer, Invoice
from recoup.lib.downloads import content_disposition
from recoup.messaging.preview import as_delivered
from recoup.messaging.rendering import TemplateMissing
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
    removal = removal_of(org=org, policy=policy, event_id=request.GET.get("removed", ""))
    return render(request, "web/policies/detail.html", {
        "policy": policy, "steps": core_policy(policy).steps, "following": _following(org)[policy.pk],
        "rules": policy.rules.filter(org=org),
        "removal": removal if removal is not None and undoable(policy, removal) else None,
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
def step_delete(request: HttpRequest, org: Organization, pk: int, key: str) -> HttpResponse:
    """GET asks whether to remove the step; POST removes it and comes back to the policy with an undo."""
    policy = get_for_org(Policy, org, pk=pk)
    step = _step(policy, key)
    if request.method != "POST":
        return render(request, "web/policies/step_delete.html", {"policy": policy, "step": step})
    removal = policy_step_remove(org=org, policy=policy, key=key, actor=Actor.for_user(request.user),
                                 now=timezone.now())
    return redirect(reverse("policy_detail", args=[org.slug, policy.pk]) + f"?removed={removal.pk}")


@org_view(Role.OWNER)
@require_POST
def step_undo(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    """Put back the step a removal took out (the removal's audit event is posted as ``removal``)."""
    policy = get_for_org(Policy, org, pk=pk)
    removal = removal_of(org=org, policy=policy, event_id=request.POST.get("removal", ""))
    if removal is None:
        raise Http404("No such removal")
    try:
        policy_step_restore(org=org, policy=policy, removal=removal, actor=Actor.for_user(request.user),
                            now=timezone.now())
    except CollectionsError as exc:
        messages.error(request, f"Not undone: {exc}.")
    else:
        messages.success(request, f"Step “{removal.data['step']['name']}” restored.")
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


def _sample(org: Organization, step: Step, today) -> tuple[Customer, list[Invoice]]:
    """A customer and an invoice made up for the preview when no real customer has an open invoice
    (never saved): an invoice falling due in step with the step, so the message reads as it will."""
    customer = Customer(org=org, ref="SAMPLE", legal_name="Sample Customer Ltd", country=org.country,
                        kind=step.customer_kinds[0] if step.customer_kinds else "business")
    due = today - timedelta(days=step.offset_days)
    invoice = Invoice(pk=0, org=org, customer=customer, number="SAMPLE-0001", issue_date=due - timedelta(days=30),
                      due_date=due, currency=org.base_currency, net_minor=100_000, total_minor=120_000,
                      open_minor=120_000, agreed_terms={})
    invoice._prefetched_objects_cache = {"charges": Charge.objects.none()}
    return customer, [invoice]


@org_view()
def step_preview(request: HttpRequest, org: Organization, pk: int, key: str) -> HttpResponse:
    """The step's message as the cycle would store and send it today (``cycle_send.step_message``, then
    ``messaging.preview.as_delivered``): to a real customer with open invoices, else to a made-up sample."""
    policy = get_for_org(Policy, org, pk=pk)
    now = timezone.now()
    step, today = _step(policy, key), org_today(org, now)
    choices = _customer_choices(org, today, request.GET.get("customer"))
    initial = {"channel": step.channels[0], "customer": choices[0][0] if choices else None}
    form = PreviewForm({**initial, **request.GET.dict()}, channels=step.channels, customers=choices)
    rendered = customer = error = None
    if form.is_valid():
        if form.cleaned_data["customer"]:
            customer = get_for_org(Customer, org, pk=form.cleaned_data["customer"])
            invoices = _preview_invoices(org, customer, step, today)
        else:
            customer, invoices = _sample(org, step, today)
        channel = form.cleaned_data["channel"]
        try:
            rendered = as_delivered(step_message(org=org, customer=customer, invoices=invoices,
                                                 template=step.template_name, channel=channel, on=today,
                                                 language=form.cleaned_data["language"] or None),
                                    org=org, customer=customer, channel=channel, now=now)
        except TemplateMissing as exc:
            error = str(exc)
    return render(request, "web/policies/preview.html", {
        "policy": policy, "step": step, "form": form, "customer": customer, "rendered": rendered,
        "error": error, "today": today, "sample": customer is not None and customer.pk is None,
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
