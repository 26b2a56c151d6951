"""Pages of banking: upload a statement, see its lines, review uncertain matches, undo.

Views are thin: parse the form, call one action with the signed-in user and the clock
read here, redirect (POST-redirect-GET).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from recoup.audit.actions import Actor
from recoup.banking import actions, selectors
from recoup.banking.actions import BankingError
from recoup.banking.forms import AccountForm, ChooseInvoicesForm, SettingsForm, UploadForm
from recoup.banking.models import LineState, MatchCandidate, Statement, StatementLine
from recoup.ledger.models import Invoice
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view
from recoup.web.views.common import get_for_org


@org_view(Role.VIEWER, post_role=Role.COLLECTOR)
def index(request: HttpRequest, org: Organization) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None, org=org)
    account_form = AccountForm(prefix="acct")
    if request.method == "POST" and "acct-name" in request.POST:
        account_form = AccountForm(request.POST, prefix="acct")
        if account_form.is_valid():
            try:
                actions.account_create(org=org, actor=Actor.for_user(request.user), now=timezone.now(),
                                       **account_form.cleaned_data)
            except BankingError as exc:
                account_form.add_error(None, str(exc))
            else:
                messages.success(request, f"Bank account {account_form.cleaned_data['name']} added.")
                return redirect("bank_home", slug=org.slug)
        form = UploadForm(org=org)
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = actions.statement_import(
                org=org, file_name=upload.name, data=upload.read(), account=form.cleaned_data["account"],
                profile_name=form.cleaned_data["profile"] or None, actor=Actor.for_user(request.user),
                now=timezone.now())
        except BankingError as exc:
            form.add_error("file", str(exc))
        else:
            if result.already_imported:
                messages.info(request, f"{upload.name} was imported before; nothing new.")
            else:
                states = result.states
                messages.success(request, f"{upload.name}: {result.lines} line(s) imported, "
                                 f"{states.get(LineState.MATCHED, 0)} matched automatically, "
                                 f"{states.get(LineState.REVIEW, 0) + states.get(LineState.UNMATCHED, 0)} to review"
                                 + (f", {result.duplicates} already known" if result.duplicates else "") + ".")
            if len(result.statements) == 1:
                return redirect("bank_statement", slug=org.slug, pk=result.statements[0].pk)
            return redirect("bank_home", slug=org.slug)
    return render(request, "banking/index.html", {
        "form": form, "account_form": account_form, "statements": selectors.statements(org)[:50],
        "accounts": selectors.accounts(org), "to_review": selectors.review_queue(org).count(),
    })


@org_view(Role.VIEWER)
def statement_detail(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    statement = get_for_org(Statement, org, pk=pk)
    return render(request, "banking/statement.html", {
        "statement": statement, "lines": selectors.statement_lines(org, statement),
    })


@org_view(Role.VIEWER)
def review(request: HttpRequest, org: Organization) -> HttpResponse:
    lines = list(selectors.review_queue(org)[:100])
    return render(request, "banking/review.html", {
        "items": [{"line": line, "proposals": selectors.candidates_with_invoices(org, line)} for line in lines],
        "threshold": selectors.bank_settings(org).auto_threshold, "choose_form": ChooseInvoicesForm(),
    })


def _back(request: HttpRequest, org: Organization) -> HttpResponse:
    target = request.POST.get("next", "")
    if target.startswith(f"/o/{org.slug}/bank/"):
        return redirect(target)
    return redirect("bank_review", slug=org.slug)


@require_POST
@org_view(Role.COLLECTOR)
def line_confirm(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    line = get_for_org(StatementLine, org, pk=pk)
    actor, now = Actor.for_user(request.user), timezone.now()
    try:
        if request.POST.get("candidate"):
            candidate = get_for_org(MatchCandidate, org, pk=request.POST["candidate"], line=line)
            actions.line_confirm(org=org, line=line, candidate=candidate, actor=actor, now=now)
        else:
            numbers = [n.strip() for n in request.POST.get("invoices", "").split(",") if n.strip()]
            invoices = list(Invoice.objects.for_org(org).filter(number__in=numbers))
            missing = sorted(set(numbers) - {i.number for i in invoices})
            if missing:
                raise BankingError(f"no invoice {', '.join(missing)}")
            actions.line_confirm(org=org, line=line, invoices=invoices, actor=actor, now=now)
    except BankingError as exc:
        messages.error(request, str(exc))
    else:
        paid = ", ".join(p.invoice_number for p in line.payments.all() if p.invoice_number)
        messages.success(request, f"Payment of {line.booking_date} confirmed for {paid or 'the customer'}.")
    return _back(request, org)


@require_POST
@org_view(Role.COLLECTOR)
def line_reject(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    line = get_for_org(StatementLine, org, pk=pk)
    try:
        actions.line_reject(org=org, line=line, actor=Actor.for_user(request.user), now=timezone.now())
    except BankingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Line of {line.booking_date} marked as not a customer payment.")
    return _back(request, org)


@require_POST
@org_view(Role.COLLECTOR)
def line_undo(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    line = get_for_org(StatementLine, org, pk=pk)
    try:
        actions.line_undo(org=org, line=line, actor=Actor.for_user(request.user), now=timezone.now())
    except BankingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Match of {line.booking_date} undone; the line is back in review.")
    return _back(request, org)


@org_view(Role.VIEWER, post_role=Role.OWNER)
def settings(request: HttpRequest, org: Organization) -> HttpResponse:
    current = selectors.bank_settings(org)
    form = SettingsForm(request.POST or None, initial={"auto_threshold": current.auto_threshold})
    if request.method == "POST" and form.is_valid():
        try:
            actions.settings_update(org=org, auto_threshold=form.cleaned_data["auto_threshold"],
                                    actor=Actor.for_user(request.user), now=timezone.now())
        except BankingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Matching threshold saved.")
            return redirect("bank_settings", slug=org.slug)
    return render(request, "banking/settings.html", {"form": form})
