"""In Chromium: an owner finds the API page from Settings, reads the interactive API docs (served by Recoup,
nothing blocked by its own Content-Security-Policy), and the API's root and a trailing slash lead somewhere."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import log_in, watch_console


@pytest.fixture
def owner(org_a, system, now):
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olivia", role="owner", password="correct horse battery", actor=system, now=now)
    return org_a


@pytest.mark.browser
def test_settings_links_to_the_api_page_and_its_interactive_docs_render(live_server, owner, chromium_page):
    from playwright.sync_api import expect

    with chromium_page() as page:
        errors = watch_console(page)
        log_in(page, live_server.url, "olivia", "correct horse battery")
        page.get_by_role("link", name="Settings").first.click()
        page.get_by_role("navigation", name="Settings").get_by_role("link", name="API and webhooks").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("API and webhooks")
        page.get_by_role("link", name="interactive docs").click()
        # Swagger UI drew the schema: its title and an operation of the API.
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Recoup API")
        expect(page.locator(".opblock-summary-path").first).to_be_visible()
        assert not [e for e in errors if "cdn" in e.lower() or "Content Security Policy" in e], errors
        assert errors == []


@pytest.mark.browser
def test_the_api_root_answers_and_a_trailing_slash_reaches_the_resource(live_server, chromium_page):
    with chromium_page() as page:
        root = page.request.get(live_server.url + "/api/v1/", headers={"Accept": "application/json"})
        assert root.status == 200
        body = root.json()
        assert body["docs"].endswith("/api/v1/docs") and body["openapi"].endswith("/api/v1/openapi.json")

        page.goto(live_server.url + "/api/v1/")  # a person typing the address lands on the docs
        assert page.url.endswith("/api/v1/docs")

        slash = page.request.get(live_server.url + "/api/v1/customers/?limit=5", max_redirects=0)
        assert slash.status == 308 and slash.headers["location"] == "/api/v1/customers?limit=5"
        followed = page.request.get(live_server.url + "/api/v1/customers/")
        assert followed.status == 401  # the resource itself: it asks for a token, it is not "not found"
        assert "API token" in json.loads(followed.text())["detail"]
