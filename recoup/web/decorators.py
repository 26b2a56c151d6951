"""Resolve the organization a request works in, and what the user may do there."""

from __future__ import annotations

from functools import wraps
from typing import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from recoup.orgs.models import Membership, Role


def org_view(role: str = Role.VIEWER, *, post_role: str | None = None) -> Callable:
    """Require login and membership of the organization named by the URL's ``slug``.

    The view is called as ``view(request, org, **kwargs)`` with ``request.org``
    and ``request.membership`` set. A user who is not a member gets 404, never
    403, so another organization's existence is not revealed. A member whose
    role is below ``role`` (or below ``post_role`` for a POST) gets 403.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
            membership = (
                Membership.objects.select_related("org").filter(org__slug=slug, user=request.user).first()
            )
            if membership is None:
                raise Http404("No such organization")
            needed = post_role if (post_role and request.method == "POST") else role
            if not membership.allows(needed):
                raise PermissionDenied(f"Your role ({membership.get_role_display()}) may not do this.")
            request.org = membership.org
            request.membership = membership
            return view(request, membership.org, *args, **kwargs)

        return wrapped

    return decorate
