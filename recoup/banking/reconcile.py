"""Reconciling imported lines: decide in memory, record through the ledger, write banking's rows in bulk.

``reconcile`` is called by ``actions.statement_import`` inside its transaction; ``apply_candidate``
and ``reverse_line_payments`` are shared with the operator's actions (confirm, undo).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import connection

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.banking.errors import BankingError
from recoup.banking.models import (
    APPLIED_STATES,
    CandidateStatus,
    LinePayment,
    LineState,
    MatchCandidate,
    RememberedAccount,
    StatementLine,
)
from recoup.banking.selectors import bank_settings, build_index
from recoup.core import matching, returns
from recoup.core.money import minor_with_code
from recoup.ledger.actions import payment_record, payment_reverse
from recoup.ledger.bulk_actions import NamedPayment, payments_record_named
from recoup.ledger.models import Customer, Invoice, PaymentMethod
from recoup.orgs.models import Organization, check_same_org



def reconcile(*, org: Organization, lines: list[StatementLine], actor: Actor, now: datetime) -> None:
    """Match new lines: credits to invoices, then returns and refunds to the credits they undo.

    Credits are decided in date order against one index that learns each applied match,
    so two lines never both take the same open balance; the writes are then done in bulk,
    the payments through the ledger's ``payments_record_named``.
    """
    threshold = float(bank_settings(org).auto_threshold)
    credits = sorted((line for line in lines if line.amount_minor > 0), key=lambda x: (x.booking_date, x.position))
    if credits:
        index = build_index(org, {line.currency for line in credits})
        decisions, rows_all = [], []
        for line in credits:
            found = index.match(matching.Credit(
                amount_minor=line.amount_minor, currency=line.currency, text=line.text,
                payer_name=line.counterparty_name, payer_account=line.counterparty_account))
            rows = [MatchCandidate(org=org, line=line, rank=rank, customer_id=c.customer_id,
                                   parts=[list(p) for p in c.parts], reasons=list(c.reasons),
                                   confidence=Decimal(str(c.confidence)).quantize(Decimal("0.01")))
                    for rank, c in enumerate(found, start=1)]
            auto = bool(found) and found[0].confidence >= threshold
            if auto:
                for invoice_id, minor in found[0].parts:
                    index.settle(invoice_id, minor)
            decisions.append((line, rows, auto))
            rows_all += rows
        MatchCandidate.objects.bulk_create(rows_all, batch_size=2000)
        wanted = {i for _, rows, auto in decisions if auto for i, _ in rows[0].parts}
        invoices = Invoice.objects.for_org(org).in_bulk(sorted(wanted))
        customers = Customer.objects.for_org(org).in_bulk(sorted({i.customer_id for i in invoices.values()}))
        writes = _Writes()
        for line, rows, auto in decisions:
            if auto:
                apply_candidate(org=org, line=line, candidate=rows[0], state=LineState.MATCHED, actor=actor, now=now,
                       writes=writes, invoices=invoices, customers=customers)
            else:
                line.state = LineState.REVIEW if rows else LineState.UNMATCHED
                writes.lines.append(line)
        writes.record_payments(org, actor, now)
        writes.flush(org)
    debits = sorted((x for x in lines if x.amount_minor < 0), key=lambda x: (x.booking_date, x.position))
    earlier = _EarlierCredits()
    for line in debits:
        _match_debit(org, line, actor, now, earlier)


@dataclass
class _Writes:
    """Rows an import changes, written in bulk at the end."""

    line_payments: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    candidates: list = field(default_factory=list)
    remembered: dict = field(default_factory=dict)
    # Payments decided but not yet recorded: (NamedPayment, line, candidate), then the rests
    # of lines larger than their invoices: (customer, line, candidate, amount).
    named: list = field(default_factory=list)
    rests: list = field(default_factory=list)

    def record_payments(self, org: Organization, actor: Actor, now: datetime) -> None:
        """Record the pending payments: the named ones in one batch, then the rests (credit on account)."""
        payments = payments_record_named(org=org, items=[n for n, _, _ in self.named], actor=actor, now=now)
        for (named, line, candidate), payment in zip(self.named, payments):
            self.line_payments.append(LinePayment(org=org, line=line, candidate=candidate, payment=payment,
                                                  amount_minor=named.amount_minor, invoice_number=named.invoice.number))
        for customer, line, candidate, amount in self.rests:
            payment = payment_record(org=org, customer=customer, date=line.booking_date, amount_minor=amount,
                                     currency=line.currency, actor=actor, now=now, method=PaymentMethod.BANK_TRANSFER,
                                     reference=line.text[:140], payer=line.counterparty_name[:200])
            self.line_payments.append(LinePayment(org=org, line=line, candidate=candidate, payment=payment,
                                                  amount_minor=amount))
        self.named, self.rests = [], []

    def flush(self, org: Organization) -> None:
        LinePayment.objects.bulk_create(self.line_payments, batch_size=2000)
        # One prepared UPDATE run for every line: bulk_update's CASE expressions grow
        # quadratically with the batch, which dominated a 10,000-line import.
        table = StatementLine._meta.db_table
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET state = %s, customer_id = %s, decided_at = %s, decided_by = %s WHERE id = %s",
                [(line.state, line.customer_id, connection.ops.adapt_datetimefield_value(line.decided_at),
                  line.decided_by, line.pk) for line in self.lines])
        by_status: dict[str, list[int]] = {}
        for candidate in self.candidates:
            by_status.setdefault(candidate.status, []).append(candidate.pk)
        for status, ids in by_status.items():
            for start in range(0, len(ids), 500):
                MatchCandidate.objects.filter(pk__in=ids[start:start + 500]).update(status=status)
        RememberedAccount.objects.bulk_create(
            [RememberedAccount(org=org, account=account, customer_id=cid, last_seen=on)
             for account, (cid, on) in self.remembered.items()],
            update_conflicts=True, unique_fields=["org", "account"], update_fields=["customer", "last_seen"],
            batch_size=1000)


def _movement(line: StatementLine) -> returns.Movement:
    return returns.Movement(id=line.pk, amount_minor=line.amount_minor, booking_date=line.booking_date,
                             end_to_end_id=line.end_to_end_id, bank_ref=line.bank_ref,
                             counterparty_account=line.counterparty_account, text=line.text)


class _EarlierCredits:
    """The credits a statement's debits may return or refund, read once per account (the
    latest 2,000 up to the last debit's date) rather than once per debit."""

    LIMIT = 2000

    def __init__(self) -> None:
        self._by_account: dict[int, list[tuple[StatementLine, returns.Movement]]] = {}

    def before(self, org, line: StatementLine) -> list[tuple[StatementLine, returns.Movement]]:
        if line.account_id not in self._by_account:
            rows = (StatementLine.objects.for_org(org).filter(account=line.account_id, amount_minor__gt=0)
                    .exclude(state=LineState.RETURNED).order_by("-booking_date", "-pk")[:self.LIMIT * 4])
            self._by_account[line.account_id] = [(c, _movement(c)) for c in rows]
        found = [(c, m) for c, m in self._by_account[line.account_id]
                 if c.booking_date <= line.booking_date and c.state != LineState.RETURNED]
        return found[:self.LIMIT]


def _match_debit(org, line: StatementLine, actor, now, earlier: _EarlierCredits) -> None:
    candidates = earlier.before(org, line)
    movements = {c.pk: c for c, _ in candidates}
    original = returns.original_of(_movement(line), [m for _, m in candidates], is_return=line.is_return)
    if original is None:
        return
    credit = movements[original.id]
    if credit.state in APPLIED_STATES:
        reverse_line_payments(org, credit, actor, now, reason=f"returned by the bank line of {line.booking_date}"
                          + (f" ({line.return_reason})" if line.return_reason else ""))
    credit.state = LineState.RETURNED
    credit.save(update_fields=["state"])
    line.state, line.reverses, line.customer = LineState.REVERSAL, credit, credit.customer
    line.save(update_fields=["state", "reverses", "customer"])
    audit.record(org=org, actor=actor, at=now, verb="bank_line.returned", subject=credit, customer=credit.customer,
                 summary=f"{minor_with_code(credit.amount_minor, credit.currency)} of {credit.booking_date} came back "
                         f"on {line.booking_date}" + (f" ({line.return_reason})" if line.return_reason else ""))


def apply_candidate(*, org, line: StatementLine, candidate: MatchCandidate, state: str, actor: Actor, now: datetime,
           writes: _Writes | None = None, invoices: dict | None = None, customers: dict | None = None) -> None:
    """Record the candidate's payments through the ledger; with ``writes`` (an import), banking's own rows
    are written in bulk by the caller and the import's audit event stands for the lines it matched."""
    check_same_org(org, line, candidate, error=BankingError)
    single = writes is None
    writes = writes or _Writes()
    if invoices is None:
        invoices = Invoice.objects.for_org(org).in_bulk([invoice_id for invoice_id, _ in candidate.parts])
    customer = (customers or {}).get(candidate.customer_id) or \
        Customer.objects.for_org(org).filter(pk=candidate.customer_id).first()
    if customer is None:
        raise BankingError("the proposed customer is not in this organization")
    remaining = line.amount_minor
    text = line.text[:140]
    for invoice_id, minor in candidate.parts:
        invoice = invoices.get(invoice_id)
        if invoice is None or invoice.customer_id != customer.pk:
            raise BankingError("a proposed invoice is not this customer's")
        if invoice.currency != line.currency:
            raise BankingError(f"invoice {invoice.number} is in {invoice.currency}, the payment in {line.currency}")
        if minor > invoice.open_minor:
            raise BankingError(f"invoice {invoice.number} has only {minor_with_code(invoice.open_minor, invoice.currency)} open now")
        if minor <= 0 or minor > remaining:
            raise BankingError("the proposed parts do not fit the amount of the line")
        writes.named.append((NamedPayment(invoice=invoice, date=line.booking_date, amount_minor=minor, reference=text,
                                          payer=line.counterparty_name[:200], method=PaymentMethod.BANK_TRANSFER),
                             line, candidate))
        invoice.open_minor -= minor
        remaining -= minor
    if remaining > 0:
        writes.rests.append((customer, line, candidate, remaining))
    candidate.status = CandidateStatus.APPLIED
    writes.candidates.append(candidate)
    line.state, line.customer, line.decided_at, line.decided_by = state, customer, now, actor.label[:150]
    writes.lines.append(line)
    if line.counterparty_account:
        writes.remembered[matching.compact(line.counterparty_account)] = (customer.pk, line.booking_date)
    if not single:
        return
    writes.record_payments(org, actor, now)
    writes.flush(org)
    numbers = ", ".join(invoices[i].number for i, _ in candidate.parts)
    audit.record(
        org=org, actor=actor, at=now, verb="bank_line.matched" if state == LineState.MATCHED else "bank_line.confirmed",
        subject=line, customer=customer,
        summary=f"{minor_with_code(line.amount_minor, line.currency)} of {line.booking_date} "
                f"{'matched automatically' if state == LineState.MATCHED else 'confirmed'} to {numbers}"
                f" (confidence {candidate.confidence})",
        data={"candidate": candidate.pk, "parts": candidate.parts, "reasons": candidate.reasons})


def reverse_line_payments(org, line: StatementLine, actor: Actor, now: datetime, reason: str) -> None:
    for link in line.payments.filter(reversed_at__isnull=True).select_related("payment"):
        if link.payment is not None:
            payment_reverse(org=org, payment=link.payment, reason=reason, actor=actor, now=now)
        link.reversed_at, link.payment = now, None
        link.save(update_fields=["reversed_at", "payment"])
    line.candidates.filter(status=CandidateStatus.APPLIED).update(status=CandidateStatus.UNDONE)
