"""The owner's settings pages: the organization, its payment terms and its members.

Everyone in the organization may read the payment terms; everything else here
is for owners. Each view parses a form, calls one action with the signed-in
user as actor and the clock read here, then redirects (POST-redirect-GET).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from recoup.audit.actions import Actor
from recoup.ledger.models import PaymentTerms
from recoup.ledger.terms_actions import TermsInputError, terms_create, terms_update
from recoup.orgs.actions import OrgError, OrgInputError, member_add, member_remove, member_set_role, org_update
from recoup.orgs.models import Membership, Organization, Role
from recoup.web.customer_forms import TIMEZONES, add_action_error
from recoup.web.decorators import org_view
from recoup.web.settings_forms import MemberAddForm, MemberRoleForm, OrgSettingsForm, TermsForm, terms_example
from recoup.web.views.common import get_for_org, org_today


@org_view(Role.OWNER)
def org_settings(request: HttpRequest, org: Organization) -> HttpResponse:
    form = OrgSettingsForm(request.POST if request.method == "POST" else None, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            org_update(org=org, actor=Actor.for_user(request.user), now=timezone.now(), **form.cleaned_data)
        except OrgInputError as exc:
            add_action_error(form, exc)
        else:
            messages.success(request, "Settings saved.")
            return redirect("settings_org", slug=org.slug)
    return render(request, "web/settings/org_form.html", {"form": form, "timezones": TIMEZONES})


@org_view(Role.VIEWER)
def terms_list(request: HttpRequest, org: Organization) -> HttpResponse:
    today = org_today(org, timezone.now())
    rows = [(t, terms_example(t.as_terms(), today, org.locale, org.base_currency))
            for t in PaymentTerms.objects.for_org(org).order_by("name")]
    return render(request, "web/settings/terms_list.html", {"rows": rows})


def _terms_form(request: HttpRequest, org: Organization, terms: PaymentTerms | None) -> HttpResponse:
    form = TermsForm(request.POST if request.method == "POST" else None, terms=terms)
    if request.method == "POST" and form.is_valid():
        actor, now = Actor.for_user(request.user), timezone.now()
        try:
            if terms is None:
                terms = terms_create(org=org, actor=actor, now=now, **form.cleaned_data)
                messages.success(request, f"Payment terms {terms.name} created.")
            else:
                terms_update(org=org, terms=terms, actor=actor, now=now, **form.cleaned_data)
                messages.success(request, f"Payment terms {terms.name} saved.")
        except TermsInputError as exc:
            add_action_error(form, exc)
        else:
            return redirect("settings_terms", slug=org.slug)
    example = terms and terms_example(terms.as_terms(), org_today(org, timezone.now()), org.locale,
                                      org.base_currency)
    return render(request, "web/settings/terms_form.html", {
        "form": form, "terms": terms, "example": example,
        "title": f"Edit payment terms {terms.name}" if terms else "New payment terms",
    })


@org_view(Role.OWNER)
def terms_new(request: HttpRequest, org: Organization) -> HttpResponse:
    return _terms_form(request, org, None)


@org_view(Role.OWNER)
def terms_edit(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    return _terms_form(request, org, get_for_org(PaymentTerms, org, pk=pk))


@org_view(Role.OWNER)
def member_list(request: HttpRequest, org: Organization) -> HttpResponse:
    form = MemberAddForm(request.POST if request.method == "POST" else None, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            member_add(org=org, actor=Actor.for_user(request.user), now=timezone.now(), **form.cleaned_data)
        except OrgError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{form.cleaned_data['username']} added as {form.cleaned_data['role']}.")
            return redirect("settings_members", slug=org.slug)
    members = Membership.objects.filter(org=org).select_related("user").order_by("user__username")
    return render(request, "web/settings/members.html", {"form": form, "members": members, "roles": Role.choices})


def _membership(org: Organization, pk: int) -> Membership:
    return get_object_or_404(Membership.objects.filter(org=org).select_related("user"), pk=pk)


@org_view(Role.OWNER)
@require_POST
def member_role(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    membership, form = _membership(org, pk), MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
        return redirect("settings_members", slug=org.slug)
    try:
        member_set_role(org=org, membership=membership, role=form.cleaned_data["role"],
                        actor=Actor.for_user(request.user), now=timezone.now())
    except OrgError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{membership.user} now works here as {membership.get_role_display().lower()}.")
        if membership.user == request.user and membership.role != Role.OWNER:
            return redirect("dashboard", slug=org.slug)  # no longer allowed on the members page
    return redirect("settings_members", slug=org.slug)


@org_view(Role.OWNER)
@require_POST
def member_delete(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    membership = _membership(org, pk)
    try:
        member_remove(org=org, membership=membership, actor=Actor.for_user(request.user), now=timezone.now())
    except OrgError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{membership.user} no longer works in {org.legal_name}.")
        if membership.user == request.user:
            return redirect("home")
    return redirect("settings_members", slug=org.slug)
