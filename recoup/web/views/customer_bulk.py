"""Bulk actions on the customers ticked in the worklist: pause, tag, assign, send a statement now.

Each customer goes through the same action a single customer would (``pause_add``,
``customer_tag_add``, ``customer_assign``, ``statement_send``), each audited; one customer
refused (the gate says no to its statement, say) does not stop the others, and the message
says which were refused and why. Collectors and owners only.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from recoup.audit.actions import Actor
from recoup.collections.actions import CollectionsError, customer_tag_add, pause_add
from recoup.collections.statement_send import statement_send
from recoup.ledger.actions import LedgerError
from recoup.ledger.customer_actions import customer_assign
from recoup.ledger.models import Customer
from recoup.messaging.actions import ContactRefused, MessagingError
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view
from recoup.web.views.common import org_today
from recoup.web.worklist_forms import BulkActionForm

DONE = {"pause": "paused", "tag": "tagged", "assign": "assigned", "statement": "sent a statement"}


def _one(action: str, form: BulkActionForm, *, org: Organization, customer: Customer, actor: Actor, now, today):
    data = form.cleaned_data
    if action == "pause":
        pause_add(org=org, customer=customer, reason=data["reason"], starts_on=today, ends_on=data.get("until"),
                  actor=actor, now=now)
    elif action == "tag":
        customer_tag_add(org=org, customer=customer, tag=data["tag"], actor=actor, now=now)
    elif action == "assign":
        customer_assign(org=org, customer=customer, user=form.assignee_user(), actor=actor, now=now)
    elif action == "statement":
        statement_send(org=org, customer=customer, on=today, actor=actor, now=now)


@org_view(Role.COLLECTOR)
@require_POST
def customer_bulk(request: HttpRequest, org: Organization) -> HttpResponse:
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith("/"):
        back = ""
    back = back or redirect("customer_list", slug=org.slug).url
    posted = [int(v) for v in request.POST.getlist("customers") if v.isdigit()]
    customers = Customer.objects.for_org(org).in_bulk(posted)
    form = BulkActionForm(request.POST, org=org, customer_ids=list(customers))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    action = form.cleaned_data["action"]
    actor, now = Actor.for_user(request.user), timezone.now()
    today = org_today(org, now)
    done, refused = [], []
    for pk in form.cleaned_data["customers"]:
        customer = customers[pk]
        try:
            _one(action, form, org=org, customer=customer, actor=actor, now=now, today=today)
        except (CollectionsError, LedgerError, MessagingError, ContactRefused) as exc:
            refused.append(f"{customer.ref}: {exc}")
        else:
            done.append(customer.ref)
    if done:
        messages.success(request, f"{DONE[action].capitalize()}: {', '.join(done)}.")
    if refused:
        messages.error(request, "Not done for " + "; ".join(refused))
    return redirect(back)
