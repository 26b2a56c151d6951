"""In Chromium, a guard over every page: each role follows the links from the dashboard of a demo business and a
debtor the links of the portal, all on a 390 px phone. Every page answers without an error and without a console
error (a Content-Security-Policy refusal is one), fits the phone without scrolling sideways, has no serious or
critical accessibility violation by axe-core (tests/browser/accessibility.py), and every page of an organization
that needs no particular record is linked from somewhere: none is reachable only by typing its address."""

from __future__ import annotations

import re
from collections import deque
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

import pytest

from tests.browser.accessibility import serious_violations
from tests.browser.conftest import log_in, watch_console

PASSWORD = "demo-pass-123"
DOWNLOADS = (".pdf", ".csv", ".xlsx", ".yaml", ".zip", ".svg", ".json", ".txt")
PHONE = {"width": 390, "height": 844}
RAW_DECIMAL = re.compile(r"(?<![\w.])\d+\.\d{4,}(?![\w.])")  # "160.958904": shown numbers are rounded for people
RAW_AMOUNT = re.compile(r"(?<![\w.,])-?\d+\.\d{2} [A-Z]{3}(?![\w-])")  # "16260.40 GBP": amounts are shown as "£16,260.40"
PROSE = """() => { const b = document.body.cloneNode(true);
  b.querySelectorAll('code, pre, textarea, select, script, style').forEach(e => e.remove());
  b.querySelectorAll('td, th, li, p, dd, dt, span, a, h1, h2, h3').forEach(e => e.append(' '));
  return b.textContent; }"""
ISO_DAY = re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])")  # "2026-12-06": days are shown as "6 Dec 2026"


@pytest.fixture
def demo(db):
    from recoup.demo.build import demo_build
    from recoup.ledger.models import Customer
    from recoup.portal.actions import token_issue
    from recoup.audit.actions import Actor

    now = datetime.now(timezone.utc)
    org = demo_build(today=date.today(), now=now, password=PASSWORD, customers=6, years=1, slug="oakline").org
    customer = Customer.objects.for_org(org).filter(invoices__open_minor__gt=0).distinct().first()
    _, secret = token_issue(org=org, customer=customer, actor=Actor.system("test"), now=now)
    return org, f"/p/{secret}/"


def _page_names_without_records(client, slug: str) -> set[str]:
    """The organization's pages that take no record id: each must be linked from somewhere."""
    from django.urls import NoReverseMatch, get_resolver, reverse

    names = set()
    for name in get_resolver().reverse_dict:
        if not isinstance(name, str):
            continue
        try:
            path = reverse(name, kwargs={"slug": slug})
        except NoReverseMatch:
            continue
        if not path.startswith(f"/o/{slug}/") or path.endswith(DOWNLOADS):
            continue
        response = client.get(path)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            names.add(name)
    return names


def _crawl(page, base: str, start: str, inside: str) -> tuple[set[str], list[str]]:
    """Visit the pages linked from ``start`` under ``inside``: one address per view (and query-less first)."""
    from django.urls import Resolver404, resolve

    seen_views: set[str] = {resolve(urlsplit(start).path).view_name}
    problems: list[str] = []
    queue, queued = deque([start]), {start}
    while queue:
        path = queue.popleft()
        response = page.goto(base + path)
        if response is None or response.status >= 400:
            problems.append(f"{path}: HTTP {response.status if response else '?'}")
            continue
        text = page.inner_text("body")
        raw = RAW_DECIMAL.findall(text)
        if raw:
            problems.append(f"{path}: numbers printed with raw precision: {raw[:3]}")
        prose = page.evaluate(PROSE)  # machine values in code, pre and form fields may stay ISO
        for pattern, what in ((RAW_AMOUNT, "amounts"), (ISO_DAY, "days")):
            if pattern.findall(prose):
                problems.append(f"{path}: {what} not in the reader's format: {pattern.findall(prose)[:3]}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{path}: {width} px wide on a {PHONE['width']} px phone")
        problems += [f"{path}: {violation}" for violation in serious_violations(page)]
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            parts = urlsplit(href)
            if parts.netloc != urlsplit(base).netloc or not parts.path.startswith(inside):
                continue
            if parts.path.endswith(DOWNLOADS) or "logout" in parts.path:
                continue
            try:
                view = resolve(parts.path).view_name
            except Resolver404:
                problems.append(f"{path} links to {parts.path}, which is no page")
                continue
            target = parts.path + (f"?{parts.query}" if parts.query and view in seen_views else "")
            if view in seen_views or target in queued:
                continue
            seen_views.add(view)
            queued.add(target)
            queue.append(target)
    return seen_views, problems


@pytest.mark.browser
@pytest.mark.parametrize("role", ["owner", "collector", "viewer"])
def test_every_operator_page_is_linked_and_loads_cleanly(live_server, demo, client, chromium_page, role):
    from recoup.orgs.models import Membership

    org, _ = demo
    client.force_login(Membership.objects.get(org=org, role=role).user)
    # The review queue is in the menu while drafts wait or the organization reviews before sending.
    must_be_linked = _page_names_without_records(client, org.slug) - {"review_list"}
    with chromium_page() as page:
        page.set_viewport_size(PHONE)
        errors = watch_console(page)
        log_in(page, live_server.url, role, PASSWORD)
        reached, problems = _crawl(page, live_server.url, f"/o/{org.slug}/", f"/o/{org.slug}/")
    assert problems == [], "\n".join(problems)
    assert errors == []
    assert sorted(must_be_linked - reached) == [], "pages reachable only by typing their address"


@pytest.mark.browser
def test_every_portal_page_loads_cleanly_and_fits_a_phone(live_server, demo, chromium_page):
    _, start = demo
    with chromium_page() as page:
        page.set_viewport_size(PHONE)
        errors = watch_console(page)
        reached, problems = _crawl(page, live_server.url, start, start)
    assert len(reached) >= 5, reached  # home, bank transfer, pay, plan, promise, dispute, message, preferences
    assert problems == [], "\n".join(problems)
    assert errors == []
