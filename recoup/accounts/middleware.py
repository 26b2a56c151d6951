"""Two small middlewares: a Content-Security-Policy header on every response (instead of django-csp),
and a 400 for a NUL character in a page's parameters (``RefuseNulMiddleware``).

Recoup's pages load scripts, styles, images and fonts from the site itself only; QR codes and
charts come as data: images; inline style attributes are allowed (templates use a few), inline
scripts are not (there are none). ``settings.RECOUP_CSP`` overrides the policy.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseBadRequest

DEFAULT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "RECOUP_CSP", "") or DEFAULT_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class RefuseNulMiddleware:
    """Answer 400 to a page request with a NUL character in a query parameter or a posted form field.

    No text Recoup keeps may hold NUL (PostgreSQL refuses it with an error that would be a 500,
    SQLite would quietly search for it), and no input has a use for it: search boxes, filters and
    views that read a parameter directly are all covered here, before any query runs. Django's
    form fields refuse NUL too, but not every parameter goes through a form. The API
    (``/api/``) refuses NUL itself, as a problem naming the field (``recoup.api.parser``); views
    exempt from CSRF (providers' webhooks) parse their own bodies, so only their query is looked at.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith("/api/"):
            return None
        field = _nul_field(request.GET)
        if field is None and request.method == "POST" and not getattr(view_func, "csrf_exempt", False):
            field = _nul_field(request.POST)
        if field is None:
            return None
        return HttpResponseBadRequest(f"Bad request: {field} contains a NUL character.\n",
                                      content_type="text/plain; charset=utf-8")


def _nul_field(data) -> str | None:
    for key, values in data.lists():
        if "\x00" in key:
            return repr(key)
        if any("\x00" in value for value in values if isinstance(value, str)):
            return key
    return None
