"""What the books hold is changed there: a customer's name and the e-mail and phone of the contact
the sync keeps, and every change of an invoice (credit notes, write-offs, settlements); the pages
say where it came from. Charges Recoup adds stay Recoup's."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client

from recoup.connections.sync import sync_connection
from recoup.connections.tests.xero_double import ms
from recoup.ledger.actions import (
    InvoiceLocked, LedgerError, charge_add, credit_apply, credit_note_record, invoice_write_off, payment_record,
)
from recoup.ledger.customer_actions import CustomerInputError, contact_delete, contact_save, customer_update
from recoup.ledger.imports.runner import import_csv
from recoup.ledger.models import Contact, CreditNote, Customer, Invoice
from recoup.orgs.actions import member_add
from recoup.orgs.models import Role

IN_XERO = "came from Xero: change it in Xero, the next sync brings the change"


@pytest.fixture
def synced(org_a, connection, seeded, now):
    assert sync_connection(connection=connection, now=now).ok
    return {c.ref: c for c in Customer.objects.for_org(org_a)}


@pytest.fixture
def owner(org_a, system, now):
    client = Client()
    client.force_login(member_add(org=org_a, username="owner", role=Role.OWNER, actor=system, now=now).user)
    return client


def api(org, system, now) -> dict:
    from recoup.api.actions import token_create

    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(org=org, name='t', scope='write', actor=system, now=now)[1]}"}


def invoice(org, number: str) -> Invoice:
    return Invoice.objects.for_org(org).get(number=number)


# --- customers ------------------------------------------------------------------------------------

def test_the_customer_page_says_from_xero_with_a_link_and_marks_the_contact_it_keeps(org_a, synced, seeded, xero,
                                                                                      owner, make_customer):
    alpha = synced["A-1"]
    page = owner.get(f"/o/{org_a.slug}/customers/{alpha.pk}/").content.decode()
    contact_id = next(c for c, row in xero.contacts.items() if row["Name"] == "Alpha Ltd")
    assert "from Xero" in page and f'href="https://xero.fake.test/Contacts/View/{contact_id}"' in page
    assert page.count("<span class=\"tag\">from Xero</span>") == 1  # the billing contact the sync keeps
    own = make_customer(org_a, "OWN-1", "Recoup's own")
    assert "from Xero" not in owner.get(f"/o/{org_a.slug}/customers/{own.pk}/").content.decode()


def test_the_name_and_the_kept_contacts_e_mail_and_phone_are_changed_in_xero(org_a, synced, system, now):
    alpha = synced["A-1"]
    with pytest.raises(CustomerInputError, match=f"customer A-1: legal name refused, it {IN_XERO}") as refused:
        customer_update(org=org_a, customer=alpha, legal_name="Alpha Group", actor=system, now=now)
    assert refused.value.field == "legal_name"
    customer_update(org=org_a, customer=alpha, display_name="Alpha", notes="pays late", language="de",
                    actor=system, now=now)  # Recoup's own details
    kept = Contact.objects.for_org(org_a).get(customer=alpha)
    for field, value in (("email", "new@alpha.test"), ("phone", "+44 1"), ("is_billing", False)):
        with pytest.raises(CustomerInputError, match=IN_XERO):
            contact_save(org=org_a, customer=alpha, contact=kept, actor=system, now=now, **{field: value})
    with pytest.raises(LedgerError, match=f"removing it refused, it {IN_XERO}"):
        contact_delete(org=org_a, contact=kept, actor=system, now=now)
    contact_save(org=org_a, customer=alpha, contact=kept, opt_out_sms=True, role="Accounts", postal_address="1 Road",
                 actor=system, now=now)
    other = contact_save(org=org_a, customer=alpha, name="Deputy", email="d@alpha.test", is_billing=True,
                         actor=system, now=now)
    contact_save(org=org_a, customer=alpha, contact=other, email="d2@alpha.test", actor=system, now=now)
    contact_delete(org=org_a, contact=other, actor=system, now=now)
    kept.refresh_from_db()
    assert (kept.email, kept.opt_out_sms) == ("ap@alpha.test", True)
    assert Customer.objects.get(pk=alpha.pk).legal_name == "Alpha Ltd"


def test_a_change_made_in_xero_still_arrives_with_the_next_sync(org_a, connection, synced, xero, now):
    contact_id = next(c for c, row in xero.contacts.items() if row["Name"] == "Alpha Ltd")
    xero.contacts[contact_id].update(Name="Alpha Group", EmailAddress="ar@alpha.test", UpdatedDateUTC=ms(xero.tick()))
    assert sync_connection(connection=connection, now=now + timedelta(hours=1)).ok
    alpha = Customer.objects.for_org(org_a).get(ref="A-1")
    assert alpha.legal_name == "Alpha Group"
    assert Contact.objects.for_org(org_a).get(customer=alpha).email == "ar@alpha.test"


def test_the_edit_forms_show_what_xero_holds_and_save_the_rest(org_a, synced, owner):
    alpha = synced["A-1"]
    edit = f"/o/{org_a.slug}/customers/{alpha.pk}/edit/"
    form = owner.get(edit).content.decode()
    assert "From Xero: change it there" in form
    response = owner.post(edit, {"ref": "A-1", "kind": "business", "legal_name": "Renamed", "status": "active",
                                 "notes": "call first"})
    assert response.status_code == 302
    alpha.refresh_from_db()
    assert (alpha.legal_name, alpha.notes) == ("Alpha Ltd", "call first")
    kept = Contact.objects.for_org(org_a).get(customer=alpha)
    response = owner.post(f"/o/{org_a.slug}/customers/{alpha.pk}/contacts/{kept.pk}/",
                          {"name": kept.name, "email": "x@y.test", "preferred_channel": "email", "role": "AP"})
    assert response.status_code == 302
    kept.refresh_from_db()
    assert (kept.email, kept.role, kept.is_billing) == ("ap@alpha.test", "AP", True)


def test_the_api_and_a_csv_import_are_refused_naming_xero(org_a, synced, client, system, now):
    alpha = synced["A-1"]
    auth = api(org_a, system, now)
    renamed = client.patch(f"/api/v1/customers/{alpha.pk}", {"legal_name": "Renamed"},
                           content_type="application/json", **auth)
    assert renamed.status_code == 422 and IN_XERO in renamed.json()["detail"]
    kept = Contact.objects.for_org(org_a).get(customer=alpha)
    moved = client.patch(f"/api/v1/customers/{alpha.pk}/contacts/{kept.pk}", {"email": "x@y.test"},
                         content_type="application/json", **auth)
    assert moved.status_code == 422 and IN_XERO in moved.json()["detail"]
    assert client.delete(f"/api/v1/customers/{alpha.pk}/contacts/{kept.pk}", **auth).status_code == 422
    result = import_csv(org=org_a, kind="customers", name="c.csv", data="ref,name\nB-1,Beta AG\n", actor=system,
                        now=now)
    assert [(e.file, e.row) for e in result.errors] == [("c.csv", 2)] and IN_XERO in result.errors[0].message
    assert Customer.objects.for_org(org_a).get(ref="B-1").legal_name == "Beta GmbH"


# --- invoices: credit notes, write-offs, settlements, charges ---------------------------------------

def test_a_credit_note_on_an_invoice_from_xero_is_refused_pointing_to_xero(org_a, synced, system, now, client):
    inv = invoice(org_a, "INV-0004")
    issue_there = "came from Xero: issue the credit note in Xero, the next sync brings it"
    with pytest.raises(InvoiceLocked, match=f"invoice INV-0004: credit note refused, it {issue_there}"):
        credit_note_record(org=org_a, customer=inv.customer, number="CN-R1", date=now.date(), amount_minor=100,
                           currency="GBP", invoice=inv, actor=system, now=now)
    with pytest.raises(InvoiceLocked, match=issue_there):  # unnamed: the rule would credit INV-0004
        credit_note_record(org=org_a, customer=inv.customer, number="CN-R2", date=now.date(), amount_minor=100,
                           currency="GBP", actor=system, now=now)
    refused = client.post("/api/v1/credit-notes", {"number": "CN-R3", "customer_ref": inv.customer.ref,
                                                   "invoice_number": "INV-0004", "date": "2026-03-31",
                                                   "amount": "1.00"},
                          content_type="application/json", **api(org_a, system, now))
    assert refused.status_code == 422 and issue_there in refused.json()["detail"]
    result = import_csv(org=org_a, kind="credit-notes", name="cn.csv", actor=system, now=now,
                        data=f"number,customer_ref,invoice_number,date,amount\nCN-R4,{inv.customer.ref},INV-0004,"
                             "2026-03-31,1.00\n")
    assert [e.row for e in result.errors] == [2] and issue_there in result.errors[0].message
    assert not CreditNote.objects.for_org(org_a).filter(number__startswith="CN-R").exists()
    assert invoice(org_a, "INV-0004").open_minor == inv.open_minor


def test_the_web_credit_note_form_refuses_it_and_the_invoice_page_offers_none(org_a, synced, owner):
    inv = invoice(org_a, "INV-0004")
    assert "Issue a credit note" not in owner.get(f"/o/{org_a.slug}/invoices/{inv.pk}/").content.decode()
    page = owner.post(f"/o/{org_a.slug}/customers/{inv.customer_id}/credit-notes/new/",
                      {"number": "CN-W1", "date": "2026-03-31", "amount": "1.00", "currency": "GBP",
                       "invoice": inv.pk, "reason": "goodwill"})
    assert page.status_code == 200 and "issue the credit note in Xero" in page.content.decode()
    assert not CreditNote.objects.for_org(org_a).filter(number="CN-W1").exists()


def test_credit_on_account_is_not_applied_to_an_invoice_from_xero_unless_it_is_money(org_a, connection, seeded,
                                                                                     make_customer, system, now):
    alpha = make_customer(org_a, "A-1", "Alpha Ltd")  # Recoup's own customer, adopted by the sync
    note = credit_note_record(org=org_a, customer=alpha, number="CN-OWN", date=date(2026, 3, 1), amount_minor=500,
                              currency="GBP", actor=system, now=now)
    paid = payment_record(org=org_a, customer=alpha, date=date(2026, 3, 1), amount_minor=300, currency="GBP",
                          actor=system, now=now)
    assert sync_connection(connection=connection, now=now).ok
    inv = invoice(org_a, "INV-0001")
    before = inv.open_minor
    assert inv.customer_id == alpha.pk
    with pytest.raises(InvoiceLocked, match="issue the credit note in Xero"):
        credit_apply(org=org_a, source=note, invoice=inv, on=now.date(), actor=system, now=now)
    credit_apply(org=org_a, source=paid, invoice=inv, on=now.date(), actor=system, now=now)  # written back
    assert invoice(org_a, "INV-0001").open_minor == before - 300


def test_a_write_off_or_a_settlement_of_an_invoice_from_xero_points_to_xero(org_a, synced, system, now):
    from recoup.arrangements.actions import ArrangementError
    from recoup.arrangements.settlement_actions import settlement_offer

    inv = invoice(org_a, "INV-0004")
    with pytest.raises(InvoiceLocked, match="write it off in Xero \\(a credit note there\\), the next sync brings it"):
        invoice_write_off(org=org_a, invoice=inv, on=now.date(), reason="bad debt", actor=system, now=now)
    with pytest.raises(ArrangementError, match="INV-0004: settlement refused, it came from Xero: a settlement ends "
                                               "in a write-off, made in Xero: agree it there"):
        settlement_offer(org=org_a, customer=inv.customer, invoices=[inv], amount_minor=1000,
                         deadline=date(2026, 4, 30), reason="hardship", actor=system, now=now)


def test_a_settlement_paid_after_its_invoice_came_from_xero_ends_without_crashing_the_daily_check(
        org_a, connection, seeded, make_customer, make_invoice, system, now):
    from recoup.arrangements.check import arrangements_check
    from recoup.arrangements.models import SettlementStatus
    from recoup.arrangements.settlement_actions import settlement_offer
    from recoup.messaging.models import Task

    gamma = make_customer(org_a, "Gamma", "Gamma LLC")
    own = make_invoice(org_a, gamma, "OWN-9", "40.00", due=date(2026, 2, 1))
    theirs = make_invoice(org_a, gamma, "INV-0004", "50.50", due=date(2026, 3, 1))  # adopted by the sync
    settlement = settlement_offer(org=org_a, customer=gamma, invoices=[own, theirs], amount_minor=5000,
                                  deadline=date(2026, 4, 30), reason="hardship", accepted=True, actor=system,
                                  now=now - timedelta(days=10))
    assert sync_connection(connection=connection, now=now).ok
    assert invoice(org_a, "INV-0004").customer_id == gamma.pk
    payment_record(org=org_a, customer=gamma, date=now.date(), amount_minor=5000, currency="GBP", invoice=own,
                   actor=system, now=now)
    arrangements_check(org=org_a, on=now.date(), now=now)
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.PAID
    assert invoice(org_a, "INV-0004").open_minor > 0  # still owed in the books: not written off here
    assert Task.objects.for_org(org_a).filter(text__contains="Not written off here: INV-0004 came from Xero").exists()


def test_a_late_fee_on_an_invoice_from_xero_stays_recoups_when_xero_says_it_is_paid(org_a, connection, synced,
                                                                                  seeded, xero, system, now):
    inv = invoice(org_a, "INV-0004")
    charge_add(org=org_a, invoice=inv, kind="late_fee", on=now.date(), amount_minor=750, actor=system, now=now)
    xero.pay(seeded["c1"], "50.50")
    again = sync_connection(connection=connection, now=now + timedelta(hours=1))
    assert again.ok, again.error
    paid = invoice(org_a, "INV-0004")
    assert (paid.open_minor, paid.status) == (750, "open")  # the fee, Recoup's own, is still owed
