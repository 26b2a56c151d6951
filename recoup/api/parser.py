"""Reading query strings and JSON bodies: a NUL character anywhere is refused, naming the field.

No text Recoup keeps may hold NUL (PostgreSQL refuses it, with an error that would be a 500), and
no input has a use for it, so the API refuses it where every input is read: each query parameter
and each string (or key) in a JSON body, before any view or query sees it.
"""

from __future__ import annotations

import json
from typing import Any

from ninja.parser import Parser

from recoup.api.problems import ApiProblem


def _refuse(field: str) -> ApiProblem:
    return ApiProblem(422, f"{field}: contains a NUL character",
                      errors=[{"field": field, "message": "contains a NUL character"}])


def check_no_nul(value: Any, field: str = "") -> None:
    """Raise a 422 ApiProblem naming the first string (or key) in ``value`` that holds a NUL."""
    if isinstance(value, str):
        if "\x00" in value:
            raise _refuse(field or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{field}.{key}" if field else str(key)
            if "\x00" in str(key):
                raise _refuse(name.replace("\x00", "\\u0000"))
            check_no_nul(item, name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_no_nul(item, f"{field}.{i}" if field else str(i))


class NulRefusingParser(Parser):
    def parse_body(self, request):
        data = json.loads(request.body)
        check_no_nul(data)
        return data

    def parse_querydict(self, data, list_fields, request):
        for key in data.keys():
            if "\x00" in key:
                raise _refuse(key.replace("\x00", "\\u0000"))
            for value in data.getlist(key):
                check_no_nul(value, key)
        return super().parse_querydict(data, list_fields, request)
