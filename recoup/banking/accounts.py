"""The organization's bank accounts, and which one a statement goes into.

An account is the organization's when one of its bank accounts has the statement's identifier
(IBAN or account number), or when Settings give it (``core.bank_accounts.same_account``): that
one is created from Settings on first use, named after the bank. Any other account is not
accepted silently: ``check_accounts`` raises ``UnknownAccount`` naming it before anything is
written, and the import goes on only for the identifiers the operator confirmed
(``add_accounts``); each account so added is audited. A chosen account without identifier takes
the statement's on first use; one with another identifier refuses the statement.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.banking.errors import BankingError, UnknownAccount
from recoup.banking.models import BankAccount, BankSettings
from recoup.banking.parsers import ParsedStatement
from recoup.banking.selectors import bank_settings, own_account, settings_account
from recoup.core import matching
from recoup.core.bank_accounts import same_account, shown
from recoup.core.money import minor_exponent
from recoup.orgs.models import Organization


def clean(text: str, size: int | None = None) -> str:
    """Text fit to store: no NUL characters (PostgreSQL refuses them), cut to the column's size."""
    text = text.replace("\x00", "")
    return text[:size] if size else text


def lock_banking(org: Organization) -> None:
    """Imports (and account and profile creations) of one organization one at a time: each sees what
    the one before it wrote (the account it created, the lines it imported). The lock is banking's
    own settings row, until the caller's transaction ends."""
    BankSettings.objects.select_for_update(no_key=True).filter(pk=bank_settings(org).pk).first()


def identifier(parsed: ParsedStatement) -> tuple[str, str]:
    """(IBAN, account number) of a statement as stored: at most one of them non-empty."""
    iban = clean(matching.compact(parsed.account_iban), 34)
    return iban, "" if iban else clean(parsed.account_number.strip(), 64)


def _free_name(org: Organization, wanted: str, key: str) -> str:
    """``wanted`` (a bank's name, or the account's identifier), else ``wanted (KEY)``, else ``KEY (2)``,
    ``KEY (3)``, ...: a name no account of the organization has (one the operator chose keeps it)."""
    accounts = BankAccount.objects.for_org(org)
    tries = [wanted[:100]] + ([f"{wanted[:60]} ({key[:34]})"] if wanted != key else [])
    for name in tries:
        if name and not accounts.filter(name=name).exists():
            return name
    n = 2
    while accounts.filter(name=f"{key[:90]} ({n})").exists():
        n += 1
    return f"{key[:90]} ({n})"


def _create(org: Organization, *, name: str, iban: str, number: str, currency: str, actor: Actor, now: datetime,
            summary: str) -> BankAccount:
    account = BankAccount.objects.create(org=org, name=name, iban=iban, number=number, currency=currency,
                                         created_at=now)
    audit.record(org=org, actor=actor, at=now, verb="bank.account_created", subject=account, summary=summary)
    return account


def account_create(*, org: Organization, name: str, actor: Actor, now: datetime, iban: str = "",
                   number: str = "", currency: str = "", existing_ok: bool = False) -> BankAccount:
    """A new bank account; with ``existing_ok`` the organization's account of that name when there is one.
    The caller holds a transaction (``actions.account_create``)."""
    name, iban, number, currency = clean(name.strip()), clean(matching.compact(iban)), clean(number.strip()), \
        currency.strip().upper()
    if not name:
        raise BankingError("a bank account needs a name")
    for what, value, most in (("name", name, 100), ("IBAN", iban, 34), ("account number", number, 64)):
        if len(value) > most:
            raise BankingError(f"the {what} {value[:40]!r}... is longer than {most} characters")
    if currency:
        try:
            minor_exponent(currency)
        except ValueError as exc:
            raise BankingError(str(exc)) from None
    lock_banking(org)  # two requests creating the same account at once: the second finds the first's
    found = BankAccount.objects.for_org(org).filter(name=name).first()
    if found is not None:
        if existing_ok:
            return found
        raise BankingError(f"bank account {name!r} already exists")
    return _create(org, name=name, iban=iban, number=number, currency=currency, actor=actor, now=now,
                   summary=f"Bank account {name} added")


def own_account_ensure(*, org: Organization, actor: Actor, now: datetime, currency: str = "") -> BankAccount:
    """The organization's account from Settings, created (named after the bank) on first use.
    The caller holds the banking lock in its transaction."""
    found = own_account(org)
    if found is not None:
        return found
    given = settings_account(org)
    if given is None:
        raise BankingError("Settings give no bank account (IBAN or account details) for this organization")
    iban, details = given
    number = "" if iban else clean("".join(ch for ch in details if ch.isdigit()) or details.strip(), 64)
    key = iban or number
    return _create(org, name=_free_name(org, org.bank_name.strip() or "Main account", shown(key)), iban=iban,
                   number=number, currency=currency or org.base_currency, actor=actor, now=now,
                   summary=f"Bank account {shown(key)} added from Settings")


def _known(org: Organization, iban: str, number: str) -> BankAccount | None:
    accounts = BankAccount.objects.for_org(org)
    return accounts.filter(iban=iban).first() if iban else accounts.filter(number=number).first()


def _is_settings(org: Organization, key: str) -> bool:
    given = settings_account(org)
    return given is not None and same_account(key, iban=given[0], details=given[1])


def account_label(account: BankAccount, *, from_settings: bool = False) -> str:
    """``Barclays · GB33 BUKB 2020 1555 5555 55 (from Settings)``: an account as the pages and messages name it."""
    key = account.iban or account.number
    shown_key = shown(key) if key and key != account.name else ""
    return account.name + (f" · {shown_key}" if shown_key else "") + (" (from Settings)" if from_settings else "")


def settings_label(org: Organization) -> str:
    """The account Settings give, named as it will be once added (before its first statement)."""
    iban, details = settings_account(org) or ("", "")
    return f"{org.bank_name.strip() or 'Main account'} · {shown(iban) if iban else details} (from Settings)"


OWN_ACCOUNT = "settings"  # the choice "the account from Settings" before it has a bank account (first use)


def account_choices(org: Organization) -> list[tuple[str, str]]:
    """(value, label) of the accounts a statement may go into: the one Settings give first (``OWN_ACCOUNT``
    until its first statement, then its id), then the others by name."""
    own = own_account(org)
    choices = [(OWN_ACCOUNT, settings_label(org))] if own is None and settings_account(org) is not None else []
    listed = sorted(BankAccount.objects.for_org(org), key=lambda a: (own is None or a.pk != own.pk, a.name))
    return choices + [(str(a.pk), account_label(a, from_settings=own is not None and a.pk == own.pk)) for a in listed]


def known_accounts(org: Organization) -> list[str]:
    """The organization's accounts, named: the one from Settings first."""
    return [label for _, label in account_choices(org)]


def check_accounts(*, org: Organization, parsed: Sequence[ParsedStatement], chosen: BankAccount | None,
                   add_accounts: Collection[str], file_name: str) -> None:
    """Refuse, before anything is written, a file naming accounts that are not the organization's and
    that the operator has not confirmed (``add_accounts``: identifiers as ``UnknownAccount`` names them)."""
    if chosen is not None:
        return  # chosen by the operator: checked against its identifier in ``account_for``
    unknown: list[str] = []
    for statement in parsed:
        iban, number = identifier(statement)
        key = iban or number
        if key and key not in unknown and _known(org, iban, number) is None and not _is_settings(org, key):
            unknown.append(key)
    missing = [key for key in unknown if key not in set(add_accounts)]
    if missing:
        raise UnknownAccount(file_name=file_name, identifiers=unknown, shown_as=[shown(k) for k in unknown],
                             org_name=org.legal_name, known=known_accounts(org))


def account_for(*, org: Organization, parsed: ParsedStatement, chosen: BankAccount | None, actor: Actor,
                now: datetime, file_name: str, add_accounts: Collection[str]) -> BankAccount:
    """The account a statement goes into (see the module's docstring); the caller holds the banking lock."""
    iban, number = identifier(parsed)
    key = iban or number
    if chosen is not None:
        return _chosen(org, chosen, iban, number, file_name, actor, now)
    if not key:
        raise BankingError(f"{file_name}: the file does not say which account it is for; choose a bank account")
    found = _known(org, iban, number)
    if found is not None:
        return found
    if _is_settings(org, key):
        return own_account_ensure(org=org, actor=actor, now=now, currency=parsed.currency)
    if key not in set(add_accounts):  # ``check_accounts`` ran before: only a race brings it here
        raise BankingError(f"{file_name}: the statement is for account {shown(key)}, which is not one of "
                           f"{org.legal_name}'s accounts")
    return _create(org, name=_free_name(org, key, key), iban=iban, number=number, currency=parsed.currency,
                   actor=actor, now=now, summary=f"Bank account {shown(key)} added, confirmed on importing {file_name}")


def _chosen(org: Organization, chosen: BankAccount, iban: str, number: str, file_name: str, actor: Actor,
            now: datetime) -> BankAccount:
    key = iban or number
    own = chosen.iban or chosen.number
    if not key:
        return chosen
    if own:
        if key == own or matching.compact(key) == matching.compact(own) \
                or same_account(key, iban=chosen.iban, details=chosen.number) \
                or (_is_settings(org, own) and _is_settings(org, key)):  # both the account Settings give
            return chosen
        raise BankingError(f"{file_name}: the statement is for account {shown(key)}, not {chosen.name} ({shown(own)})")
    other = _known(org, iban, number)
    if other is not None and other.pk != chosen.pk:
        raise BankingError(f"{file_name}: the statement is for account {shown(key)}, which is bank account "
                           f"{other.name}, not {chosen.name}")
    # An account without identifier takes the statement's on first use, so later files find it by themselves.
    chosen.iban, chosen.number = iban, number
    chosen.save(update_fields=["iban", "number"])
    audit.record(org=org, actor=actor, at=now, verb="bank.account_linked", subject=chosen,
                 summary=f"Bank account {chosen.name} is account {shown(key)}, as {file_name} says")
    return chosen
