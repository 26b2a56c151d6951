"""In Chromium: 403, 404 and 500 are Recoup pages with Recoup's look, the navigation for a signed-in user, and the
portal's look under /p/; the 500 page needs neither the database nor a signed-in user."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in


@pytest.fixture
def members(org_a, system, now):
    from recoup.orgs.actions import member_add

    for username, role in (("olivia", "owner"), ("victor", "viewer")):
        member_add(org=org_a, username=username, role=role, password="correct horse battery", actor=system, now=now)
    return org_a


@pytest.fixture
def raising_urls(settings):
    settings.ROOT_URLCONF = "tests.browser.error_urls"
    settings.DEBUG = False


def _styled(page) -> None:
    """Recoup's stylesheet is applied: its header has a dark background, not the browser's default."""
    background = page.evaluate("getComputedStyle(document.body.firstElementChild.nextElementSibling)"
                               ".backgroundColor")
    assert background not in ("", "rgba(0, 0, 0, 0)", "transparent"), background


@pytest.mark.browser
def test_a_missing_page_is_a_recoup_page_with_the_navigation(live_server, members, chromium_page):
    from playwright.sync_api import expect

    with chromium_page() as page:
        log_in(page, live_server.url, "olivia", "correct horse battery")
        for path in ("/o/acme/customers/999999/", "/o/acme/no-such-page/"):
            response = page.goto(live_server.url + path)
            assert response.status == 404
            expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
            expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers")).to_be_visible()
            _styled(page)


@pytest.mark.browser
def test_a_refusal_is_a_recoup_page_that_says_why(live_server, members, chromium_page):
    from playwright.sync_api import expect

    with chromium_page() as page:
        log_in(page, live_server.url, "victor", "correct horse battery")
        response = page.goto(live_server.url + "/o/acme/settings/")
        assert response.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
        expect(page.get_by_role("main")).to_contain_text("Your role (Viewer) may not do this.")
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard")).to_be_visible()
        _styled(page)


@pytest.mark.browser
def test_a_server_error_is_a_recoup_page_in_the_operator_ui_and_in_the_portal(live_server, members, raising_urls,
                                                                            chromium_page):
    from playwright.sync_api import expect

    with chromium_page() as page:
        log_in(page, live_server.url, "olivia", "correct horse battery")
        response = page.goto(live_server.url + "/o/acme/boom/")
        assert response.status == 500
        expect(page.get_by_role("heading", level=1)).to_have_text("Something went wrong")
        expect(page.get_by_role("link", name="Recoup", exact=True)).to_be_visible()
        assert "a bug the error page must not show" not in page.content()
        _styled(page)

        response = page.goto(live_server.url + "/p/boom-link-for-tests/boom/")
        assert response.status == 500
        expect(page.get_by_role("heading", level=1)).to_have_text("Something went wrong")
        expect(page.get_by_role("navigation", name="Main")).to_have_count(0)  # a debtor sees no operator menu
        assert page.locator("link[rel=stylesheet]").get_attribute("href").endswith("portal/portal.css")
        _styled(page)
