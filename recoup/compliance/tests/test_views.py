"""The rules page: rules in force, rate series with an owner's form, the calculator; and the limitation box."""

from __future__ import annotations

from datetime import date

from django.template import Context, Template
from django.urls import reverse

from recoup.compliance.models import RatePoint
from recoup.compliance.selectors import limitation_for_invoice
from recoup.ledger.actions import payment_record


def url(slug="acme"):
    return reverse("rules_home", args=[slug])


def test_the_page_shows_the_organizations_rules_and_rate_series(as_user):
    page = as_user("viewer").get(url()).content.decode()
    assert "GB.late-payment-act.interest" in page and "Late Payment of Commercial Debts" in page
    assert "GB.breathing-space" in page and "Bank of England Bank Rate" in page and "18 Dec 2025" in page
    assert "Add a rate" not in page  # only owners add rates


def test_the_calculator_computes_the_worked_example(as_user):
    page = as_user("viewer").get(url(), {"jurisdiction": "GB", "debtor": "business", "amount": "1000.00",
                                        "currency": "GBP", "due": "2025-03-31", "paid": "2025-04-30"}).content.decode()
    assert "£10.48" in page and "£80.48" in page and "GB.late-payment-act.compensation" in page
    assert "10.479452" not in page  # the exact period interest is for the sum, not for reading
    missing = as_user("viewer").get(url(), {"jurisdiction": "EU", "debtor": "business", "amount": "100",
                                           "currency": "EUR", "due": "2026-06-01", "paid": "2026-08-01"})
    assert "No ECB rate is known for 1 Jul 2026" in missing.content.decode()
    bad = as_user("viewer").get(url(), {"jurisdiction": "GB", "debtor": "business", "amount": "1,000",
                                       "currency": "GBP", "due": "2025-03-31", "paid": "2025-04-30"})
    assert "not an amount" in bad.content.decode()


def test_an_owner_adds_a_rate_and_only_their_organization_sees_it(as_user, org_a):
    client = as_user("owner")
    response = client.post(url(), {"rate-series": "ecb-mro", "rate-effective_from": "2026-07-01",
                                   "rate-percent": "1.90", "rate-note": "ECB decision"})
    assert response.status_code == 302
    assert RatePoint.objects.get().org == org_a
    assert "1.9" in client.get(url()).content.decode()
    again = client.post(url(), {"rate-series": "ecb-mro", "rate-effective_from": "2026-07-01", "rate-percent": "2"})
    assert "already has a point" in again.content.decode()
    outsider = as_user("outsider")
    assert outsider.get(url("bolt")).status_code == 200
    assert "ECB decision" not in outsider.get(url("bolt")).content.decode()
    assert "2026-07-01" not in outsider.get(url("bolt")).content.decode()


def test_viewers_may_not_add_rates_and_outsiders_do_not_see_the_page(as_user):
    viewer = as_user("viewer")
    assert viewer.post(url(), {"rate-series": "ecb-mro", "rate-effective_from": "2026-07-01",
                               "rate-percent": "2"}).status_code == 403
    assert not RatePoint.objects.exists()
    assert as_user("outsider").get(url()).status_code == 404


def test_limitation_of_an_invoice_restarts_with_a_part_payment(org_a, org_b, make_customer, make_invoice, system, now):
    customer = make_customer(org_a, ref="C1", country="GB")
    invoice = make_invoice(org_a, customer, "A-1", "100.00", issue=date(2020, 1, 1), due=date(2020, 1, 31))
    lim = limitation_for_invoice(invoice, on=date(2026, 1, 10))
    assert (lim.rule.id, lim.last_day, lim.status(date(2026, 1, 10))) == ("GB.limitation-act.contract",
                                                                          date(2026, 1, 31), "warning_30")
    payment_record(org=org_a, customer=customer, date=date(2023, 6, 1), amount_minor=1000, currency="GBP",
                   actor=system, now=now, invoice=invoice)
    assert limitation_for_invoice(invoice, on=date(2023, 5, 31)).last_day == date(2026, 1, 31)
    assert limitation_for_invoice(invoice, on=date(2026, 1, 10)).last_day == date(2029, 6, 1)
    # A Californian consumer of org_b: open book account, 4 years; the org_a payment does not count.
    ca = make_customer(org_b, ref="B1", country="US", region="CA", kind="consumer")
    ca_invoice = make_invoice(org_b, ca, "B-1", "50.00", issue=date(2020, 1, 1), due=date(2020, 1, 31))
    assert limitation_for_invoice(ca_invoice, on=date(2024, 2, 1)).status(date(2024, 2, 1)) == "barred"


def test_the_limitation_box_renders_for_the_invoice_page(org_a, make_customer, make_invoice):
    customer = make_customer(org_a, ref="C1")  # no country: the organization's (GB)
    invoice = make_invoice(org_a, customer, "A-1", "100.00", issue=date(2020, 1, 1), due=date(2020, 1, 31))
    html = Template("{% load compliance %}{% limitation_box invoice on %}").render(
        Context({"invoice": invoice, "on": date(2026, 2, 1)}))
    assert "Time-barred since 1 Feb 2026" in html and "GB.limitation-act.contract" in html
    running = Template("{% load compliance %}{% limitation_box invoice on %}").render(
        Context({"invoice": invoice, "on": date(2025, 1, 1)}))
    assert "Last day to sue: <strong>31 Jan 2026</strong>" in running
    swiss = make_customer(org_a, ref="C2", country="CH")  # a business debt follows the seller's law (GB)
    other = make_invoice(org_a, swiss, "A-2", "100.00", issue=date(2020, 1, 1), due=date(2020, 1, 31))
    assert limitation_for_invoice(other, on=date(2025, 1, 1)).rule.id == "GB.limitation-act.contract"


def test_no_limitation_box_where_no_rules_are_known(db, system, now, make_customer, make_invoice):
    from recoup.orgs.actions import org_create

    zurich = org_create(slug="zurich", legal_name="Zurich AG", currency="CHF", country="CH",
                        timezone="Europe/Zurich", actor=system, now=now)
    invoice = make_invoice(zurich, make_customer(zurich, ref="Z1", country="CH"), "Z-1", "100.00",
                           issue=date(2020, 1, 1), due=date(2020, 1, 31))
    html = Template("{% load compliance %}{% limitation_box invoice on %}").render(
        Context({"invoice": invoice, "on": date(2025, 1, 1)}))
    assert "No limitation rule is known" in html


def test_a_consumer_debt_follows_the_consumers_country(org_a, make_customer, make_invoice):
    french = make_customer(org_a, ref="F1", country="FR", kind="consumer")
    invoice = make_invoice(org_a, french, "A-3", "100.00", issue=date(2024, 1, 1), due=date(2024, 1, 31))
    lim = limitation_for_invoice(invoice, on=date(2025, 1, 1))
    assert (lim.rule.id, lim.last_day) == ("FR.code-consommation-l218-2.limitation", date(2026, 1, 31))
