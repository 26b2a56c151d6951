"""`recoup demo`: a believable, deterministic, consistent demo business."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Sum

from conftest import NOW
from recoup.demo.build import demo_build
from recoup.ledger.models import (
    Allocation, Charge, Contact, CreditNote, Customer, Invoice, Payment, PaymentTerms, WriteOff,
)
from recoup.orgs.models import Membership, Organization

TODAY = NOW.date()


def _build(slug="oakline", seed=1, customers=30):
    return demo_build(today=TODAY, now=NOW, password="demo-pass-123", seed=seed, customers=customers,
                      years=2, slug=slug).org


def _fingerprint(org):
    invoices = Invoice.objects.for_org(org)
    return (
        invoices.count(),
        invoices.aggregate(t=Sum("total_minor"), o=Sum("open_minor")),
        Payment.objects.for_org(org).aggregate(n=Count("id"), s=Sum("amount_minor")),
        CreditNote.objects.for_org(org).aggregate(n=Count("id"), s=Sum("amount_minor")),
        sorted(Customer.objects.for_org(org).values_list("ref", "legal_name", "kind")),
    )


@pytest.mark.django_db
def test_it_builds_the_same_ledger_for_the_same_seed():
    first, again, other = (_build(slug, seed, customers=12) for slug, seed in [("demo-a", 7), ("demo-b", 7), ("demo-c", 8)])
    assert _fingerprint(first) == _fingerprint(again)
    assert _fingerprint(first) != _fingerprint(other)


@pytest.mark.django_db
def test_it_has_late_payers_open_overdue_invoices_and_write_offs():
    org = _build()
    paid_late = Allocation.objects.for_org(org).filter(payment__isnull=False,
                                                       date__gt=F("invoice__due_date") + timedelta(days=30))
    assert paid_late.values("invoice__customer").distinct().count() >= 3
    overdue = Invoice.objects.for_org(org).filter(open_minor__gt=0, due_date__lt=TODAY)
    assert overdue.filter(due_date__lt=TODAY - timedelta(days=90)).exists()
    assert overdue.filter(due_date__gte=TODAY - timedelta(days=30)).exists()
    assert Invoice.objects.for_org(org).filter(open_minor__gt=0, due_date__gte=TODAY).exists()
    assert WriteOff.objects.for_org(org).exists()
    assert Charge.objects.for_org(org).filter(kind="late_fee").exists()
    partly = Invoice.objects.for_org(org).filter(open_minor__gt=0, open_minor__lt=F("total_minor"))
    assert partly.exists() or Allocation.objects.for_org(org).values("invoice").annotate(
        n=Count("id")).filter(n__gt=1).exists()


@pytest.mark.django_db
def test_it_has_consumers_foreign_currencies_credit_notes_and_contacts():
    org = _build()
    customers = Customer.objects.for_org(org)
    assert customers.filter(kind="consumer").count() >= 3
    assert customers.filter(kind="business").count() >= 15
    currencies = set(Invoice.objects.for_org(org).values_list("currency", flat=True))
    assert {"GBP", "EUR", "USD"} <= currencies
    several = Invoice.objects.for_org(org).values("customer").annotate(n=Count("currency", distinct=True))
    assert several.filter(n__gt=1).exists()
    assert CreditNote.objects.for_org(org).count() >= 3
    assert Contact.objects.for_org(org).exclude(email="").exclude(phone="").exists()
    assert not customers.filter(contacts__isnull=True).exists()
    assert customers.filter(notes__startswith="Disputes invoice").exists()
    assert Payment.objects.for_org(org).filter(unapplied_minor__gt=0).exists()  # credit on account


@pytest.mark.django_db
def test_its_organization_has_full_details_terms_and_three_roles():
    org = _build()
    assert org.base_currency == "GBP" and org.bank_iban and org.tax_id and org.sender_email and org.address
    assert org.default_terms.name == "Net 30"
    names = set(PaymentTerms.objects.for_org(org).values_list("name", flat=True))
    assert {"Net 30", "Net 14", "30 days EOM", "2/10 net 30"} <= names
    roles = dict(Membership.objects.filter(org=org).values_list("user__username", "role"))
    assert roles == {"owner": "owner", "collector": "collector", "viewer": "viewer"}
    owner = Membership.objects.get(org=org, role="owner").user
    assert owner.check_password("demo-pass-123")


@pytest.mark.django_db
def test_its_ledger_passes_recoup_check_and_nothing_is_dated_after_today():
    from recoup.ledger.checks import check_ledger

    org = _build()
    result = check_ledger(org=org)
    assert result.ok, "\n".join(str(b) for b in result.breaches)
    for invoice in Invoice.objects.for_org(org).annotate(
        paid=Sum("allocations__amount_minor", default=0)
    ).filter(charges__isnull=True, write_offs__isnull=True):
        assert invoice.open_minor == invoice.total_minor - invoice.paid, invoice.number
    assert not Invoice.objects.for_org(org).filter(issue_date__gt=TODAY).exists()
    assert not Payment.objects.for_org(org).filter(date__gt=TODAY).exists()
    assert not Allocation.objects.for_org(org).filter(date__gt=TODAY).exists()


@pytest.mark.django_db
def test_the_command_prints_and_saves_the_login_and_if_empty_does_not_duplicate(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("demo", customers=8, date=date(2026, 3, 31), password="s3cret-demo", stdout=out)
    assert "Username: owner" in out.getvalue() and "Password: s3cret-demo" in out.getvalue()
    saved = (tmp_path / "demo-login.txt").read_text()
    assert "username=owner" in saved and "password=s3cret-demo" in saved
    invoices = Invoice.objects.count()

    call_command("demo", if_empty=True, stdout=io.StringIO())
    assert Organization.objects.count() == 1
    assert Invoice.objects.count() == invoices


@pytest.mark.django_db
def test_it_refuses_a_second_demo_with_the_same_slug(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("demo", customers=3, password="s3cret-demo", stdout=io.StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("demo", customers=3, password="s3cret-demo", stdout=io.StringIO())
    assert Organization.objects.count() == 1
