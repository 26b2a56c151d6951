"""Helpers for tests that talk to the fakes: a plain HTTP call and the OAuth dance done for you.

Public API (stable):

- ``http(method, url, headers=..., json=..., form=...) -> Reply``: one request with
  urllib (no redirects followed), ``Reply.status``, ``.headers``, ``.body``, ``.json()``
  (fractional numbers as Decimal).
- ``authorize_url(base, path, client_id, redirect_uri, scope, state, challenge=None)``:
  the URL a connector sends the browser to.
- ``xero_tokens(fake, redirect_uri, tenants=None, pkce=True) -> dict``: approve, exchange
  the code, and return the token answer (``access_token``, ``refresh_token``, ...).
- ``xero_headers(tokens, tenant_id) -> dict``: the headers of an Accounting API call.
- ``specs_or_skip()``: skip (fail in CI) when the shared API descriptions are missing.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from recoup.connections.fakes.oauth import pkce_pair
from recoup.connections.fakes.server import loads
from recoup.connections.fakes.spec import shared_specs_dir
from recoup.connections.providers.http import money_json


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http(method: str, url: str, *, headers: dict[str, str] | None = None, json: object = None,
         form: dict[str, str] | None = None, body: bytes | None = None, timeout: float = 30) -> Reply:
    headers = dict(headers or {})
    if json is not None:
        body = money_json(json)  # Decimal amounts as exact JSON numbers, never through float
        headers.setdefault("Content-Type", "application/json")
    elif form is not None:
        body = urllib.parse.urlencode(form).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with _opener.open(request, timeout=timeout) as answer:
            return Reply(answer.status, dict(answer.headers), answer.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, dict(exc.headers), exc.read())


def authorize_url(base: str, path: str, *, client_id: str, redirect_uri: str, scope: str, state: str,
                  challenge: str | None = None) -> str:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": scope,
              "state": state}
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    return f"{base}{path}?{urllib.parse.urlencode(params)}"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def xero_tokens(fake, redirect_uri: str, tenants: list[str] | None = None, pkce: bool = True) -> dict:
    verifier, challenge = pkce_pair() if pkce else ("", None)
    url = authorize_url(fake.url, "/identity/connect/authorize", client_id=fake.client_id, redirect_uri=redirect_uri,
                        scope="openid offline_access accounting.transactions accounting.contacts", state="st",
                        challenge=challenge)
    callback = fake.approve(url, tenants)
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if pkce:
        form["code_verifier"] = verifier
    reply = http("POST", fake.url + "/connect/token", form=form,
                 headers={"Authorization": basic(fake.client_id, fake.client_secret)})
    assert reply.status == 200, reply.body
    return reply.json()


def xero_headers(tokens: dict, tenant_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}", "xero-tenant-id": tenant_id,
            "Accept": "application/json"}


def specs_or_skip() -> None:
    from conftest import require

    path = shared_specs_dir()
    require("the providers' API descriptions", (path / "SOURCES.md").is_file(),
            f"{path} not found; set RECOUP_SHARED_SPECS")
