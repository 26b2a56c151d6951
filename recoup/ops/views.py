"""/healthz, /readyz and /metrics: the operator's and the monitoring's view of health.

- ``/healthz``: the process answers (for a proxy's or a load balancer's health check).
- ``/readyz``: every registered readiness check (``recoup.lib.health``) passes: 200, else 503.
  Anyone sees which checks fail; the problems themselves only with the metrics token.
- ``/metrics``: Prometheus text, read from the database at scrape time, behind the bearer token
  ``RECOUP_METRICS_TOKEN`` (404 while none is configured, 401 without the right one).
They are served by ``HealthEndpointsMiddleware``, before host checks, redirects and sessions.
"""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST

from recoup.lib import health, metrics


def _token_given(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def token_ok(request: HttpRequest) -> bool:
    """Whether the request carries the metrics token (compared in constant time)."""
    expected = settings.RECOUP_METRICS_TOKEN
    return bool(expected) and hmac.compare_digest(_token_given(request).encode(), expected.encode())


def _json(data: dict, status: int) -> HttpResponse:
    response = HttpResponse(json.dumps(data, indent=1), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    return _json({"status": "up"}, 200)


def readyz(request: HttpRequest) -> HttpResponse:
    report = health.run_checks(now=timezone.now())
    detailed = token_ok(request)
    checks = {r.name: ({"ok": r.ok, "problems": [p.text for p in r.problems]} if detailed else
                       ("ok" if r.ok else "failing")) for r in report.results}
    return _json({"status": "ready" if report.ok else "not ready", "checks": checks}, 200 if report.ok else 503)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not settings.RECOUP_METRICS_TOKEN:
        return HttpResponse("Not found: set RECOUP_METRICS_TOKEN to serve metrics\n", status=404,
                            content_type="text/plain")
    if not token_ok(request):
        response = HttpResponse("Unauthorized: send Authorization: Bearer <RECOUP_METRICS_TOKEN>\n", status=401,
                                content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="recoup-metrics"'
        return response
    response = HttpResponse(metrics.render(now=timezone.now()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
