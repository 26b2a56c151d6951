"""Bearer tokens, scopes and rate limits: who calls, for which organization, how often.

A token belongs to one organization; every query the API runs is scoped to it, so a token
can never name another organization's rows (they are "not found"). A read token may only
GET; anything else needs a write token (403). Each token may make
``RECOUP_API_RATE_LIMIT`` requests a minute (default 300), counted in Django's cache
(per process with the default local-memory cache; configure a shared cache when several
web processes serve the API); beyond that the answer is 429 with ``Retry-After``.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from ninja.security import HttpBearer

from recoup.api.actions import token_touch
from recoup.api.models import ApiToken
from recoup.api.problems import ApiProblem
from recoup.api.tokens import matches, split_prefix

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
WINDOW_SECONDS = 60


def rate_limit() -> int:
    return int(getattr(settings, "RECOUP_API_RATE_LIMIT", 300))


def _count(token: ApiToken) -> tuple[int, int]:
    """This minute's request count for the token (after this one) and seconds left in the minute."""
    now = int(time.time())
    window = now // WINDOW_SECONDS
    key = f"recoup-api:rate:{token.pk}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS + 5)
        count = 1
    return count, WINDOW_SECONDS - now % WINDOW_SECONDS


def find_token(text: str) -> ApiToken | None:
    prefix = split_prefix(text or "")
    if prefix is None:
        return None
    token = ApiToken.objects.select_related("org", "created_by").filter(prefix=prefix).first()
    if token is None or not matches(text, token.token_hash) or token.revoked_at is not None:
        return None
    return token


class TokenAuth(HttpBearer):
    openapi_description = "An API token of one organization: `Authorization: Bearer rcp_...`"

    def authenticate(self, request, token: str) -> ApiToken:
        found = find_token(token)
        if found is None:
            raise ApiProblem(401, "the API token is unknown or revoked",
                             headers={"WWW-Authenticate": 'Bearer realm="recoup"'})
        if request.method not in SAFE_METHODS and not found.can_write:
            raise ApiProblem(403, "this token may only read (its scope is read); use a write token")
        count, reset = _count(found)
        limit = rate_limit()
        if count > limit:
            raise ApiProblem(429, f"more than {limit} requests a minute with this token; retry in {reset} s",
                             headers={"Retry-After": str(reset)})
        token_touch(token=found, now=timezone.now())
        return found
