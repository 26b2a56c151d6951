"""schemathesis against the live OpenAPI schema of /api/v1/, through the Django WSGI app.

A handful of generated requests per operation (``MAX_EXAMPLES``), with a write token of one
organization that has a little data: no answer may be a server error, and every answer must
be documented (status code and content type) and match its schema.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from recoup.api.schema_file import schema_text
from recoup.wsgi import application

MAX_EXAMPLES = 3
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_dict(json.loads(schema_text()))
schema.app = application


@pytest.fixture
def keep_connection():
    """What Django's test client does: the WSGI app must not close the test's connection after a request
    (on PostgreSQL that would end the test transaction)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(keep_connection, org_a, system, now, make_customer, make_invoice, settings):
    from recoup.api.actions import token_create

    settings.RECOUP_API_RATE_LIMIT = 100000
    customer = make_customer(org_a)
    make_invoice(org_a, customer, "INV-1", "100.00")
    return token_create(org=org_a, name="schemathesis", scope="write", actor=system, now=now)[1]


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_answers_match_the_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
