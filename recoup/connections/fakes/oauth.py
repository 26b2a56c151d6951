"""An OAuth 2.0 authorization server for the fakes: authorization code, PKCE, refresh rotation.

Each provider fake owns one ``Authority`` configured as that provider publishes it (token
lifetimes, PKCE, how refresh tokens rotate) and shapes the token answer itself.

Public API (through the provider fakes):

- ``Authority.register_client(client_id, client_secret, redirect_uris)``.
- ``Authority.approve(authorize_url, subject)`` -> the redirect URL the browser would be
  sent to (``?code=...&state=...``), exactly as clicking "Allow" on the consent page does;
  ``Authority.deny(authorize_url)`` -> the ``error=access_denied`` redirect.
- ``Authority.bearer(header)`` -> the ``Grant`` an ``Authorization: Bearer`` header stands
  for, or a ``TokenProblem`` ("missing", "invalid", "expired", "revoked").
- ``Authority.expire_access_tokens()``, ``Authority.revoke(grant)``: controls for tests.

Rules, as RFC 6749/7636 and the providers say: a code is single use and short-lived and
must come back with the same ``redirect_uri``; where the provider supports PKCE, with a
``code_challenge`` (S256 only) the ``code_verifier`` must hash to it (where it does not, the
challenge is ignored, as such a provider ignores unknown parameters); a used refresh token stops working (after an optional
grace period for a client that lost the answer) and its successor is returned.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from recoup.connections.fakes.server import Clock, Request


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str]


@dataclass
class Grant:
    """What one chain of tokens stands for: a client, a user's consent, the remote subject."""

    client_id: str
    scope: str
    subject: object  # the provider's: Xero tenant ids, a QuickBooks realm, a Stripe account
    access_token: str = ""
    access_expires: datetime | None = None
    refresh_token: str = ""
    refresh_expires: datetime | None = None
    revoked: bool = False
    issued: list[str] = field(default_factory=list)  # every access token ever issued


@dataclass
class TokenProblem:
    reason: str  # missing, invalid, expired, revoked


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scope: str
    subject: object
    challenge: str
    expires: datetime
    used: bool = False


class Authority:
    def __init__(self, *, clock: Clock, prefix: str, access_ttl: int | None, refresh_ttl: int | None,
                 refresh_grace: int = 0, rotate_refresh: bool = True, pkce: bool = True, code_ttl: int = 300,
                 redirect_uri_in_token: bool = True):
        self.clock, self.prefix = clock, prefix
        self.access_ttl, self.refresh_ttl, self.refresh_grace = access_ttl, refresh_ttl, refresh_grace
        self.rotate_refresh, self.pkce, self.code_ttl = rotate_refresh, pkce, code_ttl
        self.redirect_uri_in_token = redirect_uri_in_token  # Stripe's token request carries none
        self.clients: dict[str, Client] = {}
        self.grants: list[Grant] = []
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, Grant] = {}
        self._refresh: dict[str, tuple[Grant, datetime | None]] = {}  # token -> (grant, used at)

    def register_client(self, client_id: str, client_secret: str, redirect_uris: list[str]) -> Client:
        self.clients[client_id] = Client(client_id, client_secret, list(redirect_uris))
        return self.clients[client_id]

    # -- the authorization request ------------------------------------------------------------

    def check_authorization(self, params: dict[str, str]) -> Client:
        """Validate an authorization request; raise OAuthError (shown to the user, never redirected)."""
        client = self.clients.get(params.get("client_id", ""))
        if client is None:
            raise OAuthError("invalid_client", "Unknown client_id")
        if params.get("redirect_uri") not in client.redirect_uris:
            raise OAuthError("invalid_request", "redirect_uri is not registered for this app")
        if params.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "response_type must be code")
        if params.get("code_challenge") and self.pkce:
            if params.get("code_challenge_method") != "S256":
                raise OAuthError("invalid_request", "code_challenge_method must be S256")
        return client

    def approve(self, authorize_url: str, subject: object, extra: dict[str, str] | None = None) -> str:
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
        return self.approve_params(params, subject, extra)

    def approve_params(self, params: dict[str, str], subject: object, extra: dict[str, str] | None = None) -> str:
        self.check_authorization(params)
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Code(params["client_id"], params["redirect_uri"], params.get("scope", ""), subject,
                                  params.get("code_challenge", "") if self.pkce else "",
                                  self.clock() + timedelta(seconds=self.code_ttl))
        answer = {"code": code, **({"state": params["state"]} if "state" in params else {}), **(extra or {})}
        return _with_query(params["redirect_uri"], answer)

    def deny(self, authorize_url: str) -> str:
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
        self.check_authorization(params)
        answer = {"error": "access_denied", **({"state": params["state"]} if "state" in params else {})}
        return _with_query(params["redirect_uri"], answer)

    # -- the token endpoint -------------------------------------------------------------------

    def token(self, request: Request) -> Grant:
        """Answer ``POST <token endpoint>``: the grant whose fresh tokens to return, or OAuthError."""
        form = request.form()
        client_id, secret = _client_credentials(request, form)
        kind = form.get("grant_type")
        if kind == "authorization_code":
            return self._exchange(form, client_id, secret)
        if kind == "refresh_token":
            return self._refresh_grant(form, client_id, secret)
        raise OAuthError("unsupported_grant_type", f"grant_type {kind!r} is not supported")

    def _client(self, client_id: str, secret: str | None, *, public_ok: bool) -> Client:
        client = self.clients.get(client_id)
        if client is None:
            raise OAuthError("invalid_client", "Unknown client", 401)
        if secret is None and public_ok:
            return client
        if secret is None or not hmac.compare_digest(secret, client.client_secret):
            raise OAuthError("invalid_client", "Client authentication failed", 401)
        return client

    def _exchange(self, form: dict[str, str], client_id: str, secret: str | None) -> Grant:
        code = self._codes.get(form.get("code", ""))
        now = self.clock()
        if code is None or code.used or code.expires <= now:
            raise OAuthError("invalid_grant", "The authorization code is invalid, used or expired")
        self._client(client_id, secret, public_ok=bool(code.challenge))
        if code.client_id != client_id:
            raise OAuthError("invalid_grant", "The code was issued to another client")
        if (self.redirect_uri_in_token or "redirect_uri" in form) and form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
        if code.challenge:
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if not verifier or not hmac.compare_digest(digest, code.challenge):
                raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        code.used = True
        grant = Grant(client_id=client_id, scope=code.scope, subject=code.subject)
        self.grants.append(grant)
        return self._issue(grant, now)

    def _refresh_grant(self, form: dict[str, str], client_id: str, secret: str | None) -> Grant:
        now = self.clock()
        entry = self._refresh.get(form.get("refresh_token", ""))
        if entry is None:
            raise OAuthError("invalid_grant", "Unknown refresh token")
        grant, used_at = entry
        self._client(client_id, secret, public_ok=False)
        if grant.client_id != client_id:
            raise OAuthError("invalid_grant", "The refresh token was issued to another client")
        if grant.revoked:
            raise OAuthError("invalid_grant", "The refresh token has been revoked")
        if grant.refresh_expires is not None and grant.refresh_expires <= now:
            raise OAuthError("invalid_grant", "The refresh token has expired")
        if used_at is not None and (now - used_at).total_seconds() >= self.refresh_grace:
            raise OAuthError("invalid_grant", "The refresh token has already been used")
        if self.rotate_refresh and used_at is None:
            self._refresh[form["refresh_token"]] = (grant, now)
        return self._issue(grant, now, keep_refresh=not self.rotate_refresh)

    def _issue(self, grant: Grant, now: datetime, keep_refresh: bool = False) -> Grant:
        grant.access_token = f"{self.prefix}at_{secrets.token_urlsafe(24)}"
        grant.access_expires = now + timedelta(seconds=self.access_ttl) if self.access_ttl else None
        grant.issued.append(grant.access_token)
        self._access[grant.access_token] = grant
        if not keep_refresh or not grant.refresh_token:
            grant.refresh_token = f"{self.prefix}rt_{secrets.token_urlsafe(24)}"
            self._refresh[grant.refresh_token] = (grant, None)
            grant.refresh_expires = now + timedelta(seconds=self.refresh_ttl) if self.refresh_ttl else None
        return grant

    # -- using a token ------------------------------------------------------------------------

    def bearer(self, header: str) -> Grant | TokenProblem:
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return TokenProblem("missing")
        grant = self._access.get(token.strip())
        if grant is None:
            return TokenProblem("invalid")
        if grant.revoked:
            return TokenProblem("revoked")
        if grant.access_expires is not None and grant.access_expires <= self.clock():
            return TokenProblem("expired")
        return grant

    def grant_for_token(self, token: str) -> Grant | None:
        """The grant an access or refresh token belongs to (for revocation endpoints)."""
        if token in self._access:
            return self._access[token]
        entry = self._refresh.get(token)
        return entry[0] if entry else None

    def revoke(self, grant: Grant) -> None:
        grant.revoked = True

    def expire_access_tokens(self) -> None:
        """Every access token expires now, as if their lifetime had passed."""
        now = self.clock()
        for grant in self.grants:
            grant.access_expires = now


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str | None]:
    """HTTP Basic client authentication, else ``client_id``/``client_secret`` in the body."""
    scheme, _, value = request.header("authorization").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(value).decode().partition(":")
        except ValueError:
            raise OAuthError("invalid_client", "Malformed Basic credentials", 401) from None
        return urllib.parse.unquote(client_id), urllib.parse.unquote(secret)
    return form.get("client_id", ""), form.get("client_secret")


def _with_query(url: str, params: dict[str, str]) -> str:
    split = urllib.parse.urlsplit(url)
    query = urllib.parse.urlencode([*urllib.parse.parse_qsl(split.query), *params.items()])
    return urllib.parse.urlunsplit(split._replace(query=query))


def pkce_pair() -> tuple[str, str]:
    """A (code_verifier, S256 code_challenge) pair, for tests that play the client."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge
