"""Write one page of remote records into the ledger, through the ledger's own actions.

Every record is matched by its remote id (``RemoteLink``): a record seen before with the same
version changes nothing, so a second sync of the same data writes nothing. Runs inside the
page's transaction (``sync.py``), which also saves the cursor: a page is committed whole or not
at all. A remote amount Recoup cannot hold (more decimals than the currency has, an unknown
currency) raises ``RecordRefused`` naming the record, and the page is not written.
"""

from __future__ import annotations

import contextvars
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable

from recoup.audit.actions import Actor
from recoup.connections.queries import one
from recoup.connections.models import Connection, LinkKind, RemoteLink, Writeback, WritebackStatus
from recoup.connections.providers.base import (
    RemoteCredit, RemoteCustomer, RemoteDeletion, RemoteInvoice, RemotePayment,
)
from recoup.core.money import minor_exponent, to_minor
from recoup.ledger.actions import (
    LedgerError, LineInput, credit_note_record, invoice_create, payment_record, payment_reverse,
)
from recoup.ledger.customer_actions import CustomerInputError, contact_save, customer_create, customer_update
from recoup.ledger.imports.writes import invoice_upsert
from recoup.ledger.models import Contact, CreditNote, Customer, Invoice, Payment, PaymentMethod

# Set while a sync writes: the guard that keeps operators from editing invoices from the books
# lets the books themselves through.
SYNCING: contextvars.ContextVar[bool] = contextvars.ContextVar("recoup_books_syncing", default=False)
REFERENCE_PREFIX = "Recoup "


class RecordRefused(ValueError):
    """A remote record Recoup cannot take as it is; the message names it."""


@dataclass
class PageWriter:
    connection: Connection
    now: datetime
    label: str
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.org = self.connection.org
        self.actor = Actor.system(f"{self.label} sync")
        self.links: dict[tuple[str, str], RemoteLink | None] = {}  # read at the page's start (batches.preload)
        self.invoices: dict[int, Invoice] = {}  # the invoices a page's payments, credits and voids name
        self.customers: dict[int, Customer] = {}  # the customers of a page's new invoices
        self.numbers: set[str] = set()  # invoice numbers of the page already in Recoup
        self.refs: set[str] = set()  # references of the page's new customers already in Recoup
        self.credit_numbers: set[str] = set()  # numbers of the page's credit notes already in Recoup

    # --- helpers ---------------------------------------------------------------------------
    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def link(self, kind: str, remote_id: str) -> RemoteLink | None:
        key = (kind, remote_id)
        if key not in self.links:
            found = one(RemoteLink.objects.filter(connection=self.connection, kind=kind, remote_id=remote_id))
            if found is None:
                return None
            self.links[key] = found
        return self.links[key]

    def make_link(self, kind: str, remote_id: str, local_id: int, version: str, number: str = "") -> None:
        self.links[(kind, remote_id)] = RemoteLink.objects.create(
            org=self.org, connection=self.connection, kind=kind, remote_id=remote_id, local_id=local_id,
            version=version, number=number[:64])

    def make_links(self, kind: str, rows: list[tuple[str, int, str, str]]) -> None:
        """Links (remote id, local id, version, number) made together, for records written together."""
        made = RemoteLink.objects.bulk_create([
            RemoteLink(org=self.org, connection=self.connection, kind=kind, remote_id=remote_id, local_id=local_id,
                       version=version, number=number[:64]) for remote_id, local_id, version, number in rows])
        for link in made:
            self.links[(kind, link.remote_id)] = link

    def set_versions(self, kind: str, rows: list[tuple[str, str]]) -> None:
        """New versions (remote id, version) of linked records, for records written together."""
        links = []
        for remote_id, version in rows:
            link = self.links[(kind, remote_id)]
            link.version = version
            links.append(link)
        RemoteLink.objects.bulk_update(links, ["version"], batch_size=500)

    def minor(self, amount: Decimal, currency: str, what: str) -> int:
        try:
            minor_exponent(currency)
        except ValueError:
            raise RecordRefused(f"{what}: currency {currency!r} is not one Recoup knows") from None
        try:
            return to_minor(amount, currency)
        except ValueError:
            raise RecordRefused(f"{what}: {amount} {currency} has more decimals than {currency} has "
                                f"({minor_exponent(currency)})") from None

    @staticmethod
    def credit_number(rc: RemoteCredit, taken: Callable[[str], bool]) -> str:
        """A credit note's number in Recoup: its own, or, when Recoup has that number already (the
        books allow one number twice, and one credit note applied to several invoices is several
        here), the number and a digest of the remote id."""
        number = rc.number[:64]
        if not taken(number):
            return number
        return f"{rc.number[:40]}/{hashlib.sha256(rc.remote_id.encode()).hexdigest()[:12]}"

    @staticmethod
    def _credit_kind(r: RemoteCredit) -> str:
        return LinkKind.CREDIT_NOTE if r.source == "credit_note" else LinkKind.PAYMENT

    # --- records ---------------------------------------------------------------------------
    def apply(self, record: Any) -> None:
        """Write one record; a refusal of the ledger stops the page naming the record."""
        write = {RemoteCustomer: self.customer, RemoteInvoice: self.invoice, RemotePayment: self.payment,
                 RemoteCredit: self.credit, RemoteDeletion: self.deletion}[type(record)]
        try:
            write(record)
        except LedgerError as exc:
            kind = type(record).__name__.removeprefix("Remote").lower()
            number = getattr(record, "number", "")
            raise RecordRefused(f"{self.label} {kind} {number + ' ' if number else ''}({record.remote_id}): {exc}") from None

    def customer(self, rc: RemoteCustomer) -> Customer | None:
        """Create, match or update the customer; returns the one created or matched."""
        link = self.link(LinkKind.CUSTOMER, rc.remote_id)
        if link is not None and (link.version == rc.version or not rc.version):
            return None  # unchanged: nothing to read or write
        if link is not None:
            customer = Customer.objects.for_org(self.org).get(pk=link.local_id)
            customer_update(org=self.org, customer=customer, actor=self.actor, now=self.now, via=self.label,
                            legal_name=rc.name.strip()[:200] or customer.ref)
            self._contact(customer, rc)
            link.version = rc.version
            link.save(update_fields=["version"])
            self.count("customers_updated")
            return customer
        ref = (rc.number or rc.remote_id)[:64]
        customer = one(Customer.objects.for_org(self.org).filter(ref=ref))
        if customer is None or RemoteLink.objects.filter(org=self.org, connection=self.connection,
                                                         kind=LinkKind.CUSTOMER, local_id=customer.pk).exists():
            if customer is not None:
                ref = rc.remote_id[:64]
            customer = customer_create(org=self.org, ref=ref, legal_name=rc.name.strip()[:200] or ref, actor=self.actor,
                                       now=self.now, via=self.label)
            self._contact(customer, rc)
            self.refs.add(ref)
            self.count("customers_created")
        else:
            self.count("customers_matched")
        self.make_link(LinkKind.CUSTOMER, rc.remote_id, customer.pk, rc.version, rc.number)
        return customer

    def _contact(self, customer: Customer, rc: RemoteCustomer) -> None:
        if not (rc.email or rc.phone):
            return
        billing = Contact.objects.for_org(self.org).filter(customer=customer, is_billing=True).order_by("pk").first()
        fields = {k: v for k, v in (("email", rc.email), ("phone", rc.phone[:32])) if v}
        try:
            contact_save(org=self.org, customer=customer, contact=billing, actor=self.actor, now=self.now,
                         via=self.label, **({"name": rc.name.strip()[:200] or customer.name, "is_billing": True}
                                            if billing is None else {}), **fields)
        except CustomerInputError:
            self.count("contact_details_refused")  # an e-mail address Recoup cannot send to: the customer stays

    def invoice(self, ri: RemoteInvoice) -> None:
        what = f"{self.label} invoice {ri.number} ({ri.remote_id})"
        link = self.link(LinkKind.INVOICE, ri.remote_id)
        if ri.state == "draft" and link is None:
            self.count("drafts_skipped")
            return
        if link is not None and link.version == ri.version and ri.version:
            self.count("unchanged")
            return
        subtotal, tax, total = self.invoice_amounts(ri)
        if link is None:
            if ri.state == "void":
                self.count("voided_skipped")
                return
            self._invoice_new(ri, subtotal, tax, total, what)
            return
        invoice = Invoice.objects.for_org(self.org).get(pk=link.local_id)
        if ri.state == "void":
            self._void(invoice, what)
        elif (invoice.total_minor, invoice.due_date, invoice.issue_date) != (total, ri.due_date, ri.issue_date):
            self._invoice_change(invoice, ri, total, what)
        link.version = ri.version
        link.save(update_fields=["version"])

    def invoice_amounts(self, ri: RemoteInvoice) -> tuple[int, int, int]:
        """SubTotal, TotalTax and Total in minor units, refused when the currency cannot hold them
        or they do not add up."""
        what = f"{self.label} invoice {ri.number} ({ri.remote_id})"
        total = self.minor(ri.total, ri.currency, f"{what}, Total")
        subtotal = self.minor(ri.subtotal, ri.currency, f"{what}, SubTotal")
        tax = self.minor(ri.tax, ri.currency, f"{what}, TotalTax")
        self.minor(ri.amount_due, ri.currency, f"{what}, AmountDue")
        if subtotal + tax != total:
            raise RecordRefused(f"{what}: SubTotal {ri.subtotal} + TotalTax {ri.tax} is not Total {ri.total}")
        return subtotal, tax, total

    def invoice_line(self, ri: RemoteInvoice, subtotal: int, tax: int) -> LineInput:
        """The one line Recoup keeps of a remote invoice: its reference and its amounts."""
        return LineInput(description=(ri.reference or f"Invoice {ri.number}")[:500], quantity=Decimal(1),
                         unit_price=ri.subtotal, net_minor=subtotal, tax_minor=tax)

    def _invoice_new(self, ri: RemoteInvoice, subtotal: int, tax: int, total: int, what: str) -> None:
        customer = self._customer_of(ri)
        existing = one(Invoice.objects.for_org(self.org).filter(number=ri.number)) if ri.number in self.numbers else None
        if existing is not None:
            if RemoteLink.objects.filter(org=self.org, connection=self.connection, kind=LinkKind.INVOICE,
                                         local_id=existing.pk).exists() \
                    or (existing.currency, existing.total_minor) != (ri.currency, total):
                raise RecordRefused(f"{what}: Recoup already has an invoice {ri.number} "
                                    f"({existing.total} {existing.currency}); rename one of them")
            self.count("invoices_matched")
            self.make_link(LinkKind.INVOICE, ri.remote_id, existing.pk, ri.version, ri.number)
            return
        try:
            invoice = invoice_create(
                org=self.org, customer=customer, number=ri.number, issue_date=ri.issue_date, due_date=ri.due_date,
                currency=ri.currency, lines=[self.invoice_line(ri, subtotal, tax)],
                description=f"from {self.label}", actor=self.actor, now=self.now)
        except LedgerError as exc:
            raise RecordRefused(f"{what}: {exc}") from None
        self.make_link(LinkKind.INVOICE, ri.remote_id, invoice.pk, ri.version, ri.number)
        self.numbers.add(ri.number)
        self.count("invoices_created")

    def remember_customers(self, customers: list[Customer]) -> None:
        self.customers.update((c.pk, c) for c in customers)

    def linked_customer(self, link: RemoteLink) -> Customer:
        if link.local_id not in self.customers:
            self.customers[link.local_id] = Customer.objects.for_org(self.org).get(pk=link.local_id)
        return self.customers[link.local_id]

    def _customer_of(self, ri: RemoteInvoice) -> Customer:
        link = self.link(LinkKind.CUSTOMER, ri.customer.remote_id)
        if link is not None:
            return self.linked_customer(link)
        customer = self.customer(RemoteCustomer(ri.customer.remote_id, "", ri.customer.name, ri.customer.number))
        assert customer is not None  # a customer not linked yet is created or matched
        return customer

    @staticmethod
    def void_number(invoice: Invoice, taken: Callable[[str], bool]) -> str:
        """The number of the credit note that closes an invoice voided or deleted in the books."""
        number = f"{invoice.number}-VOID"[:64]
        return f"{invoice.number}-VOID-{invoice.pk}"[:64] if taken(number) else number

    def _void(self, invoice: Invoice, what: str) -> None:
        invoice.refresh_from_db()
        if invoice.open_minor <= 0:
            self.count("voided_already_settled")
            return
        number = self.void_number(invoice, lambda n: CreditNote.objects.for_org(self.org).filter(number=n).exists())
        credit_note_record(org=self.org, customer=invoice.customer, number=number,
                           date=max(invoice.issue_date, self.now.date()), amount_minor=invoice.open_minor,
                           currency=invoice.currency, invoice=invoice, reason=f"Voided or deleted in {self.label}",
                           actor=self.actor, now=self.now)
        self.count("invoices_voided")

    def _invoice_change(self, invoice: Invoice, ri: RemoteInvoice, total: int, what: str) -> None:
        if total != invoice.total_minor and (invoice.allocations.exists() or invoice.charges.exists()):
            raise RecordRefused(f"{what}: its total changed to {ri.total} {ri.currency} but Recoup has payments "
                                "or charges against it")
        plan = {"existing": invoice, "issue_date": ri.issue_date, "due_date": ri.due_date,
                "po_number": invoice.po_number, "description": invoice.description, "chosen_terms": invoice.terms,
                "agreed": invoice.terms_as_agreed(), "amount_minor": total, "currency": invoice.currency,
                "number": invoice.number, "customer": invoice.customer}
        invoice_upsert(org=self.org, plan=plan, actor=self.actor, now=self.now)
        self.count("invoices_updated")

    def linked_invoice(self, remote_id: str, fresh: bool = True) -> Invoice | None:
        link = self.link(LinkKind.INVOICE, remote_id)
        if link is None:
            return None
        if not fresh and link.local_id in self.invoices:
            return self.invoices[link.local_id]
        invoice = Invoice.objects.for_org(self.org).select_related("customer").get(pk=link.local_id)
        if not fresh:
            self.invoices[invoice.pk] = invoice
        return invoice

    def payment(self, rp: RemotePayment) -> None:
        what = f"{self.label} payment {rp.remote_id}"
        link = self.link(LinkKind.PAYMENT, rp.remote_id)
        if link is not None:
            if rp.deleted and link.version != "deleted":
                self._reverse(link, f"deleted in {self.label}")
            return
        if rp.deleted:
            return
        written = self.our_writeback(rp.reference)
        if written is not None:
            # A payment Recoup wrote itself, whose answer was never recorded: link it, count it once.
            Writeback.objects.filter(pk=written.pk).update(status=WritebackStatus.WRITTEN, remote_id=rp.remote_id,
                                                           written_at=self.now, last_error="")
            self.make_link(LinkKind.PAYMENT, rp.remote_id, written.payment_id, rp.version)
            self.count("payments_linked")
            return
        invoice = self.linked_invoice(rp.invoice_remote_id)
        if invoice is None:
            self.count("payments_without_invoice")
            return
        amount = self.minor(rp.amount, rp.currency or invoice.currency, what)
        if amount <= 0:
            return
        payment = payment_record(org=self.org, customer=invoice.customer, date=rp.date, amount_minor=amount,
                                 currency=invoice.currency, invoice=invoice, method=PaymentMethod.OTHER,
                                 reference=f"{self.label}: {rp.reference}"[:140], actor=self.actor, now=self.now)
        self.make_link(LinkKind.PAYMENT, rp.remote_id, payment.pk, rp.version)
        self.count("payments_created")

    def our_writeback(self, reference: str) -> Writeback | None:
        if not reference.startswith(REFERENCE_PREFIX):
            return None
        return one(Writeback.objects.filter(connection=self.connection, key=reference[len(REFERENCE_PREFIX):]))

    def _reverse(self, link: RemoteLink, reason: str) -> None:
        payment = one(Payment.objects.for_org(self.org).filter(pk=link.local_id))
        if payment is not None:
            payment_reverse(org=self.org, payment=payment, reason=reason, actor=self.actor, now=self.now)
        link.version = "deleted"
        link.save(update_fields=["version"])
        self.count("payments_reversed")

    def deletion(self, rd: RemoteDeletion) -> None:
        """Something deleted in the books: an invoice is credited like a void, a payment reversed
        (every part of it: QuickBooks payments are linked per invoice as "PAYMENT:INVOICE")."""
        if rd.kind == "invoice":
            link = self.link(LinkKind.INVOICE, rd.remote_id)
            if link is not None and link.version != "deleted":
                self._void(Invoice.objects.for_org(self.org).get(pk=link.local_id), f"{self.label} invoice {rd.remote_id}")
                link.version = "deleted"
                link.save(update_fields=["version"])
        elif rd.kind == "payment":
            parts = RemoteLink.objects.filter(connection=self.connection, kind__in=[LinkKind.PAYMENT, LinkKind.CREDIT_NOTE],
                                              remote_id__gte=f"{rd.remote_id}:",
                                              remote_id__lt=f"{rd.remote_id};")  # "ID:..." by the index.exclude(version="deleted")
            for link in parts:
                if link.kind == LinkKind.PAYMENT:
                    self._reverse(link, f"deleted in {self.label}")
                else:
                    self.count("credit_removals_not_applied")

    def credit(self, rc: RemoteCredit) -> None:
        what = f"{self.label} {rc.source.replace('_', ' ')} {rc.number} ({rc.remote_id})"
        kind = self._credit_kind(rc)
        link = self.link(kind, rc.remote_id)
        if link is not None:
            if rc.deleted and link.version != "deleted":
                if kind == LinkKind.PAYMENT:
                    self._reverse(link, f"allocation removed in {self.label}")
                else:
                    self.count("credit_removals_not_applied")  # the ledger keeps issued credit notes
            return
        if rc.deleted:
            return
        invoice = self.linked_invoice(rc.invoice_remote_id)
        if invoice is None:
            self.count("credits_without_invoice")
            return
        amount = self.minor(rc.amount, rc.currency or invoice.currency, what)
        if amount <= 0:
            return
        if kind == LinkKind.PAYMENT:
            row = payment_record(org=self.org, customer=invoice.customer, date=rc.date, amount_minor=amount,
                                 currency=invoice.currency, invoice=invoice, method=PaymentMethod.OTHER,
                                 reference=f"{self.label}: {rc.number}"[:140], actor=self.actor, now=self.now)
        else:
            number = self.credit_number(rc, lambda n: CreditNote.objects.for_org(self.org).filter(number=n).exists())
            row = credit_note_record(org=self.org, customer=invoice.customer, number=number, date=rc.date,
                                     amount_minor=amount, currency=invoice.currency, invoice=invoice,
                                     reason=f"from {self.label}", actor=self.actor, now=self.now)
        self.make_link(kind, rc.remote_id, row.pk, rc.version, rc.number)
        self.count(f"{rc.source}s_applied")
