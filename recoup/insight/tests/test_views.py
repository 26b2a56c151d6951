"""The insight pages, exports, credit checks and the credit warning on new invoices, as a user sees them."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse


@pytest.fixture
def login(client, org_a, org_b, system, now):
    from recoup.orgs.actions import member_add

    users = {role: member_add(org=org_a, username=f"a-{role}", role=role, actor=system, now=now).user
             for role in ("collector", "viewer")}
    users["outsider"] = member_add(org=org_b, username="b-owner", role="owner", actor=system, now=now).user

    def as_(who):
        client.force_login(users[who])
        return client
    return as_


@pytest.fixture
def clock(monkeypatch, now):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: now)


def test_the_insight_page_shows_the_metrics_charts_and_tables(example, login, clock):
    page = login("viewer").get(reverse("insight_home", args=["acme"])).content.decode()
    assert "54.0 days" in page and "65.2 days" in page and "36.4%" in page and "41.7%" in page
    assert page.count("<svg") >= 2 and "<details" in page
    assert "Birch Ltd" in page and "over credit limit +10" in page and "Decoy" not in page


def test_the_forecast_page_has_a_chart_with_a_range_and_the_work_queue(example, login, clock):
    page = login("viewer").get(reverse("insight_forecast", args=["acme"])).content.decode()
    assert 'class="range"' in page and "Work queue" in page and "INV-3" in page
    assert "too little history" in page.lower()


def test_the_dashboard_adds_aging_dso_and_forecast_charts(example, login, clock):
    page = login("viewer").get(reverse("dashboard", args=["acme"])).content.decode()
    assert "At a glance" in page and "Aging trend GBP" in page and "DSO by month end GBP" in page
    assert "Expected collections by week GBP" in page


def test_exports_in_csv_and_xlsx_hold_the_table(example, login, clock):
    from openpyxl import load_workbook

    client = login("viewer")
    url = reverse("insight_export", args=["acme", "trend", "csv"]) + "?as_of=2026-03-31"
    rows = list(csv.reader(io.StringIO(client.get(url).content.decode())))
    assert rows[0][:3] == ["Month end", "current", "1-30"] and rows[-1][:3] == ["2026-03-31", "2500.00", "3500.00"]
    response = client.get(reverse("insight_export", args=["acme", "risk", "xlsx"]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    refs = [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)]
    assert sorted(refs) == ["A", "B"]
    assert client.get(reverse("insight_export", args=["acme", "secrets", "csv"])).status_code == 404


def test_another_organizations_member_gets_nothing(example, login, clock):
    client = login("outsider")
    for name, args in [("insight_home", []), ("insight_forecast", []), ("insight_export", ["risk", "csv"]),
                       ("insight_credit_checks", [])]:
        assert client.get(reverse(name, args=["acme", *args])).status_code == 404


def test_a_credit_check_is_recorded_with_a_yearly_review(example, login, clock):
    from recoup.audit.models import AuditEvent
    from recoup.insight.models import CreditCheck

    client = login("collector")
    response = client.post(reverse("insight_credit_check_new", args=["acme"]), {
        "customer": example["a"].pk, "checked_on": "2025-04-15", "source": "Creditsafe", "score": "72/100",
        "references": "Bank of Example", "documents": "2024 accounts", "decision": "limit", "credit_limit": "5000.00",
    })
    assert response.status_code == 302
    check = CreditCheck.objects.get()
    assert (check.review_on, check.credit_limit_minor, check.org.slug) == (date(2026, 4, 15), 500000, "acme")
    assert AuditEvent.objects.filter(verb="credit_check.recorded").count() == 1
    page = client.get(reverse("insight_credit_checks", args=["acme"])).content.decode()
    assert "Due for yearly review" in page and "Alder Ltd" in page


def test_a_credit_check_cannot_name_another_organizations_customer(example, login, clock, org_b, make_customer):
    from recoup.insight.models import CreditCheck

    theirs = make_customer(org_b, ref="X9", name="Theirs")
    response = login("collector").post(reverse("insight_credit_check_new", args=["acme"]), {
        "customer": theirs.pk, "checked_on": "2026-03-01", "source": "Agency", "decision": "approved"})
    assert response.status_code == 200 and "valid choice" in response.content.decode()
    assert not CreditCheck.objects.exists()


def _new_invoice(client, customer, amount):
    return client.post(reverse("invoice_new", args=["acme"]), {
        "customer": customer.pk, "number": f"N-{amount}", "issue_date": "2026-03-31", "due_date": "2026-04-30",
        "currency": "GBP", "terms": "", "po_number": "", "description": "",
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000",
        "lines-0-description": "Goods", "lines-0-quantity": "1", "lines-0-unit_price": amount, "lines-0-tax_rate": "0",
    }, follow=True)


def test_a_new_invoice_over_the_credit_limit_is_issued_with_a_warning(example, login, clock):
    from recoup.ledger.models import Invoice

    client = login("collector")
    page = _new_invoice(client, example["b"], "10.00").content.decode()  # B owes 3,500.00; limit 3,000.00
    assert Invoice.objects.filter(number="N-10.00").exists()
    assert "over its credit limit" in page


def test_a_customer_on_credit_hold_is_warned_about_before_and_after(example, login, clock):
    from recoup.ledger.models import CustomerStatus, Invoice

    a = example["a"]
    a.status = CustomerStatus.CREDIT_HOLD
    a.save(update_fields=["status"])
    client = login("collector")
    form = client.get(reverse("invoice_new", args=["acme"]) + f"?customer={a.pk}").content.decode()
    assert "on credit hold" in form
    page = _new_invoice(client, a, "20.00").content.decode()
    assert Invoice.objects.filter(number="N-20.00").exists() and "on credit hold" in page
    assert "over its credit limit" not in page  # A has no limit
