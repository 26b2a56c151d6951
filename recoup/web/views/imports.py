"""CSV imports: upload, see a dry run with a preview and every error, then confirm.

The uploaded file waits under ``VAR_DIR/uploads`` with a random name recorded
in the session, so confirming imports exactly the bytes that were previewed.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.ledger.imports import COLUMNS, import_csv
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view
from recoup.web.forms import ImportForm

SESSION_KEY = "recoup_import"


def _upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _pending(request: HttpRequest, org: Organization) -> dict | None:
    pending = request.session.get(SESSION_KEY)
    if pending and pending.get("org") == org.pk and (_upload_dir() / pending["token"]).exists():
        return pending
    return None


def _run(request: HttpRequest, org: Organization, pending: dict, *, dry_run: bool):
    data = (_upload_dir() / pending["token"]).read_bytes()
    return import_csv(org=org, kind=pending["kind"], name=pending["name"], data=data,
                      actor=Actor.for_user(request.user), now=timezone.now(), dry_run=dry_run)


def _preview(request: HttpRequest, pending: dict, result) -> HttpResponse:
    columns = [c for c in COLUMNS[result.kind] if any(c in row for row in result.preview)]
    return render(request, "web/imports/preview.html", {
        "result": result, "pending": pending, "columns": columns,
        "preview": [[row.get(c, "") for c in columns] for row in result.preview],
    })


@org_view(Role.COLLECTOR)
def import_upload(request: HttpRequest, org: Organization) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        token = f"{secrets.token_urlsafe(24)}.csv"
        upload = form.cleaned_data["file"]
        with open(_upload_dir() / token, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        pending = {"org": org.pk, "token": token, "kind": form.cleaned_data["kind"], "name": Path(upload.name).name}
        result = _run(request, org, pending, dry_run=True)
        if result.ok:
            request.session[SESSION_KEY] = pending
        else:
            (_upload_dir() / token).unlink(missing_ok=True)  # nothing to confirm; do not keep the file
        return _preview(request, pending, result)
    return render(request, "web/imports/upload.html", {"form": form, "columns": COLUMNS})


@org_view(Role.COLLECTOR)
def import_confirm(request: HttpRequest, org: Organization) -> HttpResponse:
    pending = _pending(request, org)
    if request.method != "POST" or pending is None or request.POST.get("token") != pending["token"]:
        messages.error(request, "That upload is no longer waiting; please upload the file again.")
        return redirect("import_upload", slug=org.slug)
    result = _run(request, org, pending, dry_run=False)
    if not result.ok:
        return _preview(request, pending, result)
    (_upload_dir() / pending["token"]).unlink(missing_ok=True)
    del request.session[SESSION_KEY]
    messages.success(request, f"Imported {result.rows} {result.kind} from {result.file}: {result.created} created, "
                              f"{result.updated} updated, {result.unchanged} unchanged.")
    return redirect("import_upload", slug=org.slug)
