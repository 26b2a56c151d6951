"""A provider ready to call, with an access token that is fresh: refreshed under the connection's
row lock when it expires within ``oauth.REFRESH_AHEAD``, the rotated tokens stored in that same
transaction (see ``oauth.py`` for what a crash between the answer and the commit means)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from recoup.connections import crypto
from recoup.connections.models import Connection
from recoup.connections.oauth import Tokens, needs_refresh, refresh
from recoup.connections.providers import provider_for
from recoup.connections.providers.base import BooksProvider


def store_tokens(connection: Connection, tokens: Tokens, now: datetime) -> None:
    """Write the tokens, encrypted, onto ``connection`` (saved by the caller's transaction)."""
    connection.access_token_enc = crypto.encrypt(tokens.access_token)
    connection.refresh_token_enc = crypto.encrypt(tokens.refresh_token)
    connection.token_expires_at = tokens.expires_at
    connection.updated_at = now


def provider_with_token(connection: Connection, *, now: datetime) -> BooksProvider:
    if needs_refresh(connection.token_expires_at, now):
        with transaction.atomic():
            locked = Connection.objects.select_for_update(no_key=True).get(pk=connection.pk)
            if needs_refresh(locked.token_expires_at, now):  # not refreshed meanwhile by another process
                tokens = refresh(provider_for(locked.provider), refresh_token=crypto.decrypt(locked.refresh_token_enc),
                                 now=now)
                store_tokens(locked, tokens, now)
                locked.save(update_fields=["access_token_enc", "refresh_token_enc", "token_expires_at", "updated_at"])
        connection.refresh_from_db()
    return provider_for(connection.provider, access_token=crypto.decrypt(connection.access_token_enc),
                        remote_id=connection.remote_id)
