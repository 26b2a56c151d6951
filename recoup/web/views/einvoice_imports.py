"""E-invoice imports (UBL, CII, Factur-X/ZUGFeRD PDF; several at once): the upload form posts
``einvoice=1`` to the import page; a dry run is shown, then confirmed. The files wait under
``VAR_DIR/uploads`` (``recoup.web.uploads``) with random names kept in the session."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.ledger.imports import COLUMNS
from recoup.ledger.imports.einvoice import import_einvoices
from recoup.orgs.models import Organization
from recoup.web.import_forms import ImportForm
from recoup.web.uploads import upload_path, upload_remove, upload_store

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


def _run(request: HttpRequest, org: Organization, pending: dict, *, dry_run: bool):
    files = [(name, upload_path(token).read_bytes()) for token, name in pending["files"]]
    return import_einvoices(org=org, files=files, actor=Actor.for_user(request.user), now=timezone.now(),
                            dry_run=dry_run)


def einvoice_upload(request: HttpRequest, org: Organization) -> HttpResponse:
    form = EInvoiceForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "web/imports/upload.html", {"form": ImportForm(), "einvoice_form": form,
                                                           "columns": COLUMNS})
    saved = [(upload_store(upload, "einvoice"), Path(upload.name).name) for upload in form.cleaned_data["files"]]
    pending = {"org": org.pk, "files": saved}
    result = _run(request, org, pending, dry_run=True)
    if any(f.status == "created" for f in result.files):
        request.session[EINVOICE_KEY] = pending
    else:
        for token, _ in saved:
            upload_remove(token)
    return render(request, "web/imports/einvoice_preview.html", {"result": result, "pending": pending})


def einvoice_confirm(request: HttpRequest, org: Organization) -> HttpResponse:
    pending = request.session.get(EINVOICE_KEY)
    tokens = [token for token, _ in pending["files"]] if pending and pending.get("org") == org.pk else []
    if not tokens or request.POST.get("einvoice") != tokens[0] or not all(upload_path(t) for t in tokens):
        messages.error(request, "That upload is no longer waiting; please upload the files again.")
        return redirect("import_upload", slug=org.slug)
    result = _run(request, org, pending, dry_run=False)
    for token in tokens:
        upload_remove(token)
    del request.session[EINVOICE_KEY]
    messages.success(request, f"E-invoices: {result.count('created')} imported, {result.count('skipped')} already "
                              f"there, {result.count('failed')} refused.")
    return render(request, "web/imports/einvoice_preview.html", {"result": result, "pending": None})
