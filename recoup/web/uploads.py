"""Files uploaded for an import, waiting under ``VAR_DIR/uploads`` until confirmed.

- ``capped_uploads(field, limit)``: a view decorator that stops storing the upload field
  ``field`` past ``limit()`` bytes (the rest of the request is read and dropped), and sets
  ``request.upload_too_large`` so the view can say so. Django reads a request's files
  when the CSRF check first reads its form, before any view runs; so the decorated view
  is exempt from the middleware's check and checks CSRF itself, after its handler is in
  place (Django's documented way to change upload handlers for one view).
- ``upload_store`` saves an upload under a random name; ``upload_path`` finds it again.
- ``uploads_sweep`` removes uploads older than ``RECOUP_UPLOAD_MAX_AGE_HOURS`` (abandoned
  previews): on every new import upload and by ``recoup uploads-sweep``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}\.(csv|einvoice)")


def upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_path(token: str) -> Path | None:
    """The stored upload named ``token``, or None when there is none (or the name is not one of ours)."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    path = upload_dir() / token
    return path if path.is_file() else None


def upload_store(upload, suffix: str) -> str:
    """Save an uploaded file in chunks under a random name; returns the name."""
    token = f"{secrets.token_urlsafe(24)}.{suffix}"
    with open(upload_dir() / token, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return token


def upload_remove(token: str) -> None:
    path = upload_path(token)
    if path is not None:
        path.unlink(missing_ok=True)


def uploads_sweep(*, now: datetime, max_age: timedelta | None = None) -> int:
    """Remove uploads last written before ``now - max_age``; returns how many went."""
    if max_age is None:
        max_age = timedelta(hours=settings.RECOUP_UPLOAD_MAX_AGE_HOURS)
    cutoff = (now - max_age).timestamp()
    removed = 0
    for path in upload_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # removed meanwhile by another request
            continue
    return removed


class CappedUpload(FileUploadHandler):
    """Refuses to receive more than ``limit`` bytes of the upload field ``field``."""

    def __init__(self, request: HttpRequest, field: str, limit: int):
        super().__init__(request)
        self.field, self.limit, self.received, self.watching = field, limit, 0, False

    def new_file(self, field_name, *args, **kwargs):
        self.watching, self.received = field_name == self.field, 0
        super().new_file(field_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        if self.watching:
            self.received += len(raw_data)
            if self.received > self.limit:
                self.request.upload_too_large = True
                raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None


def capped_uploads(field: str, limit: Callable[[], int]) -> Callable:
    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        protected = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            request.upload_too_large = False
            request.upload_handlers.insert(0, CappedUpload(request, field, limit()))
            return protected(request, *args, **kwargs)

        return wrapped

    return decorate
