"""Settings -> Connections: connect (the provider's OAuth flow), choose the remote organization,
sync now, disconnect, the books settings; the OAuth callback; the providers' webhooks.

Anyone in the organization sees the page; owners change it. Views parse, call one action and
redirect; the clock is read here.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from recoup.audit.actions import Actor
from recoup.connections import actions
from recoup.connections.models import Connection, ConnectionStatus, Provider
from recoup.connections.oauth import AuthorizationFailed
from recoup.connections.providers import available, provider_for
from recoup.connections.providers.http import ProviderError
from recoup.connections.selectors import books_hold, connections_of, last_runs
from recoup.connections.sync import sync_connection
from recoup.connections.writeback import writeback_run
from recoup.orgs.models import Membership, Organization, Role
from recoup.web.decorators import org_view

CALLBACK = "/connections/callback/"


def _page(org: Organization) -> HttpResponse:
    return redirect("connections_settings", slug=org.slug)


def _connection(org: Organization, provider: str) -> Connection:
    connection = Connection.objects.for_org(org).filter(provider=provider).first()
    if connection is None:
        raise Http404("No such connection")
    return connection


@org_view(Role.VIEWER, post_role=Role.OWNER)
def connections_settings(request: HttpRequest, org: Organization) -> HttpResponse:
    now = timezone.now()
    if request.method == "POST":
        try:
            actions.books_settings_update(
                org=org, actor=Actor.for_user(request.user), now=now, writeback=request.POST.get("writeback") == "on",
                stale_after_hours=int(request.POST.get("stale_after_hours") or 6))
        except (actions.ConnectionsError, ValueError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Books settings saved.")
        return _page(org)
    connections = {c.provider: c for c in connections_of(org)}
    rows = [{"provider": p, "label": Provider(p).label, "connection": connections.get(p),
             "runs": last_runs(connections[p], 5) if p in connections else []} for p in available()]
    return render(request, "connections/settings.html", {
        "rows": rows, "hold": books_hold(org, now), "settings": actions.books_settings(org),
        "can_change": request.membership.role == Role.OWNER})


@require_POST
@org_view(Role.OWNER)
def connect(request: HttpRequest, org: Organization, provider: str) -> HttpResponse:
    if provider not in available():
        raise Http404("No such provider")
    try:
        url = actions.connect_start(org=org, provider=provider, redirect_uri=request.build_absolute_uri(CALLBACK),
                                    user=request.user, now=timezone.now())
    except actions.ConnectionsError as exc:
        messages.error(request, str(exc))
        return _page(org)
    return redirect(url)


@login_required
def callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the browser back: ?code=...&state=... (or ?error=...)."""
    state = request.GET.get("state", "")
    from recoup.connections.models import OAuthState

    pending = OAuthState.objects.select_related("org").filter(state=state or "-").first()
    membership = pending and Membership.objects.filter(org=pending.org, user=request.user).first()
    if pending is None or membership is None:
        raise Http404("Unknown or expired authorization")
    org = pending.org
    if membership.role != Role.OWNER:
        return HttpResponse("Only an owner may connect the books.", status=403)
    if request.GET.get("error"):
        OAuthState.objects.filter(pk=pending.pk).delete()
        messages.error(request, f"The provider did not authorize Recoup: {request.GET['error']}.")
        return _page(org)
    try:
        connection = actions.connect_complete(state=state, code=request.GET.get("code", ""), callback=request.GET,
                                              actor=Actor.for_user(request.user), now=timezone.now(), org=org,
                                              user=request.user)
    except (actions.ConnectionsError, AuthorizationFailed, ProviderError) as exc:
        messages.error(request, str(exc))
        return _page(org)
    if connection.status == ConnectionStatus.CHOOSING:
        messages.info(request, "Choose which organization to connect.")
    else:
        messages.success(request, f"Connected {connection}. Press Sync now for the first sync.")
    return _page(org)


@require_POST
@org_view(Role.OWNER)
def choose(request: HttpRequest, org: Organization, provider: str) -> HttpResponse:
    try:
        actions.connect_choose(org=org, connection=_connection(org, provider), remote_id=request.POST.get("tenant", ""),
                               actor=Actor.for_user(request.user), now=timezone.now())
    except actions.ConnectionsError as exc:
        messages.error(request, str(exc))
    return _page(org)


@require_POST
@org_view(Role.OWNER)
def disconnect(request: HttpRequest, org: Organization, provider: str) -> HttpResponse:
    connection = actions.disconnect(org=org, connection=_connection(org, provider), actor=Actor.for_user(request.user),
                                    now=timezone.now())
    messages.success(request, f"{connection.get_provider_display()} disconnected; everything imported stays.")
    return _page(org)


@require_POST
@org_view(Role.COLLECTOR)
def sync_now(request: HttpRequest, org: Organization, provider: str) -> HttpResponse:
    connection = _connection(org, provider)
    now = timezone.now()
    writeback_run(now=now, org=org)
    result = sync_connection(connection=connection, now=now)
    if result.ok:
        changed = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(result.counts.items())) or "no changes"
        messages.success(request, f"Synced {connection}: {changed}.")
    else:
        messages.error(request, f"The sync of {connection} stopped: {result.error}")
    return _page(org)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """A provider's webhook: verified with the app's key, answered fast; the sync runs in the worker."""
    from recoup.connections.webhooks import webhook_receive

    if provider not in available():
        raise Http404("No such provider")
    status = webhook_receive(provider=provider, headers=request.headers, body=request.body, now=timezone.now())
    return HttpResponse(status=status)


def settings_url(org: Organization) -> str:
    return reverse("connections_settings", kwargs={"slug": org.slug})
