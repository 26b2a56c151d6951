"""Files uploaded for an import, waiting under ``VAR_DIR/uploads`` until confirmed.

- ``upload_store`` saves an upload under a random name; ``upload_path`` finds it again;
  ``upload_remove`` removes it once used.
- ``uploads_sweep`` removes uploads older than ``RECOUP_UPLOAD_MAX_AGE_HOURS`` (abandoned
  previews): on every new import upload, by ``recoup uploads-sweep``, and each day by the
  scheduler (``recoup.collections.scheduler``), which is why it lives here and not in ``web``.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings

_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}\.(csv|einvoice|statement)")


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
