"""Import uploads in the web app: capped while they arrive, stored until confirmed.

- ``capped_uploads(field, limit)``: a view decorator that stops storing the upload field
  ``field`` past ``limit()`` bytes (the rest of the request is read and dropped), and sets
  ``request.upload_too_large`` so the view can say so. Django reads a request's files
  when the CSRF check first reads its form, before any view runs; so the decorated view
  is exempt from the middleware's check and checks CSRF itself, after its handler is in
  place (Django's documented way to change upload handlers for one view).
- Storing, finding, removing and sweeping the files: ``recoup.lib.uploads`` (the daily
  scheduler sweeps too, and may not import the web app).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from recoup.lib.uploads import upload_dir, upload_path, upload_remove, upload_store, uploads_sweep

__all__ = ["capped_uploads", "upload_dir", "upload_path", "upload_remove", "upload_store", "uploads_sweep"]


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
