"""The error pages: 403, 404 and 500 in Recoup's look, with the navigation for a signed-in member and the
portal's look under /p/ (a debtor never sees the operator's menu).

The 500 page is rendered without the request: no context processor, session, user or database is asked
for while something is already broken.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from recoup.orgs.models import Membership

_ORG_PATH = re.compile(r"^/o/(?P<slug>[-\w]+)/")


def _in_portal(request: HttpRequest) -> bool:
    return request.path.startswith("/p/")


def _with_org(request: HttpRequest) -> None:
    """The organization of an /o/<slug>/ address for the menu, when the signed-in user is its member."""
    if getattr(request, "org", None) is not None or not request.user.is_authenticated:
        return
    found = _ORG_PATH.match(request.path)
    membership = found and (Membership.objects.select_related("org")
                            .filter(org__slug=found["slug"], user=request.user).first())
    if membership:
        request.org, request.membership = membership.org, membership


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _in_portal(request):
        return render(request, "portal/404.html", status=404)
    _with_org(request)
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _in_portal(request):
        return render(request, "portal/403.html", status=403)
    _with_org(request)
    # PermissionDenied messages are written for the user ("Your role (Viewer) may not do this.").
    return render(request, "403.html", {"reason": str(exception)}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    name = "portal/500.html" if _in_portal(request) else "500.html"
    return HttpResponseServerError(loader.get_template(name).render({}))
