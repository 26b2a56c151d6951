"""The providers' published API descriptions, read in place, and checks against them.

The descriptions live in ``shared/specs`` beside the checkout (see its SOURCES.md); they
are never copied into the project. ``shared_specs_dir()`` finds them: the environment
variable ``RECOUP_SHARED_SPECS``, else ``../shared/specs`` beside the checkout, else
``/work/shared/specs``.

Public API (stable; the connector engineer's tests use it to check their own requests):

- ``xero_accounting()``, ``xero_identity()``, ``xero_webhooks()``, ``quickbooks()``: the
  loaded ``Description`` of each (loaded once per process), and ``stripe_shapes()``: the
  ``StripeShapes`` from Stripe's fixtures (``check(obj)`` -> problems; ``sample(kind)`` a
  fresh copy of Stripe's sample object, the base of every object the Stripe fake makes).
- ``Description.check_request(method, path, query=..., headers=..., body=...)`` and
  ``Description.check_response(...)``: a list of problems, empty when the exchange is as
  published. Beyond what openapi-core checks (parameters, types, formats, enums, required
  fields, readOnly fields in requests), a field name that the description neither
  defines for that object nor shows in any of its own examples is a problem: a fake, or a
  connector, cannot invent an API.
- ``Description.check_schema(name, instance)``: one object against a named component
  schema (webhook payloads, QuickBooks query rows).
- ``check_httpx_request(description, request)``: the same check for an ``httpx.Request``
  (or anything with ``method``, ``url``, ``headers`` and ``content``).
- ``assert_valid(problems)`` raises ``SpecViolation`` when the list is not empty.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
import warnings
from functools import cached_property, lru_cache
from decimal import Decimal
from pathlib import Path

import yaml

from recoup.connections.fakes.server import SpecViolation


class SpecsMissing(RuntimeError):
    """The shared API descriptions are not where they should be."""


def shared_specs_dir() -> Path:
    """Where the providers' published API descriptions are (read in place, never copied)."""
    if os.environ.get("RECOUP_SHARED_SPECS"):
        return Path(os.environ["RECOUP_SHARED_SPECS"])
    beside = Path(__file__).resolve().parents[4] / "shared" / "specs"
    return beside if beside.is_dir() else Path("/work/shared/specs")


def spec_path(relative: str) -> Path:
    path = shared_specs_dir() / relative
    if not path.is_file():
        raise SpecsMissing(f"{path} not found: the providers' API descriptions are read from shared/specs beside "
                           "the checkout; set RECOUP_SHARED_SPECS to the folder that holds them")
    return path


def assert_valid(problems: list[str]) -> None:
    if problems:
        raise SpecViolation("departures from the published API description:\n- " + "\n- ".join(problems))


def _example_keys(node: object, into: set[str], inside: bool = False) -> set[str]:
    """Every object key that appears inside an ``example``/``examples`` value of the document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if inside:
                into.add(key)
            if isinstance(value, str) and key == "example" and value.lstrip().startswith(("[", "{")):
                try:  # some examples are JSON written as a string
                    _example_keys(json.loads(value), into, True)
                except ValueError:
                    pass
            _example_keys(value, into, inside or key in ("example", "examples"))
    elif isinstance(node, list):
        for item in node:
            _example_keys(item, into, inside)
    return into


def _describe(error: BaseException) -> str:
    """openapi-core's error with the schema errors it wraps, each with its place."""
    text = str(error)
    parts = [text if len(text) < 240 else text[:240] + "..."]
    seen: BaseException | None = error
    while seen is not None:
        for schema_error in getattr(seen, "schema_errors", None) or ():
            place = "/".join(str(p) for p in schema_error.absolute_path) or "(body)"
            parts.append(f"{place}: {schema_error.message}")
        seen = seen.__cause__
    return "; ".join(dict.fromkeys(parts))


class Description:
    """One OpenAPI description and the checks made against it."""

    def __init__(self, relative: str, *, host_url: str, path_aliases: dict[str, str] | None = None,
                 tabs_in_text: bool = False, extra_keys: frozenset[str] = frozenset(), repair=None):
        self.relative, self.host_url, self.tabs_in_text, self.repair = relative, host_url, tabs_in_text, repair
        self.extra_keys = extra_keys  # field names the provider's own documentation adds
        self.path_aliases = path_aliases or {}  # served path -> the description's spelling

    @cached_property
    def document(self) -> dict:
        text = spec_path(self.relative).read_text(encoding="utf-8")
        if self.tabs_in_text:  # tabs inside descriptions, which PyYAML refuses at a token's start
            text = text.replace("\t", " ")
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        document = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
        if self.repair:
            self.repair(document)
        return document

    @cached_property
    def openapi(self):
        from openapi_core import Config, OpenAPI

        # The published files do not all pass openapi-spec-validator (Xero's has string
        # defaults on booleans), so the file itself is not checked; exchanges are.
        return OpenAPI.from_dict(self.document, config=Config(spec_validator_cls=None))

    @cached_property
    def example_keys(self) -> frozenset[str]:
        return frozenset(_example_keys(self.document, set())) | self.extra_keys

    @cached_property
    def _base_path(self) -> str:
        servers = self.document.get("servers") or [{"url": self.host_url}]
        return urllib.parse.urlsplit(servers[0]["url"]).path.rstrip("/")

    @cached_property
    def _templates(self) -> list[tuple[re.Pattern, str]]:
        out = []
        for template in self.document.get("paths", {}):
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            out.append((re.compile(re.escape(self._base_path) + pattern + r"\Z"), template))
        return out

    def _spelled(self, path: str) -> str:
        for served, published in self.path_aliases.items():
            if path.startswith(served):
                return published + path[len(served):]
        return path

    def operation(self, method: str, path: str) -> dict | None:
        path = self._spelled(path)
        for pattern, template in self._templates:
            if pattern.match(path):
                return self.document["paths"][template].get(method.lower())
        return None

    def resolve(self, schema: dict) -> dict:
        while isinstance(schema, dict) and "$ref" in schema:
            node: object = self.document
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]  # type: ignore[index]
            schema = node  # type: ignore[assignment]
        return schema

    # -- checks -------------------------------------------------------------------------------

    def _mock_request(self, method: str, path: str, query: dict | None, headers: dict | None, body: bytes):
        from openapi_core.testing import MockRequest

        headers = {k.lower(): v for k, v in (headers or {}).items()}
        content_type = headers.get("content-type", "application/json").split(";")[0].strip()
        return MockRequest(self.host_url, method.lower(), self._spelled(path), args=query or {}, headers=headers,
                           data=body or None, content_type=content_type)

    def check_request(self, method: str, path: str, *, query: dict | None = None, headers: dict | None = None,
                      body: bytes = b"") -> list[str]:
        where = f"{method} {path}"
        request = self._mock_request(method, path, query, headers, body)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Unsupported scheme type": OAuth 2.0 is not checked
            errors = list(self.openapi.iter_request_errors(request))
        problems = [f"{where}: {_describe(e)}" for e in errors if not _is_security_only(e)]
        operation = self.operation(method, path)
        if operation and body and "requestBody" in operation:
            schema = _json_schema(self.resolve(operation["requestBody"]))
            if schema is not None:
                problems += [f"{where}: {p}" for p in self.undocumented(schema, _json_or_none(body), "body")]
        return problems

    def check_response(self, method: str, path: str, status: int, body: bytes, *, query: dict | None = None,
                       headers: dict | None = None, response_headers: dict | None = None) -> list[str]:
        from openapi_core.testing import MockResponse

        where = f"{method} {path} -> {status}"
        content_type = {k.lower(): v for k, v in (response_headers or {}).items()}.get(
            "content-type", "application/json").split(";")[0].strip()
        request = self._mock_request(method, path, query, headers, b"")
        response = MockResponse(body, status_code=status, headers=response_headers or {}, content_type=content_type)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            errors = list(self.openapi.iter_response_errors(request, response))
        problems = [f"{where}: {_describe(e)}" for e in errors]
        operation = self.operation(method, path) or {}
        declared = (operation.get("responses") or {})
        spec_response = declared.get(str(status)) or declared.get(status) or declared.get("default")
        if spec_response and body:
            schema = _json_schema(self.resolve(spec_response))
            if schema is not None:
                problems += [f"{where}: {p}" for p in self.undocumented(schema, _json_or_none(body), "body")]
        return problems

    def check_schema(self, name: str, instance: object) -> list[str]:
        """``instance`` against ``#/components/schemas/<name>``: its rules and its field names."""
        from jsonschema.validators import validator_for
        from openapi_schema_validator import OAS30Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        registry = Registry().with_resource("urn:recoup:spec", resource)
        schema = {"$ref": f"urn:recoup:spec#/components/schemas/{name}"}
        if str(self.document.get("openapi", "")).startswith("3.0"):
            validator = OAS30Validator(schema, registry=registry)
        else:
            validator = validator_for({"$schema": "https://json-schema.org/draft/2020-12/schema"})(
                schema, registry=registry)
        problems = [f"{name} {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                    for e in validator.iter_errors(instance)]
        return problems + self.undocumented(self.document["components"]["schemas"][name], instance, name)

    def undocumented(self, schema: dict, instance: object, where: str) -> list[str]:
        """Field names in ``instance`` that the schema does not define and no example shows."""
        schema = self.resolve(schema)
        problems: list[str] = []
        if isinstance(instance, dict):
            properties: dict = {}
            open_ended = False
            parts = [schema, *[self.resolve(s) for s in schema.get("allOf", []) + schema.get("anyOf", [])
                               + schema.get("oneOf", [])]]
            for part in parts:
                properties.update(part.get("properties") or {})
                if part.get("additionalProperties") not in (None, False):
                    open_ended = True
            if not properties:
                return problems  # a free-form object
            for key, value in instance.items():
                if key in properties:
                    problems += self.undocumented(properties[key], value, f"{where}/{key}")
                elif not open_ended and key not in self.example_keys:
                    problems.append(f"{where}/{key}: not in the description")
        elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
            for i, item in enumerate(instance):
                problems += self.undocumented(schema["items"], item, f"{where}/{i}")
        return problems


def _is_security_only(error: BaseException) -> bool:
    # openapi-core cannot check OAuth 2.0 bearer tokens; the fakes check them themselves.
    return type(error).__name__ == "SecurityValidationError"


def _json_schema(container: dict) -> dict | None:
    content = (container or {}).get("content") or {}
    for media_type, entry in content.items():
        if "json" in media_type and "schema" in entry:
            return entry["schema"]
    return None


def _json_or_none(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return None


def check_httpx_request(description: Description, request) -> list[str]:
    """Check an outgoing ``httpx.Request`` (or any object shaped like one) against a description."""
    url = urllib.parse.urlsplit(str(request.url))
    query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
    content = getattr(request, "content", b"") or b""
    return description.check_request(request.method, urllib.parse.unquote(url.path), query=query,
                                     headers=dict(request.headers), body=content)


@lru_cache(maxsize=None)
def xero_accounting() -> Description:
    return Description("xero/xero_accounting.yaml", host_url="https://api.xero.com")


@lru_cache(maxsize=None)
def xero_identity() -> Description:
    # Xero's documentation and every client call it /connections; the description spells it /Connections.
    return Description("xero/xero-identity.yaml", host_url="https://api.xero.com",
                       path_aliases={"/connections": "/Connections"})


@lru_cache(maxsize=None)
def xero_webhooks() -> Description:
    return Description("xero/xero-webhooks.yaml", host_url="https://api.xero.com")


def _repair_quickbooks(document: dict) -> None:
    """Read the third-party QuickBooks file as Intuit documents the API, changing no rule.

    - Some status codes are written as bare numbers (``200:``), which YAML reads as integers
      and OpenAPI requires as strings.
    - Payment lines are ``oneOf`` two expense-line schemas that accept the same objects, so
      no line (Intuit's ``{"Amount", "LinkedTxn"}``) could ever match exactly one: read as anyOf.
    """
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"] = {str(k): v for k, v in operation["responses"].items()}
    schemas = document["components"]["schemas"]
    for name in ("Payment", "PaymentCreateObject"):
        items = schemas[name]["properties"]["Line"].get("items") or {}
        if "oneOf" in items:
            items["anyOf"] = items.pop("oneOf")


@lru_cache(maxsize=None)
def quickbooks() -> Description:
    # The file is a third party's and has no examples; Intuit's documentation shows every answer
    # carrying "time", and a deleted entity answered as {"Id", "status": "Deleted", "domain": "QBO"}.
    return Description("quickbooks-online/openapi.yaml", host_url="https://quickbooks.api.intuit.com",
                       tabs_in_text=True, extra_keys=frozenset({"time", "status", "domain"}),
                       repair=_repair_quickbooks)


class StripeShapes:
    """Stripe's own sample objects (fixtures3.json): every object a fake answers must have the
    sample's fields, no others, and values of the same JSON type wherever both are set."""

    LIST_KEYS = frozenset({"object", "data", "has_more", "url"})

    @cached_property
    def resources(self) -> dict[str, dict]:
        return json.loads(spec_path("stripe/fixtures3.json").read_text(encoding="utf-8"))["resources"]

    def sample(self, kind: str) -> dict:
        import copy

        return copy.deepcopy(self.resources[kind])

    def check(self, obj: object, where: str = "") -> list[str]:
        if not isinstance(obj, dict) or not isinstance(obj.get("object"), str):
            return [f"{where or '(root)'}: not a Stripe object"]
        kind = ("deleted_" if obj.get("deleted") else "") + str(obj["object"])
        where = where or kind
        if kind == "list":
            problems = [f"{where}: list field {k!r} is not Stripe's" for k in set(obj) ^ self.LIST_KEYS]
            for i, item in enumerate(obj.get("data") or []):
                problems += self.check(item, f"{where}/data/{i}")
            return problems
        sample = self.resources.get(kind)
        if sample is None:
            return [f"{where}: Stripe has no object {kind!r}"]
        problems = [f"{where}/{k}: missing" for k in sorted(set(sample) - set(obj))]
        return problems + self._compare(sample, obj, where)

    def _compare(self, sample: dict, obj: dict, where: str) -> list[str]:
        problems = []
        for key, value in obj.items():
            if key not in sample:
                problems.append(f"{where}/{key}: not in Stripe's sample {obj.get('object', 'object')}")
                continue
            expected = sample[key]
            if value is None or expected is None:
                continue
            if isinstance(value, dict) and isinstance(value.get("object"), str):
                problems += self.check(value, f"{where}/{key}")
            elif isinstance(value, dict) and isinstance(expected, dict):
                if expected:  # an empty sample dict ({} for metadata and the like) is free-form
                    problems += self._compare(expected, value, f"{where}/{key}")
            elif _json_type(value) != _json_type(expected):
                problems.append(f"{where}/{key}: {_json_type(value)} where Stripe has {_json_type(expected)}")
            elif isinstance(value, list) and expected and isinstance(expected[0], dict):
                for i, item in enumerate(value):
                    problems += (self.check(item, f"{where}/{key}/{i}") if isinstance(item.get("object"), str)
                                 else self._compare(expected[0], item, f"{where}/{key}/{i}"))
        return problems


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, (float, Decimal)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)


@lru_cache(maxsize=None)
def stripe_shapes() -> StripeShapes:
    return StripeShapes()
