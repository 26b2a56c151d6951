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
from recoup.ledger.imports.einvoice.limits import einvoice_limits
from recoup.ledger.imports.einvoice.reading import megabytes
from recoup.orgs.models import Organization
from recoup.web.import_forms import ImportForm
from recoup.web.uploads import upload_path, upload_remove, upload_store

EINVOICE_KEY = "recoup_einvoice_import"


class _Several(forms.ClearableFileInput):
    allow_multiple_selected = True


class _SeveralFiles(forms.FileField):
    def clean(self, data, initial=None):
        items = data if isinstance(data, (list, tuple)) else [data]
        return [super(_SeveralFiles, self).clean(item, initial) for item in items]


class EInvoiceForm(forms.Form):
    files = _SeveralFiles(label="E-invoice files (XML or PDF)",
                          widget=_Several(attrs={"multiple": True, "accept": ".xml,.pdf,application/pdf,text/xml"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limits = einvoice_limits()
        self.fields["files"].help_text = (f"At most {limits.max_files} files, {megabytes(limits.max_file)} each, "
                                          f"{megabytes(limits.max_total)} together.")

    def clean_files(self):
        # The page's upload handler stops receiving past the limits (``import_upload``); these checks
        # hold for a form filled any other way.
        files, limits = self.cleaned_data["files"], einvoice_limits()
        if len(files) > limits.max_files:
            raise forms.ValidationError(f"at most {limits.max_files} files at once")
        total = 0
        for upload in files:
            total += upload.size
            if upload.size > limits.max_file:
                raise forms.ValidationError(limits.file_too_large(Path(upload.name).name))
            if total > limits.max_total:
                raise forms.ValidationError(limits.total_too_large(Path(upload.name).name))
        return files


def _run(request: HttpRequest, org: Organization, pending: dict, *, dry_run: bool):
    files = [(name, upload_path(token).read_bytes()) for token, name in pending["files"]]
    return import_einvoices(org=org, files=files, actor=Actor.for_user(request.user), now=timezone.now(),
                            dry_run=dry_run, limits=einvoice_limits())


def _refused(request: HttpRequest) -> str:
    """Why the upload handler dropped a file of the form (the first one it dropped), or ""."""
    limits = einvoice_limits()
    for refused in getattr(request, "uploads_refused", []):
        if refused.field == "files":
            name = Path(refused.name).name
            return limits.total_too_large(name) if refused.together else limits.file_too_large(name)
    return ""


def einvoice_upload(request: HttpRequest, org: Organization) -> HttpResponse:
    form = EInvoiceForm(request.POST, request.FILES)
    refused = _refused(request)
    if refused:  # the form is refused whole: which files came through does not matter
        form.is_valid()
        form.errors.pop("files", None)
        form.add_error("files", refused)
    if refused or not form.is_valid():
        return render(request, "web/imports/upload.html", {"form": ImportForm(), "einvoice_form": form,
                                                           "columns": COLUMNS}, status=413 if refused else 200)
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
