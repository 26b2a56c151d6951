"""The template editor's writes and the sending path: an organization's own wording is checked
(sandboxed), versioned and audited, and the cycle sends it until it is reset to the shipped text."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from recoup.audit.models import AuditEvent
from recoup.collections.actions import policy_load
from recoup.collections.cycle import cycle_run
from recoup.ledger.models import Contact
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import Message, TemplateVersion
from recoup.messaging.rendering import TemplateInvalid, render_message
from recoup.messaging.template_actions import TemplateEditError, template_reset, template_restore, template_save
from recoup.messaging.template_sandbox import TemplateRejected, check
from recoup.messaging.template_store import TemplateKey, Wording, current_override, shipped_wording

KEY = TemplateKey("first-reminder", "email", "en")
FIRST_ONLY = """\
name: first-only
steps:
  - {key: first-reminder, name: First reminder, offset_days: 5, channels: [email]}
"""
DAY = date(2026, 4, 14)  # a Tuesday
MORNING = datetime(2026, 4, 14, 9, 0, tzinfo=timezone.utc)


def edited(**changes) -> Wording:
    shipped = shipped_wording(KEY)
    return Wording(**{"subject": shipped.subject, "body_text": shipped.body_text, "body_html": shipped.body_html,
                      **changes})


@pytest.fixture
def reminder_due(org_a, system, now, make_customer, make_invoice):
    org_a.sender_email = "accounts@acme.example"
    org_a.save(update_fields=["sender_email"])
    policy_load(org=org_a, data=FIRST_ONLY, actor=system, now=now, make_default_for="")
    customer = make_customer(org_a, ref="C7", name="Wayne Enterprises")
    Contact.objects.create(org=org_a, customer=customer, name="Accounts", email="ap@wayne.example")
    make_invoice(org_a, customer, "INV-7", "120.00", issue=date(2026, 3, 1), due=date(2026, 4, 1))
    return customer


def test_every_shipped_template_passes_the_sandbox():
    root = Path(__file__).resolve().parents[1] / "templates" / "messaging"
    files = [p for p in root.rglob("*.*") if "_includes" not in p.parts and "_layouts" not in p.parts]
    assert len(files) > 100
    for path in files:
        check(path.read_text())


@pytest.mark.parametrize("source, why", [
    ("{% load static %}", "tag {% load %} is not allowed"),
    ("{% debug %}", "tag {% debug %} is not allowed"),
    ("{{ customer.delete }}", "unknown variable “customer.delete”"),
    ("{{ org.memberships.all }}", "unknown variable “org.memberships.all”"),
    ("{{ customer.nmae }}", "unknown variable “customer.nmae”"),
    ("{{ settings.SECRET_KEY }}", "unknown variable “settings.SECRET_KEY”"),
    ("{{ customer.name|safe }}", "filter |safe is not allowed"),
    ("{% autoescape off %}{{ customer.name }}{% endautoescape %}", "tag {% autoescape %} is not allowed"),
    ("{% include 'web/base.html' %}", "only include a shipped piece"),
    ("{% extends '/etc/passwd' %}", "only extend a layout"),
    ("{% for i in invoices %}{{ i._meta }}{% endfor %}", "may not begin with underscores"),
    ("{% for i in invoices %}{{ i.pk }}{% endfor %}", "unknown variable “i.pk”"),
    ("{% with n=invoice_count %}{{ n }}{% endwith %}{{ n }}", "unknown variable “n”"),
])
def test_the_sandbox_refuses_what_a_template_must_not_reach(source, why):
    with pytest.raises(TemplateRejected, match=None) as caught:
        check(source)
    assert why in str(caught.value)


def test_a_save_with_a_syntax_error_or_unknown_variable_saves_nothing(org_a, system, now):
    with pytest.raises(TemplateEditError) as caught:
        template_save(org=org_a, key=KEY, actor=system, now=now,
                      wording=edited(subject="{% if %}", body_text="Hello {{ customer.nickname }}"))
    assert set(caught.value.errors) == {"subject", "body_text"}
    assert "syntax error" in caught.value.errors["subject"]
    assert "customer.nickname" in caught.value.errors["body_text"]
    assert not TemplateVersion.objects.exists()
    assert not AuditEvent.objects.filter(verb__startswith="template.").exists()


def test_each_save_is_a_new_audited_version_and_an_old_one_can_be_restored(org_a, system, now):
    first = template_save(org=org_a, key=KEY, actor=system, now=now, wording=edited(subject="Nudge from {{ org.legal_name }}"))
    second = template_save(org=org_a, key=KEY, actor=system, now=now, wording=edited(subject="Second try"))
    assert (first.version, second.version) == (1, 2)
    assert current_override(org_a, KEY).subject == "Second try"

    restored = template_restore(org=org_a, key=KEY, version=1, actor=system, now=now)

    assert (restored.version, restored.restored_from) == (3, 1)
    assert current_override(org_a, KEY).subject == "Nudge from {{ org.legal_name }}"
    events = list(AuditEvent.objects.filter(verb__startswith="template.").order_by("seq"))
    assert [e.verb for e in events] == ["template.saved", "template.saved", "template.restored"]
    assert events[0].data["changed"] == ["subject"] and events[2].data["restored_from"] == 1


def test_an_other_organizations_wording_is_never_used(org_a, org_b, system, now, make_customer):
    template_save(org=org_b, key=KEY, actor=system, now=now, wording=edited(subject="Bolt says pay"))
    customer = make_customer(org_a, ref="C1")
    rendered = render_message(org=org_a, customer=customer, invoices=[], template="first-reminder",
                              channel="email", language="en", on=DAY)
    assert "Bolt says pay" not in rendered.subject


def test_the_cycle_sends_the_edited_wording_and_after_a_reset_the_shipped_text(smtp, reminder_due, org_a, system,
                                                                                 now):
    template_save(org=org_a, key=KEY, actor=system, now=now, wording=edited(
        subject="A friendly nudge from {{ org.legal_name }}",
        body_text="Hi {{ customer.name }}, {{ reference }} is {{ max_days_overdue }} days late. "
                  "Pay here: {{ portal_url }}",
        body_html="<p>Hi {{ customer.name }}, please pay.</p><p><a href=\"{{ portal_url }}\">Pay</a></p>"))

    cycle_run(org=org_a, on=DAY, now=MORNING)
    assert deliver_due(now=MORNING).sent == 1

    (email,) = smtp.received
    assert email["Subject"] == "A friendly nudge from Acme Supplies Ltd"
    text = email.get_body(("plain",)).get_content()
    assert "Hi Wayne Enterprises, RF" in text and "is 13 days late." in text
    assert "/p/" in text and "[portal link]" not in text  # the real link, made as it left
    assert "Hi Wayne Enterprises, please pay." in email.get_body(("html",)).get_content()
    assert Message.objects.get(source="cycle").body_text.startswith("Hi Wayne Enterprises")

    template_reset(org=org_a, key=KEY, actor=system, now=now)
    shipped = render_message(org=org_a, customer=reminder_due, invoices=list(reminder_due.invoices.all()),
                             template="first-reminder", channel="email", language=None, on=DAY)
    assert shipped.subject == "Reminder: overdue invoice from Acme Supplies Ltd"
    assert shipped.text.startswith("Dear Wayne Enterprises,")
    assert AuditEvent.objects.filter(verb="template.reset").count() == 1


def test_a_stored_wording_the_sandbox_no_longer_accepts_blocks_the_message(org_a, system, now, make_customer):
    TemplateVersion.objects.create(org=org_a, template="first-reminder", channel="email", language="en", version=1,
                                   subject="{% debug %}", body_text="x", body_html="x", created_at=now,
                                   created_by="test")
    with pytest.raises(TemplateInvalid):
        render_message(org=org_a, customer=make_customer(org_a), invoices=[], template="first-reminder",
                       channel="email", language="en", on=DAY)


def test_text_stays_unescaped_and_html_escaped_in_an_edited_wording(org_a, system, now, make_customer):
    template_save(org=org_a, key=KEY, actor=system, now=now,
                  wording=edited(body_text="Dear {{ customer.name }}", body_html="<p>Dear {{ customer.name }}</p>"))
    customer = make_customer(org_a, ref="C2", name="O'Brien & <Co>")
    rendered = render_message(org=org_a, customer=customer, invoices=[], template="first-reminder",
                              channel="email", language="en", on=DAY)
    assert rendered.text == "Dear O'Brien & <Co>"
    assert "O&#x27;Brien &amp; &lt;Co&gt;" in rendered.html


def test_the_html_title_is_the_edited_subject(org_a, system, now, make_customer):
    template_save(org=org_a, key=KEY, actor=system, now=now, wording=edited(subject="Nudge from {{ org.legal_name }}"))
    rendered = render_message(org=org_a, customer=make_customer(org_a), invoices=[], template="first-reminder",
                              channel="email", language="en", on=DAY)
    assert "<title>Nudge from Acme Supplies Ltd</title>" in rendered.html
    assert rendered.subject == "Nudge from Acme Supplies Ltd"


def test_a_language_without_its_own_wording_keeps_the_shipped_text(org_a, system, now, make_customer):
    template_save(org=org_a, key=KEY, actor=system, now=now, wording=edited(subject="English only"))
    rendered = render_message(org=org_a, customer=make_customer(org_a), invoices=[], template="first-reminder",
                              channel="email", language="de", on=DAY)
    assert rendered.subject.startswith("Zahlungserinnerung: überfällige Rechnung")


def test_a_cycle_reads_the_wordings_once_and_sees_an_edit_from_its_next_run(org_a, system, now, make_customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recoup.messaging.template_store import wordings_read_once

    customer = make_customer(org_a)

    def subject() -> str:
        return render_message(org=org_a, customer=customer, invoices=[], template="first-reminder",
                              channel="email", language="en", on=DAY).subject

    template_save(org=org_a, key=KEY, actor=system, now=now, wording=edited(subject="One"))
    with wordings_read_once():
        with CaptureQueriesContext(connection) as reads:
            assert [subject() for _ in range(5)] == ["One"] * 5
        template_save(org=org_a, key=KEY, actor=system, now=now, wording=edited(subject="Two"))
        assert subject() == "One"
    assert sum("messaging_templateversion" in q["sql"] for q in reads.captured_queries) == 1
    assert subject() == "Two"
