"""Import uploads in the web app: capped while they arrive, stored until confirmed.

- ``capped_uploads(UploadCap(field, per_file, together), ...)``: a view decorator that stops
  storing a file of the upload field ``field`` past ``per_file()`` bytes, or past ``together()``
  bytes of the field's files together (the rest of the request is read and dropped), and notes
  each file refused in ``request.uploads_refused`` (and sets ``request.upload_too_large``) so the
  view can say which. Django reads a request's files
  when the CSRF check first reads its form, before any view runs; so the decorated view
  is exempt from the middleware's check and checks CSRF itself, after its handler is in
  place (Django's documented way to change upload handlers for one view).
- Storing, finding, removing and sweeping the files: ``recoup.lib.uploads`` (the daily
  scheduler sweeps too, and may not import the web app).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from recoup.lib.uploads import upload_dir, upload_path, upload_remove, upload_store, uploads_sweep

__all__ = ["CappedUpload", "RefusedUpload", "UploadCap", "capped_uploads", "upload_dir", "upload_path", "upload_remove", "upload_store", "uploads_sweep"]


@dataclass(frozen=True)
class UploadCap:
    """At most ``per_file()`` bytes of any one file of the upload field ``field`` and, with
    ``together``, at most ``together()`` bytes of all its files together (read when a request arrives)."""

    field: str
    per_file: Callable[[], int]
    together: Callable[[], int] | None = None


@dataclass(frozen=True)
class RefusedUpload:
    """A file not received: the field, the file's name, the limit it passed, and whether that was the
    limit of the field's files together."""

    field: str
    name: str
    limit: int
    together: bool


class CappedUpload(FileUploadHandler):
    """Stops receiving a file of ``cap.field`` past its limits: the rest of it is read and dropped
    (Django's ``SkipFile``), never stored in memory or a temporary file; once the files together
    passed their limit, later files of the field are dropped too. Each refusal is noted in
    ``request.uploads_refused`` (and ``request.upload_too_large`` set)."""

    def __init__(self, request: HttpRequest, cap: UploadCap):
        super().__init__(request)
        self.field, self.limit = cap.field, cap.per_file()
        self.total = cap.together() if cap.together else None
        self.watching, self.name, self.received, self.kept, self.full = False, "", 0, 0, False

    def new_file(self, field_name, file_name, *args, **kwargs):
        self.watching, self.name, self.received = field_name == self.field, file_name, 0
        super().new_file(field_name, file_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        if self.watching:
            self.received += len(raw_data)
            if self.full:
                raise SkipFile()
            if self.received > self.limit:
                self._refuse(self.limit, together=False)
            if self.total is not None and self.kept + self.received > self.total:
                self.full = True
                self._refuse(self.total, together=True)
        return raw_data

    def file_complete(self, file_size):
        if self.watching:
            self.kept += self.received
        return None

    def _refuse(self, limit: int, *, together: bool) -> None:
        self.request.uploads_refused.append(RefusedUpload(self.field, self.name, limit, together))
        self.request.upload_too_large = True
        raise SkipFile()


def capped_uploads(*caps: UploadCap) -> Callable:
    """A view decorator putting a ``CappedUpload`` for each cap in front of Django's upload handlers."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        protected = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            request.upload_too_large, request.uploads_refused = False, []
            for cap in reversed(caps):
                request.upload_handlers.insert(0, CappedUpload(request, cap))
            return protected(request, *args, **kwargs)

        return wrapped

    return decorate
