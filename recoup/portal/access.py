"""How a portal request is let in, and the headers every portal response carries.

``portal_page`` resolves the link's secret (from the URL) to one customer of one
organization, refuses anything else with one polite page that says nothing about
why (unknown, tampered, expired and revoked links look the same), limits failed
look-ups per client address, renders in the customer's language and hardens the
response: a strict content security policy, no referrer to other sites (the link is a
credential), no caching, and the CSRF cookie HttpOnly, SameSite=Lax and Secure
whenever the request came over HTTPS.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation

from recoup.messaging.rendering import choose_language
from recoup.portal.actions import LANGUAGES
from recoup.portal.selectors import PortalAccess, token_lookup

MAX_FAILURES = 10
FAILURE_WINDOW_S = 600


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def _failures_key(request: HttpRequest) -> str:
    return f"portal:failures:{client_address(request)}"


def throttled(request: HttpRequest) -> bool:
    return (cache.get(_failures_key(request)) or 0) >= MAX_FAILURES


def note_failure(request: HttpRequest) -> None:
    key = _failures_key(request)
    if cache.add(key, 1, FAILURE_WINDOW_S):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, FAILURE_WINDOW_S)


def request_language(request: HttpRequest, access: PortalAccess | None) -> str:
    asked = request.GET.get("lang", "")
    if asked in LANGUAGES:
        return asked
    if access is not None:
        lang = choose_language(None, access.customer, access.org)
    else:
        lang = translation.get_language_from_request(request, check_path=False)
        lang = choose_language(lang, None, None)
    return lang if lang in LANGUAGES else "en"


def csp(form_action: tuple[str, ...] = ()) -> str:
    return "; ".join([
        "default-src 'none'", "style-src 'self'", "img-src 'self'", "base-uri 'none'",
        "frame-ancestors 'none'", "form-action " + " ".join(("'self'",) + form_action),
    ])


def harden(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Security headers for every portal response, and the CSRF cookie set the portal's way."""
    if not response.has_header("Content-Security-Policy"):
        response["Content-Security-Policy"] = csp(getattr(response, "portal_form_action", ()))
    # Never the link (a credential) to another site; same-origin keeps the Origin header CSRF checks need.
    response["Referrer-Policy"] = "same-origin"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Frame-Options"] = "DENY"
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex, nofollow"
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") and request.META.get("CSRF_COOKIE"):
        # Set here rather than by CsrfViewMiddleware so that the portal's cookie is
        # HttpOnly (its forms carry the token in the page) and Secure over HTTPS.
        response.set_cookie(
            settings.CSRF_COOKIE_NAME, request.META["CSRF_COOKIE"], max_age=settings.CSRF_COOKIE_AGE,
            domain=settings.CSRF_COOKIE_DOMAIN, path=settings.CSRF_COOKIE_PATH,
            secure=request.is_secure() or settings.CSRF_COOKIE_SECURE, httponly=True, samesite="Lax")
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = False
    return response


def refused(request: HttpRequest, *, status: int = 404) -> HttpResponse:
    """The one page for every link that does not work; it names no business and no customer."""
    with translation.override(request_language(request, None)):
        response = render(request, "portal/refused.html", {"throttled": status == 429}, status=status)
    return harden(request, response)


def portal_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Call ``view(request, access, ...)`` for a valid link; the polite refusal otherwise."""

    @wraps(view)
    def wrapped(request: HttpRequest, token: str, *args, **kwargs) -> HttpResponse:
        if throttled(request):
            return refused(request, status=429)
        access = token_lookup(secret=token, now=timezone.now())
        if access is None:
            note_failure(request)
            return refused(request)
        request.portal = access
        with translation.override(request_language(request, access)):
            response = view(request, access, *args, **kwargs)
        return harden(request, response)

    return wrapped
