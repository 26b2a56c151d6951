"""One format for people: every operator page of a demo business, reached by following links from the
dashboard, shows amounts and days in the organization's locale: never "16260.40 GBP" or "2026-12-06" in
visible text (machine values in attributes, code and form fields are left alone). And a page reads
"£16,260.40" for a British business, "16.260,40 €" for a German one."""

from __future__ import annotations

import re
from collections import deque
from datetime import date, datetime, timezone
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

RAW_AMOUNT = re.compile(r"(?<![\w.,])-?\d+\.\d{2} [A-Z]{3}(?![\w-])")
ISO_DAY = re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])")
DOWNLOADS = (".pdf", ".csv", ".xlsx", ".yaml", ".zip", ".svg", ".json", ".txt")
HIDDEN = {"script", "style", "code", "pre", "textarea", "select", "template"}


class _Text(HTMLParser):
    """The text a person reads, and the page's links."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self.hidden += 1
        if tag == "a":
            self.links += [v for k, v in attrs if k == "href" and v]

    def handle_endtag(self, tag):
        if tag in HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def _read(html: str) -> tuple[str, list[str]]:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts), parser.links


@pytest.fixture
def demo(db):
    from recoup.demo.build import demo_build

    now = datetime.now(timezone.utc)
    return demo_build(today=date.today(), now=now, password="demo-pass-123", customers=6, years=1,
                      slug="oakline").org


def _crawl(client, start: str, inside: str, limit: int = 120) -> tuple[int, list[str]]:
    from django.urls import Resolver404, resolve

    seen_views: set[str] = set()
    problems: list[str] = []
    queue, queued, visited = deque([start]), {start}, 0
    while queue and visited < limit:
        path = queue.popleft()
        response = client.get(path)
        visited += 1
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        text, links = _read(response.content.decode())
        for pattern, what in ((RAW_AMOUNT, "amounts"), (ISO_DAY, "days")):
            if pattern.search(text):
                problems.append(f"{path}: {what} not in the reader's format: {pattern.findall(text)[:3]}")
        for href in links:
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith(inside) or parts.path.endswith(DOWNLOADS):
                continue
            if "logout" in parts.path:
                continue
            try:
                view = resolve(parts.path).view_name
            except Resolver404:
                continue
            if view in seen_views or parts.path in queued:
                continue
            seen_views.add(view)
            queued.add(parts.path)
            queue.append(parts.path)
    return visited, problems


def test_no_operator_page_shows_a_raw_amount_or_an_iso_day(demo, client):
    from recoup.orgs.models import Membership

    client.force_login(Membership.objects.get(org=demo, role="owner").user)
    visited, problems = _crawl(client, f"/o/{demo.slug}/", f"/o/{demo.slug}/")
    assert visited > 25
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(("locale", "country", "amount", "day"), [
    ("en_GB", "GB", "£16,260.40", "6 Dec 2026"),
    ("de_DE", "DE", "16.260,40\xa0€", "06.12.2026"),
])
def test_the_invoice_page_reads_in_the_organizations_locale(db, system, make_customer, make_invoice, client,
                                                            locale, country, amount, day):
    from recoup.orgs.actions import member_add, org_create

    currency = "GBP" if country == "GB" else "EUR"
    org = org_create(slug=f"o-{country.lower()}", legal_name="Shop", currency=currency, country=country,
                     timezone="Europe/London", locale=locale, actor=system,
                     now=datetime(2026, 12, 1, tzinfo=timezone.utc))
    customer = make_customer(org, ref="C1", name="Buyer")
    invoice = make_invoice(org, customer, "INV-1", "16260.40", issue=date(2026, 11, 6), due=date(2026, 12, 6))
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    client.force_login(member_add(org=org, username=f"owner-{country}", role="owner", actor=system, now=now).user)
    for path in (f"/o/{org.slug}/invoices/{invoice.pk}/", f"/o/{org.slug}/customers/{customer.pk}/"):
        text, _ = _read(client.get(path).content.decode())
        assert amount in text, path
        assert day in text, path
        assert not RAW_AMOUNT.search(text) and not ISO_DAY.search(text), path


@pytest.mark.parametrize(("locale", "rate", "shown"), [
    ("en_GB", "12.250", "12.25"), ("de_DE", "12.250", "12,25"), ("fr_FR", "8", "8"), ("en_GB", "0.50", "0.5"),
    ("es_ES", "1E+1", "10"),
])
def test_a_rate_reads_in_the_readers_locale_without_trailing_zeros(locale, rate, shown):
    from decimal import Decimal

    from django.template import Context, Template

    page = Template("{% load recoup_web %}{% percent rate %}").render(
        Context({"rate": Decimal(rate), "reader_locale": locale}))
    assert page == shown
