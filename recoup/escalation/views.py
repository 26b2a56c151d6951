"""Pages of escalation."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from recoup.orgs.models import Organization
from recoup.web.decorators import org_view


@org_view()
def index(request: HttpRequest, org: Organization) -> HttpResponse:
    return render(request, "escalation/index.html", {"org": org})
