"""Pages of banking: upload a statement, see its lines, review uncertain matches, undo.

Views are thin: parse the form, call one action with the signed-in user and the clock
read here, redirect (POST-redirect-GET). A statement of an account that is not the
organization's waits under var/uploads (``recoup.lib.uploads``) while the operator is
asked about it (``account_confirm``), and is removed once answered or swept when abandoned.
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
from recoup.banking.errors import UnknownAccount
from recoup.banking.accounts import OWN_ACCOUNT, known_accounts
from recoup.banking.forms import AccountForm, ChooseInvoicesForm, SettingsForm, UploadForm
from recoup.banking.models import LineState, MatchCandidate, Statement, StatementLine
from recoup.ledger.models import Invoice
from recoup.orgs.models import Organization, Role
from recoup.lib.uploads import upload_path, upload_remove, upload_store, uploads_sweep
from recoup.web.decorators import org_view
from recoup.web.uploads import UploadCap, capped_uploads
from recoup.web.views.common import get_for_org


PENDING_KEY = "recoup_statement_pending"  # a statement waiting for the operator to confirm its account


def _imported(request: HttpRequest, org: Organization, name: str, result: actions.ImportResult) -> HttpResponse:
    if result.already_imported:
        messages.info(request, f"{name} was imported before; nothing new.")
    else:
        states = result.states
        messages.success(request, f"{name}: {result.lines} line(s) imported, "
                         f"{states.get(LineState.MATCHED, 0)} matched automatically, "
                         f"{states.get(LineState.REVIEW, 0) + states.get(LineState.UNMATCHED, 0)} to review"
                         + (f", {result.duplicates} already known" if result.duplicates else "") + ".")
    if len(result.statements) == 1:
        return redirect("bank_statement", slug=org.slug, pk=result.statements[0].pk)
    return redirect("bank_home", slug=org.slug)


def _ask_about_account(request: HttpRequest, org: Organization, upload, profile: str,
                       unknown: UnknownAccount) -> HttpResponse:
    """Keep the upload (under var/uploads, swept when abandoned) and ask whether its account is ours."""
    uploads_sweep(now=timezone.now())
    previous = request.session.get(PENDING_KEY)
    if previous:
        upload_remove(previous.get("token", ""))
    token = upload_store(upload, "statement")
    request.session[PENDING_KEY] = {"org": org.pk, "token": token, "name": upload.name, "profile": profile,
                                    "accounts": unknown.identifiers}
    return render(request, "banking/new_account.html", {
        "unknown": unknown, "token": token, "file_name": upload.name, "accounts": unknown.shown_as,
    })


def _statement_upload_limit() -> int:
    return selectors.upload_limits().max_upload


@capped_uploads(UploadCap("file", _statement_upload_limit))
@org_view(Role.VIEWER, post_role=Role.COLLECTOR)
def index(request: HttpRequest, org: Organization) -> HttpResponse:
    posted = request.method == "POST"
    form = UploadForm(request.POST if posted else None, request.FILES if posted else None, org=org)
    account_form = AccountForm(prefix="acct")
    status = 200
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
    elif request.method == "POST" and request.upload_too_large:  # never received past the limit
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error("file", f"The file is larger than the {_statement_upload_limit() // 2**20} MB one upload may be.")
        status = 413
    elif request.method == "POST" and form.is_valid():
        upload, chosen = form.cleaned_data["file"], form.cleaned_data["account"]
        try:
            result = actions.statement_import(
                org=org, file_name=upload.name, data=upload.read(), account=chosen if chosen != OWN_ACCOUNT else None,
                own_account=chosen == OWN_ACCOUNT, profile_name=form.cleaned_data["profile"] or None,
                actor=Actor.for_user(request.user), now=timezone.now())
        except UnknownAccount as exc:
            return _ask_about_account(request, org, upload, form.cleaned_data["profile"], exc)
        except BankingError as exc:
            form.add_error("file", str(exc))
        else:
            return _imported(request, org, upload.name, result)
    return render(request, "banking/index.html", {
        "form": form, "account_form": account_form, "statements": selectors.statements(org)[:50],
        "accounts": known_accounts(org),
        "to_review": selectors.review_queue(org).count(),
    }, status=status)


@require_POST
@org_view(Role.COLLECTOR)
def account_confirm(request: HttpRequest, org: Organization) -> HttpResponse:
    """The operator's answer about a statement's account: import and add it, or import nothing."""
    pending = request.session.get(PENDING_KEY)
    token = request.POST.get("token", "")
    path = upload_path(token) if pending and pending.get("org") == org.pk and pending.get("token") == token else None
    if path is None:
        messages.error(request, "That statement is no longer waiting; please upload it again.")
        return redirect("bank_home", slug=org.slug)
    del request.session[PENDING_KEY]
    try:
        if "cancel" in request.POST:
            messages.info(request, f"{pending['name']} was not imported.")
            return redirect("bank_home", slug=org.slug)
        try:
            result = actions.statement_import(
                org=org, file_name=pending["name"], data=path.read_bytes(), profile_name=pending["profile"] or None,
                add_accounts=pending["accounts"], actor=Actor.for_user(request.user), now=timezone.now())
        except BankingError as exc:
            messages.error(request, str(exc))
            return redirect("bank_home", slug=org.slug)
        return _imported(request, org, pending["name"], result)
    finally:
        upload_remove(token)


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
