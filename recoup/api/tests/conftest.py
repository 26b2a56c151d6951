"""Tokens for the two shared organizations, and a client that speaks JSON with one of them."""

from __future__ import annotations

import json

import pytest
from django.test import Client


class ApiClient:
    def __init__(self, token: str):
        self.token = token
        self.client = Client()

    def call(self, method: str, path: str, body=None, **headers):
        extra = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}
        extra.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
        data = json.dumps(body) if body is not None else None
        return getattr(self.client, method.lower())(f"/api/v1{path}", data=data, content_type="application/json",
                                                    **extra)

    def get(self, path, **headers):
        return self.call("GET", path, **headers)

    def post(self, path, body=None, **headers):
        return self.call("POST", path, body if body is not None else {}, **headers)

    def patch(self, path, body, **headers):
        return self.call("PATCH", path, body, **headers)

    def delete(self, path, **headers):
        return self.call("DELETE", path, **headers)


def _token(org, scope, system, now):
    from recoup.api.actions import token_create

    return token_create(org=org, name=f"{scope} token", scope=scope, actor=system, now=now)[1]


@pytest.fixture
def api_a(org_a, system, now):
    return ApiClient(_token(org_a, "write", system, now))


@pytest.fixture
def api_a_read(org_a, system, now):
    return ApiClient(_token(org_a, "read", system, now))


@pytest.fixture
def api_b(org_b, system, now):
    return ApiClient(_token(org_b, "write", system, now))
