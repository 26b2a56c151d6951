"""The ``Content-Disposition`` header of a download whose name holds what people typed (numbers, refs, names)."""

from __future__ import annotations

import re

from django.utils.http import content_disposition_header

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")


def content_disposition(name: str, *, attachment: bool) -> str:
    """``attachment``/``inline`` with ``name`` quoted, or RFC 5987-encoded when not plain ASCII (Django's rules).

    Control characters and path separators become "-": a name is never a path, never breaks the
    header, and a quote or semicolon in an invoice number stays part of the name.
    """
    return content_disposition_header(attachment, _UNSAFE.sub("-", name).strip() or "download")
