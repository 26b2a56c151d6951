"""CSV imports: upload, map the columns, see a dry run with every error on its cell, then confirm.

The upload waits under ``VAR_DIR/uploads`` (``recoup.web.uploads``) with a random name kept
in the session, so confirming imports exactly the bytes that were checked; it is removed
on confirmation, replaced by the session's next upload, or swept when abandoned. The
mapping an operator chooses is kept per organization, source and kind for the next file.
E-invoices share the upload page (``einvoice_imports``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.ledger.imports import COLUMNS, import_csv
from recoup.ledger.imports.einvoice.limits import einvoice_limits
from recoup.ledger.imports.mappings import guess_mapping, mapping_save
from recoup.ledger.imports.presets import source_for
from recoup.ledger.imports.reading import ReadProblem
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view
from recoup.web.import_forms import ImportForm, MappingForm
from recoup.web.uploads import UploadCap, capped_uploads, upload_path, upload_remove, upload_store, uploads_sweep
from recoup.web.views.einvoice_imports import EInvoiceForm, einvoice_confirm, einvoice_upload

SESSION_KEY = "recoup_import"


def _pending(request: HttpRequest, org: Organization) -> dict | None:
    pending = request.session.get(SESSION_KEY)
    if pending and pending.get("org") == org.pk and upload_path(pending["token"]) is not None:
        return pending
    return None


def _run(request: HttpRequest, org: Organization, pending: dict, *, dry_run: bool):
    with upload_path(pending["token"]).open("rb") as data:
        return import_csv(org=org, kind=pending["kind"], name=pending["name"], data=data, source=pending["source"],
                          mapping=pending.get("mapping"), date_order=pending.get("date_order") or None,
                          actor=Actor.for_user(request.user), now=timezone.now(), dry_run=dry_run)


def _preview(request: HttpRequest, pending: dict, result) -> HttpResponse:
    columns = [c for c in COLUMNS[result.kind] if any(c in row.values for row in result.shown)]
    rows = [{"line": row.line, "cells": [(row.values.get(c, ""), row.bad.get(c)) for c in columns],
             "other": [(c or "row", m) for c, m in row.bad.items() if c not in columns]} for row in result.shown]
    return render(request, "web/imports/preview.html", {"result": result, "pending": pending, "columns": columns,
                                                         "rows": rows})


def _upload_page(request: HttpRequest, form: ImportForm, status: int = 200) -> HttpResponse:
    return render(request, "web/imports/upload.html", {"form": form, "einvoice_form": EInvoiceForm(),
                                                       "columns": COLUMNS,
                                                       "max_mb": settings.RECOUP_IMPORT_MAX_BYTES / 1e6},
                  status=status)


@capped_uploads(UploadCap("file", lambda: settings.RECOUP_IMPORT_MAX_BYTES),
                UploadCap("files", lambda: einvoice_limits().max_file, lambda: einvoice_limits().max_total))
@org_view(Role.COLLECTOR)
def import_upload(request: HttpRequest, org: Organization) -> HttpResponse:
    if request.method == "POST" and request.POST.get("einvoice"):
        return einvoice_upload(request, org)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and any(r.field == "file" for r in request.uploads_refused):
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error("file", f"The file is larger than {settings.RECOUP_IMPORT_MAX_BYTES / 1e6:g} MB, the most "
                               "one import takes: split it into smaller files.")
        return _upload_page(request, form, status=413)
    if request.method == "POST" and form.is_valid():
        uploads_sweep(now=timezone.now())
        previous = request.session.get(SESSION_KEY)
        if previous:
            upload_remove(previous.get("token", ""))
        upload = form.cleaned_data["file"]
        request.session[SESSION_KEY] = {
            "org": org.pk, "token": upload_store(upload, "csv"), "kind": form.cleaned_data["kind"],
            "source": form.cleaned_data["source"] or "", "name": upload.name.replace("\\", "/").rsplit("/", 1)[-1],
        }
        return redirect("import_mapping", slug=org.slug)
    return _upload_page(request, form)


@org_view(Role.COLLECTOR)
def import_mapping(request: HttpRequest, org: Organization) -> HttpResponse:
    pending = _pending(request, org)
    if pending is None:
        messages.error(request, "That upload is no longer waiting; please upload the file again.")
        return redirect("import_upload", slug=org.slug)
    try:
        with upload_path(pending["token"]).open("rb") as data:
            guess = guess_mapping(org, pending["source"], pending["kind"], data)
    except ReadProblem:  # an empty or unreadable file: the dry run says what is wrong, on which line
        return _preview(request, pending, _run(request, org, pending, dry_run=True))
    spec = source_for(pending["source"], pending["kind"])
    form = MappingForm(request.POST or None, guess=guess, spec=spec, locale=org.locale)
    if request.method == "POST" and form.is_valid():
        columns, order = form.columns(), form.cleaned_data["date_order"]
        mapping_save(org=org, source=pending["source"], kind=pending["kind"], columns=columns, date_order=order,
                     actor=Actor.for_user(request.user), now=timezone.now())
        pending |= {"mapping": columns, "date_order": order}
        request.session[SESSION_KEY] = pending
        return _preview(request, pending, _run(request, org, pending, dry_run=True))
    return render(request, "web/imports/mapping.html", {"form": form, "guess": guess, "pending": pending,
                                                         "spec": spec})


@org_view(Role.COLLECTOR)
def import_confirm(request: HttpRequest, org: Organization) -> HttpResponse:
    if request.method == "POST" and request.POST.get("einvoice"):
        return einvoice_confirm(request, org)
    pending = _pending(request, org)
    if request.method != "POST" or pending is None or request.POST.get("token") != pending["token"] \
            or "mapping" not in pending:
        messages.error(request, "That upload is no longer waiting; please upload the file again.")
        return redirect("import_upload", slug=org.slug)
    result = _run(request, org, pending, dry_run=False)
    if not result.ok:
        return _preview(request, pending, result)
    upload_remove(pending["token"])
    del request.session[SESSION_KEY]
    made = f", {result.customers_created} new customers" if result.customers_created else ""
    left = f", {result.skipped} left out" if result.skipped else ""
    messages.success(request, f"Imported {result.rows} {result.kind} from {result.file}: {result.created} created, "
                              f"{result.updated} updated, {result.unchanged} unchanged{left}{made}.")
    return redirect("import_upload", slug=org.slug)
