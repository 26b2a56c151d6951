"""The committed OpenAPI schema (docs/openapi.json): how it is made, so a test can compare."""

from __future__ import annotations

import json

REGENERATE = ".venv/bin/recoup api-schema --output docs/openapi.json"


def schema_text() -> str:
    from recoup.api.api import api

    return json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), indent=2, sort_keys=True,
                      ensure_ascii=False) + "\n"
