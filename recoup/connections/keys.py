"""Key rotation: every stored token re-encrypted with the first key (``crypto.py``)."""

from __future__ import annotations

from django.db import transaction

from recoup.connections import crypto
from recoup.connections.models import Connection


@transaction.atomic
def rotate_tokens() -> int:
    count = 0
    for connection in Connection.objects.select_for_update(no_key=True).exclude(access_token_enc="", refresh_token_enc=""):
        connection.access_token_enc = crypto.rotate(connection.access_token_enc)
        connection.refresh_token_enc = crypto.rotate(connection.refresh_token_enc)
        connection.save(update_fields=["access_token_enc", "refresh_token_enc"])
        count += 1
    return count
