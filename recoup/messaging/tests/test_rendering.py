"""The message templates of the default policies, in every language, and how they are rendered."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from conftest import NOW
from recoup.core.money import format_money
from recoup.core.rf import payment_reference
from recoup.messaging.rendering import (
    TemplateMissing,
    available_languages,
    babel_locale,
    render_message,
)

ON = date(2026, 3, 31)
POLICY_DIR = Path(__file__).resolve().parents[2] / "collections" / "default_policies"
POLICY_FILES = sorted(POLICY_DIR.glob("*.yaml"))
PORTAL = "https://pay.acme.example/p/9f8e7d6c5b4a39281706f5e4d3c2b1a0"
PREFERENCES = "https://pay.acme.example/p/9f8e7d6c5b4a39281706f5e4d3c2b1a0/preferences"
# Consumer SMS name no amounts or invoices: a lock screen may be read by others.
WITHOUT_DETAILS = {("consumer-second-reminder", "sms")}


def _policies() -> list[dict]:
    return [yaml.safe_load(path.read_text()) for path in POLICY_FILES]


def _template_channels() -> list[tuple[str, str]]:
    pairs = {(step.get("template") or step["key"], channel)
             for policy in _policies() for step in policy["steps"] for channel in step["channels"]}
    return sorted(pairs)


@pytest.fixture
def org(org_a):
    org_a.sender_email = "accounts@acme.example"
    org_a.sender_phone = "+44 20 7946 0000"
    org_a.bank_name = "Northern Bank"
    org_a.bank_iban = "GB82WEST12345698765432"
    org_a.bank_bic = "NWBKGB2L"
    org_a.save()
    return org_a


@pytest.fixture
def customer(org, make_customer):
    return make_customer(org, ref="C042", name="Hilda Pemberton Ltd", country="GB")


@pytest.fixture
def invoices(org, customer, make_invoice, system):
    from recoup.ledger.actions import charge_add

    first = make_invoice(org, customer, "INV-1001", "1200.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    charge_add(org=org, invoice=first, kind="late_fee", on=date(2026, 3, 2), amount_minor=4000,
               actor=system, now=NOW, description="Late fee")
    second = make_invoice(org, customer, "INV-1002", "450.50", issue=date(2026, 2, 1), due=date(2026, 3, 3))
    euro = make_invoice(org, customer, "INV-2001", "500.00", issue=date(2026, 1, 15), due=date(2026, 2, 15),
                        currency="EUR")
    return [_fresh(first), second, euro]


def _fresh(invoice):
    invoice.refresh_from_db()
    return invoice


def _render(org, customer, invoices, template="first-reminder", channel="email", language="en", **kw):
    kw.setdefault("portal_url", PORTAL)
    kw.setdefault("preferences_url", PREFERENCES)
    return render_message(org=org, customer=customer, invoices=invoices, template=template,
                          channel=channel, language=language, on=kw.pop("on", ON), **kw)


def _amounts(language, org, customer):
    locale = babel_locale(language, org, customer)
    return [format_money(Decimal(value), currency, locale=locale)
            for value, currency in (("1240.00", "GBP"), ("450.50", "GBP"), ("500.00", "EUR"),
                                    ("1690.50", "GBP"))]


@pytest.mark.parametrize("language", available_languages())
@pytest.mark.parametrize("template,channel", _template_channels())
def test_every_default_template_renders_the_invoices_in_every_language(
        org, customer, invoices, template, channel, language):
    message = _render(org, customer, invoices, template, channel, language)

    parts = [message.subject, message.text, message.html]
    for part in parts:
        for leak in ("{{", "}}", "{%", "%}", "None"):
            assert leak not in part, f"{leak!r} leaks into {template}/{channel}/{language}"
    if (template, channel) not in WITHOUT_DETAILS:
        shown = [*_amounts(language, org, customer), "INV-1001", "INV-1002", "INV-2001"]
        if channel == "sms":
            shown = ["INV-1001", "INV-1002", "INV-2001",
                     *[a.replace("\u00a0", " ").replace("\u202f", " ") for a in _amounts(language, org, customer)[2:]]]
        for expected in shown:
            assert expected in message.text, f"{expected} missing from {template}/{channel}/{language}"
            if message.html:
                assert expected in message.html
    if channel == "email":
        assert message.subject and "\n" not in message.subject
        assert message.html.startswith("<!doctype html>") and PREFERENCES in message.html
    if channel == "letter":
        assert message.html.startswith("<article") and "GB82 WEST 1234 5698 7654 32" in message.html
    if channel in ("sms", "call"):
        assert message.html == "" and message.subject == ""
    if channel == "sms":
        assert len(message.text) <= 306 and "\n" not in message.text
        assert PORTAL in message.text


def test_every_default_template_is_written_in_every_language():
    for template, channel in _template_channels():
        for language in available_languages():
            folder = f"messaging/{template}/{channel}/{language}"
            names = ["body.txt"] + (["subject.txt"] if channel == "email" else []) \
                + (["body.html"] if channel in ("email", "letter") else [])
            for name in names:
                get_template(f"{folder}/{name}")  # raises TemplateDoesNotExist


def test_sms_stays_within_two_segments_with_many_invoices(org, customer, invoices, make_invoice):
    more = [make_invoice(org, customer, f"INV-30{n}", "10.00", issue=date(2026, 1, 1), due=date(2026, 2, 1))
            for n in range(6)]
    for language in available_languages():
        message = _render(org, customer, invoices + more, "second-reminder", "sms", language)
        assert len(message.text) <= 306, message.text
        assert "+6" in message.text  # three numbers shown, the other six counted


def test_it_writes_each_language_in_its_own_words_and_formats(org, customer, invoices):
    german = _render(org, customer, invoices, language="de")
    french = _render(org, customer, invoices, language="fr")
    spanish = _render(org, customer, invoices, language="es")
    english = _render(org, customer, invoices, language="en")

    assert "Zahlungserinnerung" in german.subject and "1.240,00" in german.text and "31.01.2026" in german.text
    assert "Rappel" in french.subject and "1\u202f240,00" in french.text
    assert "Recordatorio" in spanish.subject and "1.240,00" in spanish.text
    assert "£1,240.00" in english.text and "31 Jan 2026" in english.text  # en_GB for a British customer


def test_it_falls_back_to_english_when_the_language_has_no_template(org, customer, invoices):
    italian = _render(org, customer, invoices, language="it")

    assert italian == _render(org, customer, invoices, language="en")


def test_it_treats_a_language_that_is_no_language_code_as_english(org, customer, invoices):
    english = _render(org, customer, invoices, language="en")

    assert _render(org, customer, invoices, language="../reports") == english


def test_it_uses_the_customers_language_then_the_organizations(org, customer, invoices):
    customer.language = "de_AT"
    assert _render(org, customer, invoices, language=None) == _render(org, customer, invoices, language="de")

    customer.language = ""
    org.locale = "fr_FR"
    assert _render(org, customer, invoices, language=None) == _render(org, customer, invoices, language="fr")

    org.locale = ""
    assert _render(org, customer, invoices, language=None) == _render(org, customer, invoices, language="en")


def test_it_raises_template_missing_naming_the_path(org, customer, invoices):
    with pytest.raises(TemplateMissing, match="messaging/no-such-step/email/de/body.txt"):
        _render(org, customer, invoices, template="no-such-step", language="de")
    with pytest.raises(TemplateMissing, match="messaging/pre-due/sms/en/body.txt"):
        _render(org, customer, invoices, template="pre-due", channel="sms")


def test_it_refuses_a_template_name_that_is_a_path(org, customer, invoices):
    with pytest.raises(ValueError, match="template"):
        _render(org, customer, invoices, template="../../reports/statement")
    with pytest.raises(ValueError, match="channel"):
        _render(org, customer, invoices, channel="fax")


def test_it_escapes_the_customer_name_in_html_but_not_in_text(org, make_customer, make_invoice):
    customer = make_customer(org, ref="C666", name="<script>alert(1)</script> & Sons")
    invoice = make_invoice(org, customer, "INV-9", "10.00", issue=date(2026, 1, 1), due=date(2026, 2, 1))

    for channel in ("email", "letter"):
        template = "final-notice"
        message = _render(org, customer, [invoice], template, channel)
        assert "<script>" not in message.html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Sons" in message.html
        assert "<script>alert(1)</script> & Sons" in message.text


def test_it_offers_the_early_payment_discount_still_available(org, customer, make_invoice, system):
    from recoup.ledger.terms_actions import terms_create

    terms = terms_create(org=org, actor=system, now=NOW, name="2/10 Net 30", net_days=30,
                         discount_percent=Decimal("2"), discount_days=10)
    customer.default_terms = terms
    customer.save()
    invoice = make_invoice(org, customer, "INV-3001", "1000.00", issue=date(2026, 3, 25))

    before = _render(org, customer, [invoice], "pre-due", "email", "en", on=date(2026, 4, 4))
    after = _render(org, customer, [invoice], "pre-due", "email", "en", on=date(2026, 4, 5))

    assert "deduct 2% (£20.00) and pay £980.00" in before.text
    assert "by 4 April 2026" in before.text and "£20.00" in before.html
    assert "deduct" not in after.text and "£20.00" not in after.html


def test_it_lists_fees_already_charged_and_the_bank_details(org, customer, invoices):
    message = _render(org, customer, invoices, "final-notice", "email", "en")

    assert "INV-1001, late fee of 2 Mar 2026: £40.00" in message.text
    assert "IBAN: GB82 WEST 1234 5698 7654 32" in message.text and "BIC: NWBKGB2L" in message.text
    references = ", ".join(f"{payment_reference(i.number, i.pk)} ({i.number})" for i in
                           sorted(invoices, key=lambda i: (i.due_date, i.number)))
    assert f"Payment reference: {references} (one transfer per invoice, each with its own reference)" in message.text
    assert "Total open in GBP: £1,690.50" in message.text and "Total open in EUR: €500.00" in message.text


def test_the_payment_reference_is_the_one_the_portal_gives_and_both_account_details_are_shown(org, customer,
                                                                                            invoices):
    org.bank_account = "Sort code 20-00-00, account number 12345678"
    org.save()
    one = invoices[0]

    message = _render(org, customer, [one], "first-reminder", "email", "en")

    assert f"Payment reference: {payment_reference(one.number, one.pk)}\n" in message.text
    assert "IBAN: GB82 WEST 1234 5698 7654 32" in message.text
    assert "Account: Sort code 20-00-00, account number 12345678" in message.text
    assert f"Payment reference: {payment_reference(one.number, one.pk)}</strong></p>" in message.html


def test_it_asks_for_payment_details_when_the_organization_has_none(org, customer, invoices):
    org.bank_iban = ""
    org.save()

    message = _render(org, customer, invoices, "first-reminder", "email", "en")

    assert "IBAN" not in message.text
    assert "contact us at accounts@acme.example for our payment details" in message.text


def test_it_leaves_out_links_that_are_not_given(org, customer, invoices):
    message = _render(org, customer, invoices, "first-reminder", "email", "en", portal_url="",
                      preferences_url="")

    assert "http" not in message.text and "href" not in message.html


def test_the_default_policies_load_and_name_templates_that_exist():
    assert [path.name for path in POLICY_FILES] == ["business.yaml", "consumer.yaml"]
    for policy in _policies():
        for step in policy["steps"]:
            for channel in step["channels"]:
                name = f"messaging/{step.get('template') or step['key']}/{channel}/en/body.txt"
                try:
                    get_template(name)
                except TemplateDoesNotExist:
                    pytest.fail(f"{policy['name']} step {step['key']} names a missing template: {name}")


def test_the_default_policies_are_valid_policies_that_round_trip():
    policy_module = pytest.importorskip("recoup.core.policy")
    for data in _policies():
        policy = policy_module.Policy.from_dict(data)
        dumped = yaml.safe_dump(policy.to_dict(), sort_keys=False, allow_unicode=True)
        assert policy_module.Policy.from_dict(yaml.safe_load(dumped)) == policy
        assert [step.key for step in policy.steps] == [
            "pre-due", "first-reminder", "second-reminder", "call", "final-notice", "letter-before-action"]


def test_the_consumer_policy_is_gentler_than_the_business_one():
    policy_module = pytest.importorskip("recoup.core.policy")
    business, consumer = (policy_module.Policy.from_dict(data) for data in _policies())
    late_fee = policy_module.StepAction.LATE_FEE

    for step in consumer.steps:
        assert "sms" not in step.channels or step.offset_days >= 9
        assert step.action != late_fee or step.offset_days >= 30
    for key in ("first-reminder", "second-reminder", "final-notice", "letter-before-action"):
        assert consumer.step(key).offset_days > business.step(key).offset_days
