"""Use cases of banking: import a statement (matching it, see ``reconcile``), confirm, reject, undo.

Every action takes the organization, who acts and ``now`` from its caller, writes in
one transaction and records one audit event. Money reaches the ledger only through
``recoup.ledger.actions.payment_record``: one payment per invoice a match pays (named,
so the ledger applies it to exactly that invoice), plus one for any rest, which the
ledger's own rule applies (oldest open invoice first, else credit on account).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Count

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.banking import accounts
from recoup.banking.accounts import clean, lock_banking
from recoup.banking.errors import BankingError
from recoup.banking.models import (
    APPLIED_STATES,
    OPEN_STATES,
    BankAccount,
    BankSettings,
    CandidateStatus,
    CsvProfile,
    LineState,
    MatchCandidate,
    RememberedAccount,
    Statement,
    StatementLine,
)
from recoup.banking.parsers import BUILT_IN, StatementError, read_file
from recoup.banking.reconcile import apply_candidate, reconcile, reverse_line_payments
from recoup.banking.selectors import bank_settings, upload_limits
from recoup.core import matching
from recoup.core.money import minor_with_code
from recoup.ledger.actions import LedgerError
from recoup.ledger.models import Invoice
from recoup.orgs.models import Organization, check_same_org



@dataclass
class ImportResult:
    file_name: str
    already_imported: bool = False
    statements: list[Statement] = field(default_factory=list)
    lines: int = 0
    duplicates: int = 0
    states: Counter = field(default_factory=Counter)

    def as_json(self) -> dict:
        return {
            "file": self.file_name, "already_imported": self.already_imported,
            "statements": [{"id": s.pk, "account": s.account.name, "format": s.format, "currency": s.currency,
                            "lines": s.lines.count()} for s in self.statements],
            "lines": self.lines, "duplicates": self.duplicates, "states": dict(self.states),
        }


# -- settings, accounts, profiles ----------------------------------------------------------


@transaction.atomic
def settings_update(*, org: Organization, auto_threshold: Decimal, actor: Actor, now: datetime) -> BankSettings:
    if not Decimal("0.50") <= auto_threshold <= Decimal("1.00"):
        raise BankingError("the threshold must be between 0.50 and 1.00")
    settings = bank_settings(org)
    before = settings.auto_threshold
    settings.auto_threshold = auto_threshold
    settings.save()
    audit.record(org=org, actor=actor, at=now, verb="bank.settings_changed", subject=settings,
                 summary=f"Automatic matching threshold {before} -> {auto_threshold}")
    return settings


@transaction.atomic
def account_create(*, org: Organization, name: str, actor: Actor, now: datetime, iban: str = "",
                   number: str = "", currency: str = "", existing_ok: bool = False) -> BankAccount:
    """A new bank account; with ``existing_ok`` the organization's account of that name when there is one."""
    return accounts.account_create(org=org, name=name, actor=actor, now=now, iban=iban, number=number,
                                   currency=currency, existing_ok=existing_ok)


@transaction.atomic
def csv_profile_save(*, org: Organization, actor: Actor, now: datetime, **fields) -> CsvProfile:
    """Create or replace the organization's CSV profile named ``fields['name']``."""
    lock_banking(org)  # two saves of a new name at once: the second replaces the first's
    profile = CsvProfile.objects.for_org(org).filter(name=fields["name"]).first() or CsvProfile(org=org)
    for key, value in fields.items():
        setattr(profile, key, value)
    problems = profile.as_profile().problems()
    if problems:
        raise BankingError("; ".join(problems))
    profile.save()
    audit.record(org=org, actor=actor, at=now, verb="bank.csv_profile_saved", subject=profile,
                 summary=f"CSV profile {profile.name} saved")
    return profile


def _profile(org: Organization, name: str | None):
    if not name:
        return None
    saved = CsvProfile.objects.for_org(org).filter(name=name).first()
    if saved:
        return saved.as_profile()
    if name in BUILT_IN:
        return BUILT_IN[name]
    known = sorted({*CsvProfile.objects.for_org(org).values_list("name", flat=True), *BUILT_IN})
    raise BankingError(f"no CSV profile named {name!r} (known: {', '.join(known)})")


# -- import -------------------------------------------------------------------------------


def statement_import(*, org: Organization, file_name: str, data: bytes, actor: Actor, now: datetime,
                     account: BankAccount | None = None, own_account: bool = False, profile_name: str | None = None,
                     add_accounts: Collection[str] = ()) -> ImportResult:
    """Import every statement in a file and reconcile its new lines; all or nothing.

    A file imported before (same content) creates nothing; a line already imported
    from another file, or from another statement of this one (the intraday report,
    then the day's statement), is skipped. The statements go into ``account``, or with
    ``own_account`` the organization's account from Settings (created on first use), else
    the account each names (``recoup.banking.accounts``): one that is not the organization's
    raises ``UnknownAccount`` unless its identifier is in ``add_accounts`` (the operator
    confirmed it), and is then added.
    """
    check_same_org(org, account, error=BankingError)
    file_name = clean(file_name, 255)
    result = ImportResult(file_name=file_name)
    sha = hashlib.sha256(data).hexdigest()
    if _earlier(org, sha, result):
        return result
    profile = _profile(org, profile_name)
    saved = [p.as_profile() for p in CsvProfile.objects.for_org(org)]
    currency = (account.currency if account else "") or org.base_currency
    try:
        parsed = read_file(file_name, data, profile=profile, profiles=saved, default_currency=currency,
                           limits=upload_limits())
    except StatementError as exc:
        raise BankingError(str(exc)) from None
    if not own_account:
        accounts.check_accounts(org=org, parsed=parsed, chosen=account, add_accounts=add_accounts,
                                file_name=file_name)
    with transaction.atomic():
        lock_banking(org)
        if _earlier(org, sha, result):  # imported by another process while this one read the file
            return result
        if own_account:
            account = accounts.own_account_ensure(org=org, actor=actor, now=now, currency=parsed[0].currency
                                                  if parsed else "")
        new_lines: list[StatementLine] = []
        taken: dict[int, set[str]] = {}  # account -> fingerprints of this upload's lines so far
        for position, st in enumerate(parsed, start=1):
            target = accounts.account_for(org=org, parsed=st, chosen=account, actor=actor, now=now,
                                          file_name=file_name, add_accounts=add_accounts)
            statement = Statement.objects.create(
                org=org, account=target, file_name=file_name, file_sha256=sha, position=position,
                format=st.format, statement_ref=clean(st.statement_id, 140), currency=st.currency or target.currency,
                opening_minor=st.opening_minor, closing_minor=st.closing_minor, period_start=st.period_start,
                period_end=st.period_end, imported_at=now, imported_by=actor.label[:150])
            result.statements.append(statement)
            seen: Counter = Counter()
            prints = []
            for line in st.lines:
                base = line.fingerprint()
                seen[base] += 1
                prints.append(f"{base}:{seen[base]}")
            mine = taken.setdefault(target.pk, set())
            known = mine | set(StatementLine.objects.for_org(org).filter(account=target, fingerprint__in=prints)
                               .values_list("fingerprint", flat=True))
            for index, (line, mark) in enumerate(zip(st.lines, prints), start=1):
                if mark in known:
                    result.duplicates += 1
                    continue
                mine.add(mark)
                new_lines.append(StatementLine(
                    org=org, statement=statement, account=target, position=index, booking_date=line.booking_date,
                    value_date=line.value_date, amount_minor=line.amount_minor, currency=line.currency,
                    counterparty_name=clean(line.counterparty_name, 200),
                    counterparty_account=clean(line.counterparty_account, 64), reference=clean(line.reference, 140),
                    remittance=clean(line.remittance), end_to_end_id=clean(line.end_to_end_id, 140),
                    bank_ref=clean(line.bank_ref, 140), is_return=line.is_return,
                    return_reason=clean(line.return_reason, 35), place=clean(line.place, 300), fingerprint=mark,
                    state=LineState.UNMATCHED if line.amount_minor > 0 else LineState.OUTGOING))
        created = StatementLine.objects.bulk_create(new_lines, batch_size=2000)
        if created and created[0].pk is None:  # backends that do not return ids from bulk inserts
            created = list(StatementLine.objects.for_org(org).filter(statement__in=result.statements))
        result.lines = len(created)
        reconcile(org=org, lines=created, actor=actor, now=now)
        result.states.update(dict(StatementLine.objects.for_org(org).filter(statement__in=result.statements)
                                  .values_list("state").annotate(n=Count("id")).values_list("state", "n")))
        audit.record(
            org=org, actor=actor, at=now, verb="statement.imported", subject=result.statements[0] if
            result.statements else org, summary=f"Imported {file_name}: {len(result.statements)} statement(s), "
            f"{result.lines} line(s), {result.duplicates} already known",
            data={"sha256": sha, "states": dict(result.states)})
    return result


def _earlier(org: Organization, sha: str, result: ImportResult) -> bool:
    earlier = list(Statement.objects.for_org(org).filter(file_sha256=sha).select_related("account"))
    if earlier:
        result.already_imported, result.statements = True, earlier
    return bool(earlier)


# -- reconciliation -----------------------------------------------------------------------


def _open_line(org: Organization, line: StatementLine) -> StatementLine:
    check_same_org(org, line, error=BankingError)
    line = StatementLine.objects.select_for_update(no_key=True).get(pk=line.pk)
    if line.state not in OPEN_STATES:
        raise BankingError(f"this line is already {line.get_state_display().lower()}")
    return line


@transaction.atomic
def line_confirm(*, org: Organization, line: StatementLine, actor: Actor, now: datetime,
                 candidate: MatchCandidate | None = None, invoices: list[Invoice] | None = None) -> StatementLine:
    """Apply a proposed candidate, or pay the invoices the operator chose instead."""
    line = _open_line(org, line)
    if candidate is not None:
        check_same_org(org, candidate, error=BankingError)
        if candidate.line_id != line.pk or candidate.status not in (CandidateStatus.PROPOSED, CandidateStatus.UNDONE):
            raise BankingError("that proposal is not open for this line")
    else:
        if not invoices:
            raise BankingError("choose a proposal or at least one invoice")
        check_same_org(org, *invoices, error=BankingError)
        if len({i.customer_id for i in invoices}) != 1:
            raise BankingError("the chosen invoices must belong to one customer")
        parts, left = [], line.amount_minor
        for invoice in sorted(invoices, key=lambda i: (i.due_date, i.pk)):
            invoice.refresh_from_db()
            if invoice.currency != line.currency:
                raise BankingError(f"invoice {invoice.number} is in {invoice.currency}, the payment in {line.currency}")
            take = min(left, invoice.open_minor)
            if take > 0:
                parts.append([invoice.pk, take])
                left -= take
        if not parts:
            raise BankingError("the chosen invoices have nothing open")
        candidate = MatchCandidate.objects.create(
            org=org, line=line, rank=line.candidates.count() + 1, customer_id=invoices[0].customer_id, parts=parts,
            confidence=Decimal("1.00"), reasons=[f"chosen by {actor.label}"], chosen_by_user=True)
    try:
        apply_candidate(org=org, line=line, candidate=candidate, state=LineState.CONFIRMED, actor=actor, now=now)
    except LedgerError as exc:
        raise BankingError(str(exc)) from None
    return line


@transaction.atomic
def line_reject(*, org: Organization, line: StatementLine, actor: Actor, now: datetime) -> StatementLine:
    """Not a payment of any invoice (a refund from a supplier, a transfer): nothing goes to the ledger."""
    line = _open_line(org, line)
    line.candidates.filter(status=CandidateStatus.PROPOSED).update(status=CandidateStatus.REJECTED)
    line.state, line.decided_at, line.decided_by = LineState.IGNORED, now, actor.label[:150]
    line.save(update_fields=["state", "decided_at", "decided_by"])
    audit.record(org=org, actor=actor, at=now, verb="bank_line.rejected", subject=line,
                 summary=f"{minor_with_code(line.amount_minor, line.currency)} of {line.booking_date} marked as not a "
                         f"customer payment")
    return line


@transaction.atomic
def line_undo(*, org: Organization, line: StatementLine, actor: Actor, now: datetime) -> StatementLine:
    """Take back an applied match: its payments leave the ledger and the line returns to review."""
    check_same_org(org, line, error=BankingError)
    line = StatementLine.objects.select_for_update(no_key=True).get(pk=line.pk)
    if line.state not in APPLIED_STATES:
        raise BankingError("only a matched or confirmed line can be undone")
    customer = line.customer
    reverse_line_payments(org, line, actor, now, reason=f"match undone by {actor.label}")
    if line.counterparty_account and customer is not None:
        RememberedAccount.objects.for_org(org).filter(
            account=matching.compact(line.counterparty_account), customer=customer).delete()
    line.state, line.customer, line.decided_at, line.decided_by = LineState.REVIEW, None, now, actor.label[:150]
    line.save(update_fields=["state", "customer", "decided_at", "decided_by"])
    audit.record(org=org, actor=actor, at=now, verb="bank_line.undone", subject=line, customer=customer,
                 summary=f"Match of {minor_with_code(line.amount_minor, line.currency)} of {line.booking_date} undone")
    return line
