"""The template editor: the wording of each message Recoup sends, per template, channel and language.

Everyone in the organization may read the templates and preview them on a customer (a preview
renders, it queues nothing); owners save, restore and reset them, as they edit policies. The preview
is ``messaging.preview.message_preview``: the renderer the cycle sends with, on the typed text.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from recoup.audit.actions import Actor
from recoup.collections.models import Policy
from recoup.collections.selectors import core_policy
from recoup.ledger.models import Customer, Invoice
from recoup.messaging.models import TemplateVersion
from recoup.messaging.preview import message_preview
from recoup.messaging.rendering import TemplateMissing
from recoup.messaging.template_actions import (
    TemplateEditError, template_reset, template_restore, template_save, wording_errors,
)
from recoup.messaging.template_store import (
    PARTS, TemplateKey, is_shipped, overridden_keys, shipped_catalog, template_history, wording_in_force,
)
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view
from recoup.web.template_forms import TemplateForm
from recoup.web.views.common import get_for_org, org_today

PICKER_SIZE = 100
CHANNEL_NAMES = {"email": "E-mail", "sms": "SMS", "letter": "Letter", "call": "Call script"}
LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish"}


def _key(template: str, channel: str, language: str) -> TemplateKey:
    key = TemplateKey(template, channel, language)
    if not is_shipped(key):
        raise Http404("No such template")
    return key


def _steps_using(org: Organization) -> dict[str, list[str]]:
    """Template name -> "policy: step" for each policy step that sends it."""
    using: dict[str, list[str]] = {}
    for policy in Policy.objects.for_org(org):
        for step in core_policy(policy).steps:
            using.setdefault(step.template_name, []).append(f"{policy.name}: {step.name}")
    return using


@org_view()
def template_list(request: HttpRequest, org: Organization) -> HttpResponse:
    edited, using = overridden_keys(org), _steps_using(org)
    rows = [{"template": template, "steps": using.get(template, []),
             "channels": [{"channel": channel, "name": CHANNEL_NAMES[channel],
                           "languages": [(lang, (template, channel, lang) in edited) for lang in langs]}
                          for channel, langs in channels.items()]}
            for template, channels in shipped_catalog().items()]
    return render(request, "web/message_templates/list.html", {"rows": rows})


def _customer_choices(org: Organization, today) -> list[tuple[int, str]]:
    """Customers with open invoices, the most overdue first."""
    open_ = Invoice.objects.for_org(org).filter(open_minor__gt=0).order_by()
    overdue = dict(open_.filter(due_date__lt=today).values("customer_id").annotate(total=Sum("open_minor"))
                   .values_list("customer_id", "total"))
    ids = sorted(set(open_.values_list("customer_id", flat=True)), key=lambda pk: (-overdue.get(pk, 0), pk))
    names = dict(Customer.objects.for_org(org).filter(pk__in=ids[:PICKER_SIZE]).values_list("pk", "legal_name"))
    return [(pk, names[pk]) for pk in ids[:PICKER_SIZE] if pk in names]


def _preview(org: Organization, key: TemplateKey, form: TemplateForm, choices, today) -> dict:
    """The preview's context: the message for the chosen customer (or why there is none)."""
    chosen = form.cleaned_data.get("customer") if hasattr(form, "cleaned_data") else None
    chosen = chosen or (choices[0][0] if choices else None)
    if chosen is None:
        return {"preview_error": "No customer has an open invoice to preview with."}
    customer = get_for_org(Customer, org, pk=chosen)
    open_ = list(Invoice.objects.for_org(org).filter(customer=customer, open_minor__gt=0)
                 .prefetch_related("charges"))
    due = [invoice for invoice in open_ if invoice.due_date <= today]
    wording = form.wording()
    errors = wording_errors(key, wording)
    if errors:
        return {"customer": customer, "preview_errors": errors}
    try:
        rendered = message_preview(org=org, customer=customer, invoices=due or open_, template=key.template,
                                   channel=key.channel, language=key.language, on=today, wording=wording)
    except TemplateMissing as exc:
        return {"customer": customer, "preview_error": str(exc)}
    return {"customer": customer, "rendered": rendered}


def _form(request: HttpRequest, org: Organization, key: TemplateKey, choices) -> TemplateForm:
    if request.method == "POST":
        form = TemplateForm(request.POST, channel=key.channel, customers=choices)
    else:
        current = wording_in_force(org, key)
        wanted = request.GET.get("customer", "")
        form = TemplateForm({"customer": wanted if wanted.isdigit() else (choices[0][0] if choices else ""),
                             **{part: current.source(part) for part in PARTS[key.channel]}},
                            channel=key.channel, customers=choices)
    form.is_valid()
    return form


@org_view(post_role=Role.OWNER)
def template_edit(request: HttpRequest, org: Organization, template: str, channel: str,
                  language: str) -> HttpResponse:
    key, now = _key(template, channel, language), timezone.now()
    choices = _customer_choices(org, org_today(org, now))
    form = _form(request, org, key, choices)
    if request.method == "POST" and form.is_valid():
        try:
            version = template_save(org=org, key=key, wording=form.wording(), actor=Actor.for_user(request.user),
                                    now=now)
        except TemplateEditError as exc:
            form.add_part_errors(exc.errors)
        else:
            messages.success(request, f"Saved as version {version.version}; the cycle sends this wording from now on.")
            return redirect("template_edit", slug=org.slug, template=template, channel=channel, language=language)
    history = template_history(org, key)
    return render(request, "web/message_templates/edit.html", {
        "key": key, "form": form, "history": history, "current": history[0] if history else None,
        "channel_name": CHANNEL_NAMES[channel], "language_name": LANGUAGE_NAMES.get(language, language),
        "steps": _steps_using(org).get(template, []),
        **_preview(org, key, form, choices, org_today(org, now)),
    })


@org_view()
def template_preview(request: HttpRequest, org: Organization, template: str, channel: str,
                     language: str) -> HttpResponse:
    key, today = _key(template, channel, language), org_today(org, timezone.now())
    choices = _customer_choices(org, today)
    form = _form(request, org, key, choices)
    return render(request, "web/message_templates/_preview.html", {"key": key, **_preview(org, key, form, choices, today)})


@org_view(Role.OWNER)
@require_POST
def template_restore_view(request: HttpRequest, org: Organization, template: str, channel: str, language: str,
                          version: int) -> HttpResponse:
    key = _key(template, channel, language)
    get_for_org(TemplateVersion, org, template=template, channel=channel, language=language, version=version)
    try:
        row = template_restore(org=org, key=key, version=version, actor=Actor.for_user(request.user),
                               now=timezone.now())
    except TemplateEditError as exc:
        messages.error(request, f"Version {version} cannot be restored: {exc}")
    else:
        messages.success(request, f"Version {version} restored as version {row.version}.")
    return redirect("template_edit", slug=org.slug, template=template, channel=channel, language=language)


@org_view(Role.OWNER)
@require_POST
def template_reset_view(request: HttpRequest, org: Organization, template: str, channel: str,
                        language: str) -> HttpResponse:
    key = _key(template, channel, language)
    row = template_reset(org=org, key=key, actor=Actor.for_user(request.user), now=timezone.now())
    messages.success(request, f"Back to the shipped text (version {row.version}).")
    return redirect("template_edit", slug=org.slug, template=template, channel=channel, language=language)
