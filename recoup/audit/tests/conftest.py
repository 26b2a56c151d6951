"""Fixtures of the audit tests."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.fixture
def as_database_superuser(request):
    """Tampering happens as someone who can switch the PostgreSQL trigger off (a superuser); the tests
    marked ``postgres`` check the trigger itself and keep it on."""
    if connection.vendor == "postgresql" and not request.node.get_closest_marker("postgres"):
        request.getfixturevalue("db")
        with connection.cursor() as cur:
            cur.execute("SET session_replication_role = replica")
        yield
        with connection.cursor() as cur:
            cur.execute("SET session_replication_role = DEFAULT")
    else:
        yield
