"""`recoup demo` as a command: the login printed and saved, one demo per database, the same demo for the same
seed, and nobody else's messages touched while its history is delivered. The demo's content: test_demo.py."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Sum

from conftest import NOW
from recoup.arrangements.models import Dispute, Promise
from recoup.collections.models import StepDecision
from recoup.demo.build import demo_build
from recoup.ledger.models import CreditNote, Customer, Invoice, Payment
from recoup.messaging.models import Message
from recoup.orgs.models import Organization

TODAY = NOW.date()
PASSWORD = "demo-pass-123"


def _fingerprint(org):
    invoices = Invoice.objects.for_org(org)
    messages = Message.objects.for_org(org)
    return (
        invoices.count(),
        invoices.aggregate(t=Sum("total_minor"), o=Sum("open_minor")),
        Payment.objects.for_org(org).aggregate(n=Count("id"), s=Sum("amount_minor")),
        CreditNote.objects.for_org(org).aggregate(n=Count("id"), s=Sum("amount_minor")),
        sorted(Customer.objects.for_org(org).values_list("ref", "legal_name", "kind")),
        sorted(Counter(messages.values_list("channel", "direction", "status", "step_key", "source")).items()),
        sorted(Counter(messages.values_list("customer__ref", "created_at", "call_outcome")).items()),
        sorted(Counter(Promise.objects.for_org(org).values_list("customer__ref", "status", "pay_by")).items()),
        sorted(Dispute.objects.for_org(org).values_list("customer__ref", "status")),
        sorted(StepDecision.objects.for_org(org).values_list("invoice__number", "step_key", "number", "status")),
    )


@pytest.mark.django_db
def test_it_builds_the_same_history_for_the_same_seed():
    def build(slug, seed):
        return demo_build(today=TODAY, now=NOW, password=PASSWORD, seed=seed, customers=10, years=1, slug=slug,
                          history_days=60).org

    first, again, other = build("demo-a", 7), build("demo-b", 7), build("demo-c", 8)
    assert _fingerprint(first) == _fingerprint(again)
    assert _fingerprint(first) != _fingerprint(other)
    assert Message.objects.for_org(first).filter(source="cycle").exists()


@pytest.mark.django_db
def test_the_command_prints_and_saves_the_login_and_if_empty_does_not_duplicate(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("demo", "--now", "2026-03-31T12:00:00+00:00", customers=8, years=1, history_days=30,
                 date=date(2026, 3, 31), password="s3cret-demo", stdout=out)
    assert "Username: owner" in out.getvalue() and "Password: s3cret-demo" in out.getvalue()
    assert "days of collections" in out.getvalue()
    saved = (tmp_path / "demo-login.txt").read_text()
    assert "username=owner" in saved and "password=s3cret-demo" in saved
    invoices, messages = Invoice.objects.count(), Message.objects.count()

    call_command("demo", if_empty=True, stdout=io.StringIO())
    assert Organization.objects.count() == 1
    assert (Invoice.objects.count(), Message.objects.count()) == (invoices, messages)


@pytest.mark.django_db
def test_it_refuses_a_second_demo_and_never_delivers_another_organizations_messages(settings, tmp_path, org_a,
                                                                                    system, make_customer):
    from recoup.messaging.actions import message_queue

    settings.VAR_DIR = tmp_path
    theirs = message_queue(org=org_a, customer=make_customer(org_a), channel="email", to_address="a@b.example",
                           subject="Hello", body_text="Hi", idempotency_key="theirs", actor=system,
                           now=NOW - timedelta(days=400))
    call_command("demo", "--now", "2026-03-31T12:00:00+00:00", customers=3, years=1, history_days=30,
                 password="s3cret-demo", stdout=io.StringIO())
    theirs.refresh_from_db()
    assert (theirs.status, theirs.sent_at, theirs.attempts) == ("queued", None, 0)
    with pytest.raises(CommandError, match="already exists"):
        call_command("demo", customers=3, history_days=0, password="s3cret-demo", stdout=io.StringIO())
    assert Organization.objects.count() == 2
