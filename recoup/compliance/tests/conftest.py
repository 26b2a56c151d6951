"""Members of org_a (owner, viewer) and org_b, as in the web tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def members(org_a, org_b, system, now):
    from recoup.orgs.actions import member_add

    made = {role: member_add(org=org_a, username=f"a-{role}", role=role, actor=system, now=now).user
            for role in ("owner", "collector", "viewer")}
    made["outsider"] = member_add(org=org_b, username="b-owner", role="owner", actor=system, now=now).user
    return made


@pytest.fixture
def as_user(client, members, monkeypatch, now):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: now)

    def login(role: str):
        client.force_login(members[role])
        return client

    return login
