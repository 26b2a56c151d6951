"""RFC 9457 problem details: every error the API answers has this body."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

PROBLEM_TYPE = "application/problem+json"
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          409: "Conflict", 422: "Unprocessable content", 429: "Too many requests", 500: "Internal server error"}
# Every operation documents these (plus its own success code).
ERROR_CODES = frozenset({400, 401, 403, 404, 409, 422, 429})


class ApiProblem(Exception):
    """Raise anywhere below a view to answer with a problem."""

    def __init__(self, status: int, detail: str, *, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None, title: str | None = None):
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors, headers or {}
        self.title = title or TITLES.get(status, "Error")


def problem_response(status: int, detail: str | None = None, *, instance: str | None = None,
                     errors: list[dict[str, Any]] | None = None, title: str | None = None,
                     headers: dict[str, str] | None = None) -> HttpResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title or TITLES.get(status, "Error"), "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_TYPE)
    for k, v in (headers or {}).items():
        response[k] = v
    return response


def from_problem(request, exc: ApiProblem) -> HttpResponse:
    return problem_response(exc.status, exc.detail, instance=request.path, errors=exc.errors, title=exc.title,
                            headers=exc.headers)
