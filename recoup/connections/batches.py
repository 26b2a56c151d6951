"""A page's records written together where the ledger can: new customers, new invoices, and new
payments and credit notes that fit the invoice they name, each kind in a few statements
(``customers_create_many``, ``invoices_create_many``, ``payments_record_named``,
``credit_notes_record_named``) instead of several per record.

The order of effects is the one-by-one order: records are gathered while they are of one kind
and need nothing written before them; any other record first writes what was gathered, then
goes through ``PageWriter.apply`` on its own. Records that write nothing (unchanged, drafts,
voids never imported) are only counted. When the ledger refuses a batch (nothing of it is
written), its records go through the one-by-one path, which refuses the same record with the
same message: a batch changes how fast a sync writes, never what it writes
(``tests/test_sync_batches.py`` compares the two).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from recoup.connections.apply import PageWriter
from recoup.connections.models import LinkKind, RemoteLink
from recoup.connections.providers.base import RemoteCredit, RemoteCustomer, RemoteInvoice, RemotePayment
from recoup.ledger.actions import LedgerError
from recoup.ledger.bulk_actions import NamedPayment, payments_record_named
from recoup.ledger.bulk_actions import NamedCredit, NewInvoice, credit_notes_record_named, invoices_create_many
from recoup.ledger.customer_actions import CustomerInputError, NewCustomer, contact_check, customers_create_many
from recoup.ledger.models import CreditNote, Customer, Invoice, PaymentMethod


def apply_page(writer: PageWriter, records: list[Any]) -> None:
    """Write one page's records, in order, inside the page's transaction (``sync.py``)."""
    preload(writer, records)
    batch = PageBatch(writer)
    for record in records:
        batch.add(record)
    batch.flush()


def _in(qs, field: str, values: set) -> set:
    return set(qs.filter(**{f"{field}__in": values}).order_by().values_list(field, flat=True)) if values else set()


def preload(w: PageWriter, records: list[Any]) -> None:
    """Read what the page's records need, a query per kind for the whole page: their links, the
    customers of new invoices, the invoices payments, credits and voids name, and which of the
    page's invoice numbers, customer references and credit note numbers Recoup already has."""
    wanted: dict[str, set[str]] = {}
    for r in records:
        if isinstance(r, RemoteCustomer):
            wanted.setdefault(LinkKind.CUSTOMER, set()).add(r.remote_id)
        elif isinstance(r, RemoteInvoice):
            wanted.setdefault(LinkKind.INVOICE, set()).add(r.remote_id)
            wanted.setdefault(LinkKind.CUSTOMER, set()).add(r.customer.remote_id)
        elif isinstance(r, (RemotePayment, RemoteCredit)):
            kind = LinkKind.CREDIT_NOTE if getattr(r, "source", "") == "credit_note" else LinkKind.PAYMENT
            wanted.setdefault(kind, set()).add(r.remote_id)
            wanted.setdefault(LinkKind.INVOICE, set()).add(r.invoice_remote_id)
    for kind, ids in wanted.items():
        w.links.update({(kind, remote_id): None for remote_id in ids})  # known absent unless found below
        for link in RemoteLink.objects.filter(connection=w.connection, kind=kind, remote_id__in=ids):
            w.links[(kind, link.remote_id)] = link
    invoices = [r for r in records if isinstance(r, RemoteInvoice)]
    new = [r for r in invoices if w.links.get((LinkKind.INVOICE, r.remote_id)) is None]
    customers = {link.local_id for r in new if (link := w.links.get((LinkKind.CUSTOMER, r.customer.remote_id)))}
    w.customers = Customer.objects.for_org(w.org).in_bulk(customers) if customers else {}
    w.numbers = _in(Invoice.objects.for_org(w.org), "number", {r.number for r in new})
    w.refs = _in(Customer.objects.for_org(w.org), "ref", {(r.number or r.remote_id)[:64] for r in records
                                                          if isinstance(r, RemoteCustomer)
                                                          and w.links.get((LinkKind.CUSTOMER, r.remote_id)) is None})
    named = {r.invoice_remote_id for r in records if isinstance(r, (RemotePayment, RemoteCredit))}
    named |= {r.remote_id for r in invoices if r.state == "void"}
    local = [link.local_id for rid in named if (link := w.links.get((LinkKind.INVOICE, rid)))]
    w.invoices = Invoice.objects.for_org(w.org).in_bulk(local) if local else {}
    credits = {r.number[:64] for r in records if isinstance(r, RemoteCredit) and r.source == "credit_note"}
    credits |= {f"{invoice.number}-VOID"[:64] for invoice in w.invoices.values()}
    w.credit_numbers = _in(CreditNote.objects.for_org(w.org), "number", credits)


class PageBatch:
    def __init__(self, writer: PageWriter):
        self.w = writer
        self.kind = ""  # what is gathered: "customers", "invoices", "payments" or "credit_notes"
        self.records: list[Any] = []
        self.items: list[Any] = []
        self.keys: set[str] = set()  # remote ids, references and numbers gathered, each once
        self.refused_contacts = 0
        self.open_now: dict[int, int] = {}  # what gathered payments and credits leave open, for the whole page

    def add(self, record: Any) -> None:
        """Gather ``record``, count it when it writes nothing, or write it on its own."""
        if isinstance(record, RemoteCustomer):
            took = self._customer(record)
        elif isinstance(record, RemoteInvoice):
            took = self._invoice(record)
        elif isinstance(record, (RemotePayment, RemoteCredit)):
            took = self._settlement(record)
        else:
            took = False
        if not took:
            self.flush()
            self.w.apply(record)
            # A record written on its own may have changed any invoice: read them afresh from here on.
            self.w.invoices.clear()
            self.open_now.clear()

    def _gather(self, kind: str, record: Any, item: Any, *keys: str) -> bool:
        if kind != self.kind:
            self.flush()
        if any(k in self.keys for k in keys):
            return False  # the same record (or number) twice in a page: the second waits for the first
        self.kind = kind
        self.records.append(record)
        self.items.append(item)
        self.keys.update(keys)
        return True

    # --- what can be gathered ------------------------------------------------------------------
    def _customer(self, rc: RemoteCustomer) -> bool:
        link = self.w.link(LinkKind.CUSTOMER, rc.remote_id)
        if link is not None:
            return link.version == rc.version or not rc.version  # unchanged: nothing to write
        ref = (rc.number or rc.remote_id)[:64]
        if ref in self.w.refs:
            return False  # a Recoup customer with that reference: matched (or not) one by one
        name = rc.name.strip()[:200] or ref
        fields = {k: v for k, v in (("email", rc.email), ("phone", rc.phone[:32])) if v}
        contact = {"name": name, "is_billing": True, **fields} if fields else {}
        refused = False
        if contact:
            try:
                contact_check(**contact)
            except CustomerInputError:
                contact, refused = {}, True  # an address Recoup cannot send to: the customer comes in without it
        if not self._gather("customers", rc, NewCustomer(ref=ref, legal_name=name, contact=contact),
                            f"c:{rc.remote_id}", f"r:{ref}"):
            return False
        self.refused_contacts += 1 if refused else 0
        return True

    def _invoice(self, ri: RemoteInvoice) -> bool:
        w = self.w
        link = w.link(LinkKind.INVOICE, ri.remote_id)
        if link is not None:
            if link.version == ri.version and ri.version:
                w.count("unchanged")
                return True
            return ri.state == "void" and self._void(ri)  # other changes in the books: one by one
        if ri.state == "draft":
            w.count("drafts_skipped")
            return True
        subtotal, tax, _ = w.invoice_amounts(ri)
        if ri.state == "void":
            w.count("voided_skipped")
            return True
        customer_link = w.link(LinkKind.CUSTOMER, ri.customer.remote_id)
        if ri.number in w.numbers or customer_link is None:
            return False  # a number Recoup has, a customer not seen yet: one by one
        item = NewInvoice(customer=w.linked_customer(customer_link), number=ri.number, issue_date=ri.issue_date,
                          due_date=ri.due_date, currency=ri.currency, lines=[w.invoice_line(ri, subtotal, tax)],
                          description=f"from {w.label}")
        return self._gather("invoices", ri, item, f"i:{ri.remote_id}", f"n:{ri.number}")

    def _void(self, ri: RemoteInvoice) -> bool:
        """An invoice voided or deleted in the books: a credit note for what is open on it."""
        w = self.w
        w.invoice_amounts(ri)  # refused as one by one would
        invoice = w.linked_invoice(ri.remote_id, fresh=False)
        left = self.open_now.get(invoice.pk, invoice.open_minor) if invoice else 0
        if left <= 0:
            return False  # nothing to credit: counted one by one
        number = w.void_number(invoice, lambda n: n in w.credit_numbers or f"cn:{n}" in self.keys)
        item = NamedCredit(invoice=invoice, number=number, date=max(invoice.issue_date, w.now.date()),
                           amount_minor=left, reason=f"Voided or deleted in {w.label}")
        if not self._gather("credit_notes", ri, item, f"i:{ri.remote_id}", f"cn:{number}"):
            return False
        self.open_now[invoice.pk] = 0
        return True

    def _settlement(self, record: RemotePayment | RemoteCredit) -> bool:
        """A payment, or a credit note, overpayment or prepayment applied to one invoice, that fits
        what is still open on it."""
        w = self.w
        credit_note = isinstance(record, RemoteCredit) and record.source == "credit_note"
        link_kind = LinkKind.CREDIT_NOTE if credit_note else LinkKind.PAYMENT
        if record.deleted or w.link(link_kind, record.remote_id) is not None:
            return False
        if isinstance(record, RemotePayment) and w.our_writeback(record.reference):
            return False
        invoice = w.linked_invoice(record.invoice_remote_id, fresh=False)
        if invoice is None or (record.currency and record.currency != invoice.currency):
            return False
        what = (f"{w.label} payment {record.remote_id}" if isinstance(record, RemotePayment) else
                f"{w.label} {record.source.replace('_', ' ')} {record.number} ({record.remote_id})")
        amount = w.minor(record.amount, invoice.currency, what)
        left = self.open_now.get(invoice.pk, invoice.open_minor)
        if not 0 < amount <= left:
            return False
        if credit_note:
            number = w.credit_number(record, lambda n: n in w.credit_numbers or f"cn:{n}" in self.keys)
            item: Any = NamedCredit(invoice=invoice, number=number, date=record.date, amount_minor=amount,
                                    reason=f"from {w.label}")
            took = self._gather("credit_notes", record, item, f"{link_kind}:{record.remote_id}", f"cn:{number}")
        else:
            reference = record.reference if isinstance(record, RemotePayment) else record.number
            item = NamedPayment(invoice=invoice, date=record.date, amount_minor=amount, method=PaymentMethod.OTHER,
                                reference=f"{w.label}: {reference}"[:140])
            took = self._gather("payments", record, item, f"{link_kind}:{record.remote_id}")
        if took:
            self.open_now[invoice.pk] = left - amount
        return took

    # --- writing what was gathered -------------------------------------------------------------
    def flush(self) -> None:
        records, items, kind, refused = self.records, self.items, self.kind, self.refused_contacts
        self.records, self.items, self.keys, self.kind, self.refused_contacts = [], [], set(), "", 0
        if not records:
            return
        try:
            with transaction.atomic():
                getattr(self, f"_write_{kind}")(records, items)
        except LedgerError:
            for record in records:  # nothing of the batch was written: one by one, as without batches
                self.w.apply(record)
            return
        if refused:
            self.w.count("contact_details_refused", refused)

    def _write_customers(self, records: list[RemoteCustomer], items: list[NewCustomer]) -> None:
        w = self.w
        made = customers_create_many(org=w.org, items=items, actor=w.actor, now=w.now, via=w.label)
        w.make_links(LinkKind.CUSTOMER, [(r.remote_id, c.pk, r.version, r.number) for r, c in zip(records, made)])
        w.refs.update(c.ref for c in made)
        w.remember_customers(made)
        w.count("customers_created", len(made))

    def _write_invoices(self, records: list[RemoteInvoice], items: list[NewInvoice]) -> None:
        w = self.w
        made = invoices_create_many(org=w.org, items=items, actor=w.actor, now=w.now)
        w.make_links(LinkKind.INVOICE, [(r.remote_id, i.pk, r.version, r.number) for r, i in zip(records, made)])
        w.numbers.update(i.number for i in made)
        w.count("invoices_created", len(made))

    def _write_payments(self, records: list[RemotePayment | RemoteCredit], items: list[NamedPayment]) -> None:
        w = self.w
        made = payments_record_named(org=w.org, items=items, actor=w.actor, now=w.now)
        w.make_links(LinkKind.PAYMENT, [(r.remote_id, p.pk, r.version, getattr(r, "number", ""))
                                        for r, p in zip(records, made)])
        for r in records:
            w.count("payments_created" if isinstance(r, RemotePayment) else f"{r.source}s_applied")

    def _write_credit_notes(self, records: list[RemoteCredit | RemoteInvoice], items: list[NamedCredit]) -> None:
        """Credit notes applied in the books, and the credit notes closing invoices voided there."""
        w = self.w
        made = credit_notes_record_named(org=w.org, items=items, actor=w.actor, now=w.now)
        w.make_links(LinkKind.CREDIT_NOTE, [(r.remote_id, n.pk, r.version, r.number) for r, n in zip(records, made)
                                            if isinstance(r, RemoteCredit)])
        voided = [r for r in records if isinstance(r, RemoteInvoice)]
        w.set_versions(LinkKind.INVOICE, [(r.remote_id, r.version) for r in voided])
        w.credit_numbers.update(n.number for n in made)
        for key, n in (("credit_notes_applied", len(made) - len(voided)), ("invoices_voided", len(voided))):
            if n:
                w.count(key, n)
