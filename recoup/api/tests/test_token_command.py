"""``recoup api-token``: a token made on the command line is printed once, works, lists without its secret,
and stops working when revoked."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from recoup.api.models import ApiToken
from recoup.api.tests.conftest import ApiClient
from recoup.audit.models import AuditEvent

NOW = "2026-03-31T10:00:00+00:00"


def token_cmd(*args, fmt=None) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("api-token", *args, "--now", NOW, *(["--format", fmt] if fmt else []), stdout=out, stderr=err)
    return out.getvalue()


def test_a_token_made_on_the_command_line_is_shown_once_works_and_is_revoked(org_a, org_b):
    text = token_cmd("create", "accounting sync", "--scope", "write", "--org", "acme").strip()
    row = ApiToken.objects.for_org(org_a).get()
    assert text.startswith(f"rcp_{row.prefix}_") and text not in row.token_hash, "only the hash is stored"
    assert ApiClient(text).get("/customers").status_code == 200
    listed = json.loads(token_cmd("list", "--org", "acme", fmt="json"))
    assert [(r["name"], r["scope"], r["revoked_at"]) for r in listed] == [("accounting sync", "write", None)]
    assert text not in json.dumps(listed)
    assert AuditEvent.objects.for_org(org_a).get(verb="api.token_created").actor_label == "recoup api-token"
    assert "revoked" in token_cmd("revoke", row.prefix, "--org", "acme")
    assert ApiClient(text).get("/customers").status_code == 401
    assert json.loads(token_cmd("list", "--org", "acme", fmt="json"))[0]["revoked_at"] == "2026-03-31T10:00:00+00:00"


def test_json_carries_the_token_once_and_bad_input_is_named(org_a, org_b):
    made = json.loads(token_cmd("create", "reports", "--org", "acme", fmt="json"))
    assert made["scope"] == "read" and made["token"].startswith(f"rcp_{made['prefix']}_")
    with pytest.raises(CommandError, match="name: a token needs a name"):
        token_cmd("create", "  ", "--org", "acme")
    with pytest.raises(CommandError, match=f"no API token '{made['prefix']}' in bolt"):
        token_cmd("revoke", made["prefix"], "--org", "bolt")
