"""Serve the health endpoints first, whatever the host name, scheme or session.

A proxy or monitor asks ``http://127.0.0.1:8001/healthz`` directly: that must not be refused
for its Host header (``RECOUP_ALLOWED_HOSTS``) nor redirected to https (``RECOUP_HTTPS``), and
needs no session or CSRF cookie. These responses build no URL, so the host check protects
nothing here.
"""

from __future__ import annotations

from recoup.ops import views

ENDPOINTS = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": views.metrics_view}


class HealthEndpointsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = ENDPOINTS.get(request.path_info.rstrip("/") or "/")
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)
