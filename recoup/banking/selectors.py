"""Reads of banking: settings, the matching index, statements, the review queue."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, QuerySet, Sum

from recoup.banking.models import (
    OPEN_STATES,
    BankAccount,
    BankSettings,
    CandidateStatus,
    MatchCandidate,
    RememberedAccount,
    Statement,
    StatementLine,
)
from recoup.banking.parsers.archive import MB, Limits
from recoup.core import bank_accounts, matching
from recoup.ledger.models import Customer, Invoice
from recoup.orgs.models import Organization


def upload_limits() -> Limits:
    """What one statement upload may hold, from the RECOUP_STATEMENT_* settings."""
    return Limits(max_upload=settings.RECOUP_STATEMENT_MAX_UPLOAD_MB * MB,
                  max_unzipped=settings.RECOUP_STATEMENT_MAX_UNZIPPED_MB * MB,
                  max_files=settings.RECOUP_STATEMENT_MAX_FILES, max_lines=settings.RECOUP_STATEMENT_MAX_LINES)


def bank_settings(org: Organization) -> BankSettings:
    settings, _ = BankSettings.objects.get_or_create(org=org)
    return settings


def build_index(org: Organization, currencies: set[str]) -> matching.MatchIndex:
    """The matching index over this organization's open invoices in these currencies (and nobody else's)."""
    rows = (Invoice.objects.for_org(org).filter(open_minor__gt=0, currency__in=sorted(currencies))
            .values_list("id", "number", "customer_id", "currency", "open_minor", "due_date"))
    invoices = [matching.OpenInvoice(*row) for row in rows.iterator(chunk_size=20_000)]
    known = dict(RememberedAccount.objects.for_org(org).values_list("account", "customer_id"))
    wanted = {inv.customer_id for inv in invoices} | set(known.values())
    names, exact = {}, {}
    for cid, legal, display in Customer.objects.for_org(org).values_list("id", "legal_name", "display_name") \
            .iterator(chunk_size=20_000):
        if cid in wanted:
            names[cid] = f"{display} {legal}" if display and display != legal else legal
            exact[cid] = (legal, display) if display and display != legal else (legal,)
    return matching.MatchIndex(invoices=invoices, customer_names=names, known_accounts=known, exact_names=exact)


def accounts(org: Organization) -> QuerySet[BankAccount]:
    return BankAccount.objects.for_org(org)


def settings_account(org: Organization) -> tuple[str, str] | None:
    """(IBAN, other account details) of the organization's own account as Settings give it, or None."""
    iban, details = bank_accounts.compact(org.bank_iban), org.bank_account.strip()
    return (iban, details) if iban or details else None


def own_account(org: Organization) -> BankAccount | None:
    """The bank account that is the one Settings give (the first such), or None (Settings give none, or it
    was never used)."""
    given = settings_account(org)
    if given is None:
        return None
    for account in accounts(org).order_by("created_at", "id"):
        key = account.iban or account.number
        if key and bank_accounts.same_account(key, iban=given[0], details=given[1]):
            return account
    return None


def statements(org: Organization) -> QuerySet[Statement]:
    return (Statement.objects.for_org(org).select_related("account")
            .annotate(line_count=Count("lines"), credit_minor=Sum("lines__amount_minor")))


def statement_lines(org: Organization, statement: Statement) -> QuerySet[StatementLine]:
    return StatementLine.objects.for_org(org).filter(statement=statement).select_related("customer")


def review_queue(org: Organization) -> QuerySet[StatementLine]:
    return (StatementLine.objects.for_org(org).filter(state__in=OPEN_STATES, amount_minor__gt=0)
            .select_related("statement", "account").order_by("booking_date", "id"))


def candidates_with_invoices(org: Organization, line: StatementLine) -> list[dict]:
    """The line's proposals with their invoices, for showing; best first."""
    rows = list(MatchCandidate.objects.for_org(org).filter(line=line).exclude(status=CandidateStatus.REJECTED)
                .select_related("customer"))
    ids = {invoice_id for c in rows for invoice_id, _ in c.parts}
    invoices = Invoice.objects.for_org(org).in_bulk(list(ids))
    return [{"candidate": c, "parts": [(invoices.get(i), m) for i, m in c.parts]} for c in rows]
