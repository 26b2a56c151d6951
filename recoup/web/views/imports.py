"""Imports: upload, see a dry run with a preview and every error, then confirm.

CSV files, and e-invoices (UBL, CII, Factur-X/ZUGFeRD PDF; several at once, the
form posting ``einvoice=1``). Uploaded files wait under ``VAR_DIR/uploads`` with
random names recorded in the session, so confirming imports exactly the bytes
that were previewed.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.ledger.imports import COLUMNS, import_csv
from recoup.ledger.imports.einvoice import import_einvoices
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view
from recoup.web.forms import ImportForm

SESSION_KEY = "recoup_import"
EINVOICE_KEY = "recoup_einvoice_import"
MAX_EINVOICE_FILES = 50


class _Several(forms.ClearableFileInput):
    allow_multiple_selected = True


class _SeveralFiles(forms.FileField):
    def clean(self, data, initial=None):
        items = data if isinstance(data, (list, tuple)) else [data]
        return [super(_SeveralFiles, self).clean(item, initial) for item in items]


class EInvoiceForm(forms.Form):
    files = _SeveralFiles(label="E-invoice files (XML or PDF)",
                          widget=_Several(attrs={"multiple": True, "accept": ".xml,.pdf,application/pdf,text/xml"}))

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) > MAX_EINVOICE_FILES:
            raise forms.ValidationError(f"at most {MAX_EINVOICE_FILES} files at once")
        return files


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


def _einvoice_run(request: HttpRequest, org: Organization, pending: dict, *, dry_run: bool):
    files = [(name, (_upload_dir() / token).read_bytes()) for token, name in pending["files"]]
    return import_einvoices(org=org, files=files, actor=Actor.for_user(request.user), now=timezone.now(),
                            dry_run=dry_run)


def _einvoice_upload(request: HttpRequest, org: Organization) -> HttpResponse:
    form = EInvoiceForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "web/imports/upload.html", {"form": ImportForm(), "einvoice_form": form,
                                                           "columns": COLUMNS})
    saved = []
    for upload in form.cleaned_data["files"]:
        token = f"{secrets.token_urlsafe(24)}.einvoice"
        with open(_upload_dir() / token, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        saved.append((token, Path(upload.name).name))
    pending = {"org": org.pk, "files": saved}
    result = _einvoice_run(request, org, pending, dry_run=True)
    if any(f.status == "created" for f in result.files):
        request.session[EINVOICE_KEY] = pending
    else:
        for token, _ in saved:
            (_upload_dir() / token).unlink(missing_ok=True)
    return render(request, "web/imports/einvoice_preview.html", {"result": result, "pending": pending})


def _einvoice_confirm(request: HttpRequest, org: Organization) -> HttpResponse:
    pending = request.session.get(EINVOICE_KEY)
    tokens = [token for token, _ in pending["files"]] if pending and pending.get("org") == org.pk else []
    if not tokens or request.POST.get("einvoice") != tokens[0] or \
            not all((_upload_dir() / t).exists() for t in tokens):
        messages.error(request, "That upload is no longer waiting; please upload the files again.")
        return redirect("import_upload", slug=org.slug)
    result = _einvoice_run(request, org, pending, dry_run=False)
    for token in tokens:
        (_upload_dir() / token).unlink(missing_ok=True)
    del request.session[EINVOICE_KEY]
    messages.success(request, f"E-invoices: {result.count('created')} imported, {result.count('skipped')} already "
                              f"there, {result.count('failed')} refused.")
    return render(request, "web/imports/einvoice_preview.html", {"result": result, "pending": None})


@org_view(Role.COLLECTOR)
def import_upload(request: HttpRequest, org: Organization) -> HttpResponse:
    if request.method == "POST" and request.POST.get("einvoice"):
        return _einvoice_upload(request, org)
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
    return render(request, "web/imports/upload.html", {"form": form, "einvoice_form": EInvoiceForm(),
                                                       "columns": COLUMNS})


@org_view(Role.COLLECTOR)
def import_confirm(request: HttpRequest, org: Organization) -> HttpResponse:
    if request.method == "POST" and request.POST.get("einvoice"):
        return _einvoice_confirm(request, org)
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
