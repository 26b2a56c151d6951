"""Settings → API (owners): tokens, webhook endpoints with their delivery log, export downloads."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from recoup.api.actions import ApiError, delivery_resend, endpoint_create, endpoint_update, token_create, token_revoke
from recoup.api.events import EVENT_TYPES
from recoup.api.exports import JOURNAL_KINDS, balances_csv, journal_csv
from recoup.api.models import ApiToken, Scope, WebhookDelivery, WebhookEndpoint
from recoup.audit.actions import Actor
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view


def _page(request, org, **extra) -> HttpResponse:
    endpoints = list(WebhookEndpoint.objects.for_org(org).order_by("id"))
    deliveries = WebhookDelivery.objects.for_org(org).select_related("endpoint").order_by("-created_at", "-id")[:50]
    return render(request, "api/settings.html", {
        "tokens": ApiToken.objects.for_org(org), "scopes": Scope.choices, "endpoints": endpoints,
        "deliveries": deliveries, "event_types": EVENT_TYPES, "kinds": JOURNAL_KINDS,
        "today": timezone.localdate(), **extra})


@org_view(Role.OWNER)
def api_settings(request: HttpRequest, org: Organization) -> HttpResponse:
    if request.method != "POST":
        return _page(request, org)
    actor, now = Actor.for_user(request.user), timezone.now()
    try:
        if request.POST.get("form") == "token":
            token, text = token_create(org=org, name=request.POST.get("name", ""),
                                       scope=request.POST.get("scope", ""), actor=actor, now=now)
            # Shown once, in this answer only: never stored, never redirected through the session.
            return _page(request, org, new_token=text, new_token_row=token)
        if request.POST.get("form") == "endpoint":
            endpoint_create(org=org, url=request.POST.get("url", ""), event_types=request.POST.getlist("events"),
                            description=request.POST.get("description", ""), actor=actor, now=now)
            messages.success(request, "Webhook endpoint added.")
            return redirect("api_settings", slug=org.slug)
    except ApiError as exc:
        return _page(request, org, error=str(exc))
    return _page(request, org, error="Unknown form.")


def _row(model, org, pk):
    row = model.objects.for_org(org).filter(pk=pk).first()
    if row is None:
        raise Http404("not found")
    return row


@require_POST
@org_view(Role.OWNER)
def token_revoke_view(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    token = token_revoke(org=org, token=_row(ApiToken, org, pk), actor=Actor.for_user(request.user),
                         now=timezone.now())
    messages.success(request, f"Token {token.name} revoked.")
    return redirect("api_settings", slug=org.slug)


@require_POST
@org_view(Role.OWNER)
def endpoint_toggle(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    endpoint = _row(WebhookEndpoint, org, pk)
    endpoint_update(org=org, endpoint=endpoint, active=not endpoint.active, actor=Actor.for_user(request.user),
                    now=timezone.now())
    return redirect("api_settings", slug=org.slug)


@require_POST
@org_view(Role.OWNER)
def delivery_resend_view(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    delivery_resend(org=org, delivery=_row(WebhookDelivery, org, pk), actor=Actor.for_user(request.user),
                    now=timezone.now())
    messages.success(request, "Queued to be sent again.")
    return redirect("api_settings", slug=org.slug)


def _date(request, name: str) -> date:
    try:
        return date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        raise Http404(f"{name}: give a date as YYYY-MM-DD") from None


@org_view(Role.OWNER)
def export_download(request: HttpRequest, org: Organization, what: str) -> HttpResponse:
    if what == "balances":
        as_of = _date(request, "as_of")
        text, name = balances_csv(org=org, as_of=as_of), f"{org.slug}-balances-{as_of}.csv"
    elif what in JOURNAL_KINDS:
        start, end = _date(request, "from"), _date(request, "to")
        text, name = journal_csv(org=org, kind=what, start=start, end=end), f"{org.slug}-{what}-{start}-{end}.csv"
    else:
        raise Http404("no such export")
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
