"""Where a signed-in user lands: their organization, or a choice between several."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from recoup.orgs.models import Membership


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = list(Membership.objects.filter(user=request.user).select_related("org").order_by("org__legal_name"))
    if len(memberships) == 1:
        return redirect("dashboard", slug=memberships[0].org.slug)
    return render(request, "web/org_picker.html", {"memberships": memberships})
