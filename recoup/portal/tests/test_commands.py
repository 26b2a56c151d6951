"""The portal-link and payment-provider commands, as the operator runs them."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def _json(*args) -> dict:
    out = StringIO()
    call_command(*args, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def test_a_link_is_printed_rotated_and_revoked(client, org_a, org_b, make_customer):
    make_customer(org_a, ref="C042")
    first = _json("portal-link", "--org", "acme", "C042")
    path = first["portal_url"].split("8000", 1)[1]
    assert client.get(path).status_code == 200 and first["preferences_url"].endswith("/preferences/")
    second = _json("portal-link", "--org", "acme", "C042", "--rotate")
    assert client.get(path).status_code == 404
    assert _json("portal-link", "--org", "acme", "C042", "--revoke") == {"customer": "C042", "revoked": 1}
    assert client.get(second["portal_url"].split("8000", 1)[1]).status_code == 404
    with pytest.raises(CommandError, match="no customer 'C042' in bolt"):
        call_command("portal-link", "--org", "bolt", "C042")


def test_the_provider_is_configured_and_the_webhook_url_printed(org_a):
    data = _json("payment-provider", "--org", "acme", "--secret-key", "sk_live_x", "--webhook-secret", "whsec_x")
    assert data["webhook_url"].endswith("/hooks/payments/stripe/acme/") and data["enabled"]
    with pytest.raises(CommandError, match="api_base"):
        call_command("payment-provider", "--org", "acme", "--secret-key", "k", "--webhook-secret", "s",
                     "--api-base", "http://evil.example")
