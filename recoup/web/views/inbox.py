"""The collector's inbox: replies, portal messages, disputes and promises in one list, newest first.

Everyone in the organization reads it; collectors and owners mark items handled, through
``messaging.inbox_actions.inbox_mark_handled`` (audited). Filters by kind and by handled or not;
one page of ``PAGE_SIZE`` items at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from recoup.audit.actions import Actor
from recoup.messaging.actions import MessagingError
from recoup.messaging.inbox import InboxKind, InboxState, inbox_item, inbox_items, inbox_kind
from recoup.messaging.inbox_actions import inbox_mark_handled
from recoup.messaging.models import Task, TaskStatus
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view

PAGE_SIZE = 50


class InboxFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, label="Kind", choices=[("", "All kinds"), *InboxKind.choices])
    state = forms.ChoiceField(required=False, label="Show", choices=InboxState.choices)


@dataclass(frozen=True)
class InboxRow:
    """One item as the inbox shows it: its kind, what it says, and where to read more."""

    task: Task
    kind: InboxKind
    summary: str
    link: str  # the message, the dispute, or the account
    link_text: str
    excerpt: str = ""  # the start of a message's text, where its subject does not already say it
    # The summary is Recoup's own sentence (a task's text: its amounts and ISO days are shown in the
    # organization's format), not a debtor's subject, which is shown as written.
    ours: bool = True

    @property
    def handled(self) -> bool:
        return self.task.status == TaskStatus.DONE


def _row(org: Organization, task: Task) -> InboxRow:
    kind = inbox_kind(task)
    customer_id = task.customer_id
    if task.message is not None and customer_id:
        link = reverse("message_detail", args=[org.slug, customer_id, task.message.pk])
        summary, body = task.message.subject or task.text, " ".join(task.message.body_text.split())
        excerpt = "" if body.startswith(" ".join(summary.split())) else body
        return InboxRow(task, kind, summary, link, "Read the message", excerpt, ours=not task.message.subject)
    if task.about_type == "dispute" and task.about_id:
        return InboxRow(task, kind, task.text, reverse("arrangements_dispute", args=[org.slug, task.about_id]),
                        "Open the dispute")
    link = reverse("customer_detail", args=[org.slug, customer_id]) if customer_id else ""
    return InboxRow(task, kind, task.text, link, "Open the account" if link else "")


@org_view()
def inbox(request: HttpRequest, org: Organization) -> HttpResponse:
    form = InboxFilterForm(request.GET)
    chosen = form.cleaned_data if form.is_valid() else {}
    kind, state = chosen.get("kind") or "", chosen.get("state") or InboxState.UNHANDLED
    page = Paginator(inbox_items(org=org, kind=kind, state=state), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/inbox/inbox.html", {
        "form": form, "page": page, "rows": [_row(org, t) for t in page.object_list],
        "kind": kind, "state": state, "unhandled_view": state == InboxState.UNHANDLED,
    })


@org_view(Role.COLLECTOR)
@require_POST
def mark_handled(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    task = inbox_item(org=org, pk=pk)
    if task is None:
        raise Http404("No such inbox item")
    note = request.POST.get("note", "").strip()[:1000]
    try:
        lifted = inbox_mark_handled(org=org, task=task, note=note, resume=request.POST.get("resume") == "on",
                                    actor=Actor.for_user(request.user), now=timezone.now())
    except MessagingError as exc:
        messages.error(request, f"Not marked handled: {exc}")
    else:
        who = task.customer.name if task.customer else "the organization"
        messages.success(request, f"{inbox_kind(task).label} from {who} marked handled"
                         + ("; collection resumed." if lifted else "."))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) and back.startswith("/"):
        return redirect(back)
    return redirect("inbox", slug=org.slug)
