"""Review mode's pages: the drafts waiting for approval, and one draft to read, edit, approve or skip.

Everyone in the organization may look; collectors and owners approve, edit and skip. Each
POST calls one action of ``recoup.collections.review`` and redirects. A draft someone else
(or another tab) already approved or skipped is said so politely, never an error page.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.collections.review import (
    DraftGone, Reviewed, ReviewError, draft_approve, draft_edit, draft_expires_at, draft_skip, draft_version,
    drafts_approve, drafts_skip, drafts_waiting, gone_reason,
)
from recoup.messaging.models import Direction, Message, MessageStatus
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view
from recoup.web.review_forms import DraftEditForm, DraftSelectionForm
from recoup.web.views.common import get_for_org

PAGE_SIZE = 100


def _first_error(form) -> str:
    field, errors = next(iter(form.errors.items()))
    return f"{field}: {errors[0]}" if field != "__all__" else errors[0]


def _report(request: HttpRequest, result: Reviewed, done: str) -> None:
    if result.done:
        messages.success(request, f"{len(result.done)} draft{'s' if len(result.done) != 1 else ''} {done}.")
    if result.refused:
        messages.info(request, "Left as they were: " + " ".join(result.refused))
    if not result.done and not result.refused:
        messages.info(request, "No draft was waiting.")


@org_view(post_role=Role.COLLECTOR)
def review_list(request: HttpRequest, org: Organization) -> HttpResponse:
    waiting = drafts_waiting(org=org)
    if request.method == "POST":
        form = DraftSelectionForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"Nothing done: {_first_error(form)}.")
            return redirect("review_list", slug=org.slug)
        action, actor, now = form.cleaned_data["action"], Actor.for_user(request.user), timezone.now()
        if action == "skip":
            _report(request, drafts_skip(org=org, messages=form.cleaned_data["drafts"], actor=actor, now=now),
                    "skipped")
        else:
            ids = form.cleaned_data["drafts"] if action == "approve" else \
                list(waiting.filter(pk__lte=form.cleaned_data["upto"]).values_list("pk", flat=True))
            _report(request, drafts_approve(org=org, messages=ids, actor=actor, now=now),
                    "approved and queued for delivery")
        return redirect("review_list", slug=org.slug)
    page = Paginator(waiting, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/review/list.html", {
        "page": page, "rows": [(m, draft_expires_at(org=org, message=m)) for m in page],
        "upto": waiting.aggregate(last=Max("pk"))["last"] or 0, "now": timezone.now(),
    })


@org_view(post_role=Role.COLLECTOR)
def draft_detail(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    message = get_for_org(Message, org, pk=pk, direction=Direction.OUT)
    if request.method == "POST":
        return _draft_post(request, org, message)
    is_draft = message.status == MessageStatus.DRAFT
    form = DraftEditForm(initial={"subject": message.subject, "body_text": message.body_text,
                                  "seen": draft_version(message)}) if is_draft else None
    expires = draft_expires_at(org=org, message=message)
    return render(request, "web/review/draft.html", {
        "message": message, "customer": message.customer, "form": form, "expires": expires,
        "gone": None if is_draft and timezone.now() < expires else gone_reason(org=org, message=message),
    })


def _draft_post(request: HttpRequest, org: Organization, message: Message) -> HttpResponse:
    form = DraftEditForm(request.POST)
    here = redirect("review_draft", slug=org.slug, pk=message.pk)
    if not form.is_valid():
        messages.error(request, f"Nothing done: {_first_error(form)}.")
        return here
    data, actor, now = form.cleaned_data, Actor.for_user(request.user), timezone.now()
    to = f"{message.get_channel_display()} to {message.to_address.splitlines()[0]}"
    try:
        if data["action"] == "skip":
            draft_skip(org=org, message=message, actor=actor, now=now)
            messages.success(request, f"Skipped: the {to} will not be sent.")
            return redirect("review_list", slug=org.slug)
        if data["action"] == "save":
            draft_edit(org=org, message=message, subject=data["subject"], body_text=data["body_text"], actor=actor,
                       now=now, seen=data["seen"])
            messages.success(request, "Changes saved; the draft still waits for approval.")
            return here
        approved = draft_approve(org=org, message=message, actor=actor, now=now, seen=data["seen"],
                                 subject=data["subject"], body_text=data["body_text"])
    except DraftGone as exc:
        messages.info(request, str(exc))
        return here
    except ReviewError as exc:
        messages.error(request, str(exc))
        return here
    later = approved.next_attempt_at and approved.next_attempt_at > now
    messages.success(request, f"Approved: the {to} is queued" + (
        f" and goes when the contact window opens "
        f"({approved.next_attempt_at.astimezone(ZoneInfo(org.timezone or 'UTC')):%Y-%m-%d %H:%M})."
        if later else " for delivery."))
    return redirect("review_list", slug=org.slug)
