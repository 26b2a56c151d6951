"""Read a statement file of any supported format into ``ParsedStatement``s.

``read_file`` recognises the format from the content (not the file name): a zip of
statement files, camt.052/053/054 XML, OFX, MT940/MT942, else CSV through a profile
(the one named, or the first whose columns the file has). Every statement it returns
balances (``balance``), and the upload stays within its ``Limits`` (``archive``).
"""

from __future__ import annotations

from collections.abc import Sequence

from recoup.banking.parsers import balance, camt, csvfile, mt940, ofx
from recoup.banking.parsers.archive import Limits, archive_kind, zip_members
from recoup.banking.parsers.base import ParsedLine, ParsedStatement, StatementError
from recoup.banking.parsers.csvfile import BUILT_IN, Profile
from recoup.core.matching import compact
from recoup.core.money import minor_exponent

__all__ = ["ParsedLine", "ParsedStatement", "Profile", "StatementError", "read_file", "BUILT_IN", "Limits"]

IBAN_MAX = 34
ACCOUNT_NUMBER_MAX = 64


def read_file(filename: str, data: bytes, *, profile: Profile | None = None,
              profiles: Sequence[Profile] = (), default_currency: str = "", limits: Limits = Limits(),
              check_balances: bool = True) -> list[ParsedStatement]:
    """Every statement in the file (or in each file of a zip), each checked to balance.

    Raises StatementError naming the file (or the zip member) and the place. ``check_balances=False``
    is for tests that look at how a file that does not balance is read.
    """
    if len(data) > limits.max_upload:
        raise StatementError(filename, "", f"the file is {len(data) / 2**20:.1f} MB, more than the "
                                           f"{limits.max_upload / 2**20:.0f} MB one upload may be")
    kind = archive_kind(data)
    if kind == "zip":
        files = zip_members(filename, data, limits)
    elif kind:
        raise StatementError(filename, "", f"a {kind} file: upload the statement itself, or a zip of statements")
    else:
        if len(data) > limits.max_unzipped:
            raise StatementError(filename, "", f"the file is larger than the {limits.max_unzipped / 2**20:.0f} MB "
                                               f"one upload may hold")
        files = [(filename, data)]
    statements: list[ParsedStatement] = []
    lines = 0
    for name, content in files:
        for statement in _parse(name, content, profile=profile, profiles=profiles, default_currency=default_currency):
            lines += len(statement.lines)
            limits.check_lines(filename, lines)
            _check_account_and_currency(name, statement)
            if check_balances:
                balance.check(name, statement)
            statements.append(statement)
    return statements


def _check_account_and_currency(filename: str, statement: ParsedStatement) -> None:
    if statement.currency:
        try:
            minor_exponent(statement.currency)
        except ValueError:
            raise StatementError(filename, statement.place, f"{statement.currency[:20]!r} is not a currency code") \
                from None
    if len(compact(statement.account_iban)) > IBAN_MAX:  # not an IBAN: an account number
        statement.account_iban, statement.account_number = "", statement.account_iban
    if len(statement.account_number.strip()) > ACCOUNT_NUMBER_MAX:
        raise StatementError(filename, statement.place, f"the account number {statement.account_number[:40]!r}... "
                                                        f"is longer than {ACCOUNT_NUMBER_MAX} characters")


def _parse(filename: str, data: bytes, *, profile: Profile | None, profiles: Sequence[Profile],
           default_currency: str) -> list[ParsedStatement]:
    if not data.strip():
        raise StatementError(filename, "", "the file is empty")
    if profile is not None:
        return csvfile.parse(filename, data, profile, default_currency=default_currency)
    if camt.looks_like(data):
        return camt.parse(filename, data)
    if ofx.looks_like(data):
        return ofx.parse(filename, data, default_currency=default_currency)
    if mt940.looks_like(data):
        return mt940.parse(filename, data)
    if data.lstrip().startswith(b"<"):
        raise StatementError(filename, "line 1", "XML that is neither camt.052/053/054 nor OFX")
    candidates = [*profiles, *BUILT_IN.values()]
    fitting = [p for p in candidates if csvfile.find_header(data, p) is not None]
    if not fitting:
        preview = csvfile.header_preview(data)
        hint = (" It looks like an invoice or customer export, not a bank statement: import invoices through the"
                " ledger import instead." if any(w in preview.lower() for w in ("invoice", "client", "customer"))
                else " Save a CSV profile naming its date and amount columns, then import with that profile.")
        raise StatementError(filename, preview.split(":")[0],
                             f"not a statement format Recoup knows and no CSV profile fits its columns "
                             f"({preview.split(': ', 1)[-1][:120]}).{hint}")
    best = max(fitting, key=lambda p: len(p.columns()))
    return csvfile.parse(filename, data, best, default_currency=default_currency)
