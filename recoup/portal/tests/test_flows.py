"""Each portal action through the pages, ending with what the operator sees: the ledger or arrangement
state, an event on the customer's timeline and a task in the worklist."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from recoup.audit.models import AuditEvent
from recoup.messaging.models import Task


def _today():
    return timezone.now().date()


def _timeline(link, verb):
    return AuditEvent.objects.for_org(link.org).filter(customer=link.customer, verb=verb, actor_kind="debtor")


def test_the_statement_lists_open_invoices_credits_and_totals(client, link_a, make_invoice, system):
    from recoup.ledger.actions import payment_record

    make_invoice(link_a.org, link_a.customer, "INV-1002", "30.00", issue=date(2026, 2, 1), due=date(2099, 1, 1))
    payment_record(org=link_a.org, customer=link_a.customer, date=date(2026, 2, 2), amount_minor=20000,
                   currency="GBP", actor=system, now=timezone.now())  # more than owed: credit on account
    page = client.get(link_a.url()).content.decode()
    assert "You have no open invoices" in page and "Credit on your account" in page and "£50.00" in page

    make_invoice(link_a.org, link_a.customer, "INV-1003", "75.25", issue=date(2026, 3, 1), due=date(2026, 3, 2))
    page = client.get(link_a.url()).content.decode()
    assert "INV-1003" in page and "£75.25" in page and "days overdue" in page and "£50.00" in page


def test_each_invoice_has_its_pdf(client, link_a):
    response = client.get(link_a.url("portal_invoice_pdf", link_a.invoice.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_bank_transfer_shows_the_rf_reference_and_for_euros_an_epc_qr_code(client, link_a, make_invoice):
    from recoup.orgs.models import Organization
    from recoup.core import rf

    Organization.objects.filter(pk=link_a.org.pk).update(bank_iban="GB33BUKB20201555555555", bank_bic="BUKBGB22",
                                                         bank_name="Barclays")
    eur = make_invoice(link_a.org, link_a.customer, "INV-EUR-1", "99.90", currency="EUR")
    page = client.get(link_a.url("portal_bank")).content.decode()
    assert "GB33 BUKB 2020 1555 5555 55" in page  # in groups of four, as people read it
    assert rf.payment_reference("INV-1001", link_a.invoice.pk) in page
    assert link_a.url("portal_invoice_qr", eur.pk) in page
    assert link_a.url("portal_invoice_qr", link_a.invoice.pk) not in page  # GBP: no SEPA code
    svg = client.get(link_a.url("portal_invoice_qr", eur.pk))
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content


def test_opting_out_of_sms_reaches_every_contact_the_timeline_and_the_worklist(client, link_a):
    response = client.post(link_a.url("portal_preferences"), {
        "opt_out_sms": "on", "preferred_channel": "email", "contact_from": "09:00", "contact_to": "17:30",
        "language": "de"})
    assert response.status_code == 302
    contact = link_a.customer.contacts.get()
    link_a.customer.refresh_from_db()
    assert contact.opt_out_sms and not contact.opt_out_email and link_a.customer.language == "de"
    from recoup.portal.models import PortalPreference

    pref = PortalPreference.objects.for_org(link_a.org).get(customer=link_a.customer)
    assert (pref.contact_from.isoformat(), pref.contact_to.isoformat()) == ("09:00:00", "17:30:00")
    assert _timeline(link_a, "portal.preferences_changed").filter(summary__contains="opted out of sms").exists()
    assert Task.objects.for_org(link_a.org).filter(customer=link_a.customer, text__contains="opted out of sms").exists()
    assert "Sprache" in client.get(link_a.url("portal_preferences")).content.decode()  # now shown in German


def test_the_preferred_channel_cannot_be_one_opted_out_of(client, link_a):
    response = client.post(link_a.url("portal_preferences"), {"opt_out_email": "on", "preferred_channel": "email",
                                                               "language": "en"})
    assert "You cannot prefer a channel you opted out of." in response.content.decode()
    assert not link_a.customer.contacts.get().opt_out_email


def test_a_message_to_the_business_lands_in_the_worklist(client, link_a):
    assert client.post(link_a.url("portal_message"), {"text": "Please call me after 5pm."}).status_code == 302
    assert _timeline(link_a, "portal.message").exists()
    task = Task.objects.for_org(link_a.org).get(customer=link_a.customer, text__contains="after 5pm")
    assert task.kind == "reply" and task.message.direction == "in" and task.message.channel == "portal"


def test_a_plan_within_the_limits_starts_at_once(client, link_a):
    from recoup.arrangements.models import PaymentPlan

    first = _today() + timedelta(days=7)
    response = client.post(link_a.url("portal_plan"), {"invoices": [link_a.invoice.pk], "instalments": "3",
                                                       "frequency": "monthly", "first_date": first.isoformat()})
    assert response.status_code == 302 and response["Location"].endswith("?done=plan")
    plan = PaymentPlan.objects.for_org(link_a.org).get(customer=link_a.customer)
    assert plan.status == "active" and sum(i.amount_minor for i in plan.instalments.all()) == 12000
    assert "Payment plan: active" in client.get(response["Location"]).content.decode()


def test_a_plan_outside_the_limits_waits_for_the_operator(client, link_a):
    from recoup.arrangements.models import PaymentPlan

    response = client.post(link_a.url("portal_plan"), {
        "invoices": [link_a.invoice.pk], "instalments": "12", "frequency": "weekly",
        "first_date": (_today() + timedelta(days=3)).isoformat()})
    assert response["Location"].endswith("?done=plan_review")
    assert PaymentPlan.objects.for_org(link_a.org).get().status == "proposed"
    assert Task.objects.for_org(link_a.org).filter(customer=link_a.customer, text__contains="needs your decision")


def test_a_promise_is_refused_while_the_plan_asked_for_waits_for_a_decision(client, link_a):
    from recoup.arrangements.models import PaymentPlan, Promise

    client.post(link_a.url("portal_plan"), {"invoices": [link_a.invoice.pk], "instalments": "12", "frequency": "weekly",
                                            "first_date": (_today() + timedelta(days=3)).isoformat()})
    plan = PaymentPlan.objects.for_org(link_a.org).get()
    assert plan.status == "proposed"
    response = client.post(link_a.url("portal_promise"), {"invoices": [link_a.invoice.pk],
                                                          "pay_by": (_today() + timedelta(days=10)).isoformat()})
    assert response.status_code == 200
    assert (f"INV-1001 is in a payment plan awaiting a decision (plan #{plan.pk}): please wait for the answer"
            in response.content.decode())
    assert not Promise.objects.for_org(link_a.org).exists()


def test_a_refused_promise_shows_the_reason_and_a_good_one_is_kept(client, link_a):
    from recoup.arrangements.models import Promise

    far = client.post(link_a.url("portal_promise"), {"invoices": [link_a.invoice.pk],
                                                     "pay_by": (_today() + timedelta(days=400)).isoformat()})
    assert far.status_code == 200 and "no later than" in far.content.decode()
    ok = client.post(link_a.url("portal_promise"), {"invoices": [link_a.invoice.pk], "amount": "120,00",
                                                    "pay_by": (_today() + timedelta(days=10)).isoformat()})
    assert ok.status_code == 302
    promise = Promise.objects.for_org(link_a.org).get()
    assert promise.amount_minor == 12000 and promise.status == "open"


def test_a_dispute_with_an_attachment_holds_the_invoice(client, link_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from recoup.arrangements.models import Dispute
    from recoup.collections.models import Pause

    photo = SimpleUploadedFile("damage.pdf", b"%PDF-1.4 broken chair", content_type="application/pdf")
    response = client.post(link_a.url("portal_dispute"), {
        "invoices": [link_a.invoice.pk], "category": "quality", "amount": "40", "message": "Chair arrived broken.",
        "attachments": [photo]})
    assert response.status_code == 302
    dispute = Dispute.objects.for_org(link_a.org).get()
    assert (dispute.category, dispute.amount_minor, dispute.status) == ("quality", 4000, "open")
    assert dispute.attachments.get().filename == "damage.pdf"
    assert Pause.objects.for_org(link_a.org).filter(invoice=link_a.invoice, lifted_at__isnull=True).exists()


def test_a_bad_amount_is_refused_on_the_field(client, link_a):
    response = client.post(link_a.url("portal_dispute"), {"invoices": [link_a.invoice.pk], "category": "other",
                                                           "amount": "12.345", "message": "x"})
    assert response.status_code == 200 and "Enter an amount such as 120.50." in response.content.decode()


def test_the_portal_speaks_the_customers_language(client, link_a):
    from recoup.ledger.models import Customer

    for lang, word in (("de", "Ihr Konto"), ("fr", "Votre compte"), ("es", "Su cuenta")):
        Customer.objects.filter(pk=link_a.customer.pk).update(language=lang)
        page = client.get(link_a.url()).content.decode()
        assert f'<html lang="{lang}">' in page and word in page, lang
    assert "Your account" in client.get(link_a.url() + "?lang=en").content.decode()


def test_portal_urls_give_absolute_working_links(client, link_a, settings):
    from recoup.portal.links import portal_urls

    settings.RECOUP_BASE_URL = "https://pay.example.com"
    portal, prefs = portal_urls(org=link_a.org, customer=link_a.customer, now=timezone.now())
    assert portal.startswith("https://pay.example.com/p/") and prefs == portal + "preferences/"
    assert client.get(portal.removeprefix("https://pay.example.com")).status_code == 200
