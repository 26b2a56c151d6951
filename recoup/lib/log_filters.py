"""Logging filters named in ``settings.LOGGING``."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404


class OrdinaryRefusals(logging.Filter):
    """An ordinary 403 or 404 as one warning line, with its reason: no traceback.

    Django's ``django.request`` logger attaches the exception to every 403 it logs, so each viewer
    opening an owner's page wrote a full traceback; the refusal is expected, the traceback says nothing.
    Server errors (5xx) keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, (PermissionDenied, Http404)) and getattr(record, "status_code", 500) < 500:
            message = record.getMessage()
            record.msg, record.args = (f"{message}: {exc}" if str(exc) else message), ()
            record.exc_info = record.exc_text = None
        return True
