"""`recoup demo`: a believable, deterministic, consistent demo business whose tour has content on day one.

The tests read one demo built once for the module (30 customers, two years of ledger, a year of
collections up to yesterday), inside a transaction rolled back when the module ends; the command,
determinism and other organizations are in ``test_demo_command.py``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F

from conftest import NOW
from recoup.arrangements.models import Dispute, PaymentPlan, Promise
from recoup.audit.selectors import chain_verify
from recoup.banking.models import StatementLine
from recoup.demo.build import demo_build
from recoup.demo.profiles import last_working_day
from recoup.escalation.models import LetterBeforeAction, Placement
from recoup.ledger.models import (
    Allocation, Charge, Contact, CreditNote, Customer, Invoice, Payment, PaymentTerms, WriteOff,
)
from recoup.messaging.models import Message, Task
from recoup.orgs.models import Membership, Organization

TODAY = NOW.date()
PASSWORD = "demo-pass-123"
CUSTOMERS = 30


@pytest.fixture(scope="module")
def outbox_dirs(tmp_path_factory):
    """Where the file backends would write e-mails and text messages while the demo is built."""
    root = tmp_path_factory.mktemp("demo-outbox")
    return root / "mail", root / "sms"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, outbox_dirs):
    from django.test.utils import override_settings

    mail, sms = outbox_dirs
    with django_db_blocker.unblock(), override_settings(
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(mail),
            RECOUP_SMS_URL=f"file://{sms}"):
        with transaction.atomic():
            org = demo_build(today=TODAY, now=NOW, password=PASSWORD, seed=1, customers=CUSTOMERS, years=2).org
            yield org
            transaction.set_rollback(True)


@pytest.fixture
def owner_client(demo, client):
    client.force_login(get_user_model().objects.get(username="owner"))
    return client


def _page(client, org, path: str = "") -> str:
    response = client.get(f"/o/{org.slug}/{path}")
    assert response.status_code == 200, path
    return response.content.decode()


# --- the ledger -------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_it_has_late_payers_open_overdue_invoices_and_write_offs(demo):
    org = demo
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
    assert partly.exists()


@pytest.mark.django_db
def test_it_has_consumers_foreign_currencies_credit_notes_and_contacts_with_addresses(demo):
    org = demo
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
    # Every customer can be written to: letters (final notices, letters before action) need an address.
    billing = Contact.objects.for_org(org).filter(is_billing=True)
    assert not billing.filter(postal_address="").exists()
    assert billing.filter(customer__country="GB", postal_address__regex=r"\n[A-Z]{2}[0-9]{1,2} [0-9][A-Z]{2}$").exists()
    assert customers.filter(notes__startswith="Disputed invoice").count() == 3
    assert Payment.objects.for_org(org).filter(unapplied_minor__gt=0).exists()  # credit on account


@pytest.mark.django_db
def test_its_organization_has_full_details_terms_three_roles_and_a_wide_send_window(demo):
    org = Organization.objects.get(pk=demo.pk)
    assert org.base_currency == "GBP" and org.bank_iban and org.tax_id and org.sender_email and org.address
    assert org.default_terms.name == "Net 30"
    names = set(PaymentTerms.objects.for_org(org).values_list("name", flat=True))
    assert {"Net 30", "Net 14", "30 days EOM", "2/10 net 30"} <= names
    roles = dict(Membership.objects.filter(org=org).values_list("user__username", "role"))
    assert roles == {"owner": "owner", "collector": "collector", "viewer": "viewer"}
    owner = Membership.objects.get(org=org, role="owner").user
    assert owner.check_password(PASSWORD)
    assert (org.send_window_start.hour, org.send_window_end.hour, org.send_window_weekdays) == (8, 20, "123456")


@pytest.mark.django_db
def test_its_ledger_passes_recoup_check_its_audit_chain_verifies_and_nothing_is_dated_after_now(demo):
    from recoup.audit.models import AuditEvent
    from recoup.ledger.checks import check_ledger

    org = demo
    result = check_ledger(org=org)
    assert result.ok, "\n".join(str(b) for b in result.breaches)
    assert chain_verify(org).ok
    assert not Invoice.objects.for_org(org).filter(issue_date__gt=TODAY).exists()
    assert not Payment.objects.for_org(org).filter(date__gt=TODAY).exists()
    assert not Allocation.objects.for_org(org).filter(date__gt=TODAY).exists()
    assert not AuditEvent.objects.for_org(org).filter(at__gt=NOW).exists()
    assert not Message.objects.for_org(org).filter(created_at__gte=NOW).exists()


# --- a year of collections ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_year_of_messages_was_recorded_as_sent_and_none_left_for_a_mail_server(demo, outbox_dirs):
    org = demo
    out = Message.objects.for_org(org).filter(direction="out")
    first = out.order_by("created_at").first().created_at.date()
    assert first <= TODAY - timedelta(days=360)
    assert out.filter(channel="email", status="sent").count() >= 100
    assert out.filter(channel="sms", status="sent").exists()
    assert out.filter(channel="letter", status="posted").exists()
    assert set(out.filter(status="sent").values_list("provider_id", flat=True)) == {"demo-history"}
    # The history's e-mails and text messages reached no backend: nothing in the mail or SMS folders.
    for folder in outbox_dirs:
        assert not folder.exists() or not any(folder.iterdir())
    # Each month of the year has its reminders.
    months = {d.strftime("%Y-%m") for d in out.filter(source="cycle").values_list("created_at", flat=True)}
    assert len(months) >= 12


@pytest.mark.django_db
def test_the_worklist_has_a_call_to_make_and_letters_to_post_and_the_inbox_a_reply_to_read(demo, owner_client):
    page = _page(owner_client, demo, "worklist/")
    inbox = _page(owner_client, demo, "inbox/")
    roles = {role: ref for ref, role in _story().todays.items()}
    call = Message.objects.for_org(demo).get(channel="call", status="open", customer__ref=roles["call"])
    assert call.created_at.date() == last_working_day(TODAY)
    reply = Task.objects.for_org(demo).filter(kind="reply", status="open").latest("created_at").message
    assert call.customer.name in page and "Call script" in page
    assert reply.subject in inbox and reply.customer.name in inbox
    assert "Letters to print and post" in page
    # The year's calls were made and logged with their outcomes.
    outcomes = Counter(Message.objects.for_org(demo).filter(channel="call", status="done")
                       .values_list("call_outcome", flat=True))
    assert {"promise_to_pay", "no_answer", "reached"} <= set(outcomes)
    assert Message.objects.for_org(demo).filter(direction="in", source="inbound").count() >= 3


@pytest.mark.django_db
def test_arrangements_have_a_plan_paid_on_time_promises_kept_and_broken_and_disputes(demo, owner_client):
    page = _page(owner_client, demo, "arrangements/?show=all")
    plan = PaymentPlan.objects.for_org(demo).get()
    assert plan.status == "active" and plan.customer.name in page
    statuses = [i.status for i in plan.instalments.order_by("number")]
    assert "paid" in statuses and "due" in statuses and "missed" not in statuses
    promises = Counter(Promise.objects.for_org(demo).values_list("status", flat=True))
    assert promises["kept"] >= 3 and promises["broken"] >= 1
    disputes = dict(Dispute.objects.for_org(demo).values_list("status", "customer__legal_name"))
    assert set(disputes) == {"resolved_credit", "rejected", "under_review"}
    for name in disputes.values():
        assert name.replace("&", "&amp;") in page
    assert "Kept" in page and "Broken" in page


@pytest.mark.django_db
def test_escalation_has_a_placement_with_a_collection_after_an_unanswered_letter_before_action(demo, owner_client):
    page = _page(owner_client, demo, "escalation/")
    placement = Placement.objects.for_org(demo).get()
    letter = LetterBeforeAction.objects.for_org(demo).get(customer=placement.customer)
    assert letter.sent_on < placement.placed_on and letter.deadline < placement.placed_on
    assert placement.collections.exists() and placement.agency.name in page
    assert placement.customer.name in page
    assert "Escalation review" in page  # a recent one still waits for a decision
    review = _page(owner_client, demo, f"escalation/customers/{placement.customer.pk}/")
    assert "Letter before action" in review or "letter before action" in review


@pytest.mark.django_db
def test_insight_says_which_reminder_works_with_figures(demo, owner_client):
    from recoup.insight.selectors import step_effectiveness

    rows = {(r.step_key, r.channel): r for r in step_effectiveness(org=demo, on=TODAY)}
    assert {("pre-due", "email"), ("first-reminder", "email"), ("second-reminder", "email"), ("call", "call"),
            ("final-notice", "email")} <= set(rows)
    assert all(r.invoices > 0 for r in rows.values() if r.step_key != "letter-before-action")
    assert 0 < rows[("first-reminder", "email")].share_14 < 1
    page = _page(owner_client, demo, f"insight/?as_of={TODAY.isoformat()}")
    assert "What works" in page and "No reminders sent yet" not in page and "first-reminder" in page


@pytest.mark.django_db
def test_review_has_drafts_of_the_step_in_review_mode(demo, owner_client):
    page = _page(owner_client, demo, "review/")
    drafts = Message.objects.for_org(demo).filter(status="draft")
    assert drafts.count() >= 2 and set(drafts.values_list("step_key", flat=True)) == {"second-reminder"}
    for draft in drafts:
        assert draft.customer.name in page
    # Earlier drafts were reviewed: approved (one edited first) and one skipped.
    from recoup.audit.models import AuditEvent

    verbs = Counter(AuditEvent.objects.for_org(demo).values_list("verb", flat=True))
    assert verbs["message.approved"] >= 3 and verbs["message.edited"] == 1
    assert Message.objects.for_org(demo).filter(last_error__contains="skipped by collector").exists()


@pytest.mark.django_db
def test_a_customer_page_and_its_messages_show_the_year(demo, owner_client):
    plan = PaymentPlan.objects.for_org(demo).get()
    customer = plan.customer
    page = _page(owner_client, demo, f"customers/{customer.pk}/")
    messages = _page(owner_client, demo, f"customers/{customer.pk}/messages/")
    sent = Message.objects.for_org(demo).filter(customer=customer, direction="out", status="sent")
    assert sent.count() >= 3
    for message in sent.exclude(subject="").order_by("-created_at")[:3]:
        assert message.subject.replace("–", "&ndash;") in messages or message.subject in messages
    assert "Call logged" in messages and "Letter" in messages
    assert f"PLAN {plan.pk} INSTALMENT 1" in page
    # The timeline tells the days: the cycle's decisions, deliveries, calls logged by the collector.
    timeline = page[page.index("Timeline"):]
    assert "recoup cycle" in timeline and "delivery" in timeline and "collector" in timeline


@pytest.mark.django_db
def test_the_bank_review_queue_has_lines_to_decide(demo, owner_client):
    lines = StatementLine.objects.for_org(demo)
    assert lines.filter(state="matched").count() >= 3  # transfers applied by the evening statements
    waiting = lines.filter(state__in=["review", "unmatched"])
    assert waiting.count() >= 2
    page = _page(owner_client, demo, "bank/review/")
    assert "confidence" in page and "VAT REPAYMENT" in page


@pytest.mark.django_db
def test_todays_cycle_queues_a_reminder_the_worker_writes_to_the_mail_folder(demo, settings, tmp_path):
    """The README's tour: the scheduler's first cycle (or "Run the cycle") queues today's reminders, and
    delivery writes the e-mail to var/mail/ and the text message to var/sms/."""
    from recoup.arrangements.check import arrangements_check
    from recoup.collections.cycle import cycle_run
    from recoup.messaging.delivery import deliver_due

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.RECOUP_SMS_URL = f"file://{tmp_path / 'sms'}"
    org = Organization.objects.get(pk=demo.pk)
    arrangements_check(org=org, on=TODAY, now=NOW)
    result = cycle_run(org=org, on=TODAY, now=NOW)
    roles = {role: ref for ref, role in _story().todays.items()}
    queued = {(a.customer_ref, a.step, a.channel) for a in result.actions if a.status == "queued"}
    assert {(roles["reminder"], "first-reminder", "email"), (roles["consumer-reminder"], "second-reminder", "sms")} \
        <= queued
    report = deliver_due(now=NOW, org=org)
    assert report.sent >= 2
    mails = [p.read_text() for p in (tmp_path / "mail").iterdir()]
    reminded = Customer.objects.for_org(org).get(ref=roles["reminder"]).contacts.get(is_billing=True)
    assert any(f"To: {reminded.email}" in mail and "Subject: Reminder" in mail for mail in mails)
    consumer = Customer.objects.for_org(org).get(ref=roles["consumer-reminder"]).contacts.get(is_billing=True)
    assert any(f"To: {consumer.phone}" in p.read_text() for p in (tmp_path / "sms").iterdir())


def _story():
    from recoup.demo.profiles import plan_demo
    from recoup.demo.story import plan_story

    return plan_story(plan=plan_demo(seed=1, customers=CUSTOMERS, years=2, today=TODAY), today=TODAY, years=2)


def test_the_default_demos_story_has_every_scene_whatever_the_day():
    from recoup.demo.profiles import plan_demo
    from recoup.demo.story import plan_story

    for today in (date(2026, 3, 31), date(2026, 12, 7), date(2027, 7, 4)):
        plan = plan_demo(seed=1, customers=60, years=2, today=today)
        story = plan_story(plan=plan, today=today, years=2)
        assert sorted(story.todays.values()) == ["call", "consumer-reminder", "draft", "draft", "reminder"]
        assert [d.outcome for d in story.disputes] == ["credit", "reject", "open"]
        assert story.plan is not None and story.escalation is not None
        numbers = [i.number for i in plan.invoices]
        assert numbers == [f"INV-{n}" for n in range(10001, 10001 + len(numbers))]  # renumbered without gaps
        placed = story.escalation
        assert not [i for i in plan.invoices
                    if i.customer_ref == placed.customer_ref and i.issue_date > placed.placed_on]
        assert Decimal(0) < placed.collected_share < 1
