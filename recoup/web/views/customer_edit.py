"""Entering and editing customers and their contacts (collectors and owners).

Each view parses a form, calls one customer action with the signed-in user as
actor and the clock read here, then redirects (POST-redirect-GET).
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from recoup.audit.actions import Actor
from recoup.collections.actions import CollectionsError, customer_tags_set, policy_assign_customer
from recoup.collections.models import CustomerPolicy, DefaultFor
from recoup.collections.selectors import PolicyAssignment
from recoup.connections.selectors import (
    BOOKS_CONTACT_FIELDS, BOOKS_CUSTOMER_FIELDS, books_contact_id, customer_from_books,
)
from recoup.ledger.customer_actions import (
    CustomerInputError,
    contact_delete as delete_contact,
    contact_save,
    customer_create,
    customer_update,
)
from recoup.ledger.models import Contact, Customer
from recoup.orgs.models import Organization, Role
from recoup.web.customer_forms import RENAMED_CUSTOMER_FIELDS, TIMEZONES, ContactForm, CustomerForm, add_action_error
from recoup.web.decorators import org_view
from recoup.web.views.common import get_for_org


def _books_owned(form, customer: Customer, fields: tuple[str, ...]) -> None:
    """Show the fields the books own (a customer from Xero ...) as they are, not to be changed here."""
    label = customer_from_books(customer.org_id, customer.pk)
    for name in fields if label else ():
        form.fields[name].disabled = True
        form.fields[name].help_text = f"From {label}: change it there, the next sync brings it."


def _customer_form(request: HttpRequest, org: Organization, customer: Customer | None) -> HttpResponse:
    form = CustomerForm(request.POST if request.method == "POST" else None, org=org, customer=customer)
    if customer is not None:
        _books_owned(form, customer, BOOKS_CUSTOMER_FIELDS)
    if request.method == "POST" and form.is_valid():
        actor, now = Actor.for_user(request.user), timezone.now()
        try:
            # One transaction: a refused tag leaves neither the customer nor its policy half-saved.
            with transaction.atomic():
                if customer is None:
                    saved = customer_create(org=org, actor=actor, now=now, **form.customer_fields())
                else:
                    saved = customer_update(org=org, customer=customer, actor=actor, now=now,
                                            **form.customer_fields())
                _save_collections(org, saved, actor=actor, now=now, **form.collections_fields())
        except CustomerInputError as exc:
            add_action_error(form, exc, RENAMED_CUSTOMER_FIELDS)
        except CollectionsError as exc:
            form.add_error("tags", str(exc))
        else:
            messages.success(request, f"Customer {saved.ref} {'saved' if customer else 'created'}.")
            return redirect("customer_detail", slug=org.slug, pk=saved.pk)
    return render(request, "web/customers/form.html", {
        "form": form, "customer": customer, "timezones": TIMEZONES,
        "title": f"Edit {customer.name}" if customer else "New customer",
    })


def _save_collections(org: Organization, customer: Customer, *, tags, policy, actor: Actor, now) -> None:
    customer_tags_set(org=org, customer=customer, tags=tags, actor=actor, now=now)
    current = CustomerPolicy.objects.for_org(org).filter(customer=customer).values_list("policy_id", flat=True).first()
    if current != (policy.pk if policy else None):
        policy_assign_customer(org=org, customer=customer, policy=policy, actor=actor, now=now)


def policy_explanation(org: Organization, customer: Customer) -> dict:
    """The customer's tags, the policy it follows and why: its own choice, a tag rule or a default."""
    assignment = PolicyAssignment.load(org=org, customer_ids=[customer.pk])
    tags = assignment.customer_tags(customer.pk)
    policy = assignment.policy_for(customer.pk, customer.kind)
    if customer.pk in assignment.overrides:
        because = "its own choice"
    elif rule_tag := next((tag for tag, _ in assignment.rules if tag in tags), None):
        because = f"tag rule “{rule_tag}”"
    else:
        kind = customer.kind if customer.kind in assignment.defaults else ""
        because = f"default for {DefaultFor(kind).label.lower()}"
    return {"tags": sorted(tags), "policy": policy, "because": because}


@org_view(Role.COLLECTOR)
def customer_new(request: HttpRequest, org: Organization) -> HttpResponse:
    return _customer_form(request, org, None)


@org_view(Role.COLLECTOR)
def customer_edit(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    return _customer_form(request, org, get_for_org(Customer, org, pk=pk))


def _contact_form(request: HttpRequest, org: Organization, customer: Customer, contact: Contact | None):
    form = ContactForm(request.POST if request.method == "POST" else None, contact=contact)
    if contact is not None and contact.pk == books_contact_id(customer):
        _books_owned(form, customer, tuple(f for f in BOOKS_CONTACT_FIELDS if f in form.fields))
    if request.method == "POST" and form.is_valid():
        try:
            saved = contact_save(org=org, customer=customer, contact=contact, actor=Actor.for_user(request.user),
                                 now=timezone.now(), **form.cleaned_data)
        except CustomerInputError as exc:
            add_action_error(form, exc)
        else:
            messages.success(request, f"Contact {saved.name} saved.")
            return redirect("customer_detail", slug=org.slug, pk=customer.pk)
    return render(request, "web/customers/contact_form.html", {
        "form": form, "customer": customer, "contact": contact,
        "title": f"Edit contact {contact.name}" if contact else f"New contact for {customer.name}",
    })


@org_view(Role.COLLECTOR)
def contact_new(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    return _contact_form(request, org, get_for_org(Customer, org, pk=pk), None)


@org_view(Role.COLLECTOR)
def contact_edit(request: HttpRequest, org: Organization, pk: int, contact_pk: int) -> HttpResponse:
    customer = get_for_org(Customer, org, pk=pk)
    return _contact_form(request, org, customer, get_for_org(Contact, org, pk=contact_pk, customer=customer))


@org_view(Role.COLLECTOR)
@require_POST
def contact_delete(request: HttpRequest, org: Organization, pk: int, contact_pk: int) -> HttpResponse:
    customer = get_for_org(Customer, org, pk=pk)
    contact = get_for_org(Contact, org, pk=contact_pk, customer=customer)
    delete_contact(org=org, contact=contact, actor=Actor.for_user(request.user), now=timezone.now())
    messages.success(request, f"Contact {contact.name} removed.")
    return redirect("customer_detail", slug=org.slug, pk=customer.pk)
