"""docs/openapi.json is the schema the API serves."""

from __future__ import annotations

import json
from pathlib import Path

from django.test import Client

from recoup.api.schema_file import REGENERATE, schema_text

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


def test_the_committed_schema_is_current(db):
    current = json.loads(schema_text())
    committed = json.loads(COMMITTED.read_text(encoding="utf-8")) if COMMITTED.exists() else None
    assert committed == current, f"docs/openapi.json is out of date; regenerate it with: {REGENERATE}"


def test_the_schema_and_docs_are_served(db):
    r = Client().get("/api/v1/openapi.json")
    assert r.status_code == 200 and "/api/v1/invoices" in r.json()["paths"]
    assert Client().get("/api/v1/docs").status_code == 200
