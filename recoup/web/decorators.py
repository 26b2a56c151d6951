"""Resolve the organization a request works in, and what the user may do there."""

from __future__ import annotations

from functools import wraps
from typing import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from recoup.orgs.models import Membership, Organization, Role


def needs_second_factor(request: HttpRequest, membership: Membership) -> bool:
    """True for an owner of an organization requiring two-factor whose session gave no code."""
    if not membership.org.require_owner_2fa or membership.role != Role.OWNER:
        return False
    is_verified = getattr(request.user, "is_verified", None)
    return not (is_verified and is_verified())


def redirect_to_second_factor(request: HttpRequest) -> HttpResponse:
    from recoup.accounts.totp import confirmed_device

    name = "two_factor_verify" if confirmed_device(request.user) else "two_factor_setup"
    return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")


def write_off_allowed(membership: Membership, org: Organization, amount_minor: int) -> bool:
    """Owners write off any amount; collectors up to the organization's limit; viewers nothing."""
    if membership.org_id != org.pk:
        return False
    if membership.role == Role.OWNER:
        return True
    return membership.role == Role.COLLECTOR and 0 < amount_minor <= org.collector_write_off_limit_minor


def check_write_off_allowed(membership: Membership, org: Organization, amount_minor: int) -> None:
    """Raise PermissionDenied (403) unless ``write_off_allowed``."""
    if not write_off_allowed(membership, org, amount_minor):
        raise PermissionDenied(
            f"Your role ({membership.get_role_display()}) may not write off this amount; ask an owner.")


def org_view(role: str = Role.VIEWER, *, post_role: str | None = None) -> Callable:
    """Require login and membership of the organization named by the URL's ``slug``.

    The view is called as ``view(request, org, **kwargs)`` with ``request.org``
    and ``request.membership`` set. A user who is not a member gets 404, never
    403, so another organization's existence is not revealed. A member whose
    role is below ``role`` (or below ``post_role`` for a POST) gets 403. Where the
    organization requires two-factor sign-in for owners, an owner whose session has not
    given a code is sent to enter one (or to set up an authenticator app) first.
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
            # Set first: a refusal below is shown on a page with the organization's menu.
            request.org = membership.org
            request.membership = membership
            needed = post_role if (post_role and request.method == "POST") else role
            if not membership.allows(needed):
                raise PermissionDenied(f"Your role ({membership.get_role_display()}) may not do this.")
            if needs_second_factor(request, membership):
                return redirect_to_second_factor(request)
            return view(request, membership.org, *args, **kwargs)

        # Read by the permission-matrix test (tests/test_permission_matrix.py).
        wrapped.org_role, wrapped.org_post_role = role, post_role or role
        return wrapped

    return decorate
