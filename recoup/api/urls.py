"""/api/: the REST API at v1/ (OpenAPI at v1/openapi.json, docs at v1/docs).

Every answer under v1/, including unknown paths and methods, is JSON; errors are RFC 9457
problem details. v1/ itself says where the docs and the schema are (a browser asking for a page is
sent to the docs); a resource's path with a trailing slash is redirected (308, method and body kept)
to the path without it.
"""

from functools import wraps

from django.http import HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, include, path, re_path, resolve, reverse

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


def _root(request, **kwargs):
    if request.method not in ("GET", "HEAD"):
        return problem_response(405, f"{request.method} is not allowed here (allowed: GET, HEAD)",
                                instance=request.path, headers={"Allow": "GET, HEAD"})
    docs, schema = reverse("api-v1:openapi-view"), reverse("api-v1:openapi-json")
    if "text/html" in request.headers.get("Accept", ""):
        return HttpResponseRedirect(docs)
    return JsonResponse({"title": api.title, "version": api.version, "docs": request.build_absolute_uri(docs),
                         "openapi": request.build_absolute_uri(schema)})


class _PermanentRedirect(HttpResponseRedirect):
    status_code = 308  # unlike 301, a client repeats the same method and body


def _not_found(request, rest=""):
    if request.path.endswith("/") and len(request.path) > 1:
        try:
            match = resolve(request.path[:-1])
        except Resolver404:
            match = None
        if match is not None and match.func is not _not_found:
            query = request.META.get("QUERY_STRING", "")
            return _PermanentRedirect(request.path[:-1] + (f"?{query}" if query else ""))
    return problem_response(404, f"no API resource at {request.path}", instance=request.path)


_patterns, _app, _namespace = api.urls  # (not named app_name: Django would take it as this module's namespace)
for _pattern in _patterns:
    # ninja's own root view only raises a 404 naming the docs; ours answers.
    _pattern.callback = _problem_for_405(_root if _pattern.name == "api-root" else _pattern.callback)

urlpatterns = [
    path("v1/", include((_patterns, _app), namespace=_namespace)),
    re_path(r"^v1/(?P<rest>.*)$", _not_found),
]
