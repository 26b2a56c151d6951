"""The operator's worklist: calls to make, tasks to close, letters to print and post (replies, disputes and
promises are read in the inbox, ``views.inbox``).

Everyone in the organization reads it; collectors and owners act on it. Each
action is a POST that calls one messaging action and redirects back here.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from recoup.audit.actions import Actor
from recoup.messaging import selectors
from recoup.messaging.actions import (
    MessagingError, call_log_outcome, letter_batch_mark_posted, reply_done, task_close,
)
from recoup.messaging.models import LetterBatch, Message, MessageChannel, Task, TaskKind
from recoup.orgs.models import Organization, Role
from recoup.web.comms_forms import CallOutcomeForm, TaskCloseForm
from recoup.web.decorators import org_view
from recoup.web.views.common import get_for_org, org_today


@org_view()
def worklist(request: HttpRequest, org: Organization) -> HttpResponse:
    now = timezone.now()
    calls = list(selectors.open_calls(org=org))
    invoices = selectors.open_invoices_by_customer(org=org, customer_ids=[c.customer_id for c in calls])
    return render(request, "web/worklist/worklist.html", {
        "calls": [(c, invoices[c.customer_id], CallOutcomeForm(prefix=f"call{c.pk}")) for c in calls],
        "tasks": selectors.open_task_list(org=org),
        "batches": selectors.open_batch_letters(org=org),
        "inbox_open": selectors.open_counts(org=org)[1],
        "today": org_today(org, now),
    })


def _done(request: HttpRequest, org: Organization, text: str, error: Exception | None = None) -> HttpResponse:
    if error is None:
        messages.success(request, text)
    else:
        messages.error(request, f"{text}: {error}")
    return redirect("worklist", slug=org.slug)


@org_view(Role.COLLECTOR)
@require_POST
def call_outcome(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    call = get_for_org(Message, org, pk=pk, channel=MessageChannel.CALL)
    form = CallOutcomeForm(request.POST, prefix=f"call{call.pk}")
    if not form.is_valid():
        return _done(request, org, f"Call to {call.customer.name} not logged", error=ValueError("choose an outcome"))
    try:
        call_log_outcome(org=org, message=call, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"],
                         actor=Actor.for_user(request.user), now=timezone.now())
    except MessagingError as exc:
        return _done(request, org, f"Call to {call.customer.name} not logged", error=exc)
    return _done(request, org, f"Call to {call.customer.name} logged: {call.get_call_outcome_display()}.")


@org_view(Role.COLLECTOR)
@require_POST
def task_done(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    task = get_for_org(Task, org, pk=pk)
    form = TaskCloseForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {"note": "", "resume": False}
    actor, now = Actor.for_user(request.user), timezone.now()
    try:
        if task.kind == TaskKind.REPLY:
            lifted = reply_done(org=org, task=task, resume=data["resume"], note=data["note"], actor=actor, now=now)
            return _done(request, org, "Reply marked as read" + ("; collection resumed." if lifted else "."))
        task_close(org=org, task=task, note=data["note"], actor=actor, now=now)
    except MessagingError as exc:
        return _done(request, org, "Task not closed", error=exc)
    return _done(request, org, f"Task closed: {task.text[:80]}")


@org_view()
def batch_pdf(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    from recoup.messaging.letter_pdf import letter_batch_pdf  # WeasyPrint is slow to import

    batch = get_for_org(LetterBatch, org, pk=pk)
    # The copy to print carries working portal links, made now: only for those who post letters.
    printing = request.membership.allows(Role.COLLECTOR)
    response = HttpResponse(letter_batch_pdf(batch, links_at=timezone.now() if printing else None),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="letters-{org.slug}-{batch.date.isoformat()}.pdf"'
    return response


@org_view(Role.COLLECTOR)
@require_POST
def batch_posted(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    batch = get_for_org(LetterBatch, org, pk=pk)
    try:
        letter_batch_mark_posted(org=org, batch=batch, actor=Actor.for_user(request.user), now=timezone.now())
    except MessagingError as exc:
        return _done(request, org, "Letters not marked as posted", error=exc)
    return _done(request, org, f"Letters of {batch.date.isoformat()} marked as posted.")
