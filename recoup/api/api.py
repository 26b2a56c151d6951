"""The NinjaAPI at /api/v1/: routers, error bodies (RFC 9457) and the OpenAPI schema's finishing touches."""

from __future__ import annotations

import logging

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from recoup.api.auth import TokenAuth
from recoup.api.parser import NulRefusingParser
from recoup.api.problems import PROBLEM_TYPE, ApiProblem, from_problem, problem_response

log = logging.getLogger(__name__)

DESCRIPTION = """Recoup's REST API. Authenticate with an organization's API token
(`Authorization: Bearer rcp_...`, created under Settings → API); everything is scoped to that
organization. Amounts are decimal strings in the currency. Errors are RFC 9457 problem details.
POST requests accept an `Idempotency-Key` header. See docs/api.md."""

IDEMPOTENCY_PARAMETER = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "description": "Any unique string (up to 255 characters): a repeat with the same key and body "
                   "returns the first answer and creates nothing",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}


class RecoupAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        return operation.view_func.__name__

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for item in schema["paths"].values():
            for method, operation in item.items():
                for code, response in operation.get("responses", {}).items():
                    if int(code) >= 400 and "content" in response:
                        response["content"] = {PROBLEM_TYPE: response["content"]["application/json"]}
                if method == "post":
                    operation.setdefault("parameters", []).append(dict(IDEMPOTENCY_PARAMETER))
        return schema


api = RecoupAPI(title="Recoup API", version="1", description=DESCRIPTION, auth=TokenAuth(),
                urls_namespace="api-v1", docs_url="/docs", parser=NulRefusingParser())


@api.exception_handler(ApiProblem)
def _problem(request, exc: ApiProblem):
    return from_problem(request, exc)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    errors = [{"field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "payload", "query", "path")),
               "message": e.get("msg", ""), "location": (e.get("loc") or ["body"])[0]} for e in exc.errors]
    first = errors[0] if errors else {"field": "", "message": "invalid"}
    return problem_response(422, f"{first['field'] or 'request'}: {first['message']}", instance=request.path,
                            errors=errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return problem_response(401, "send an API token: Authorization: Bearer rcp_...", instance=request.path,
                            headers={"WWW-Authenticate": 'Bearer realm="recoup"'})


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, ApiProblem):  # ninja wraps what the body parser raises ("Cannot parse ...")
        return from_problem(request, exc.__cause__)
    return problem_response(exc.status_code, str(exc), instance=request.path)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem_response(404, str(exc) or "not found", instance=request.path)


@api.exception_handler(Exception)
def _server_error(request, exc):
    log.exception("API error on %s %s", request.method, request.path)
    return problem_response(500, "the server failed; the error is logged", instance=request.path)


from recoup.api.routers import (  # noqa: E402  (routers register on the api above)
    arrangements, collections, customers, exports, ledger, messages, reports, webhooks,
)

api.add_router("/customers", customers.router)
api.add_router("/", ledger.router)
api.add_router("/", reports.router)
api.add_router("/", collections.router)
api.add_router("/", arrangements.router)
api.add_router("/", messages.router)
api.add_router("/webhooks", webhooks.router)
api.add_router("/exports", exports.router)
