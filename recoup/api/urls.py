"""/api/: the REST API at v1/ (OpenAPI at v1/openapi.json, docs at v1/docs).

Every answer under v1/, including unknown paths and methods, is JSON; errors are RFC 9457
problem details.
"""

from functools import wraps

from django.urls import include, path, re_path

from recoup.api.api import api
from recoup.api.problems import problem_response


def _problem_for_405(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").endswith("json"):
            allowed = response.get("Allow", "")
            response = problem_response(405, f"{request.method} is not allowed here (allowed: {allowed})",
                                        instance=request.path, headers={"Allow": allowed})
        return response

    return wrapped


def _not_found(request, rest=""):
    return problem_response(404, f"no API resource at {request.path}", instance=request.path)


_patterns, _app, _namespace = api.urls  # (not named app_name: Django would take it as this module's namespace)
for _pattern in _patterns:
    _pattern.callback = _problem_for_405(_pattern.callback)

urlpatterns = [
    path("v1/", include((_patterns, _app), namespace=_namespace)),
    re_path(r"^v1/(?P<rest>.*)$", _not_found),
]
