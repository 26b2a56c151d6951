"""A Content-Security-Policy header on every response (a small middleware instead of django-csp).

Recoup's pages load scripts, styles, images and fonts from the site itself only; QR codes and
charts come as data: images; inline style attributes are allowed (templates use a few), inline
scripts are not (there are none). ``settings.RECOUP_CSP`` overrides the policy.
"""

from __future__ import annotations

from django.conf import settings

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
