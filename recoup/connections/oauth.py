"""The OAuth 2.0 authorization-code flow, through Authlib: the URL to send the user to (``state``
checked on return, PKCE S256 where the provider takes it), the code exchanged for tokens, and
tokens refreshed before they expire.

A refresh is done with the connection row locked, and the rotated refresh token is stored in the
same transaction, committed as soon as the provider has answered. If the process dies between
the provider's answer and that commit, the database still holds the previous refresh token:
Xero accepts it again for 30 minutes (its grace period), QuickBooks until the new one is first
used; beyond that the connection shows "needs reconnecting" and Connect runs the flow again
(nothing imported is lost). See docs/connections.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.integrations.base_client.errors import OAuthError

from recoup.connections.providers.base import BooksProvider

REFRESH_AHEAD = timedelta(minutes=5)  # refresh a token this long before it expires


class AuthorizationFailed(ValueError):
    """The provider refused the code or the refresh token; the message says what to do."""


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: datetime
    extra: dict = None  # what else the token answer names that is not secret (Stripe's stripe_user_id)


def _client(provider: BooksProvider, redirect_uri: str = "") -> OAuth2Client:
    endpoints = provider.oauth()
    return OAuth2Client(
        client_id=provider.config.client_id, client_secret=provider.config.client_secret,
        scope=" ".join(endpoints.scopes), redirect_uri=redirect_uri or None,
        code_challenge_method="S256" if endpoints.pkce else None,
        token_endpoint_auth_method=endpoints.token_auth,
        transport=provider.http.client._transport, timeout=provider.http.client.timeout, follow_redirects=False)


def authorization_url(provider: BooksProvider, *, redirect_uri: str) -> tuple[str, str, str]:
    """(URL to open, state, PKCE code verifier or '')."""
    endpoints = provider.oauth()
    verifier = generate_token(64) if endpoints.pkce else ""
    state = generate_token(40)
    with _client(provider, redirect_uri) as client:
        url, _ = client.create_authorization_url(endpoints.authorize_url, state=state,
                                                 code_verifier=verifier or None, **dict(endpoints.extra))
    return url, state, verifier


def _tokens(token: dict[str, Any], now: datetime, previous_refresh: str = "") -> Tokens:
    if not token.get("access_token"):
        raise AuthorizationFailed("the provider answered without an access token")
    # Stripe Connect's access tokens do not expire (no expires_in): a year, then a refresh.
    seconds = int(token.get("expires_in") or 365 * 86400)
    return Tokens(token["access_token"], token.get("refresh_token") or previous_refresh,
                  now + timedelta(seconds=seconds), {k: str(token[k]) for k in ("stripe_user_id",) if token.get(k)})


def exchange_code(provider: BooksProvider, *, code: str, redirect_uri: str, code_verifier: str,
                  now: datetime) -> Tokens:
    endpoints = provider.oauth()
    try:
        with _client(provider, redirect_uri) as client:
            token = client.fetch_token(endpoints.token_url, grant_type="authorization_code", code=code,
                                       code_verifier=code_verifier or None)
    except OAuthError as exc:
        raise AuthorizationFailed(f"{provider.label} refused the authorization code ({exc.error}): "
                                  "start Connect again") from None
    return _tokens(dict(token), now)


def refresh(provider: BooksProvider, *, refresh_token: str, now: datetime) -> Tokens:
    endpoints = provider.oauth()
    try:
        with _client(provider) as client:
            token = client.refresh_token(endpoints.token_url, refresh_token=refresh_token)
    except OAuthError as exc:
        raise AuthorizationFailed(f"{provider.label} refused the refresh token ({exc.error}): reconnect") from None
    return _tokens(dict(token), now, previous_refresh=refresh_token)


def needs_refresh(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is None or expires_at - REFRESH_AHEAD <= now
