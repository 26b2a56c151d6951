"""The invoice page shows principal and charges apart; owners and collectors waive a charge with a reason."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from recoup.audit.models import AuditEvent
from recoup.ledger.actions import charge_add, payment_record
from recoup.ledger.models import ChargeWaiver, Invoice


@pytest.fixture
def fee(org_a, ledger_a, system, now):
    """A-1 (100.00) with a 20.00 late fee, 5.00 of it paid (GB: charges first)."""
    invoice = ledger_a["old"]
    charge = charge_add(org=org_a, invoice=invoice, kind="late_fee", on=date(2026, 2, 15), amount_minor=2000,
                        actor=system, now=now, description="Late fee (final notice)")
    payment_record(org=org_a, customer=invoice.customer, date=date(2026, 2, 20), amount_minor=500, currency="GBP",
                   invoice=invoice, actor=system, now=now)
    return charge


def waive_url(org, charge):
    return reverse("charge_waive", args=[org.slug, charge.invoice_id, charge.pk])


def detail(client, org, invoice):
    return client.get(reverse("invoice_detail", args=[org.slug, invoice.pk])).content.decode()


def test_the_invoice_page_shows_principal_and_the_open_charge_with_a_waive_button(as_user, org_a, fee):
    page = detail(as_user("collector"), org_a, fee.invoice)
    assert "Principal and charges" in page
    assert "Payments settle costs, then interest, then principal (no rule in force fixes one: charges first)" in page
    row = page.split(f'data-charge="{fee.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Late fee of 15 Feb 2026" in row and "£20.00" in row and "£5.00" in row and "£15.00" in row
    assert waive_url(org_a, fee) in row
    assert waive_url(org_a, fee) not in detail(as_user("viewer"), org_a, fee.invoice)


def test_a_collector_waives_what_is_open_with_a_reason(as_user, org_a, fee):
    client = as_user("collector")
    form = client.get(waive_url(org_a, fee)).content.decode()
    assert "Still open" in form and "£15.00" in form
    response = client.post(waive_url(org_a, fee), {"date": "2026-03-01", "amount": "", "reason": "goodwill"})
    assert response.status_code == 302
    assert response["Location"] == reverse("invoice_detail", args=[org_a.slug, fee.invoice_id])
    waiver = ChargeWaiver.objects.get()
    assert (waiver.amount_minor, waiver.reason, waiver.date) == (1500, "goodwill", date(2026, 3, 1))
    invoice = Invoice.objects.get(pk=fee.invoice_id)
    assert invoice.open_minor == 10000
    assert AuditEvent.objects.for_org(org_a).get(verb="charge.waived").actor_label == "a-collector"
    page = detail(client, org_a, invoice)
    assert "£15.00 of the late fee on invoice A-1 waived." in page
    row = page.split(f'data-charge="{fee.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "waived" in row and waive_url(org_a, fee) not in row
    assert "Late fee of 15 Feb 2026 waived: goodwill" in page


@pytest.mark.parametrize(("fields", "message"), [
    ({"reason": ""}, "This field is required"),
    ({"amount": "15.01"}, "at most the 15.00 GBP still open on this charge"),
    ({"amount": "1,00"}, "use a dot as decimal separator"),
    ({"date": "2026-02-14"}, "a waiver cannot be dated 2026-02-14, before the charge"),
])
def test_bad_input_is_shown_on_the_form_and_nothing_is_waived(as_user, org_a, fee, fields, message):
    data = {"date": "2026-03-01", "amount": "5.00", "reason": "goodwill", **fields}
    response = as_user("owner").post(waive_url(org_a, fee), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ChargeWaiver.objects.exists()


def test_viewers_and_other_organizations_cannot_waive(as_user, client, members, org_a, fee, ledger_b):
    assert as_user("viewer").post(waive_url(org_a, fee), {"date": "2026-03-01", "reason": "x"}).status_code == 403
    client.force_login(members["outsider"])
    assert client.get(waive_url(org_a, fee)).status_code == 404
    owner = as_user("owner")
    # A charge named through another invoice's URL is not found.
    other = reverse("charge_waive", args=[org_a.slug, ledger_b["invoice"].pk, fee.pk])
    assert owner.get(other).status_code == 404
    assert not ChargeWaiver.objects.exists()
