"""Sync in from Xero: what arrives, exactly once, and what is refused."""

from __future__ import annotations

from decimal import Decimal

from recoup.audit.models import AuditEvent
from recoup.connections.models import RemoteLink
from recoup.connections.sync import sync_connection
from recoup.ledger.models import Customer, Invoice, InvoiceStatus, Payment


def open_by_customer(org) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for inv in Invoice.objects.for_org(org).select_related("customer"):
        out[inv.customer.legal_name] = out.get(inv.customer.legal_name, Decimal(0)) + inv.open_amount
    return out


def test_first_sync_imports_the_books_and_open_amounts_equal_xeros(org_a, connection, seeded, xero, now):
    result = sync_connection(connection=connection, now=now)
    assert result.ok, result.error
    assert Customer.objects.for_org(org_a).count() == 3
    assert Invoice.objects.for_org(org_a).count() == 4  # the draft is not a debt
    assert open_by_customer(org_a) == {k: v for k, v in xero.amounts_due().items()}
    b1 = Invoice.objects.for_org(org_a).get(number="INV-0003")
    assert (b1.total_minor, b1.tax_minor, b1.open_minor) == (100000, 16667, 60000)
    assert connection.__class__.objects.get(pk=connection.pk).last_synced_at == now


def test_a_second_sync_of_the_same_data_changes_nothing(org_a, connection, seeded, now):
    sync_connection(connection=connection, now=now)
    events = AuditEvent.objects.for_org(org_a).count()
    links = RemoteLink.objects.count()
    result = sync_connection(connection=connection, now=now)
    assert result.ok
    assert AuditEvent.objects.for_org(org_a).count() == events
    assert RemoteLink.objects.count() == links


def test_a_full_resync_changes_nothing_either(org_a, connection, seeded, now):
    sync_connection(connection=connection, now=now)
    payments = Payment.objects.for_org(org_a).count()
    result = sync_connection(connection=connection, now=now, full=True)
    assert result.ok, result.error
    assert Payment.objects.for_org(org_a).count() == payments
    assert result.counts.get("unchanged") == 4


def test_a_payment_made_in_xero_arrives_at_the_next_sync(org_a, connection, seeded, xero, now):
    sync_connection(connection=connection, now=now)
    xero.pay(seeded["c1"], "50.50")
    result = sync_connection(connection=connection, now=now)
    assert result.counts.get("payments_created") == 1
    c1 = Invoice.objects.for_org(org_a).get(number="INV-0004")
    assert (c1.open_minor, c1.status) == (0, InvoiceStatus.PAID)


def test_an_invoice_voided_in_xero_is_credited_and_stops_being_owed(org_a, connection, seeded, xero, now):
    sync_connection(connection=connection, now=now)
    xero.void(seeded["a2"])
    sync_connection(connection=connection, now=now)
    a2 = Invoice.objects.for_org(org_a).get(number="INV-0002")
    assert (a2.open_minor, a2.status) == (0, InvoiceStatus.CREDITED)


def test_an_amount_with_more_decimals_than_the_currency_is_refused_naming_the_record(org_a, connection, xero, now):
    c = xero.add_contact("Delta")
    xero.add_invoice(c, "INV-0100", "10.00")
    bad = xero.add_invoice(c, "INV-0101", "10.005")
    result = sync_connection(connection=connection, now=now)
    assert not result.ok
    assert "INV-0101" in result.error and bad in result.error and "more decimals" in result.error
    assert not Invoice.objects.for_org(org_a).filter(number="INV-0101").exists()
    connection.refresh_from_db()
    assert "INV-0101" in connection.last_error and connection.last_synced_at is None


def test_an_unknown_currency_is_refused_naming_the_record(org_a, connection, xero, now):
    c = xero.add_contact("Epsilon")
    xero.add_invoice(c, "INV-0200", "10.00", currency="XYZ")
    result = sync_connection(connection=connection, now=now)
    assert not result.ok and "INV-0200" in result.error and "XYZ" in result.error


def test_yen_amounts_are_exact(org_a, connection, xero, now):
    c = xero.add_contact("Zeta KK")
    xero.add_invoice(c, "INV-JP", "12345", currency="JPY")
    assert sync_connection(connection=connection, now=now).ok
    assert Invoice.objects.for_org(org_a).get(number="INV-JP").total_minor == 12345


def test_nothing_leaks_into_another_organization(org_a, org_b, connection, seeded, now):
    sync_connection(connection=connection, now=now)
    assert not Invoice.objects.for_org(org_b).exists()
    assert not Customer.objects.for_org(org_b).exists()


def test_credit_notes_sharing_a_number_in_the_books_all_arrive_under_numbers_of_their_own(org_a, connection, seeded,
                                                                                          xero, now):
    from recoup.ledger.models import CreditNote

    for invoice in ("a2", "b1", "c1"):  # the books allow one number twice; Recoup's numbers are unique
        xero.credit(seeded[invoice], "CN-0001", "1.00")
    result = sync_connection(connection=connection, now=now)
    assert result.ok, result.error
    numbers = sorted(CreditNote.objects.for_org(org_a).values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 4 and numbers[0] == "CN-0001"
    assert all(n.startswith("CN-0001/") for n in numbers[1:])
    assert open_by_customer(org_a) == xero.amounts_due()


def test_a_contact_with_a_blank_name_arrives_named_by_its_number(org_a, connection, xero, now):
    for one_by_one in (False, True):  # a page of one is written one by one; a page of several together
        xero.add_contact("   ", "", f"K-{one_by_one}")
    result = sync_connection(connection=connection, now=now)
    assert result.ok, result.error
    assert sorted(Customer.objects.for_org(org_a).values_list("ref", "legal_name")) == [
        ("K-False", "K-False"), ("K-True", "K-True")]


def test_a_sync_stops_with_the_ledgers_reason_rather_than_raising(org_a, connection, seeded, monkeypatch, now):
    from recoup.connections import apply, batches
    from recoup.ledger.actions import LedgerError

    def refuse(**kwargs):
        raise LedgerError("the ledger refuses this")
    monkeypatch.setattr(apply, "customer_create", refuse)
    monkeypatch.setattr(batches, "customers_create_many", refuse)
    result = sync_connection(connection=connection, now=now)
    assert not result.ok and result.error.startswith("Xero customer A-1 (") and \
        result.error.endswith("): the ledger refuses this")
    assert not Customer.objects.for_org(org_a).exists()
    assert connection.__class__.objects.get(pk=connection.pk).last_error == result.error
